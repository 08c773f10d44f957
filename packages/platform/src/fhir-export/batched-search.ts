import { Client, type ClientConfig, type FhirResource, type ResourceSearchParams } from 'fhir-kit-client';
import type { FhirBundle, FhirOperationOutcome } from './types.js';

/** Options of {@link BatchedSearchClient}. */
export interface BatchedSearchOptions {
  /** Most searches in one `batch` Bundle (default 100); more are sent in further Bundles. */
  readonly maxEntries?: number;
  /** Timeout of one `batch` request (default 60 s); each search also keeps its own signal. */
  readonly timeoutMs?: number;
}

interface Queued {
  readonly params: ResourceSearchParams;
  readonly url: string;
  readonly resolve: (value: FhirResource) => void;
  readonly reject: (error: unknown) => void;
  settled: boolean;
}

/** The query string fhir-kit-client would send for `searchParams`. */
function queryOf(searchParams: ResourceSearchParams['searchParams']): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(searchParams ?? {})) {
    for (const v of Array.isArray(value) ? value : [value]) params.append(key, String(v));
  }
  return params.toString();
}

/** An error shaped like fhir-kit-client's for a non-2xx answer (read by `classifyFailure`). */
function entryError(status: number, url: string, data: unknown): Error {
  return Object.assign(new Error(`HTTP ${status}: GET ${url} (in a batch Bundle)`), {
    response: { status, data },
    config: { status, method: 'GET', url, headers: new Headers() },
  });
}

/** Whether a refused `batch` request means the server does not take batch Bundles at all. */
function refusesBatches(error: unknown): boolean {
  const status = (error as { response?: { status?: unknown } })?.response?.status;
  return (
    typeof status === 'number' &&
    ((status >= 400 && status < 500 && status !== 408 && status !== 429) || status === 501)
  );
}

/**
 * A fhir-kit-client `Client` whose type-level searches (`search`/`resourceSearch` with a
 * `resourceType`, by GET) started in the same turn of the event loop are sent together as one
 * `batch` Bundle of `GET` entries — one HTTP request for, say, the five searches of each of eight
 * patients' clinical contexts instead of forty. Each caller gets its own searchset Bundle, or its
 * own error shaped like fhir-kit-client's (`response.status`, `response.data`), so retries and
 * error handling see no difference. Aborting a caller's signal rejects that caller alone. A search
 * by POST or with its own headers is sent on its own. A server
 * that refuses batch Bundles (a 4xx other than 408/429, or 501) is asked one search at a time from
 * then on; every other method is fhir-kit-client's.
 */
export class BatchedSearchClient extends Client {
  private readonly maxEntries: number;
  private readonly timeoutMs: number;
  private queue: Queued[] = [];
  private scheduled = false;
  private batchesRefused = false;

  /**
   * Creates the client.
   * @param config - fhir-kit-client's configuration: at least `baseUrl`, plus e.g. `customHeaders`
   * or `requestOptions`.
   * @param options - How many searches go in one `batch` Bundle and how long one batch request may
   * take.
   */
  constructor(config: ClientConfig, options: BatchedSearchOptions = {}) {
    super(config);
    this.maxEntries = options.maxEntries ?? 100;
    this.timeoutMs = options.timeoutMs ?? 60_000;
  }

  override resourceSearch(params: ResourceSearchParams): Promise<FhirResource> {
    // POST searches and searches with their own headers are sent as they are.
    if (this.batchesRefused || params.options?.postSearch === true || params.options?.headers !== undefined) {
      return super.resourceSearch(params);
    }
    const signal = params.options?.signal;
    if (signal?.aborted) return Promise.reject(signal.reason);
    const query = queryOf(params.searchParams);
    const url = query === '' ? params.resourceType : `${params.resourceType}?${query}`;
    return new Promise<FhirResource>((resolve, reject) => {
      const queued: Queued = {
        params,
        url,
        resolve: (value) => {
          queued.settled = true;
          resolve(value);
        },
        reject: (error) => {
          queued.settled = true;
          reject(error);
        },
        settled: false,
      };
      signal?.addEventListener(
        'abort',
        () => {
          if (!queued.settled) queued.reject(signal.reason);
        },
        { once: true },
      );
      this.queue.push(queued);
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  private flush(): void {
    this.scheduled = false;
    const queued = this.queue.filter((q) => !q.settled);
    this.queue = [];
    for (let i = 0; i < queued.length; i += this.maxEntries) {
      void this.send(queued.slice(i, i + this.maxEntries));
    }
  }

  private async send(part: readonly Queued[]): Promise<void> {
    if (part.length === 1 || this.batchesRefused) {
      for (const q of part) super.resourceSearch(q.params).then(q.resolve, q.reject);
      return;
    }
    let answer: FhirBundle;
    try {
      answer = (await this.batch({
        body: {
          resourceType: 'Bundle',
          type: 'batch',
          entry: part.map((q) => ({ request: { method: 'GET', url: q.url } })),
        },
        options: { signal: AbortSignal.timeout(this.timeoutMs) },
      })) as unknown as FhirBundle;
    } catch (e) {
      if (!refusesBatches(e)) {
        for (const q of part) q.reject(e);
        return;
      }
      this.batchesRefused = true;
      for (const q of part) if (!q.settled) super.resourceSearch(q.params).then(q.resolve, q.reject);
      return;
    }
    const entries = answer.entry ?? [];
    if (entries.length !== part.length) {
      // Not an answer entry per request: ask one at a time.
      this.batchesRefused = true;
      for (const q of part) if (!q.settled) super.resourceSearch(q.params).then(q.resolve, q.reject);
      return;
    }
    part.forEach((q, i) => {
      const entry = entries[i];
      const status = Number.parseInt(entry?.response?.status ?? '', 10);
      if (status >= 200 && status < 300 && entry?.resource !== undefined) {
        q.resolve(entry.resource as FhirResource);
      } else {
        const data: FhirOperationOutcome | FhirResource | undefined =
          entry?.response?.outcome ?? entry?.resource;
        q.reject(entryError(Number.isFinite(status) ? status : 500, q.url, data));
      }
    });
  }
}
