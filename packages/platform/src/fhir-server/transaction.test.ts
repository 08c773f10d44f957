import { getStatus, isOk } from '@medplum/core';
import { FhirRouter } from '@medplum/fhir-router';
import type { Bundle, BundleEntry, Observation, Patient, Resource } from '@medplum/fhirtypes';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadFhirDefinitions } from './definitions.js';
import { IndexedMemoryRepository } from './indexed-repository.js';
import { isCreateOnlyTransaction, processTransactionBundle, TransactionEntryFailure } from './transaction.js';

beforeAll(() => {
  loadFhirDefinitions();
}, 30_000);

const SYS = 'https://hospital.example/sid/x';
const URNS = [
  'urn:uuid:00000000-0000-4000-8000-000000000001',
  'urn:uuid:00000000-0000-4000-8000-000000000002',
  'urn:uuid:00000000-0000-4000-8000-000000000003',
] as const;

/** Ids 1, 2, 3 ... in the order asked for, so that two repositories given the same work agree. */
class CountingRepository extends IndexedMemoryRepository {
  private n = 0;
  override generateId(): string {
    this.n++;
    return `id-${this.n}`;
  }
}

/** Seeds a repository with Patient a, Observation b, and two Patients d (a conditional create on d fails). */
async function seeded(): Promise<CountingRepository> {
  const repo = new CountingRepository();
  for (const value of ['a', 'd', 'd']) {
    await repo.createResource({ resourceType: 'Patient', identifier: [{ system: SYS, value }] });
  }
  await repo.createResource({
    resourceType: 'Observation',
    status: 'final',
    code: { text: 'hr' },
    identifier: [{ system: SYS, value: 'b' }],
  } as Resource);
  return repo;
}

type Outcome =
  | { ok: true; entries: { status: string | undefined; location: string | undefined }[] }
  | { ok: false; index: number; status: number };

/** What the embedded server answered before: Medplum's router, then the first entry that is not 2xx. */
async function viaMedplum(repo: IndexedMemoryRepository, bundle: Bundle): Promise<Outcome> {
  const router = new FhirRouter();
  return repo
    .atomically(async (): Promise<Outcome> => {
      const [outcome, result] = await router.handleRequest(
        { method: 'POST', url: '', pathname: '', body: bundle, params: {}, query: {} },
        repo,
      );
      if (!isOk(outcome)) return { ok: false, index: -1, status: getStatus(outcome) } satisfies Outcome;
      const entries = (result as Bundle).entry ?? [];
      const failed = entries.findIndex((e) => !/^2/.test(e.response?.status ?? ''));
      if (failed >= 0) {
        const status = Number(entries[failed]?.response?.status);
        throw Object.assign(new Error('failed'), { outcome: { ok: false, index: failed, status } });
      }
      return {
        ok: true,
        entries: entries.map((e) => ({ status: e.response?.status, location: e.response?.location })),
      } satisfies Outcome;
    })
    .catch((e: { outcome?: Outcome }): Outcome => {
      if (e.outcome === undefined) throw e;
      return e.outcome;
    });
}

async function viaEmbedded(repo: IndexedMemoryRepository, bundle: Bundle): Promise<Outcome> {
  try {
    const result = await repo.atomically(() => processTransactionBundle(bundle, repo, new FhirRouter()));
    return {
      ok: true,
      entries: (result.entry ?? []).map((e) => ({
        status: e.response?.status,
        location: e.response?.location,
      })),
    };
  } catch (e) {
    if (!(e instanceof TransactionEntryFailure)) throw e;
    return { ok: false, index: e.index, status: e.status };
  }
}

/** Everything a repository holds, without the parts that differ by clock (meta). */
async function contents(repo: IndexedMemoryRepository): Promise<unknown[]> {
  const out: unknown[] = [];
  for (const type of ['Patient', 'Observation', 'Encounter']) {
    for (const r of await repo.searchResources({ resourceType: type as 'Patient' })) {
      const { meta: _meta, ...rest } = r;
      out.push(rest);
    }
  }
  return out.sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
}

/** A transaction of creates: Patients and Observations (some with a wrong URL), conditional or not, with local references. */
const createEntry = fc
  .record({
    type: fc.constantFrom('Patient', 'Observation'),
    url: fc.constantFrom('same', 'same', 'same', 'Encounter'),
    value: fc.constantFrom('a', 'b', 'c', 'd'),
    conditional: fc.boolean(),
    conditionOn: fc.constantFrom('own', 'own', 'own', 'other'),
    fullUrl: fc.option(fc.constantFrom(...URNS), { nil: undefined }),
    subject: fc.option(fc.constantFrom(...URNS, 'Patient/elsewhere'), { nil: undefined }),
    empty: fc.boolean(),
  })
  .map((e): BundleEntry => {
    const resource = {
      resourceType: e.type,
      identifier: [{ system: SYS, value: e.value }],
      ...(e.type === 'Observation' ? { status: 'final', code: { text: 'hr' } } : {}),
      ...(e.subject === undefined || e.type === 'Patient' ? {} : { subject: { reference: e.subject } }),
      ...(e.empty ? { note: [], language: '' } : {}),
    } as Resource;
    const condition = e.conditionOn === 'own' ? e.value : 'a';
    return {
      ...(e.fullUrl === undefined ? {} : { fullUrl: e.fullUrl }),
      resource,
      request: {
        method: 'POST',
        url: e.url === 'same' ? e.type : e.url,
        ...(e.conditional ? { ifNoneExist: `identifier=${encodeURIComponent(SYS)}|${condition}` } : {}),
      },
    };
  });

describe('processTransactionBundle', () => {
  it('answers a transaction of creates exactly as Medplum’s router did, and stores the same', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(createEntry, { minLength: 1, maxLength: 6 }), async (entries) => {
        const bundle: Bundle = { resourceType: 'Bundle', type: 'transaction', entry: entries };
        expect(isCreateOnlyTransaction(bundle)).toBe(true);
        const a = await seeded();
        const b = await seeded();
        const expected = await viaMedplum(a, structuredClone(bundle));
        const actual = await viaEmbedded(b, structuredClone(bundle));
        expect(actual).toEqual(expected);
        expect(await contents(b)).toEqual(await contents(a));
      }),
      { numRuns: 150 },
    );
  }, 60_000);

  it('creates an identifier once within a Bundle, finds it on re-send, and rewrites local references', async () => {
    const repo = new IndexedMemoryRepository();
    const router = new FhirRouter();
    const bundle = (): Bundle => ({
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [
        {
          fullUrl: URNS[0],
          resource: { resourceType: 'Patient', identifier: [{ system: SYS, value: 'p' }] },
          request: { method: 'POST', url: 'Patient', ifNoneExist: `identifier=${SYS}|p` },
        },
        ...['o', 'o'].map(
          (value): BundleEntry => ({
            resource: {
              resourceType: 'Observation',
              status: 'final',
              code: { text: 'hr' },
              identifier: [{ system: SYS, value }],
              subject: { reference: URNS[0] },
            },
            request: { method: 'POST', url: 'Observation', ifNoneExist: `identifier=${SYS}|${value}` },
          }),
        ),
      ],
    });
    const first = await repo.atomically(() => processTransactionBundle(bundle(), repo, router));
    expect(first.entry?.map((e) => e.response?.status)).toEqual(['201', '201', '200']);
    const patient = first.entry?.[0]?.response?.location;
    expect(patient).toMatch(/^Patient\/[0-9a-f-]{36}$/);
    const [observation] = await repo.searchResources<Observation>({ resourceType: 'Observation' });
    expect(observation?.subject?.reference).toBe(patient);
    const again = await repo.atomically(() => processTransactionBundle(bundle(), repo, router));
    expect(again.entry?.map((e) => e.response?.status)).toEqual(['200', '200', '200']);
    expect(again.entry?.[0]?.response?.location).toBe(patient);
    expect(repo.count('Patient')).toBe(1);
    expect(repo.count('Observation')).toBe(1);
  });

  it('throws at the first failed entry, naming it, and atomically leaves nothing written', async () => {
    const repo = new IndexedMemoryRepository();
    const bundle: Bundle = {
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [
        { resource: { resourceType: 'Patient' }, request: { method: 'POST', url: 'Patient' } },
        { resource: { resourceType: 'Patient' }, request: { method: 'POST', url: 'Device' } },
      ],
    };
    const e = await repo
      .atomically(() => processTransactionBundle(bundle, repo, new FhirRouter()))
      .catch((x: unknown) => x);
    expect(e).toBeInstanceOf(TransactionEntryFailure);
    expect(e).toMatchObject({ index: 1, status: 400 });
    expect((e as TransactionEntryFailure).outcome.issue?.[0]?.details?.text).toMatch(
      /Incorrect resource type/,
    );
    expect(repo.count('Patient')).toBe(0);
  });

  it('leaves any other Bundle to Medplum’s router (an update, a read, a batch)', async () => {
    const repo = new IndexedMemoryRepository();
    const p = await repo.createResource({ resourceType: 'Patient' });
    const bundle: Bundle = {
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [
        { resource: { ...p, active: true }, request: { method: 'PUT', url: `Patient/${p.id}` } },
        { request: { method: 'GET', url: `Patient/${p.id}` } },
      ],
    };
    expect(isCreateOnlyTransaction(bundle)).toBe(false);
    expect(isCreateOnlyTransaction({ ...bundle, type: 'batch' })).toBe(false);
    const result = await repo.atomically(() => processTransactionBundle(bundle, repo, new FhirRouter()));
    expect(result.entry?.map((e) => e.response?.status)).toEqual(['200', '200']);
    expect((await repo.readResource<Patient>('Patient', p.id)).active).toBe(true);
  });
});
