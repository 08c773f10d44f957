import { HealthItError } from '@healthit/core';
import type { Client } from 'fhir-kit-client';
import { identifierSearchParam } from '../fhir/identifiers.js';
import type { FhirObservation, FhirReference } from '../fhir/types.js';
import { createFhirClient } from './client.js';
import { codeForStatus, describeOutcome, FhirExportError } from './errors.js';
import type { IdentifierResolver } from './resolver.js';
import { RetriesFailed, type RetryOptions, withRetry } from './retry.js';
import type { FhirBundle, FhirBundleEntry, FhirOperationOutcome } from './types.js';

/** Options of {@link exportObservations}: a `client`, or a `baseUrl` to make one. */
export interface ExportObservationsOptions {
  /** A fhir-kit-client Client (caller-owned); or give `baseUrl`. */
  readonly client?: Client;
  /** The FHIR base URL, when no `client` is given. */
  readonly baseUrl?: string;
  /** With `baseUrl`: the CAs (PEM) to trust for HTTPS instead of the system store. */
  readonly trustedCaPem?: string | readonly string[];
  /** Observations per transaction Bundle (default 1 000). */
  readonly batchSize?: number;
  /** Bundles in flight at once (default 1). */
  readonly concurrency?: number;
  /** Retries per request (default 5); shorthand for `retry.retries`. */
  readonly retries?: number;
  /** Backoff, timeouts, jitter (see {@link RetryOptions}). */
  readonly retry?: RetryOptions;
  /**
   * On a permanent rejection: `throw` (default) a {@link FhirExportError} naming the Bundle and
   * entry, after the Bundles in flight settle; or `collect`: isolate the rejected Observations (the
   * one the server names, else by bisecting the Bundle), send the rest, and list them in
   * {@link FhirExportResult.failures}.
   */
  readonly onRejected?: 'throw' | 'collect';
  /**
   * Resolves `subject` references by identifier (`{ type: 'Patient', identifier }`) to literal
   * ones (`Patient/123`) before sending; in `lookup-only` mode an unknown patient fails its
   * Observations (`validation/invalid`).
   */
  readonly patients?: IdentifierResolver;
  /** The same for `device` references. */
  readonly devices?: IdentifierResolver;
  /** Asks the server for `Prefer: return=minimal` answers (default true): smaller responses. */
  readonly minimalResponse?: boolean;
  /**
   * Aborts the export: no further request is started or retried, and the export rejects with the
   * signal's reason.
   */
  readonly signal?: AbortSignal;
}

/** One Observation that was not written, and why. */
export interface FhirExportFailure {
  /**
   * The Observation: as it was sent (identifier references resolved to literal ones), or as given
   * when resolving its references failed.
   */
  readonly observation: FhirObservation;
  /**
   * Why it was not written: the server rejected it, its Patient or Device could not be resolved,
   * it has no identifier to create it conditionally, or its own entry of the response failed.
   */
  readonly error: FhirExportError;
}

/** What {@link exportObservations} did: every Observation is counted exactly once. */
export interface FhirExportResult {
  /** Created by this export. */
  readonly created: number;
  /** Already on the server (matched by identifier): not created again. */
  readonly existing: number;
  /** Not written; each is in `failures`. */
  readonly failed: number;
  /** Transaction Bundles sent successfully (bisected parts count separately). */
  readonly bundles: number;
  /**
   * The Observations not written, each with its error, in the order they failed. Only ever
   * non-empty with `onRejected: 'collect'`: otherwise the first failure is thrown instead.
   */
  readonly failures: readonly FhirExportFailure[];
}

interface Item {
  readonly observation: FhirObservation;
  /** `system|value` of its identifier. */
  readonly identifier: string;
  readonly ifNoneExist: string;
}

/** The entry a server's OperationOutcome names (`Bundle.entry[3]`), if any and in range. */
export function entryIndexFromOutcome(
  outcome: FhirOperationOutcome | undefined,
  entries: number,
): number | undefined {
  for (const issue of outcome?.issue ?? []) {
    for (const text of [...(issue.expression ?? []), ...(issue.location ?? []), issue.diagnostics ?? '']) {
      const m = /Bundle\.entry\[(\d+)\]/.exec(text);
      if (m !== null && Number(m[1]) < entries) return Number(m[1]);
    }
  }
  return undefined;
}

function resolvable(ref: FhirReference | undefined): { system: string; value: string } | undefined {
  const id = ref?.identifier;
  return ref !== undefined &&
    ref.reference === undefined &&
    id?.system !== undefined &&
    id.value !== undefined
    ? { system: id.system, value: id.value }
    : undefined;
}

function positiveInt(name: string, v: number): number {
  if (!(Number.isInteger(v) && v > 0))
    throw new HealthItError('config/invalid', `${name} must be a positive integer, got ${v}`);
  return v;
}

/**
 * Sends Observations to a FHIR R4 server as transaction Bundles of conditional creates
 * (`POST Observation` with `ifNoneExist: identifier=system|value`), so re-sending never
 * duplicates: an Observation already there is counted `existing`. Retryable failures (network,
 * timeout, 408, 429, 5xx) are retried with exponential backoff and full jitter, honouring
 * `Retry-After`; re-sending a whole Bundle is safe because every create is conditional.
 *
 * @throws {FhirExportError} with `onRejected: 'throw'`, for the first permanently rejected Bundle
 * (its `bundleIndex`, the `entryIndex` and `identifier` the server named, `status`, `outcome`), or
 * `store/unavailable` when retries ran out — Bundles already sent stay written.
 * @throws {HealthItError} `config/invalid` for bad options.
 * @example
 * ```ts
 * const { observations } = toFhirObservations(readings, context);
 * const r = await exportObservations(observations, { baseUrl: 'https://fhir.hospital.example/R4' });
 * // r.created + r.existing + r.failed === observations.length
 * ```
 */
export async function exportObservations(
  observations: readonly FhirObservation[],
  options: ExportObservationsOptions,
): Promise<FhirExportResult> {
  const batchSize = positiveInt('batchSize', options.batchSize ?? 1000);
  const concurrency = positiveInt('concurrency', options.concurrency ?? 1);
  if (options.client === undefined && options.baseUrl === undefined) {
    throw new HealthItError('config/invalid', 'exportObservations needs a client or a baseUrl');
  }
  const client =
    options.client ??
    createFhirClient({
      baseUrl: options.baseUrl as string,
      ...(options.trustedCaPem === undefined ? {} : { trustedCaPem: options.trustedCaPem }),
    });
  const retry: RetryOptions = {
    ...options.retry,
    ...(options.retries === undefined ? {} : { retries: options.retries }),
  };
  const collect = options.onRejected === 'collect';
  const minimal = options.minimalResponse ?? true;
  const signal = options.signal;
  let created = 0;
  let existing = 0;
  let bundles = 0;
  const failures: FhirExportFailure[] = [];
  let firstError: FhirExportError | undefined;

  const fail = (observation: FhirObservation, error: FhirExportError): void => {
    failures.push({ observation, error });
    if (!collect) firstError ??= error;
  };

  // 1. Literal references for subjects and devices known by identifier.
  const items: Item[] = [];
  const resolved = await resolveReferences(observations, options.patients, options.devices, signal);
  for (let i = 0; i < observations.length; i++) {
    const r = resolved[i] as ResolvedObservation;
    if (r.error !== undefined) {
      fail(observations[i] as FhirObservation, r.error);
      continue;
    }
    const identifier = r.observation.identifier?.[0];
    if (identifier?.system === undefined || identifier.value === undefined) {
      fail(
        r.observation,
        new FhirExportError(
          'validation/invalid',
          `Observation ${i} has no identifier with a system and a value, so it cannot be created conditionally ` +
            '(re-sending would duplicate it); make it with toFhirObservations',
          { operation: 'transaction', attempts: 0 },
        ),
      );
      continue;
    }
    items.push({
      observation: r.observation,
      identifier: `${identifier.system}|${identifier.value}`,
      ifNoneExist: identifierSearchParam({ system: identifier.system, value: identifier.value }),
    });
  }
  if (firstError !== undefined) throw firstError;

  // 2. Transaction Bundles.
  const send = async (part: readonly Item[], bundleIndex: number): Promise<void> => {
    const body: FhirBundle = {
      resourceType: 'Bundle',
      type: 'transaction',
      entry: part.map((item) => ({
        resource: item.observation as unknown as FhirBundleEntry['resource'] & object,
        request: { method: 'POST', url: 'Observation', ifNoneExist: item.ifNoneExist },
      })),
    };
    let response: FhirBundle;
    try {
      response = (await withRetry(
        (s) =>
          client.transaction({
            body: body as unknown as Parameters<Client['transaction']>[0]['body'],
            options: { signal: s, ...(minimal ? { headers: { prefer: 'return=minimal' } } : {}) },
          }),
        retry,
        signal,
      )) as unknown as FhirBundle;
    } catch (e) {
      if (!(e instanceof RetriesFailed)) throw e;
      const { failure, attempts } = e;
      const where = `Transaction Bundle ${bundleIndex} (${part.length} Observations)`;
      if (failure.retryable) {
        const error = new FhirExportError(
          'store/unavailable',
          `${where} could not be delivered after ${attempts} attempt(s): ${failure.reason}. ` +
            'Nothing of it is known to be written; export it again later (creates are conditional, so nothing duplicates)',
          {
            operation: 'transaction',
            bundleIndex,
            ...(failure.status === undefined ? {} : { status: failure.status }),
            ...(failure.outcome === undefined ? {} : { outcome: failure.outcome }),
            attempts,
          },
          failure.cause,
        );
        // Transient: not a rejection to collect but an outage; stop and let the caller retry later.
        for (const item of part) failures.push({ observation: item.observation, error });
        firstError ??= error;
        return;
      }
      const entryIndex = entryIndexFromOutcome(failure.outcome, part.length);
      const named = entryIndex === undefined ? undefined : (part[entryIndex] as Item);
      const status = failure.status ?? 0;
      if (collect && named === undefined && part.length > 1) {
        // The server did not say which entry: bisect to isolate the rejected ones.
        const half = Math.ceil(part.length / 2);
        await send(part.slice(0, half), bundleIndex);
        await send(part.slice(half), bundleIndex);
        return;
      }
      const culprit = named ?? (part.length === 1 ? part[0] : undefined);
      const error = new FhirExportError(
        codeForStatus(status),
        `${where} was rejected with HTTP ${status}` +
          (entryIndex === undefined ? '' : ` at entry ${entryIndex}`) +
          (culprit === undefined ? '' : ` (Observation ${culprit.identifier})`) +
          `: ${describeOutcome(failure.outcome)}. Nothing of this Bundle was written; fix or drop that Observation and export again`,
        {
          operation: 'transaction',
          bundleIndex,
          ...(entryIndex === undefined ? {} : { entryIndex }),
          ...(culprit === undefined ? {} : { identifier: culprit.identifier }),
          status,
          ...(failure.outcome === undefined ? {} : { outcome: failure.outcome }),
          attempts,
        },
        failure.cause,
      );
      if (!collect) {
        for (const item of part) failures.push({ observation: item.observation, error });
        firstError ??= error;
        return;
      }
      fail((culprit as Item).observation, error);
      const rest = part.filter((item) => item !== culprit);
      if (rest.length > 0) await send(rest, bundleIndex);
      return;
    }
    bundles++;
    const entries = response.entry ?? [];
    for (let i = 0; i < part.length; i++) {
      const item = part[i] as Item;
      const status = Number.parseInt(entries[i]?.response?.status ?? '', 10);
      if (status === 201) created++;
      else if (status >= 200 && status < 300) existing++;
      else {
        // A server that answers a transaction per entry (not all or nothing) refused this one.
        const outcome = entries[i]?.response?.outcome;
        fail(
          item.observation,
          new FhirExportError(
            Number.isNaN(status)
              ? 'validation/invalid'
              : status >= 500
                ? 'store/unavailable'
                : codeForStatus(status),
            `Transaction Bundle ${bundleIndex}, entry ${i} (Observation ${item.identifier}) answered ` +
              `${entries[i]?.response?.status ?? 'nothing'}: ${describeOutcome(outcome)}`,
            {
              operation: 'transaction',
              bundleIndex,
              entryIndex: i,
              identifier: item.identifier,
              ...(Number.isNaN(status) ? {} : { status }),
              ...(outcome === undefined ? {} : { outcome }),
              attempts: 1,
            },
          ),
        );
      }
    }
  };

  const total = Math.ceil(items.length / batchSize);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < total && firstError === undefined) {
      const b = next++;
      await send(items.slice(b * batchSize, (b + 1) * batchSize), b);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, total) }, worker));
  if (firstError !== undefined) throw firstError;
  return { created, existing, failed: failures.length, bundles, failures };
}

interface ResolvedObservation {
  readonly observation: FhirObservation;
  readonly error?: FhirExportError;
}

async function resolveReferences(
  observations: readonly FhirObservation[],
  patients: IdentifierResolver | undefined,
  devices: IdentifierResolver | undefined,
  signal: AbortSignal | undefined,
): Promise<ResolvedObservation[]> {
  if (patients === undefined && devices === undefined)
    return observations.map((observation) => ({ observation }));
  const resolveOne = async (
    resolver: IdentifierResolver | undefined,
    ref: FhirReference | undefined,
  ): Promise<FhirReference | FhirExportError | undefined> => {
    const identifier = resolver === undefined ? undefined : resolvable(ref);
    if (resolver === undefined || identifier === undefined) return undefined;
    try {
      const reference = await resolver.resolve(identifier, signal);
      if (reference === undefined) {
        return new FhirExportError(
          'validation/invalid',
          `${resolver.resourceType} ${identifier.system}|${identifier.value} does not exist on the server ` +
            `(lookup-only): register it there, or resolve in "create" mode`,
          { operation: 'resolve', identifier: `${identifier.system}|${identifier.value}`, attempts: 1 },
        );
      }
      return { ...ref, reference };
    } catch (e) {
      if (e instanceof FhirExportError) return e;
      throw e;
    }
  };
  // One request per distinct identifier (the resolver shares concurrent calls), eight at a time.
  const out: ResolvedObservation[] = new Array(observations.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < observations.length) {
      const i = next++;
      const o = observations[i] as FhirObservation;
      const subject = await resolveOne(patients, o.subject);
      const device = await resolveOne(devices, o.device);
      const error =
        subject instanceof FhirExportError ? subject : device instanceof FhirExportError ? device : undefined;
      if (error !== undefined) out[i] = { observation: o, error };
      else
        out[i] = {
          observation: {
            ...o,
            ...(subject === undefined ? {} : { subject: subject as FhirReference }),
            ...(device === undefined ? {} : { device: device as FhirReference }),
          },
        };
    }
  };
  await Promise.all(Array.from({ length: Math.min(8, observations.length) }, worker));
  return out;
}
