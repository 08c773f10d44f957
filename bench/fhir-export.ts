import { pathToFileURL } from 'node:url';
import type { Reading } from '@healthit/core';
import {
  identifierSearchParam,
  toFhirObservations,
  type VitalSignsObservation,
} from '@healthit/platform/fhir';
import { exportObservations } from '@healthit/platform/fhir-export';
import {
  IndexedMemoryRepository,
  loadFhirDefinitions,
  processTransactionBundle,
  startEmbeddedFhirServer,
} from '@healthit/platform/fhir-server';
import { FhirRouter } from '@medplum/fhir-router';
import type { Bundle } from '@medplum/fhirtypes';
import { against, type Figure, median, printFigures } from './measure.js';

/** Observations per timed run. */
const N = 20_000;
/** Timed rounds (after one warm-up round). */
const ROUNDS = 5;
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

/** The transaction Bundles of conditional creates the exporter sends, as objects. */
function bundles(obs: readonly VitalSignsObservation[], size: number): Bundle[] {
  const out: Bundle[] = [];
  for (let b = 0; b < obs.length; b += size) {
    out.push({
      resourceType: 'Bundle',
      type: 'transaction',
      entry: obs.slice(b, b + size).map((o) => ({
        resource: o as never,
        request: { method: 'POST', url: 'Observation', ifNoneExist: identifierSearchParam(o.identifier[0]) },
      })),
    });
  }
  return out;
}

/** One way of writing N Observations: `prepare` (not timed) returns the timed `run` and a check. */
interface Variant {
  readonly name: string;
  prepare(): Promise<{ run: () => Promise<void>; check: () => void; close: () => Promise<void> }>;
}

function assertStored(what: string, stored: number, expected: number): void {
  if (stored !== expected) throw new Error(`${what}: ${stored} Observations stored, expected ${expected}`);
}

/** In process: the embedded server's transaction processing (no HTTP, no JSON text). */
const embeddedInProcess: Variant = {
  name: 'the embedded server’s transaction processing in-process (no HTTP, no JSON), 1000/Bundle',
  async prepare() {
    const repo = new IndexedMemoryRepository();
    const router = new FhirRouter();
    const work = bundles(observations(N), 1000);
    return {
      run: async () => {
        for (const bundle of work)
          await repo.atomically(() => processTransactionBundle(bundle, repo, router));
      },
      check: () => assertStored('in-process', repo.count('Observation'), N),
      close: async () => {},
    };
  },
};

/** In process: Medplum's router (its batch processor), as the embedded server ran transactions before. */
const medplumInProcess: Variant = {
  name: 'Medplum router (batch processor) + indexed repository in-process, 1000/Bundle',
  async prepare() {
    const repo = new IndexedMemoryRepository();
    const router = new FhirRouter();
    const work = bundles(observations(N), 1000);
    return {
      run: async () => {
        for (const body of work) {
          const [outcome] = await repo.atomically(() =>
            router.handleRequest(
              { method: 'POST', url: '', pathname: '', body, params: {}, query: {} },
              repo,
            ),
          );
          if (outcome.id !== 'ok') throw new Error(JSON.stringify(outcome));
        }
      },
      check: () => assertStored('Medplum router', repo.count('Observation'), N),
      close: async () => {},
    };
  },
};

/** Over HTTP with fhir-kit-client into the embedded server: created must be N, and N must be stored. */
function overHttp(batchSize: number, concurrency: number, validate = false): Variant {
  return {
    name: `exportObservations over HTTP (fhir-kit-client) into the embedded server, ${batchSize}/Bundle, ${concurrency} in flight${validate ? ', server validates' : ''}`,
    async prepare() {
      const server = await startEmbeddedFhirServer({ validate });
      const obs = observations(N);
      let created = 0;
      return {
        run: async () => {
          created = (await exportObservations(obs, { baseUrl: server.baseUrl, batchSize, concurrency }))
            .created;
        },
        check: () => {
          if (created !== N) throw new Error(`created ${created} of ${N}`);
          assertStored('over HTTP', server.repository.count('Observation'), N);
        },
        close: () => server.close(),
      };
    },
  };
}

/** Re-sending N Observations already on the server: all found, none created. */
const resend: Variant = {
  name: 're-sending the same Observations over HTTP (all found, none created), 1000/Bundle, 2 in flight',
  async prepare() {
    const server = await startEmbeddedFhirServer();
    const obs = observations(N);
    await exportObservations(obs, { baseUrl: server.baseUrl, batchSize: 1000, concurrency: 2 });
    let existing = 0;
    return {
      run: async () => {
        existing = (
          await exportObservations(obs, { baseUrl: server.baseUrl, batchSize: 1000, concurrency: 2 })
        ).existing;
      },
      check: () => {
        if (existing !== N) throw new Error(`existing ${existing} of ${N}`);
        assertStored('re-send', server.repository.count('Observation'), N);
      },
      close: () => server.close(),
    };
  },
};

/**
 * Every variant once per round, in turn, each into a fresh server or repository (so every run
 * meets the same conditions); the first round warms up. Per variant: the median rate (wall clock),
 * the median of its ratio to the ceiling's rate in the same round — a slow spell of a shared
 * machine hits both alike — and the median rate per CPU second this process used (client and
 * server), which other processes on the machine do not change.
 */
export async function benchFhirExport(): Promise<Figure[]> {
  loadFhirDefinitions();
  const ceiling = embeddedInProcess;
  const variants: Variant[] = [
    ceiling,
    medplumInProcess,
    overHttp(1000, 1),
    overHttp(1000, 2),
    overHttp(1000, 4),
    overHttp(5000, 2),
    overHttp(1000, 2, true),
    resend,
  ];
  const rates = new Map<Variant, number[]>(variants.map((v) => [v, []]));
  const ratios = new Map<Variant, number[]>(variants.map((v) => [v, []]));
  /** Per CPU second of this process (client and server): what other processes on the machine take does not count. */
  const cpuRates = new Map<Variant, number[]>(variants.map((v) => [v, []]));
  for (let round = 0; round <= ROUNDS; round++) {
    let ceilingRate = 0;
    for (const v of variants) {
      const { run, check, close } = await v.prepare();
      try {
        const t0 = performance.now();
        const cpu0 = process.cpuUsage();
        await run();
        const rate = N / ((performance.now() - t0) / 1000);
        const cpu = process.cpuUsage(cpu0);
        check();
        if (v === ceiling) ceilingRate = rate;
        if (round > 0) {
          rates.get(v)?.push(rate);
          ratios.get(v)?.push(rate / ceilingRate);
          cpuRates.get(v)?.push(N / ((cpu.user + cpu.system) / 1e6));
        }
      } finally {
        await close();
      }
    }
  }
  const ceilingRate = median(rates.get(ceiling) ?? []);
  return variants
    .filter((v) => v !== ceiling)
    .map((v) => {
      const ratio = median(ratios.get(v) ?? []);
      const perCpu = `${Math.round(median(cpuRates.get(v) ?? [])).toLocaleString('en-US')}/CPU-s`;
      const isExport = v.name.startsWith('exportObservations');
      const value = median(rates.get(v) ?? []);
      return {
        name: v.name,
        value,
        unit: 'Observations/s',
        runs: ROUNDS,
        note: `${perCpu}${isExport ? '; target ≥ 10 000/s' : ''}`,
        ...against(value, 'Observations/s', ceiling.name, ceilingRate, ratio),
      };
    });
}

// `node --conditions=@healthit/source --import tsx bench/fhir-export.ts` runs this file alone
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  printFigures('Platform FHIR export (embedded FHIR server)', await benchFhirExport());
}
