import { HealthItError } from '@healthit/core';
import { Client } from 'fhir-kit-client';
import { Agent } from 'undici';
import { BatchedSearchClient, type BatchedSearchOptions } from './batched-search.js';

/** Options of {@link createFhirClient}. */
export interface FhirClientOptions {
  /** The server's FHIR base URL, e.g. `https://fhir.hospital.example/R4`. */
  readonly baseUrl: string;
  /**
   * CA certificates (PEM) to trust for HTTPS *instead of* the system store, e.g. the platform CA's
   * `certificatePem`: a server whose certificate does not chain to one of them is refused.
   */
  readonly trustedCaPem?: string | readonly string[];
  /** A bearer token (SMART backend services, or a static token). */
  readonly bearerToken?: string;
  /** Headers sent with every request. */
  readonly headers?: Readonly<Record<string, string>>;
  /**
   * Send the type-level searches started in the same turn of the event loop together, as one
   * `batch` Bundle (see {@link BatchedSearchClient}) — e.g. the clinical-context reads of a whole
   * ward at start-up (default false: one request per search).
   */
  readonly batchSearches?: boolean | BatchedSearchOptions;
}

/**
 * A fhir-kit-client `Client` for `baseUrl`; with `trustedCaPem`, HTTPS connections trust exactly
 * those CAs (certificate and host name are verified).
 *
 * @throws {HealthItError} `config/invalid` for a base URL that is not http(s).
 * @example
 * ```ts
 * const client = createFhirClient({ baseUrl: server.baseUrl, trustedCaPem: ca.certificatePem });
 * ```
 */
export function createFhirClient(options: FhirClientOptions): Client {
  let url: URL;
  try {
    url = new URL(options.baseUrl);
  } catch (cause) {
    throw new HealthItError('config/invalid', `baseUrl is not a URL: "${options.baseUrl}"`, { cause });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new HealthItError('config/invalid', `baseUrl must be http(s), got "${options.baseUrl}"`);
  }
  const requestOptions: Record<string, unknown> = {};
  if (options.trustedCaPem !== undefined) {
    // fhir-kit-client calls the global fetch (undici in Node): its per-request `dispatcher` is
    // where the trust anchors go. undici's own Agent, the version Node 20 bundles.
    const ca = typeof options.trustedCaPem === 'string' ? [options.trustedCaPem] : [...options.trustedCaPem];
    requestOptions.dispatcher = new Agent({ connect: { ca, rejectUnauthorized: true } });
  }
  const config = {
    baseUrl: options.baseUrl.replace(/\/+$/, ''),
    requestOptions,
    ...(options.headers === undefined ? {} : { customHeaders: { ...options.headers } }),
    ...(options.bearerToken === undefined ? {} : { bearerToken: options.bearerToken }),
  };
  const batch = options.batchSearches ?? false;
  if (batch === false) return new Client(config);
  return new BatchedSearchClient(config, batch === true ? {} : batch);
}
