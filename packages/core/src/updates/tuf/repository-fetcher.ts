import { type UpdateFetcher, UpdateFileNotFoundError } from './update-fetcher.js';

/** Anything that serves published files by path, such as a {@link TufRepository}. */
export interface UpdateFileSource {
  /**
   * The bytes of the file at `path` (relative to the repository's base, e.g.
   * `metadata/1.root.json`), or undefined when there is none.
   */
  get(path: string): Uint8Array | undefined;
}

/**
 * An in-process {@link UpdateFetcher} over a file source (a `TufRepository`, a gateway cache).
 * Returns a copy of at most `maxLength + 1` bytes (enough for the caller to see that a file is too
 * large without copying all of it); honours an already aborted signal.
 *
 * @example
 * ```ts
 * const client = await TufClient.create({ metadataDir, trustedRoot: repo.root(), fetcher: repositoryFetcher(repo) });
 * ```
 */
export function repositoryFetcher(
  source: UpdateFileSource,
  options: { readonly prefix?: string } = {},
): UpdateFetcher {
  const prefix = options.prefix ?? '';
  return {
    async fetch(path, { maxLength, signal }) {
      signal.throwIfAborted();
      const bytes = source.get(prefix + path);
      if (bytes === undefined) throw new UpdateFileNotFoundError(prefix + path);
      return bytes.slice(0, Math.min(bytes.length, maxLength + 1));
    },
  };
}
