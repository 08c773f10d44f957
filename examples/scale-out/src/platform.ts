/**
 * The platform process: a durable JetStream pull consumer on the gateway's stream
 * (`createNatsIngest`) commits each batch of readings to PostgreSQL (`createPostgresReadingStore`,
 * idempotent by reading id, in the run's own schema) and only then acknowledges its messages; each
 * committed batch is mapped to FHIR R4 vital-signs Observations and exported to the FHIR server by
 * conditional create (re-sending never duplicates), patients resolved, or created, by identifier.
 * Started by the launcher once the FHIR server listens.
 */
import type { Reading } from '@healthit/core';
import type { FhirObservation } from '@healthit/platform/fhir';
import { toFhirObservations } from '@healthit/platform/fhir';
import {
  createFhirClient,
  createIdentifierResolver,
  exportObservationBatches,
  exportObservations,
  type FhirExportBatchOutcome,
} from '@healthit/platform/fhir-export';
import { createNatsIngest, type NatsIngest } from '@healthit/platform/nats';
import { createPostgresReadingStore } from '@healthit/platform/postgres';
import { bufferTime, defaultIfEmpty, filter, lastValueFrom, map, Subject, tap } from 'rxjs';
import { childConfig, childLifecycle, every, PATIENT_SYSTEM, runNames, sleep, tell } from './shared.js';

const config = childConfig();
const names = runNames(config.runId);
const fhirBaseUrl = process.env.SCALE_OUT_FHIR_URL;

let exported = 0;
let exportedExisting = 0;
let exportFailed = 0;
let skipped = 0;
let alerts = 0;
let notices = 0;
const retryLater: FhirObservation[] = [];
let ingest: NatsIngest | undefined;
let exporting: Promise<unknown> = Promise.resolve();
let closeStore: () => Promise<void> = async () => undefined;
const committed$ = new Subject<readonly Reading[]>();

const counters = () => {
  const s = ingest?.stats();
  return {
    messages: s?.messages ?? 0,
    acknowledged: s?.acknowledged ?? 0,
    redelivered: s?.redelivered ?? 0,
    stored: s?.inserted ?? 0,
    storeDuplicates: s?.duplicates ?? 0,
    conflicts: s?.conflicts ?? 0,
    poison: s?.poison ?? 0,
    storeFailures: s?.storeFailures ?? 0,
    alerts,
    exported,
    exportedExisting,
    exportFailed,
    skipped,
    notices,
  };
};
const stopReporting = every(500, () => void tell({ type: 'progress', counters: counters() }));

const { fail } = childLifecycle(async (expect) => {
  // Everything JetStream acknowledged to the gateway is in the stream: commit all of it.
  let last = -1;
  let quietSince = Date.now();
  for (;;) {
    const acknowledged = ingest?.stats().acknowledged ?? 0;
    if (expect !== undefined && acknowledged >= expect) break;
    if (acknowledged !== last) {
      last = acknowledged;
      quietSince = Date.now();
    } else if (Date.now() - quietSince > 10_000) break; // the summary shows the gap
    await sleep(20);
  }
  await ingest?.stop();
  committed$.complete();
  await exporting;
  stopReporting();
  await closeStore();
  return counters();
});

try {
  if (fhirBaseUrl === undefined)
    throw new Error('SCALE_OUT_FHIR_URL is not set: start the platform with the launcher');
  let store: Awaited<ReturnType<typeof createPostgresReadingStore>>;
  try {
    store = await createPostgresReadingStore({
      connectionString: config.pgUrl,
      schema: names.schema,
      poolConfig: { max: 4, connectionTimeoutMillis: 5_000 },
    });
  } catch (e) {
    throw new Error(
      `PostgreSQL is not usable at ${config.pgUrl} (${(e as Error).message}): start it, create the database, or pass --pg-url`,
    );
  }
  closeStore = () => store.close();
  const client = createFhirClient({ baseUrl: fhirBaseUrl });
  const patients = createIdentifierResolver({ client, resourceType: 'Patient', mode: 'create' });
  const context = {
    identifierSystem: names.observationSystem,
    patient: { type: 'identifier', system: PATIENT_SYSTEM },
  } as const;
  const exportOptions = { client, patients, batchSize: 1000 };
  exporting = lastValueFrom(
    committed$.pipe(
      map((readings) => {
        const made = toFhirObservations(readings, context);
        skipped += made.skipped.length;
        return made.observations;
      }),
      bufferTime(500),
      map((lists) => lists.flat()),
      filter((observations) => observations.length > 0),
      exportObservationBatches({ ...exportOptions, concurrency: 1 }),
      tap((outcome: FhirExportBatchOutcome) => {
        if (outcome.type === 'exported') {
          exported += outcome.created + outcome.existing;
          exportedExisting += outcome.existing;
          for (const f of outcome.failures) retryLater.push(f.observation);
        } else retryLater.push(...outcome.observations);
      }),
      defaultIfEmpty(undefined),
    ),
  ).then(async () => {
    if (retryLater.length === 0) return;
    // What failed during the run goes once more (conditional create: nothing is duplicated).
    const result = await exportObservations(retryLater, { ...exportOptions, onRejected: 'collect' });
    exported += result.created + result.existing;
    exportedExisting += result.existing;
    exportFailed += result.failed;
  });

  try {
    ingest = await createNatsIngest({
      servers: config.natsUrl,
      site: names.site,
      store,
      durable: names.durable,
      maxBatch: 500,
      maxWaitMs: 50,
      maxInFlight: 4_000,
    });
  } catch (e) {
    throw new Error(
      `NATS JetStream is not reachable at ${config.natsUrl} (${(e as Error).message}): start it with \`nats-server -js\` or pass --nats-url`,
    );
  }
  ingest.events$.subscribe((event) => {
    if (event.type === 'committed' && event.readings.length > 0) committed$.next(event.readings);
    else if (event.type === 'notice' && event.notice !== 'stream-missing') notices += 1;
    else if (event.type === 'failed') void fail(event.error);
  });
  ingest.alerts$.subscribe(() => {
    alerts += 1;
  });
  ingest.start();
  await tell({ type: 'ready' });
} catch (e) {
  await fail(e);
}
