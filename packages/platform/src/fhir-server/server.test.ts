import { request } from 'node:http';
import fc from 'fast-check';
import { Client } from 'fhir-kit-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFhirClient } from '../fhir-export/client.js';
import { createCertificateAuthority } from '../pki/certificate-authority.js';
import { issueServerCredentials } from '../pki/server-credentials.js';
import { IndexedMemoryRepository, identifierKeys } from './indexed-repository.js';
import { type EmbeddedFhirServer, startEmbeddedFhirServer } from './server.js';

const SYS = 'https://hospital.example/sid/mrn';

function rawPost(
  url: string,
  body: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { method: 'POST', headers: { 'content-type': 'application/fhir+json', ...headers } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
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
  valueQuantity: { value: 72, unit: 'beats/minute', system: 'http://unitsofmeasure.org', code: '/min' },
  ...extra,
});

describe('identifierKeys', () => {
  it('reads system|value alternatives and FHIR escapes; leaves other forms to Medplum', () => {
    expect(identifierKeys('urn:a|x')).toEqual(['urn:a\u0000x']);
    expect(identifierKeys('urn:a|x\\|y\\,z,urn:b|2')).toEqual(['urn:a\u0000x|y,z', 'urn:b\u00002']);
    expect(identifierKeys('x')).toBeUndefined();
    expect(identifierKeys('|x')).toBeUndefined();
    expect(identifierKeys('urn:a|')).toBeUndefined();
  });

  it('reads every value as the general FHIR-escape reading does (the unescaped single pair included)', () => {
    /** The reading without shortcuts: split on unescaped `,` then `|`, unescape, both parts non-empty. */
    const split = (s: string, sep: string) => {
      const parts = [''];
      for (let i = 0; i < s.length; i++) {
        const c = s[i] as string;
        if (c === '\\' && i + 1 < s.length) parts[parts.length - 1] += c + s[++i];
        else if (c === sep) parts.push('');
        else parts[parts.length - 1] += c;
      }
      return parts;
    };
    const reference = (v: string): string[] | undefined => {
      const keys: string[] = [];
      for (const alternative of split(v, ',')) {
        const parts = split(alternative, '|').map((p) => p.replace(/\\([\\|,$])/g, '$1'));
        if (parts.length !== 2 || parts[0] === '' || parts[1] === '') return undefined;
        keys.push(`${parts[0]}\u0000${parts[1]}`);
      }
      return keys;
    };
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom('a', 'b', '|', ',', '\\', '$'), maxLength: 10 }), (v) => {
        expect(identifierKeys(v)).toEqual(reference(v));
      }),
      { numRuns: 2000 },
    );
  });
});

describe('IndexedMemoryRepository', () => {
  it('atomically undoes creates, updates and deletes of a failed callback', async () => {
    const repo = new IndexedMemoryRepository();
    const kept = await repo.createResource({
      resourceType: 'Patient',
      identifier: [{ system: SYS, value: '1' }],
    });
    await expect(
      repo.atomically(async () => {
        await repo.createResource({ resourceType: 'Patient', identifier: [{ system: SYS, value: '2' }] });
        await repo.updateResource({ ...kept, identifier: [{ system: SYS, value: '1b' }] });
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(repo.count('Patient')).toBe(1);
    const byOld = await repo.searchResources({
      resourceType: 'Patient',
      filters: [{ code: 'identifier', operator: 'eq', value: `${SYS}|1` }],
    });
    expect(byOld.map((p) => p.id)).toEqual([kept.id]);
    const byNew = await repo.searchResources({
      resourceType: 'Patient',
      filters: [{ code: 'identifier', operator: 'eq', value: `${SYS}|1b` }],
    });
    expect(byNew).toEqual([]);
    expect((await repo.readHistory('Patient', kept.id)).entry).toHaveLength(1);
  });
});

describe('startEmbeddedFhirServer over HTTP', () => {
  let server: EmbeddedFhirServer;
  let client: Client;
  beforeAll(async () => {
    server = await startEmbeddedFhirServer({ validate: true, maxBodyBytes: 64 * 1024 });
    client = new Client({ baseUrl: server.baseUrl });
  });
  afterAll(async () => {
    await server?.close();
  });

  it('creates, reads and searches by identifier through fhir-kit-client', async () => {
    const created = (await client.create({
      resourceType: 'Patient',
      body: { resourceType: 'Patient', identifier: [{ system: SYS, value: 'mrn-1' }] },
    })) as unknown as { id: string };
    const read = (await client.read({ resourceType: 'Patient', id: created.id })) as unknown as {
      id: string;
    };
    expect(read.id).toBe(created.id);
    const found = (await client.search({
      resourceType: 'Patient',
      searchParams: { identifier: `${SYS}|mrn-1` },
    })) as unknown as {
      entry?: { resource: { id: string } }[];
    };
    expect(found.entry?.map((e) => e.resource.id)).toEqual([created.id]);
    expect(((await client.capabilityStatement()) as unknown as { fhirVersion: string }).fhirVersion).toBe(
      '4.0.1',
    );
  });

  it('conditional create (If-None-Exist) never duplicates', async () => {
    const body = { resourceType: 'Patient', identifier: [{ system: SYS, value: 'mrn-2' }] };
    const headers = { 'If-None-Exist': `identifier=${encodeURIComponent(SYS)}|mrn-2` };
    const a = (await client.create({ resourceType: 'Patient', body, options: { headers } })) as unknown as {
      id: string;
    };
    const b = (await client.create({ resourceType: 'Patient', body, options: { headers } })) as unknown as {
      id: string;
    };
    expect(b.id).toBe(a.id);
  });

  it('a transaction is all or nothing: an invalid entry is named, nothing is committed', async () => {
    const before = server.repository.count('Observation');
    const e = (await client
      .transaction({
        body: {
          resourceType: 'Bundle',
          type: 'transaction',
          entry: [
            { resource: observation('t-1'), request: { method: 'POST', url: 'Observation' } },
            {
              resource: observation('t-2', { code: undefined }),
              request: { method: 'POST', url: 'Observation' },
            },
          ],
        },
      })
      .catch((x: unknown) => x)) as {
      response: { status: number; data: { issue: { expression: string[]; diagnostics: string }[] } };
    };
    expect(e.response.status).toBe(400);
    expect(e.response.data.issue[0]?.expression).toContain('Bundle.entry[1]');
    expect(e.response.data.issue[0]?.diagnostics).toMatch(
      /Bundle\.entry\[1\].*Missing required property.*code/,
    );
    expect(server.repository.count('Observation')).toBe(before);
  });

  it('answers JSON that does not parse with a 400 OperationOutcome', async () => {
    const r = await rawPost(`${server.baseUrl}/Patient`, '{"resourceType": "Patient",');
    expect(r.status).toBe(400);
    const o = JSON.parse(r.body) as { resourceType: string; issue: { code: string; diagnostics: string }[] };
    expect(o.resourceType).toBe('OperationOutcome');
    expect(o.issue[0]?.diagnostics).toMatch(/not valid JSON/);
  });

  it('refuses a body over the bound with 413', async () => {
    const big = JSON.stringify({ resourceType: 'Patient', text: { div: 'x'.repeat(100 * 1024) } });
    const r = await rawPost(`${server.baseUrl}/Patient`, big);
    expect(r.status).toBe(413);
    expect(JSON.parse(r.body).issue[0].code).toBe('too-long');
  });

  it('answers 404 outside the FHIR base', async () => {
    const r = await rawPost(server.baseUrl.replace('/fhir', '/other'), '{}');
    expect(r.status).toBe(404);
  });
});

describe('transaction Bundles of conditional creates over HTTP', () => {
  let server: EmbeddedFhirServer;
  beforeAll(async () => {
    server = await startEmbeddedFhirServer();
  });
  afterAll(async () => {
    await server?.close();
  });

  const transaction = (values: readonly string[]) => ({
    resourceType: 'Bundle',
    type: 'transaction',
    entry: values.map((v) => ({
      resource: observation(v),
      request: {
        method: 'POST',
        url: 'Observation',
        ifNoneExist: `identifier=${encodeURIComponent('https://hospital.example/sid/reading')}|${v}`,
      },
    })),
  });

  it('concurrent Bundles of overlapping identifiers create each Observation once', async () => {
    const values = Array.from({ length: 60 }, (_, i) => `c-${i}`);
    const before = server.repository.count('Observation');
    const answers = await Promise.all(
      [values, values.slice(20), [...values].reverse(), values.slice(0, 30), values].map((v) =>
        rawPost(server.baseUrl, JSON.stringify(transaction(v)), { prefer: 'return=minimal' }),
      ),
    );
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200, 200]);
    const statuses = answers.flatMap(
      (a) => (JSON.parse(a.body) as { entry: { response: { status: string } }[] }).entry,
    );
    expect(statuses.filter((e) => e.response.status === '201')).toHaveLength(60);
    expect(server.repository.count('Observation')).toBe(before + 60);
  });

  it('answers return=minimal with status and location per entry, no resource and no success outcome', async () => {
    const a = await rawPost(server.baseUrl, JSON.stringify(transaction(['m-1', 'm-1'])), {
      prefer: 'return=minimal',
    });
    expect(a.status).toBe(200);
    const bundle = JSON.parse(a.body) as { type: string; entry: unknown[] };
    expect(bundle.type).toBe('transaction-response');
    expect(bundle.entry).toEqual([
      { response: { status: '201', location: expect.stringMatching(/^Observation\/[0-9a-f-]{36}$/) } },
      {
        response: {
          status: '200',
          location: (bundle.entry[0] as { response: { location: string } }).response.location,
        },
      },
    ]);
    const full = JSON.parse((await rawPost(server.baseUrl, JSON.stringify(transaction(['m-1'])))).body) as {
      entry: { resource?: { id?: string }; response: { outcome?: unknown } }[];
    };
    expect(full.entry[0]?.resource?.id).toBeTruthy();
    expect(full.entry[0]?.response.outcome).toMatchObject({ resourceType: 'OperationOutcome' });
  });

  it('a failed entry fails the whole Bundle with its status, named; nothing is committed', async () => {
    const before = server.repository.count('Observation');
    const bundle = transaction(['f-1', 'f-2', 'f-3']);
    (bundle.entry[2] as { request: { url: string } }).request.url = 'Patient';
    const a = await rawPost(server.baseUrl, JSON.stringify(bundle));
    expect(a.status).toBe(400);
    const o = JSON.parse(a.body) as { issue: { diagnostics: string; expression: string[] }[] };
    expect(o.issue[0]?.diagnostics).toMatch(
      /^Transaction failed at Bundle\.entry\[2\] \(POST Patient\): .*nothing was committed$/,
    );
    expect(o.issue[0]?.expression).toContain('Bundle.entry[2]');
    expect(server.repository.count('Observation')).toBe(before);
  });
});

describe('startEmbeddedFhirServer over HTTPS with the platform CA', () => {
  let server: EmbeddedFhirServer;
  let caPem: string;
  beforeAll(async () => {
    const ca = await createCertificateAuthority({ name: 'FHIR Test CA' });
    caPem = ca.certificatePem;
    const tls = await issueServerCredentials(ca, { subjectId: 'fhir', ipAddresses: ['127.0.0.1'] });
    server = await startEmbeddedFhirServer({ tls });
  });
  afterAll(async () => {
    await server?.close();
  });

  it('serves a client that trusts only the platform CA', async () => {
    expect(server.baseUrl).toMatch(/^https:\/\/127\.0\.0\.1:\d+\/fhir$/);
    const client = createFhirClient({ baseUrl: server.baseUrl, trustedCaPem: caPem });
    const p = (await client.create({
      resourceType: 'Patient',
      body: { resourceType: 'Patient' },
    })) as unknown as {
      id: string;
    };
    expect(p.id).toBeTruthy();
  });

  it('a client that does not trust the platform CA is refused', async () => {
    const plain = new Client({ baseUrl: server.baseUrl });
    const e = (await plain.read({ resourceType: 'Patient', id: 'x' }).catch((x: unknown) => x)) as Error & {
      cause?: { code?: string };
    };
    expect(e).toBeInstanceOf(Error);
    expect(e.cause?.code).toMatch(/SELF_SIGNED|UNABLE_TO_VERIFY|CERT/);
    const rogue = await createCertificateAuthority({ name: 'Rogue CA' });
    const pinnedElsewhere = createFhirClient({ baseUrl: server.baseUrl, trustedCaPem: rogue.certificatePem });
    const e2 = (await pinnedElsewhere
      .read({ resourceType: 'Patient', id: 'x' })
      .catch((x: unknown) => x)) as Error & {
      cause?: { code?: string };
    };
    expect(e2.cause?.code).toMatch(/SELF_SIGNED|UNABLE_TO_VERIFY|CERT/);
  });

  it('closes cleanly: close resolves, is idempotent, and the port refuses connections', async () => {
    const s = await startEmbeddedFhirServer();
    await Promise.all([s.close(), s.close()]);
    const e = (await fetch(`${s.baseUrl}/metadata`).catch((x: unknown) => x)) as Error & {
      cause?: { code?: string };
    };
    expect(e.cause?.code).toBe('ECONNREFUSED');
  });
});
