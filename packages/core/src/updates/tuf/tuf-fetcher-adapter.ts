/// <reference types="node" />
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Fetcher } from 'tuf-js';
import { DownloadHTTPError } from 'tuf-js/dist/error.js';
import { HealthItError } from '../../errors/health-it-error.js';
import { UpdateRejectedError } from '../update-rejected-error.js';
import type { FailureTrace } from './failure-trace.js';
import { type UpdateFetcher, UpdateFileNotFoundError } from './update-fetcher.js';

/** Options of {@link TufFetcherAdapter}. @internal */
export interface TufFetcherAdapterOptions {
  /** The URL prefix the client gives tuf-js; URLs outside it are refused. */
  readonly baseUrl: string;
  /** Deadline of one fetch, in ms. */
  readonly timeoutMs: number;
  /** Cap on any one file, on top of the length tuf-js allows. */
  readonly maxFileBytes: number;
  readonly trace: FailureTrace;
}

/**
 * tuf-js's `Fetcher` over an {@link UpdateFetcher} port: maps tuf-js URLs back to repository paths,
 * bounds every fetch by size (the smaller of tuf-js's `maxLength` and `maxFileBytes`) and by time
 * (an `AbortSignal` fired after `timeoutMs`, and a race in case the port ignores it), and turns a
 * missing file into the HTTP 404 tuf-js expects. Failures are recorded in the trace for the client.
 * @internal
 */
export class TufFetcherAdapter implements Fetcher {
  readonly #port: UpdateFetcher;
  readonly #options: TufFetcherAdapterOptions;
  #lastBuffer: Buffer | undefined;
  #lastPath = '';

  constructor(port: UpdateFetcher, options: TufFetcherAdapterOptions) {
    this.#port = port;
    this.#options = options;
  }

  /** The repository path of `bytes` when they are what this adapter last returned, else undefined. */
  pathOf(bytes: unknown): string | undefined {
    return bytes !== undefined && bytes === this.#lastBuffer ? this.#lastPath : undefined;
  }

  async downloadBytes(url: string, maxLength: number): Promise<Buffer> {
    const path = this.#path(url);
    const buffer = Buffer.from(await this.#fetch(path, maxLength));
    this.#lastBuffer = buffer;
    this.#lastPath = path;
    return buffer;
  }

  async downloadFile<T>(url: string, maxLength: number, handler: (file: string) => Promise<T>): Promise<T> {
    const path = this.#path(url);
    const bytes = await this.#fetch(path, maxLength);
    const dir = await mkdtemp(join(tmpdir(), 'healthit-tuf-download-'));
    try {
      const file = join(dir, 'download');
      await writeFile(file, bytes);
      return await handler(file);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  #path(url: string): string {
    const { baseUrl } = this.#options;
    if (!url.startsWith(baseUrl))
      throw new UpdateRejectedError(
        'malformed',
        `tuf-js asked for ${url}, outside the repository ${baseUrl}`,
        {
          subject: url,
        },
      );
    return decodeURIComponent(url.slice(baseUrl.length));
  }

  async #fetch(path: string, maxLength: number): Promise<Uint8Array> {
    const { trace, timeoutMs, maxFileBytes } = this.#options;
    trace.clear();
    const limit = Math.min(maxLength, maxFileBytes);
    const controller = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        const error = new UpdateRejectedError(
          'timeout',
          `Fetching ${path} took longer than ${timeoutMs} ms (slow retrieval)`,
          { subject: path, detail: { timeoutMs } },
        );
        controller.abort(error);
        reject(error);
      }, timeoutMs);
    });
    try {
      const fetching = this.#port.fetch(path, { maxLength: limit, signal: controller.signal });
      fetching.catch(() => undefined); // the deadline may win the race: never leave it unhandled
      const bytes = await Promise.race([fetching, deadline]);
      if (!(bytes instanceof Uint8Array))
        throw new UpdateRejectedError('malformed', `The fetcher returned no bytes for ${path}`, {
          subject: path,
        });
      if (bytes.length > limit)
        throw new UpdateRejectedError(
          'too-large',
          `${path} is longer than the ${limit} bytes allowed (endless data)`,
          { subject: path, detail: { maxLength: limit, received: bytes.length } },
        );
      return bytes;
    } catch (error) {
      const failure = fetchFailure(error, path, controller.signal);
      trace.record(failure, path);
      if (failure instanceof UpdateFileNotFoundError) throw new DownloadHTTPError(failure.message, 404);
      throw failure;
    } finally {
      clearTimeout(timer);
    }
  }
}

function fetchFailure(error: unknown, path: string, signal: AbortSignal): HealthItError {
  if (signal.aborted && signal.reason instanceof UpdateRejectedError) return signal.reason;
  if (error instanceof UpdateRejectedError || error instanceof UpdateFileNotFoundError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new HealthItError('update/unavailable', `Fetching ${path} failed: ${message}`, {
    cause: error,
    detail: { path },
  });
}
