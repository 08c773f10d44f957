import { UpdateRejectedError } from '@healthit/core/updates';
import type { TufTargetInfo } from '@healthit/core/updates/tuf';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import type { ImageVerifier } from './firmware-cache.js';

/** What {@link tufImageVerifier} needs of a TUF client (a `TufClient` of `@healthit/core/updates/tuf`). */
export interface TufTargetLookup {
  /**
   * Updates the client's metadata from the image repository (its result is ignored); rejects when
   * the new metadata is refused.
   */
  refresh(): Promise<unknown>;
  /**
   * The signed length and SHA-256 of target `path` (`<dir>/<name>`: relative to the targets
   * directory, without the hash prefix), or `undefined` when the metadata lists no such target.
   */
  targetInfo(path: string): Promise<TufTargetInfo | undefined>;
}

/** Options of {@link tufImageVerifier}. */
export interface TufImageVerifierOptions {
  /** Path prefix of target files in the upstream repository (default `targets/`). */
  readonly targetsPrefix?: string;
  /**
   * Refresh the client's metadata before each check (default true): a cache miss is rare (one per
   * image), and a new release is only known after a refresh.
   */
  readonly refresh?: boolean;
}

const HASH_PREFIXED = /^([0-9a-f]{64})\.(.+)$/;

function refuse(reason: 'digest' | 'malformed', path: string, message: string): UpdateRejectedError {
  return new UpdateRejectedError(reason, message, { subject: path });
}

/**
 * The gateway's check of an image before its {@link createFirmwareCache} caches and serves it: the
 * gateway's own TUF client of the image repository must list the target, with exactly the length
 * and SHA-256 of the bytes fetched (and the hash in the consistent-snapshot file name must be that
 * SHA-256). So a gateway never spreads a substituted image to its devices (which check again).
 *
 * The file path is the repository's `targets/<dir>/<sha256>.<name>`; the target is `<dir>/<name>`.
 *
 * @throws (from the returned verifier) {UpdateRejectedError} `digest` for other bytes or a target
 *   the signed metadata does not list, `malformed` for a path that is not a hash-prefixed target,
 *   or the reason of a refused metadata refresh.
 * @example
 * ```ts
 * const gatewayClient = await TufClient.create({ metadataDir, trustedRoot, fetcher: upstream });
 * const cache = createFirmwareCache({ upstream, verifyImage: tufImageVerifier(gatewayClient) });
 * ```
 */
export function tufImageVerifier(
  client: TufTargetLookup,
  options: TufImageVerifierOptions = {},
): ImageVerifier {
  const prefix = options.targetsPrefix ?? 'targets/';
  const refresh = options.refresh ?? true;
  return async (path, bytes, signal) => {
    signal.throwIfAborted();
    if (!path.startsWith(prefix)) throw refuse('malformed', path, `${path} is not under ${prefix}`);
    const file = path.slice(prefix.length);
    const slash = file.lastIndexOf('/');
    const match = HASH_PREFIXED.exec(file.slice(slash + 1));
    if (match === null) throw refuse('malformed', path, `${path} is not a hash-prefixed target file`);
    const [, named, name] = match as unknown as [string, string, string];
    const target = `${file.slice(0, slash + 1)}${name}`;
    if (refresh) await client.refresh();
    signal.throwIfAborted();
    const info = await client.targetInfo(target);
    if (info === undefined)
      throw refuse('digest', path, `The image repository's signed metadata lists no target ${target}`);
    const digest = bytesToHex(sha256(bytes));
    if (bytes.length !== info.length || digest !== info.sha256 || named !== info.sha256)
      throw refuse(
        'digest',
        path,
        `${path} (${bytes.length} bytes, SHA-256 ${digest}) is not ${target} as signed (${info.length} bytes, ${info.sha256})`,
      );
  };
}
