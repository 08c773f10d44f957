import { HealthItError } from '@healthit/core';
import { type Client, RESPONSE_KEY } from 'fhir-kit-client';
import { identifierSearchParam } from '../fhir/identifiers.js';
import { codeForStatus, describeOutcome, FhirExportError } from './errors.js';
import { RetriesFailed, type RetryOptions, withRetry } from './retry.js';
import type { FhirBundle, FhirResource } from './types.js';

/** `lookup-only`: find the resource, never create it; `create`: find it or create it (conditional create). */
export type ResolveMode = 'lookup-only' | 'create';

/** A business identifier. */
export interface BusinessIdentifier {
  /** The identifier's namespace, an absolute URI (e.g. the hospital's MRN system `urn:oid:…`). */
  readonly system: string;
  /** The identifier within `system`, e.g. an MRN or a device serial number. */
  readonly value: string;
}

/** Options of {@link createIdentifierResolver}. */
export interface IdentifierResolverOptions {
  /** A fhir-kit-client Client (caller-owned). */
  readonly client: Client;
  /** The type of resource the identifiers name: `Patient` (e.g. MRNs) or `Device` (e.g. serial numbers). */
  readonly resourceType: 'Patient' | 'Device';
  /** Whether an unknown identifier stays unresolved (`lookup-only`) or its resource is created (`create`). */
  readonly mode: ResolveMode;
  /** Bound on cached references (default 10 000); the least recently used is evicted first. */
  readonly maxEntries?: number;
  /** How long a resolved reference is reused (default 1 h). Misses are never cached. */
  readonly ttlMs?: number;
  /** The resource to create in `create` mode (default `{ resourceType, identifier: [identifier] }`). */
  readonly template?: (identifier: BusinessIdentifier) => FhirResource;
  /** Retrying of the search and create requests (see {@link RetryOptions}; default 5 retries). */
  readonly retry?: RetryOptions;
  /** Time in epoch ms (default `Date.now`). */
  readonly clock?: () => number;
}

/** Resolves business identifiers to literal references (`Patient/123`), with a bounded cache. */
export interface IdentifierResolver {
  /** The type of resource it resolves, as configured. */
  readonly resourceType: 'Patient' | 'Device';
  /** `lookup-only` or `create`, as configured. */
  readonly mode: ResolveMode;
  /**
   * The literal reference of the resource with `identifier`; `undefined` when there is none and
   * the mode is `lookup-only`. Concurrent calls for one identifier share one request.
   * @throws {FhirExportError} `validation/invalid` when the identifier matches several resources;
   * `store/unavailable` when the server stays unreachable; a permanent code for a 4xx.
   */
  resolve(identifier: BusinessIdentifier, signal?: AbortSignal): Promise<string | undefined>;
  /** Cached references now. */
  readonly size: number;
  /**
   * Forgets every cached reference (e.g. after patients were merged on the server); requests in
   * flight finish.
   */
  clear(): void;
}

/** The `identifier` search value, FHIR-escaped but not URL-encoded (the client encodes it). */
function tokenValue(identifier: BusinessIdentifier): string {
  return decodeURIComponent(identifierSearchParam(identifier).slice('identifier='.length));
}

function idFromLocation(location: string | null | undefined, resourceType: string): string | undefined {
  const m =
    location === null || location === undefined ? null : new RegExp(`${resourceType}/([^/]+)`).exec(location);
  return m?.[1];
}

/**
 * A resolver of Patient or Device business identifiers (MRN, serial number) to the server's
 * logical ids: `GET Patient?identifier=system|value`, and in `create` mode
 * `POST Patient` with `If-None-Exist: identifier=system|value` — so two exporters racing to create
 * the same patient still make one (on a server that honours conditional create).
 *
 * @throws {HealthItError} `config/invalid` for a bad bound.
 */
export function createIdentifierResolver(options: IdentifierResolverOptions): IdentifierResolver {
  const maxEntries = options.maxEntries ?? 10_000;
  const ttlMs = options.ttlMs ?? 3_600_000;
  if (!(Number.isInteger(maxEntries) && maxEntries > 0)) {
    throw new HealthItError('config/invalid', `maxEntries must be a positive integer, got ${maxEntries}`);
  }
  if (!(ttlMs > 0)) throw new HealthItError('config/invalid', `ttlMs must be positive, got ${ttlMs}`);
  const clock = options.clock ?? Date.now;
  const { client, resourceType, mode } = options;
  const cache = new Map<string, { reference: string; expiresAt: number }>();
  const inFlight = new Map<string, Promise<string | undefined>>();

  const fail = (e: unknown, identifier: BusinessIdentifier, what: string): never => {
    if (!(e instanceof RetriesFailed)) throw e;
    const { failure, attempts } = e;
    const code = failure.retryable ? 'store/unavailable' : codeForStatus(failure.status ?? 0);
    throw new FhirExportError(
      code,
      `${what} ${resourceType} ${identifier.system}|${identifier.value} failed after ${attempts} attempt(s): ` +
        `${failure.reason}${failure.outcome === undefined ? '' : ` — ${describeOutcome(failure.outcome)}`}`,
      {
        operation: 'resolve',
        identifier: `${identifier.system}|${identifier.value}`,
        ...(failure.status === undefined ? {} : { status: failure.status }),
        ...(failure.outcome === undefined ? {} : { outcome: failure.outcome }),
        attempts,
      },
      failure.cause,
    );
  };

  const lookup = async (
    identifier: BusinessIdentifier,
    signal?: AbortSignal,
  ): Promise<string | undefined> => {
    const bundle = (await withRetry(
      (s) =>
        client.search({
          resourceType,
          searchParams: { identifier: tokenValue(identifier), _count: 2 },
          options: { signal: s },
        }),
      options.retry,
      signal,
    ).catch((e: unknown) => fail(e, identifier, 'Looking up'))) as unknown as FhirBundle;
    const matches = (bundle.entry ?? []).filter(
      (e) => e.resource?.resourceType === resourceType && (e.search?.mode ?? 'match') === 'match',
    );
    if (matches.length > 1) {
      throw new FhirExportError(
        'validation/invalid',
        `${resourceType} identifier ${identifier.system}|${identifier.value} matches several ${resourceType} resources; ` +
          'merge them on the server or reference the resource by id',
        { operation: 'resolve', identifier: `${identifier.system}|${identifier.value}`, attempts: 1 },
      );
    }
    const id = matches[0]?.resource?.id;
    return id === undefined ? undefined : `${resourceType}/${id}`;
  };

  const create = async (identifier: BusinessIdentifier, signal?: AbortSignal): Promise<string> => {
    const body = options.template?.(identifier) ?? {
      resourceType,
      identifier: [{ system: identifier.system, value: identifier.value }],
    };
    const created = (await withRetry(
      (s) =>
        client.create({
          resourceType,
          body,
          options: { signal: s, headers: { 'If-None-Exist': identifierSearchParam(identifier) } },
        }),
      options.retry,
      signal,
    ).catch((e: unknown) => fail(e, identifier, 'Creating'))) as FhirResource & { [RESPONSE_KEY]?: Response };
    const id =
      created.id ?? idFromLocation(created[RESPONSE_KEY]?.headers.get('location'), resourceType) ?? undefined;
    if (id === undefined) {
      throw new FhirExportError(
        'validation/invalid',
        `The server created ${resourceType} ${identifier.system}|${identifier.value} but returned neither its id nor a Location`,
        { operation: 'resolve', identifier: `${identifier.system}|${identifier.value}`, attempts: 1 },
      );
    }
    return `${resourceType}/${id}`;
  };

  const fetchReference = async (identifier: BusinessIdentifier, signal?: AbortSignal) =>
    mode === 'create' ? create(identifier, signal) : lookup(identifier, signal);

  return {
    resourceType,
    mode,
    get size() {
      return cache.size;
    },
    clear: () => cache.clear(),
    resolve(identifier, signal) {
      const k = `${identifier.system}\u0000${identifier.value}`;
      const hit = cache.get(k);
      if (hit !== undefined && hit.expiresAt > clock()) {
        cache.delete(k); // re-insert: the Map's order is the LRU order
        cache.set(k, hit);
        return Promise.resolve(hit.reference);
      }
      if (hit !== undefined) cache.delete(k);
      const pending = inFlight.get(k);
      if (pending !== undefined) return pending;
      const p = fetchReference(identifier, signal)
        .then((reference) => {
          if (reference !== undefined) {
            cache.set(k, { reference, expiresAt: clock() + ttlMs });
            while (cache.size > maxEntries) cache.delete(cache.keys().next().value as string);
          }
          return reference;
        })
        .finally(() => inFlight.delete(k));
      inFlight.set(k, p);
      return p;
    },
  };
}
