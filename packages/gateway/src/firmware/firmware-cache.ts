import { HealthItError, isHealthItError } from '@healthit/core';
import { type UpdateFetcher, type UpdateFetchOptions, UpdateFileNotFoundError } from '@healthit/core/updates';
import { LRUCache } from 'lru-cache';

/**
 * Checks an image the gateway fetched before it is cached or served (the gateway verifies too):
 * typically the gateway's own TUF client comparing it with the image repository's signed targets
 * metadata ({@link tufImageVerifier}). Throws (an `UpdateRejectedError`) to refuse it.
 */
export type ImageVerifier = (path: string, bytes: Uint8Array, signal: AbortSignal) => Promise<void>;

/** Options of {@link createFirmwareCache}. */
export interface FirmwareCacheOptions {
  /** Where files come from: the platform's update repository (image repository and director). */
  readonly upstream: UpdateFetcher;
  /** Checks every image before it is cached; a refused image is never cached nor served. */
  readonly verifyImage: ImageVerifier;
  /** Bytes of images kept at most (least recently used evicted first). Default 256 MiB. */
  readonly maxImageBytes?: number;
  /** The largest image fetched from upstream, in bytes. Default 64 MiB. */
  readonly maxImageSize?: number;
  /** Metadata files kept at most (least recently used evicted first). Default 4096. */
  readonly maxMetadataFiles?: number;
  /** The largest metadata file fetched from upstream, in bytes. Default 1 MiB. */
  readonly maxMetadataSize?: number;
  /**
   * How long an unversioned metadata file (`timestamp.json`) or a "no such file" answer is served
   * from the cache before asking upstream again, in ms. Versioned files (`3.snapshot.json`) and
   * images never change and are kept until evicted. Default 1 000.
   */
  readonly freshMs?: number;
  /** A single upstream fetch is abandoned after this long, in ms. Default 30 000. */
  readonly upstreamTimeoutMs?: number;
}

/** What a {@link FirmwareCache} did, for the gateway's status page and fleet monitoring. */
export interface FirmwareCacheStats {
  /** Requests answered from the cache. */
  readonly hits: number;
  /** Requests that had to wait for upstream (concurrent requests for one file share one fetch). */
  readonly misses: number;
  /** Fetches sent upstream. */
  readonly upstreamFetches: number;
  /** Stale copies served because upstream could not be reached. */
  readonly staleServed: number;
  /** Images refused by `verifyImage` (never cached). */
  readonly refusedImages: number;
  /** Image paths cached now (a briefly cached "no such file" answer included). */
  readonly cachedImages: number;
  /** Bytes of the cached images now, at most `maxImageBytes` (a "no such file" answer counts 1). */
  readonly cachedImageBytes: number;
  /** Metadata paths cached now, at most `maxMetadataFiles` ("no such file" answers included). */
  readonly cachedMetadataFiles: number;
}

/**
 * The gateway's update cache: an {@link UpdateFetcher} that devices fetch through. It serves many
 * devices from one upstream download per file, verifies every image before caching it, and keeps
 * serving what it has while the uplink is down (a device checks expiry and signatures itself, so
 * stale metadata is refused on the device if it is too old).
 */
export interface FirmwareCache extends UpdateFetcher {
  /** Fetches (and verifies) an image ahead of a rollout wave, so devices download from the gateway. */
  prefetch(path: string): Promise<void>;
  /** The cache's counters, read afresh on every access. */
  readonly stats: FirmwareCacheStats;
}

/** A file that upstream does not have, cached briefly. */
const NOT_FOUND = new Uint8Array(0);

/** `metadata/3.snapshot.json`, `director/dev-1/metadata/12.targets.json`: never changes once published. */
const VERSIONED = /(^|\/)\d+\.[^/]+\.json$/;

/**
 * Creates the gateway's firmware cache over an upstream repository.
 *
 * Files under `targets/` are images: fetched at most `maxImageSize` bytes, checked by
 * `verifyImage`, cached by path (TUF target paths carry the image's hash) within `maxImageBytes`.
 * Other files are metadata: versioned ones cached until evicted, unversioned ones (and "no such
 * file" answers, so that hundreds of devices probing for a newer root cost upstream one request)
 * for `freshMs`. Concurrent requests for one file share one upstream fetch. When upstream fails, a
 * stale copy is served if there is one; otherwise the device's request fails like upstream's.
 *
 * Each request gets its own copy of the bytes, at most `maxLength + 1` of them (enough for the
 * device's client to see that a file is too large); the device's abort signal ends its own wait,
 * not the shared fetch.
 *
 * @example
 * ```ts
 * const cache = createFirmwareCache({ upstream: platformRepository, verifyImage: tufImageVerifier(gatewayClient) });
 * const deviceClient = await TufClient.create({ ..., fetcher: cache });
 * ```
 */
export function createFirmwareCache(options: FirmwareCacheOptions): FirmwareCache {
  const upstream = options.upstream;
  if (typeof upstream?.fetch !== 'function') {
    throw new TypeError('createFirmwareCache: upstream must be an UpdateFetcher');
  }
  if (typeof options.verifyImage !== 'function') {
    throw new TypeError('createFirmwareCache: verifyImage must be a function');
  }
  const positive = (name: string, value: number | undefined, fallback: number): number => {
    const v = value ?? fallback;
    if (!Number.isSafeInteger(v) || v < 1) {
      throw new RangeError(`createFirmwareCache: ${name} must be an integer >= 1, got ${String(v)}`);
    }
    return v;
  };
  const maxImageBytes = positive('maxImageBytes', options.maxImageBytes, 256 * 1024 * 1024);
  const maxImageSize = positive('maxImageSize', options.maxImageSize, 64 * 1024 * 1024);
  const maxMetadataFiles = positive('maxMetadataFiles', options.maxMetadataFiles, 4096);
  const maxMetadataSize = positive('maxMetadataSize', options.maxMetadataSize, 1024 * 1024);
  const freshMs = positive('freshMs', options.freshMs, 1000);
  const upstreamTimeoutMs = positive('upstreamTimeoutMs', options.upstreamTimeoutMs, 30_000);
  const verifyImage = options.verifyImage;

  let hits = 0;
  let misses = 0;
  let upstreamFetches = 0;
  let staleServed = 0;
  let refusedImages = 0;

  /** Fetches from upstream; "no such file" becomes {@link NOT_FOUND}. */
  const fromUpstream = async (path: string, maxLength: number): Promise<Uint8Array> => {
    upstreamFetches++;
    const signal = AbortSignal.timeout(upstreamTimeoutMs);
    try {
      const bytes = await upstream.fetch(path, { maxLength, signal });
      return bytes.slice(0, Math.min(bytes.length, maxLength + 1));
    } catch (e) {
      if (e instanceof UpdateFileNotFoundError) return NOT_FOUND;
      throw e;
    }
  };

  const images = new LRUCache<string, Uint8Array>({
    maxSize: maxImageBytes,
    sizeCalculation: (bytes) => Math.max(1, bytes.length),
    fetchMethod: async (path, _stale, { options: fetchOptions }) => {
      const bytes = await fromUpstream(path, maxImageSize);
      if (bytes === NOT_FOUND) {
        fetchOptions.ttl = freshMs; // it may be published later
        return NOT_FOUND;
      }
      if (bytes.length > maxImageSize) {
        throw new HealthItError(
          'update/unavailable',
          `Upstream image ${path} is larger than the gateway's limit of ${maxImageSize} bytes`,
          { detail: { path, maxImageSize } },
        );
      }
      try {
        await verifyImage(path, bytes, AbortSignal.timeout(upstreamTimeoutMs));
      } catch (e) {
        refusedImages++;
        throw e;
      }
      return bytes;
    },
  });

  const metadata = new LRUCache<string, Uint8Array>({
    max: maxMetadataFiles,
    // A stale copy stays when a refresh fails: it is what the devices get while the uplink is down.
    noDeleteOnFetchRejection: true,
    fetchMethod: async (path, _stale, { options: fetchOptions }) => {
      const bytes = await fromUpstream(path, maxMetadataSize);
      // Versioned files never change; the rest (and "no such file") only for a while.
      if (bytes === NOT_FOUND || !VERSIONED.test(path)) fetchOptions.ttl = freshMs;
      return bytes;
    },
  });

  const lookup = async (path: string): Promise<Uint8Array> => {
    const cache = path.startsWith('targets/') ? images : metadata;
    // A fresh copy in the cache: a hit (a stale one is refreshed, below).
    if (cache.has(path)) {
      hits++;
      return cache.get(path) as Uint8Array;
    }
    misses++;
    const stale = cache.peek(path, { allowStale: true });
    let bytes: Uint8Array | undefined;
    try {
      bytes = await cache.fetch(path);
    } catch (e) {
      if (stale === undefined) throw e;
      staleServed++; // upstream failed: serve what the cache had
      return stale;
    }
    if (bytes === undefined) throw new UpdateFileNotFoundError(path);
    return bytes;
  };

  const fetch = async (path: string, { maxLength, signal }: UpdateFetchOptions): Promise<Uint8Array> => {
    signal.throwIfAborted();
    if (typeof path !== 'string' || path.length === 0 || path.includes('..') || path.startsWith('/')) {
      throw new HealthItError('validation/invalid', `Not a repository path: ${JSON.stringify(path)}`, {
        detail: { path },
      });
    }
    const bytes = await abortable(lookup(path), signal);
    if (bytes === NOT_FOUND) throw new UpdateFileNotFoundError(path);
    return bytes.slice(0, Math.min(bytes.length, maxLength + 1));
  };

  return {
    fetch,
    async prefetch(path: string): Promise<void> {
      if (!path.startsWith('targets/')) {
        throw new HealthItError(
          'validation/invalid',
          `prefetch takes an image path (targets/…), got ${path}`,
        );
      }
      const bytes = await lookup(path);
      if (bytes === NOT_FOUND) throw new UpdateFileNotFoundError(path);
    },
    get stats(): FirmwareCacheStats {
      return {
        hits,
        misses,
        upstreamFetches,
        staleServed,
        refusedImages,
        cachedImages: images.size,
        cachedImageBytes: images.calculatedSize,
        cachedMetadataFiles: metadata.size,
      };
    },
  };
}

/** `pending`, or a rejection as soon as `signal` aborts (the shared fetch goes on for the others). */
function abortable<T>(pending: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    pending.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(isHealthItError(e) || e instanceof Error ? e : new Error(String(e)));
      },
    );
  });
}
