import { HealthItError, type HealthItErrorOptions } from '../../errors/health-it-error.js';

/** Options of one {@link UpdateFetcher.fetch}. */
export interface UpdateFetchOptions {
  /**
   * The most bytes the caller accepts. An implementation should stop reading once it has more
   * (returning what it has, or throwing); anything longer is refused as `too-large` anyway.
   */
  readonly maxLength: number;
  /** Aborted when the caller's timeout fires: stop the transfer and reject. */
  readonly signal: AbortSignal;
}

/**
 * A port that fetches one file of an update repository by its path relative to the repository
 * base (`metadata/3.snapshot.json`, `targets/po-200/<sha256>.2.4.1.bin`). A device implements it
 * over its gateway (in-process or over a transport), a gateway over the upstream repository or its
 * cache. Nothing fetched is trusted: the TUF client verifies every byte.
 *
 * - Resolve with the file's bytes (the caller copies them).
 * - Reject with {@link UpdateFileNotFoundError} when the file does not exist: that is how a client
 *   learns there is no newer `N.root.json`.
 * - Reject with anything else for a transport failure (reported as `update/unavailable`).
 *
 * @example
 * ```ts
 * const viaGateway: UpdateFetcher = {
 *   async fetch(path, { maxLength, signal }) {
 *     const reply = await gateway.request('ota/file', { path, maxLength }, { signal });
 *     if (reply.status === 404) throw new UpdateFileNotFoundError(path);
 *     return reply.bytes;
 *   },
 * };
 * ```
 */
export interface UpdateFetcher {
  /**
   * Fetches the file at `path`, relative to the repository base: resolves with its bytes; rejects
   * with {@link UpdateFileNotFoundError} when there is no such file, with anything else when the
   * transfer failed.
   */
  fetch(path: string, options: UpdateFetchOptions): Promise<Uint8Array>;
}

/**
 * The repository has no file at `path` (an HTTP 404). Transient: it may be published later.
 */
export class UpdateFileNotFoundError extends HealthItError {
  /** Always `UpdateFileNotFoundError`. */
  override readonly name = 'UpdateFileNotFoundError';
  /** The path that was not found, relative to the repository base. */
  readonly path: string;

  /**
   * Makes an `update/unavailable` error whose detail carries `path` and `notFound: true`.
   * @param path - The file that was not found, relative to the repository base.
   * @param options - The underlying `cause` (e.g. the HTTP error) and extra `detail`.
   */
  constructor(path: string, options: HealthItErrorOptions = {}) {
    super('update/unavailable', `The update repository has no file ${path}`, {
      ...options,
      detail: { path, notFound: true, ...options.detail },
    });
    this.path = path;
  }
}
