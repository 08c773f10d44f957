import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Reading } from '@healthit/core';
import { Client } from 'fhir-kit-client';
import { from, lastValueFrom, toArray } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toFhirObservations } from '../fhir/to-observations.js';
import type { FhirObservation, VitalSignsObservation } from '../fhir/types.js';
import { type EmbeddedFhirServer, startEmbeddedFhirServer } from '../fhir-server/server.js';
import { FhirExportError } from './errors.js';
import { entryIndexFromOutcome, exportObservations } from './export.js';
import { exportObservationBatches } from './operator.js';
import { createIdentifierResolver } from './resolver.js';
import { backoffDelayMs, parseRetryAfter, type RetryOptions } from './retry.js';

const MRN = 'https://hospital.example/sid/mrn';
let run = 0;

/** Observations of `n` heart-rate readings with fresh ids, for patient `patientId` (referenced by MRN). */
function observations(n: number, patientId = 'pat-1'): VitalSignsObservation[] {
  run++;
  const readings = Array.from(
    { length: n },
    (_, i) =>
      ({
        id: `mon-${run}:${i}`,
        deviceId: `mon-${run}`,
        patientId,
        metric: 'heart-rate',
        value: 60 + (i % 40),
        unit: '/min',
        ts: 1_700_000_000_000 + i * 1000,
        seq: i,
      }) as Reading,
  );
  return toFhirObservations(readings, {
    identifierSystem: 'https://hospital.example/sid/iomt-reading',
    patient: { type: 'identifier', system: MRN },
  }).observations;
}

/** No waiting in tests; records what the exporter would have waited. */
function recordingRetry(): RetryOptions & { waits: number[] } {
  const waits: number[] = [];
  return { waits, initialDelayMs: 100, sleep: async (ms) => void waits.push(ms), random: () => 0.5 };
}

interface Fault {
  status: number;
  headers?: Record<string, string>;
  body?: unknown;
}

/** A proxy in front of the FHIR server that answers the next requests with scripted faults. */
async function faultProxy(
  target: string,
): Promise<{ baseUrl: string; faults: Fault[]; requests: number; close(): Promise<void> }> {
  const state = { faults: [] as Fault[], requests: 0 };
  const body = (req: IncomingMessage) =>
    new Promise<Buffer>((resolve) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => resolve(Buffer.concat(chunks)));
    });
  const server: Server = createServer(async (req, res) => {
    state.requests++;
    const payload = await body(req);
    const fault = state.faults.shift();
    if (fault !== undefined) {
      res.writeHead(fault.status, { 'content-type': 'application/fhir+json', ...fault.headers });
      res.end(
        JSON.stringify(
          fault.body ?? {
            resourceType: 'OperationOutcome',
            issue: [{ severity: 'error', code: 'transient' }],
          },
        ),
      );
      return;
    }
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers))
      if (typeof v === 'string' && k !== 'host' && k !== 'connection') headers[k] = v;
    const upstream = await fetch(`${target}${(req.url ?? '').replace(/^\/fhir/, '')}`, {
      method: req.method ?? 'GET',
      headers,
      ...(payload.length > 0 ? { body: new Uint8Array(payload) } : {}),
    });
    res.writeHead(upstream.status, {
      'content-type': upstream.headers.get('content-type') ?? 'application/fhir+json',
    });
    res.end(Buffer.from(await upstream.arrayBuffer()));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}/fhir`,
    faults: state.faults,
    get requests() {
      return state.requests;
    },
    close: () =>
      new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      }),
  };
}

let fhir: EmbeddedFhirServer;
let client: Client;
beforeAll(async () => {
  fhir = await startEmbeddedFhirServer({ validate: true });
  client = new Client({ baseUrl: fhir.baseUrl });
});
afterAll(async () => {
  await fhir?.close();
});

describe('exportObservations', () => {
  it('export twice → no duplicates: the second run finds every Observation', async () => {
    const obs = observations(250);
    const before = fhir.repository.count('Observation');
    const first = await exportObservations(obs, { client, batchSize: 100 });
    expect(first).toMatchObject({ created: 250, existing: 0, failed: 0, bundles: 3 });
    const second = await exportObservations(obs, { baseUrl: fhir.baseUrl, batchSize: 100 });
    expect(second).toMatchObject({ created: 0, existing: 250, failed: 0 });
    expect(fhir.repository.count('Observation')).toBe(before + 250);
  });

  it('a 5xx is retried with backoff, then succeeds; Retry-After is respected', async () => {
    const proxy = await faultProxy(fhir.baseUrl);
    try {
      proxy.faults.push({ status: 503 }, { status: 502 }, { status: 429, headers: { 'retry-after': '7' } });
      const retry = recordingRetry();
      const events: number[] = [];
      const r = await exportObservations(observations(20), {
        baseUrl: proxy.baseUrl,
        retry: { ...retry, onRetry: (e) => events.push(e.status ?? 0) },
      });
      expect(r).toMatchObject({ created: 20, failed: 0 });
      expect(events).toEqual([503, 502, 429]);
      // full jitter with random 0.5: 50, 100; then Retry-After 7 s wins over the backoff
      expect(retry.waits).toEqual([50, 100, 7000]);
      expect(proxy.requests).toBe(4);
    } finally {
      await proxy.close();
    }
  });

  it('a 5xx whose request was applied is re-sent safely: conditional creates find what is there', async () => {
    const obs = observations(10);
    await exportObservations(obs.slice(0, 5), { client });
    const proxy = await faultProxy(fhir.baseUrl);
    try {
      proxy.faults.push({ status: 500 });
      const r = await exportObservations(obs, { baseUrl: proxy.baseUrl, retry: recordingRetry() });
      expect(r).toMatchObject({ created: 5, existing: 5, failed: 0 });
    } finally {
      await proxy.close();
    }
  });

  it('retries exhausted → a retryable store/unavailable error; network errors likewise', async () => {
    const proxy = await faultProxy(fhir.baseUrl);
    try {
      proxy.faults.push({ status: 503 }, { status: 503 }, { status: 503 });
      const e = await exportObservations(observations(3), {
        baseUrl: proxy.baseUrl,
        retries: 2,
        retry: recordingRetry(),
      }).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(FhirExportError);
      expect(e).toMatchObject({
        code: 'store/unavailable',
        retryable: true,
        status: 503,
        attempts: 3,
        bundleIndex: 0,
      });
    } finally {
      await proxy.close();
    }
    const dead = await startEmbeddedFhirServer();
    await dead.close();
    const e = (await exportObservations(observations(1), {
      baseUrl: dead.baseUrl,
      retries: 1,
      retry: recordingRetry(),
    }).catch((x: unknown) => x)) as FhirExportError;
    expect(e.code).toBe('store/unavailable');
    expect(e.message).toMatch(/ECONNREFUSED/);
  });

  it('a 400 → a typed, permanent error naming the Bundle, the entry and the Observation; nothing of it written', async () => {
    const obs: FhirObservation[] = observations(30);
    const bad = { ...obs[17], code: undefined } as unknown as FhirObservation;
    obs[17] = bad;
    const before = fhir.repository.count('Observation');
    const e = (await exportObservations(obs, { client, batchSize: 10 }).catch(
      (x: unknown) => x,
    )) as FhirExportError;
    expect(e).toBeInstanceOf(FhirExportError);
    expect(e).toMatchObject({
      code: 'validation/invalid',
      retryable: false,
      status: 400,
      bundleIndex: 1,
      entryIndex: 7,
      attempts: 1,
    });
    expect(e.identifier).toBe(`https://hospital.example/sid/iomt-reading|${bad.identifier?.[0]?.value}`);
    expect(e.outcome?.resourceType).toBe('OperationOutcome');
    expect(e.message).toMatch(/Bundle 1 .* HTTP 400 at entry 7 .*Missing required property/);
    // Bundle 0 went in before the failure; bundle 1 not at all; bundle 2 was never sent.
    expect(fhir.repository.count('Observation')).toBe(before + 10);
  });

  it('collect mode isolates rejected Observations (named, or by bisection) and writes the rest', async () => {
    const obs: FhirObservation[] = observations(40);
    obs[3] = { ...obs[3], code: undefined } as unknown as FhirObservation;
    obs[25] = { ...obs[25], status: undefined } as unknown as FhirObservation;
    const r = await exportObservations(obs, { client, batchSize: 20, onRejected: 'collect' });
    expect(r).toMatchObject({ created: 38, existing: 0, failed: 2 });
    expect(r.failures.map((f) => f.observation)).toEqual([obs[3], obs[25]]);
    expect(r.failures.map((f) => [f.error.bundleIndex, f.error.code])).toEqual([
      [0, 'validation/invalid'],
      [1, 'validation/invalid'],
    ]);
    // A server that does not name the entry: bisection finds it.
    const proxy = await faultProxy(fhir.baseUrl);
    try {
      const more = observations(8);
      proxy.faults.push({ status: 422 }, { status: 422 }, { status: 422 }, { status: 422 });
      const r2 = await exportObservations(more, { baseUrl: proxy.baseUrl, onRejected: 'collect' });
      // 8 (rejected) → 4 (rejected) → 2 (rejected) → 1 (rejected: failed), then 1, 2 and 4 go in.
      expect(r2).toMatchObject({ created: 7, failed: 1 });
      expect(r2.failures[0]?.observation).toBe(more[0]);
    } finally {
      await proxy.close();
    }
  });

  it('concurrent Bundles and concurrent re-sends never duplicate: each Observation is created exactly once', async () => {
    const obs = observations(300);
    const before = fhir.repository.count('Observation');
    // Three exports at once, overlapping, each with four Bundles in flight.
    const runs = await Promise.all([
      exportObservations(obs, { client, batchSize: 40, concurrency: 4 }),
      exportObservations(obs.slice(100), { baseUrl: fhir.baseUrl, batchSize: 25, concurrency: 4 }),
      exportObservations([...obs].reverse(), { client, batchSize: 60, concurrency: 3 }),
    ]);
    expect(runs.reduce((n, r) => n + r.created, 0)).toBe(300);
    for (const r of runs) expect(r.failed).toBe(0);
    expect(runs.map((r) => r.created + r.existing)).toEqual([300, 200, 300]);
    expect(fhir.repository.count('Observation')).toBe(before + 300);
  });

  it('with Bundles in flight, a failed Bundle is reported, not dropped; the others are written', async () => {
    const obs: FhirObservation[] = observations(60);
    obs[33] = { ...obs[33], code: undefined } as unknown as FhirObservation;
    const before = fhir.repository.count('Observation');
    const r = await exportObservations(obs, { client, batchSize: 10, concurrency: 3, onRejected: 'collect' });
    expect(r).toMatchObject({ created: 59, existing: 0, failed: 1 });
    expect(r.failures[0]?.observation).toBe(obs[33]);
    expect(r.failures[0]?.error).toMatchObject({ bundleIndex: 3, entryIndex: 3, status: 400 });
    expect(fhir.repository.count('Observation')).toBe(before + 59);
    // throw mode: the error names the Bundle; every Bundle that was answered 2xx stays written.
    const more: FhirObservation[] = observations(60);
    more[15] = { ...more[15], status: undefined } as unknown as FhirObservation;
    const e = (await exportObservations(more, { client, batchSize: 10, concurrency: 3 }).catch(
      (x: unknown) => x,
    )) as FhirExportError;
    expect(e).toBeInstanceOf(FhirExportError);
    expect(e).toMatchObject({ bundleIndex: 1, entryIndex: 5, status: 400 });
    const again = await exportObservations(more, { client, batchSize: 10, onRejected: 'collect' });
    expect(again.failed).toBe(1);
    expect(again.created + again.existing).toBe(59);
    expect(fhir.repository.count('Observation')).toBe(before + 59 + 59);
  });

  it('an Observation without an identifier is refused before sending (it could not be created conditionally)', async () => {
    const o = { ...observations(1)[0], identifier: undefined } as unknown as FhirObservation;
    const e = (await exportObservations([o], { client }).catch((x: unknown) => x)) as FhirExportError;
    expect(e.code).toBe('validation/invalid');
    expect(e.message).toMatch(/no identifier/);
  });
});

describe('Patient resolution by identifier', () => {
  it('lookup-only: an unknown patient fails its Observations; a known one is referenced literally', async () => {
    const patients = createIdentifierResolver({ client, resourceType: 'Patient', mode: 'lookup-only' });
    const unknown = observations(4, 'mrn-unknown');
    const r = await exportObservations(unknown, { client, patients, onRejected: 'collect' });
    expect(r).toMatchObject({ created: 0, failed: 4 });
    expect(r.failures[0]?.error.message).toMatch(
      /Patient .*mrn-unknown does not exist on the server \(lookup-only\)/,
    );
    const e = (await exportObservations(unknown, { client, patients }).catch(
      (x: unknown) => x,
    )) as FhirExportError;
    expect(e.code).toBe('validation/invalid');

    const p = (await client.create({
      resourceType: 'Patient',
      body: { resourceType: 'Patient', identifier: [{ system: MRN, value: 'mrn-known' }] },
    })) as unknown as { id: string };
    const known = observations(3, 'mrn-known');
    expect(await exportObservations(known, { client, patients })).toMatchObject({ created: 3 });
    const stored = (await client.search({
      resourceType: 'Observation',
      searchParams: {
        identifier: `https://hospital.example/sid/iomt-reading|${known[0]?.identifier[0].value}`,
      },
    })) as unknown as { entry: { resource: FhirObservation }[] };
    expect(stored.entry[0]?.resource.subject).toEqual({
      reference: `Patient/${p.id}`,
      type: 'Patient',
      identifier: { system: MRN, value: 'mrn-known' },
    });
  });

  it('create: the patient is created once, then found (also by a fresh resolver), with a bounded cache', async () => {
    const count = () => fhir.repository.count('Patient');
    const before = count();
    const patients = createIdentifierResolver({
      client,
      resourceType: 'Patient',
      mode: 'create',
      maxEntries: 2,
    });
    const obs = [
      ...observations(5, 'mrn-new-1'),
      ...observations(5, 'mrn-new-2'),
      ...observations(5, 'mrn-new-3'),
    ];
    expect(await exportObservations(obs, { client, patients })).toMatchObject({ created: 15 });
    expect(count()).toBe(before + 3);
    expect(patients.size).toBe(2);
    const again = createIdentifierResolver({ client, resourceType: 'Patient', mode: 'create' });
    const ref1 = await again.resolve({ system: MRN, value: 'mrn-new-1' });
    expect(await patients.resolve({ system: MRN, value: 'mrn-new-1' })).toBe(ref1);
    expect(count()).toBe(before + 3);
  });
});

describe('exportObservationBatches (RxJS)', () => {
  it('exports batches with bounded concurrency and emits results in input order', async () => {
    const batches = [observations(30), observations(5), observations(12), observations(1)];
    let inFlight = 0;
    let maxInFlight = 0;
    const counting = new Client({ baseUrl: fhir.baseUrl });
    const transaction = counting.transaction.bind(counting);
    counting.transaction = async (p) => {
      maxInFlight = Math.max(maxInFlight, ++inFlight);
      try {
        await new Promise((r) =>
          setTimeout(r, 5 * (30 - ((p.body as unknown as { entry: unknown[] }).entry.length % 30))),
        );
        return await transaction(p);
      } finally {
        inFlight--;
      }
    };
    const out = await lastValueFrom(
      from(batches).pipe(exportObservationBatches({ client: counting, concurrency: 2 }), toArray()),
    );
    expect(out.map((o) => [o.type, o.index, o.size])).toEqual([
      ['exported', 0, 30],
      ['exported', 1, 5],
      ['exported', 2, 12],
      ['exported', 3, 1],
    ]);
    expect(maxInFlight).toBe(2);
  });

  it('a batch the server cannot take is an export-failed value, not a stream error', async () => {
    const dead = await startEmbeddedFhirServer();
    await dead.close();
    const batch = observations(2);
    const out = await lastValueFrom(
      from([batch]).pipe(exportObservationBatches({ baseUrl: dead.baseUrl, retries: 0 }), toArray()),
    );
    expect(out[0]).toMatchObject({ type: 'export-failed', index: 0, size: 2, observations: batch });
  });
});

describe('retry policy pieces', () => {
  it('parses Retry-After as seconds or an HTTP-date', () => {
    expect(parseRetryAfter('3', 0)).toBe(3000);
    expect(parseRetryAfter(new Date(10_000).toUTCString(), 4000)).toBe(6000);
    expect(parseRetryAfter('soon', 0)).toBeUndefined();
    expect(parseRetryAfter(null, 0)).toBeUndefined();
  });

  it('full jitter: uniform below min(max, initial·2^(n-1))', () => {
    expect(backoffDelayMs(1, { random: () => 0.999, initialDelayMs: 100 })).toBe(99);
    expect(backoffDelayMs(4, { random: () => 0.5, initialDelayMs: 100 })).toBe(400);
    expect(backoffDelayMs(30, { random: () => 0.5, initialDelayMs: 100, maxDelayMs: 1000 })).toBe(500);
  });

  it('finds the entry an OperationOutcome names', () => {
    const o = (expression: string[], diagnostics?: string) => ({
      resourceType: 'OperationOutcome' as const,
      issue: [{ expression, ...(diagnostics === undefined ? {} : { diagnostics }) }],
    });
    expect(entryIndexFromOutcome(o(['Bundle.entry[4].resource.code']), 10)).toBe(4);
    expect(entryIndexFromOutcome(o([], 'Invalid at Bundle.entry[2]'), 10)).toBe(2);
    expect(entryIndexFromOutcome(o(['Bundle.entry[40]']), 10)).toBeUndefined();
    expect(entryIndexFromOutcome(undefined, 10)).toBeUndefined();
  });
});
