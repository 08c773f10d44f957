import { pathToFileURL } from 'node:url';
import type { Reading } from '@healthit/core';
import {
  identifierSearchParam,
  toFhirObservations,
  type VitalSignsObservation,
} from '@healthit/platform/fhir';
import { exportObservations } from '@healthit/platform/fhir-export';
import { IndexedMemoryRepository, startEmbeddedFhirServer } from '@healthit/platform/fhir-server';
import { FhirRouter } from '@medplum/fhir-router';
import { type Figure, printFigures } from './measure.js';

const N = 20_000;
const BATCH = 1000;
let generation = 0;

/** `n` fresh heart-rate Observations (new identifiers every call). */
function observations(n: number): VitalSignsObservation[] {
  generation++;
  const readings = Array.from(
    { length: n },
    (_, i) =>
      ({
        id: `mon-${generation}:${i}`,
        deviceId: `mon-${generation}`,
        patientId: `pat-${i % 50}`,
        metric: 'heart-rate',
        value: 60 + (i % 40),
        unit: '/min',
        ts: 1_700_000_000_000 + i * 1000,
        seq: i,
      }) as Reading,
  );
  return toFhirObservations(readings, {
    identifierSystem: 'https://hospital.example/sid/iomt-reading',
    patient: { type: 'id' },
  }).observations;
}

/** Best of `runs` after one warm-up; each run gets fresh Observations from `make`. */
async function best(
  runs: number,
  fn: (obs: VitalSignsObservation[]) => Promise<void>,
  make = () => observations(N),
) {
  let rate = 0;
  for (let i = 0; i <= runs; i++) {
    const obs = make();
    const t0 = performance.now();
    await fn(obs);
    const r = obs.length / ((performance.now() - t0) / 1000);
    if (i > 0) rate = Math.max(rate, r);
  }
  return rate;
}

export async function benchFhirExport(): Promise<Figure[]> {
  const figures: Figure[] = [];

  // Ceiling: Medplum's router handling the same transaction Bundles in-process (no HTTP, no JSON).
  const { loadFhirDefinitions } = await import('@healthit/platform/fhir-server');
  loadFhirDefinitions();
  const router = new FhirRouter();
  const repo = new IndexedMemoryRepository();
  const ceiling = await best(3, async (obs) => {
    for (let b = 0; b < obs.length; b += BATCH) {
      const body = {
        resourceType: 'Bundle',
        type: 'transaction',
        entry: obs.slice(b, b + BATCH).map((o) => ({
          resource: o,
          request: {
            method: 'POST',
            url: 'Observation',
            ifNoneExist: identifierSearchParam(o.identifier[0]),
          },
        })),
      };
      const [outcome] = await repo.atomically(() =>
        router.handleRequest({ method: 'POST', url: '', pathname: '', body, params: {}, query: {} }, repo),
      );
      if (outcome.id !== 'ok') throw new Error(JSON.stringify(outcome));
    }
  });
  figures.push({
    name: `ceiling: Medplum router + indexed memory repository in-process, transactions of ${BATCH} conditional creates`,
    value: ceiling,
    unit: 'Observations/s',
  });

  for (const [validate, concurrency] of [
    [false, 1],
    [false, 4],
    [true, 1],
  ] as const) {
    const server = await startEmbeddedFhirServer({ validate });
    try {
      const rate = await best(3, async (obs) => {
        const r = await exportObservations(obs, { baseUrl: server.baseUrl, batchSize: BATCH, concurrency });
        if (r.created !== obs.length) throw new Error(`created ${r.created} of ${obs.length}`);
      });
      figures.push({
        name: `exportObservations over HTTP (fhir-kit-client) into the embedded server, ${BATCH}/Bundle, ${concurrency} in flight${validate ? ', server validates' : ''}`,
        value: rate,
        unit: 'Observations/s',
        note: `${Math.round((100 * rate) / ceiling)} % of the ceiling; target ≥ 10 000/s`,
      });
      if (!validate && concurrency === 1) {
        const sent = observations(N);
        await exportObservations(sent, { baseUrl: server.baseUrl, batchSize: BATCH });
        const again = await best(
          3,
          async (obs) => {
            const r = await exportObservations(obs, { baseUrl: server.baseUrl, batchSize: BATCH });
            if (r.existing !== obs.length) throw new Error(`existing ${r.existing} of ${obs.length}`);
          },
          () => sent,
        );
        figures.push({
          name: 're-sending the same Observations (all found, none created)',
          value: again,
          unit: 'Observations/s',
        });
      }
    } finally {
      await server.close();
    }
  }
  return figures;
}

// `node --conditions=@healthit/source --import tsx bench/fhir-export.ts` runs this file alone
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  printFigures('Platform FHIR export (embedded FHIR server)', await benchFhirExport());
}
