/**
 * The end-to-end check of a run, from the outside: the readings the devices published (acknowledged
 * by the broker) against the rows in PostgreSQL, and the Observations those rows map to against what
 * the FHIR server holds.
 */
import type { Reading } from '@healthit/core';
import { toFhirObservations } from '@healthit/platform/fhir';
import { createPostgresReadingStore } from '@healthit/platform/postgres';
import pg from 'pg';
import { PATIENT_SYSTEM, type RunNames } from './shared.js';

/** What the check found. */
export interface Verification {
  /** Readings the devices published (broker-acknowledged), and of those, ids published twice. */
  readonly published: number;
  readonly publishedTwice: number;
  /** Rows in the run's readings table, and rows beyond the first of one reading id. */
  readonly storedRows: number;
  readonly storedDuplicates: number;
  /** Published readings with no row. */
  readonly lost: number;
  /** Rows of readings nobody published (should be 0). */
  readonly unexpected: number;
  /** Observations the stored readings map to, and readings without a FHIR mapping. */
  readonly observationsExpected: number;
  readonly readingsNotMapped: number;
  /** Observations of the run on the FHIR server, of them beyond the first per identifier, missing. */
  readonly observationsOnServer: number;
  readonly observationDuplicates: number;
  readonly observationsMissing: number;
  /** Examples of lost reading ids (at most 5), for a look with `psql`. */
  readonly lostExamples: readonly string[];
  /** True when every published reading is stored once and exported once. */
  readonly ok: boolean;
}

/** Checks a finished run end to end. */
export async function verifyRun(options: {
  readonly publishedIds: readonly string[];
  readonly pgUrl: string;
  readonly names: RunNames;
  /** The identifier value of every Observation of the run on the FHIR server, duplicates included. */
  readonly observationIdentifiers: readonly string[];
}): Promise<Verification> {
  const { publishedIds, names } = options;
  const published = new Set(publishedIds);

  // Rows, straight from the table: one per reading id?
  const client = new pg.Client({ connectionString: options.pgUrl });
  await client.connect();
  let storedRows: number;
  let distinctIds: number;
  try {
    const { rows } = await client.query<{ n: number; d: number }>(
      `SELECT count(*)::int AS n, count(DISTINCT id)::int AS d FROM "${names.schema}".readings`,
    );
    storedRows = rows[0]?.n ?? 0;
    distinctIds = rows[0]?.d ?? 0;
  } finally {
    await client.end();
  }
  // The readings themselves, through the platform's store.
  const store = await createPostgresReadingStore({ connectionString: options.pgUrl, schema: names.schema });
  let stored: readonly Reading[];
  try {
    stored = await store.query({ from: 0, to: Number.MAX_SAFE_INTEGER, limit: Math.max(1, storedRows) });
  } finally {
    await store.close();
  }
  const storedIds = new Set(stored.map((r) => r.id));
  const lostIds = [...published].filter((id) => !storedIds.has(id));
  const unexpected = [...storedIds].filter((id) => !published.has(id)).length;

  // The Observations the stored readings make, against the server's.
  const made = toFhirObservations(stored, {
    identifierSystem: names.observationSystem,
    patient: { type: 'identifier', system: PATIENT_SYSTEM },
  });
  const expected = new Set(
    made.observations.flatMap((o) =>
      (o.identifier ?? []).filter((i) => i.system === names.observationSystem).map((i) => i.value ?? ''),
    ),
  );
  const onServer = options.observationIdentifiers;
  const onServerSet = new Set(onServer);
  const missing = [...expected].filter((id) => !onServerSet.has(id)).length;

  const v = {
    published: publishedIds.length,
    publishedTwice: publishedIds.length - published.size,
    storedRows,
    storedDuplicates: storedRows - distinctIds,
    lost: lostIds.length,
    unexpected,
    observationsExpected: expected.size,
    readingsNotMapped: made.skipped.length,
    observationsOnServer: onServer.length,
    observationDuplicates: onServer.length - onServerSet.size,
    observationsMissing: missing,
    lostExamples: lostIds.slice(0, 5),
  };
  return {
    ...v,
    ok:
      v.published > 0 &&
      v.publishedTwice === 0 &&
      v.storedDuplicates === 0 &&
      v.lost === 0 &&
      v.unexpected === 0 &&
      v.storedRows === v.published &&
      v.readingsNotMapped === 0 &&
      v.observationsMissing === 0 &&
      v.observationDuplicates === 0 &&
      v.observationsOnServer === v.observationsExpected,
  };
}
