import {
  badRequest,
  created,
  getReferenceString,
  getStatus,
  isOk,
  normalizeOperationOutcome,
  OperationOutcomeError,
  parseSearchRequest,
  type SearchRequest,
  type WithId,
} from '@medplum/core';
import type { FhirRepository, FhirRouter } from '@medplum/fhir-router';
import type { Bundle, BundleEntry, OperationOutcome, Resource } from '@medplum/fhirtypes';

/**
 * A transaction Bundle failed at one entry; nothing of it may be committed (run the transaction
 * inside `IndexedMemoryRepository.atomically`, which undoes its writes when this is thrown).
 */
export class TransactionEntryFailure extends Error {
  /** Always `TransactionEntryFailure`. */
  override readonly name = 'TransactionEntryFailure';
  /**
   * Creates the failure; its message is the outcome's first diagnostics (or details text).
   * @param index - 0-based index of the failing entry in the Bundle.
   * @param status - HTTP status of the entry's answer, e.g. 400 or 412.
   * @param outcome - The OperationOutcome the entry answered with.
   */
  constructor(
    /** 0-based index of the entry in the Bundle. */
    readonly index: number,
    /** HTTP status of the entry's answer. */
    readonly status: number,
    /** The OperationOutcome the entry answered with: why it failed. */
    readonly outcome: OperationOutcome,
  ) {
    super(outcome.issue?.[0]?.diagnostics ?? outcome.issue?.[0]?.details?.text ?? `entry ${index} failed`);
  }
}

/** Medplum's pattern of a Bundle-local reference (`fhir-router` batch.ts). */
const LOCAL_REFERENCE = /urn(:|%3A)uuid(:|%3A)[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/;
const WHOLE_LOCAL_REFERENCE = /^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** A request URL Medplum's router sends to its create handler (`POST :resourceType`). */
const CREATE_URL = /^[A-Za-z][A-Za-z0-9]*$/;

type CreateEntry = BundleEntry & {
  resource: Resource;
  request: { method: 'POST'; url: string; ifNoneExist?: string };
};

/**
 * Whether `bundle` is a transaction whose entries are all creates (`POST <type>`, optionally with
 * `ifNoneExist`) of a resource — the Bundles {@link processTransactionBundle} runs itself.
 */
export function isCreateOnlyTransaction(bundle: Bundle): bundle is Bundle & { entry: CreateEntry[] } {
  if (bundle.type !== 'transaction' || !Array.isArray(bundle.entry) || bundle.entry.length === 0)
    return false;
  for (const entry of bundle.entry) {
    const request = entry?.request;
    if (
      request?.method !== 'POST' ||
      typeof request.url !== 'string' ||
      !CREATE_URL.test(request.url) ||
      !(request.ifNoneExist === undefined || typeof request.ifNoneExist === 'string') ||
      typeof entry.resource !== 'object' ||
      entry.resource === null ||
      Array.isArray(entry.resource)
    ) {
      return false;
    }
  }
  return true;
}

/** Medplum's rewrite of one string: its first Bundle-local reference, everywhere, if resolved. */
function rewriteString(s: string, identities: ReadonlyMap<string, string>): string {
  if (!s.includes('urn')) return s;
  const local = LOCAL_REFERENCE.exec(s)?.[0];
  if (local === undefined) return s;
  const reference = identities.get(local.replaceAll('%3A', ':'));
  return reference ? s.replaceAll(local, reference) : s;
}

/** `value` with Bundle-local references rewritten; copies only what changes. */
function rewrite(value: unknown, identities: ReadonlyMap<string, string>): unknown {
  if (typeof value === 'string') return rewriteString(value, identities);
  if (typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) {
    let out: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const v = rewrite(value[i], identities);
      if (v === value[i]) continue;
      out ??= [...value];
      out[i] = v;
    }
    return out ?? value;
  }
  let out: Record<string, unknown> | undefined;
  for (const [k, old] of Object.entries(value)) {
    const v = rewrite(old, identities);
    if (v === old) continue;
    out ??= { ...value };
    out[k] = v;
  }
  return out ?? value;
}

function failure(index: number, outcome: OperationOutcome): TransactionEntryFailure {
  return new TransactionEntryFailure(index, getStatus(outcome), outcome);
}

/**
 * A transaction of creates, as Medplum's batch processor runs it — first the identity of every
 * entry (the resource `If-None-Exist` finds, else a new id), then each entry with its Bundle-local
 * references (`urn:uuid:`) rewritten, through the repository's `conditionalCreate` or
 * `createResource` — without the work that processor repeats per entry: three route look-ups,
 * a copy of every entry (only what a local reference changes is copied, and nothing when no
 * `fullUrl` is a `urn:uuid`), the `If-None-Exist` search parsed twice, and the whole Bundle
 * written to JSON for a log event.
 */
async function processCreates(entries: readonly CreateEntry[], repo: FhirRepository): Promise<Bundle> {
  const n = entries.length;
  const identities = new Map<string, string>();
  const searches: (SearchRequest | undefined)[] = new Array(n);
  const preprocessed: (OperationOutcome | undefined)[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const entry = entries[i] as CreateEntry;
    const { url, ifNoneExist } = entry.request;
    let reference: string | undefined;
    try {
      if (ifNoneExist) {
        const search = parseSearchRequest(`${url}?${ifNoneExist}`);
        searches[i] = search;
        const existing = await repo.searchResources(search);
        if (existing.length === 1) reference = getReferenceString(existing[0] as WithId<Resource>);
      }
      if (reference === undefined) {
        entry.resource.id = repo.generateId();
        reference = getReferenceString(entry.resource as WithId<Resource>);
      }
    } catch (e) {
      // Medplum records an OperationOutcomeError as the entry's answer; anything else fails the request.
      if (!(e instanceof OperationOutcomeError)) throw e;
      preprocessed[i] = normalizeOperationOutcome(e);
      continue;
    }
    identities.set(entry.fullUrl ?? '', reference);
  }

  let rewritable = false;
  for (const placeholder of identities.keys()) rewritable ||= WHOLE_LOCAL_REFERENCE.test(placeholder);

  const out: BundleEntry[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const failed = preprocessed[i];
    if (failed !== undefined) throw failure(i, failed);
    const original = entries[i] as CreateEntry;
    const entry = rewritable ? (rewrite(original, identities) as CreateEntry) : original;
    const { url, ifNoneExist } = entry.request;
    let outcome: OperationOutcome;
    let resource: Resource | undefined;
    try {
      if (ifNoneExist) {
        // The search parsed for the identity, unless a local reference in it was rewritten since.
        const search =
          ifNoneExist === original.request.ifNoneExist && searches[i] !== undefined
            ? (searches[i] as SearchRequest)
            : parseSearchRequest(`${url}?${ifNoneExist}`);
        const result = await repo.conditionalCreate(entry.resource, search, { assignedId: true });
        outcome = result.outcome;
        resource = result.resource;
      } else if (entry.resource.resourceType !== url) {
        outcome = badRequest(
          `Incorrect resource type: expected ${url}, but found ${entry.resource.resourceType || '<EMPTY>'}`,
        );
      } else {
        resource = await repo.createResource(entry.resource, { assignedId: true });
        outcome = created;
      }
    } catch (e) {
      outcome = normalizeOperationOutcome(e);
    }
    if (!isOk(outcome)) throw failure(i, outcome);
    const location = resource?.id ? getReferenceString(resource as WithId<Resource>) : undefined;
    out[i] = {
      response: {
        outcome,
        status: String(getStatus(outcome)),
        ...(location === undefined ? {} : { location }),
      },
      ...(resource === undefined ? {} : { resource }),
    };
  }
  return { resourceType: 'Bundle', type: 'transaction-response', entry: out };
}

/** The first entry of a `transaction-response` that is not 2xx (Medplum's router answers per entry). */
function firstFailedEntry(bundle: Bundle): TransactionEntryFailure | undefined {
  const entries = bundle.entry ?? [];
  for (let i = 0; i < entries.length; i++) {
    const response = entries[i]?.response;
    const status = Number.parseInt(response?.status ?? '', 10);
    if (!(status >= 200 && status < 300)) {
      const outcome =
        (response?.outcome as OperationOutcome | undefined) ??
        ({
          resourceType: 'OperationOutcome',
          issue: [{ severity: 'error', code: 'exception', diagnostics: 'entry failed' }],
        } satisfies OperationOutcome);
      return new TransactionEntryFailure(i, Number.isFinite(status) ? status : 500, outcome);
    }
  }
  return undefined;
}

/**
 * Runs a transaction Bundle as the embedded server does, in process (no HTTP, no JSON text): a
 * Bundle of creates (the exporter's Observations, a ward's seed) by the embedded server's own loop,
 * which does what Medplum's batch processor does for them without its repeated work; any other
 * Bundle by Medplum's router. Returns the `transaction-response`; throws at the first failed entry.
 * Call it inside `IndexedMemoryRepository.atomically` so that a failure leaves nothing written.
 * The Bundle's entries may be changed (new resources get their ids assigned, as in Medplum's).
 *
 * @throws {TransactionEntryFailure} naming the first entry that failed, its status and outcome.
 * @throws {OperationOutcomeError} when the Bundle as a whole is refused (e.g. no entries).
 */
export async function processTransactionBundle(
  bundle: Bundle,
  repo: FhirRepository,
  router: FhirRouter,
): Promise<Bundle> {
  if (isCreateOnlyTransaction(bundle)) return processCreates(bundle.entry, repo);
  const [outcome, response] = await router.handleRequest(
    { method: 'POST', url: '', pathname: '', body: bundle, params: {}, query: {} },
    repo,
  );
  if (!isOk(outcome) || response?.resourceType !== 'Bundle') throw new OperationOutcomeError(outcome);
  const failed = firstFailedEntry(response as Bundle);
  if (failed !== undefined) throw failed;
  return response as Bundle;
}
