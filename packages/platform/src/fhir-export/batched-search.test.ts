import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EmbeddedFhirServer, startEmbeddedFhirServer } from '../fhir-server/server.js';
import { BatchedSearchClient } from './batched-search.js';
import { createFhirClient } from './client.js';
import { classifyFailure } from './retry.js';
import type { FhirBundle } from './types.js';

const MRN = 'https://hospital.example/sid/mrn';

/** A proxy that records each request (`METHOD path`) and may refuse `POST /` (batch Bundles). */
async function recordingProxy(
  target: string,
  refuseBatches = false,
): Promise<{ baseUrl: string; requests: string[]; close(): Promise<void> }> {
  const requests: string[] = [];
  const server: Server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const path = (req.url ?? '').replace(/^\/fhir/, '');
    requests.push(`${req.method} ${path}`);
    if (refuseBatches && req.method === 'POST' && (path === '' || path === '/')) {
      res.writeHead(405, { 'content-type': 'application/fhir+json' });
      res.end(
        JSON.stringify({
          resourceType: 'OperationOutcome',
          issue: [{ severity: 'error', code: 'not-supported' }],
        }),
      );
      return;
    }
    const body = Buffer.concat(chunks);
    const upstream = await fetch(`${target}${path}`, {
      method: req.method ?? 'GET',
      headers: { 'content-type': 'application/fhir+json' },
      ...(body.length > 0 ? { body: new Uint8Array(body) } : {}),
    });
    res.writeHead(upstream.status, { 'content-type': 'application/fhir+json' });
    res.end(Buffer.from(await upstream.arrayBuffer()));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}/fhir`,
    requests,
    close: () =>
      new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      }),
  };
}

let fhir: EmbeddedFhirServer;
beforeAll(async () => {
  fhir = await startEmbeddedFhirServer();
  for (let i = 0; i < 5; i++) {
    const patient = await fhir.repository.createResource({
      resourceType: 'Patient',
      identifier: [{ system: MRN, value: `p${i}` }],
    });
    await fhir.repository.createResource({
      resourceType: 'Encounter',
      status: i % 2 === 0 ? 'in-progress' : 'finished',
      class: { code: 'IMP' },
      subject: { reference: `Patient/${patient.id}` },
    });
  }
});
afterAll(async () => {
  await fhir?.close();
});

const ids = (bundle: unknown) => ((bundle as FhirBundle).entry ?? []).map((e) => e.resource?.id).sort();

describe('BatchedSearchClient', () => {
  it('sends searches started together as one batch Bundle; each caller gets its own searchset', async () => {
    const proxy = await recordingProxy(fhir.baseUrl);
    try {
      const batched = createFhirClient({ baseUrl: proxy.baseUrl, batchSearches: true });
      expect(batched).toBeInstanceOf(BatchedSearchClient);
      const plain = createFhirClient({ baseUrl: fhir.baseUrl });
      const searches = [
        { resourceType: 'Patient', searchParams: { identifier: `${MRN}|p1` } },
        { resourceType: 'Patient', searchParams: { identifier: `${MRN}|nobody` } },
        { resourceType: 'Encounter', searchParams: { status: 'in-progress' } },
        { resourceType: 'Encounter', searchParams: { status: ['in-progress', 'finished'], _count: 2 } },
        { resourceType: 'Patient' },
      ];
      const together = await Promise.all(searches.map((s) => batched.search(s)));
      expect(proxy.requests).toEqual(['POST /']);
      const alone = await Promise.all(searches.map((s) => plain.search(s)));
      expect(together.map(ids)).toEqual(alone.map(ids));
      const types = (bundles: unknown[]) => bundles.map((b) => (b as FhirBundle).type);
      expect(types(together)).toEqual(types(alone));
      // Searches in later turns of the event loop go in later Bundles.
      await batched.search(searches[0] as (typeof searches)[0]);
      await batched.search(searches[1] as (typeof searches)[0]);
      expect(proxy.requests).toEqual([
        'POST /',
        'GET /Patient?identifier=https%3A%2F%2Fhospital.example%2Fsid%2Fmrn%7Cp1',
        'GET /Patient?identifier=https%3A%2F%2Fhospital.example%2Fsid%2Fmrn%7Cnobody',
      ]);
    } finally {
      await proxy.close();
    }
  });

  it('a search the server refuses fails alone, with the status its caller would have seen', async () => {
    const batched = createFhirClient({ baseUrl: fhir.baseUrl, batchSearches: true });
    const [good, bad] = await Promise.allSettled([
      batched.search({ resourceType: 'Patient', searchParams: { identifier: `${MRN}|p2` } }),
      batched.search({ resourceType: 'Patient', searchParams: { _include: 'bad' } }),
    ]);
    expect(good.status).toBe('fulfilled');
    expect(ids((good as PromiseFulfilledResult<unknown>).value)).toHaveLength(1);
    expect(bad.status).toBe('rejected');
    const failure = classifyFailure((bad as PromiseRejectedResult).reason);
    expect(failure.status).toBe(400);
    expect(failure.retryable).toBe(false);
    expect(failure.outcome?.resourceType).toBe('OperationOutcome');
  });

  it('a server that refuses batch Bundles is asked one search at a time, from then on', async () => {
    const proxy = await recordingProxy(fhir.baseUrl, true);
    try {
      const batched = createFhirClient({ baseUrl: proxy.baseUrl, batchSearches: true });
      const run = () =>
        Promise.all(
          ['p0', 'p3'].map((v) =>
            batched.search({ resourceType: 'Patient', searchParams: { identifier: `${MRN}|${v}` } }),
          ),
        );
      expect((await run()).map((b) => ids(b).length)).toEqual([1, 1]);
      expect(proxy.requests.filter((r) => r === 'POST /')).toHaveLength(1);
      expect(proxy.requests.filter((r) => r.startsWith('GET /Patient'))).toHaveLength(2);
      await run();
      expect(proxy.requests.filter((r) => r === 'POST /')).toHaveLength(1); // not asked again
      expect(proxy.requests.filter((r) => r.startsWith('GET /Patient'))).toHaveLength(4);
    } finally {
      await proxy.close();
    }
  });

  it('aborting one caller rejects that caller alone', async () => {
    const batched = createFhirClient({ baseUrl: fhir.baseUrl, batchSearches: true });
    const abort = new AbortController();
    const aborted = batched.search({ resourceType: 'Patient', options: { signal: abort.signal } });
    const kept = batched.search({ resourceType: 'Patient', searchParams: { identifier: `${MRN}|p4` } });
    abort.abort(new Error('not needed'));
    await expect(aborted).rejects.toThrow('not needed');
    expect(ids(await kept)).toHaveLength(1);
  });
});
