/**
 * Fuzzing the embedded FHIR server over HTTP, with validation on: transaction Bundles (creates,
 * conditional creates, local references) and single resources mutated as JSON, as JSON text, and
 * random bodies, POSTed to the base and to `/Observation`. Every request is answered 2xx, or 4xx
 * with an OperationOutcome — a 5xx or a dropped connection is a crash — in bounded time.
 */
import { Agent, request } from 'node:http';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jsonInputs, mutatedText } from '../../../../test/fuzz/arbitraries.js';
import { fuzzAsync, fuzzRuns, fuzzTimeout } from '../../../../test/fuzz/fuzz.js';
import { type EmbeddedFhirServer, startEmbeddedFhirServer } from './server.js';

const RUNS = fuzzRuns(500);
const agent = new Agent({ keepAlive: true, maxSockets: 1 });

function post(url: string, body: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { method: 'POST', agent, headers: { 'content-type': 'application/fhir+json' } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

const observation = (value: string, extra: Record<string, unknown> = {}) => ({
  resourceType: 'Observation',
  identifier: [{ system: 'https://hospital.example/sid/reading', value }],
  status: 'final',
  code: { coding: [{ system: 'http://loinc.org', code: '8867-4' }] },
  subject: { reference: 'urn:uuid:00000000-0000-4000-8000-000000000001' },
  effectiveDateTime: '2026-01-01T08:00:00Z',
  valueQuantity: { value: 72, unit: 'beats/minute', system: 'http://unitsofmeasure.org', code: '/min' },
  ...extra,
});
const BUNDLE = {
  resourceType: 'Bundle',
  type: 'transaction',
  entry: [
    {
      fullUrl: 'urn:uuid:00000000-0000-4000-8000-000000000001',
      resource: {
        resourceType: 'Patient',
        identifier: [{ system: 'https://hospital.example/sid/mrn', value: 'p-1' }],
        name: [{ family: 'Doe' }],
      },
      request: {
        method: 'POST',
        url: 'Patient',
        ifNoneExist: 'identifier=https://hospital.example/sid/mrn|p-1',
      },
    },
    { resource: observation('r-1'), request: { method: 'POST', url: 'Observation' } },
    {
      resource: observation('r-2', { valueQuantity: undefined, valueString: 'x' }),
      request: { method: 'PUT', url: 'Observation?identifier=https://hospital.example/sid/reading|r-2' },
    },
  ],
};
const SINGLE = { ...observation('r-3'), subject: { reference: 'Patient/unknown' } };

describe('embedded FHIR server fuzzing (HTTP, validation on)', () => {
  let server: EmbeddedFhirServer;
  beforeAll(async () => {
    server = await startEmbeddedFhirServer({ validate: true, maxBodyBytes: 1_000_000 });
  }, 60_000);
  afterAll(async () => {
    agent.destroy();
    await server?.close();
  });

  it(
    'POSTed Bundles and resources: 2xx, or 4xx with an OperationOutcome; never 5xx',
    async () => {
      let requests = 0;
      const r = await fuzzAsync({
        name: 'FHIR server POST transaction Bundle / resource (HTTP, validation on)',
        runs: RUNS,
        inputs: fc.record({
          single: fc.boolean(),
          body: fc.oneof(
            { arbitrary: jsonInputs([BUNDLE, SINGLE]).map((v) => JSON.stringify(v) ?? ''), weight: 6 },
            {
              arbitrary: mutatedText(
                [JSON.stringify(BUNDLE)],
                ['"', '{', '}', '[', ']', ',', ':', 'null', '-0', '1e999', '\\u0000', ' '],
              ),
              weight: 2,
            },
          ),
        }),
        typed: () => undefined, // the server answers; it does not throw
        maxMsPerInput: 5_000,
        run: async ({ single, body }) => {
          // The in-memory repository keeps every accepted resource (and its history): empty it now
          // and then, or a long run fills the heap with fuzzed resources of up to a megabyte.
          if (++requests % 500 === 0) server.repository.clear();
          const res = await post(`${server.baseUrl}${single ? '/Observation' : ''}`, body);
          if (res.status >= 200 && res.status < 300) return `${res.status}`;
          if (res.status >= 400 && res.status < 500) {
            const outcome = JSON.parse(res.body) as { resourceType?: string };
            if (outcome.resourceType !== 'OperationOutcome')
              throw new Error(`a ${res.status} without an OperationOutcome`);
            return `${res.status} OperationOutcome`;
          }
          throw new Error(`HTTP ${res.status} for ${body.slice(0, 300)}: ${res.body.slice(0, 300)}`);
        },
      });
      expect(r.returned).toBe(r.runs);
    },
    fuzzTimeout(20_000, RUNS),
  );
});
