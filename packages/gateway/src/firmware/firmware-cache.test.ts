import { createHash } from 'node:crypto';
import { type UpdateFetcher, UpdateFileNotFoundError, UpdateRejectedError } from '@healthit/core/updates';
import { describe, expect, it } from 'vitest';
import { createFirmwareCache, type ImageVerifier } from './firmware-cache.js';

const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

/** An upstream repository with a request log, that can be taken offline or slowed down. */
function upstreamOf(files: Record<string, Uint8Array>) {
  const store = new Map(Object.entries(files));
  const requests: string[] = [];
  let online = true;
  let gate: Promise<void> | undefined;
  const fetcher: UpdateFetcher = {
    async fetch(path, { maxLength, signal }) {
      requests.push(path);
      if (gate !== undefined) await gate;
      signal.throwIfAborted();
      if (!online) throw new Error('uplink down');
      const bytes = store.get(path);
      if (bytes === undefined) throw new UpdateFileNotFoundError(path);
      return bytes.slice(0, maxLength + 1);
    },
  };
  return {
    fetcher,
    store,
    requests,
    offline: () => {
      online = false;
    },
    online: () => {
      online = true;
    },
    /** Holds every fetch until the returned function is called. */
    hold: (): (() => void) => {
      let release!: () => void;
      gate = new Promise((r) => {
        release = () => {
          gate = undefined;
          r();
        };
      });
      return release;
    },
  };
}

/** A verifier that knows each image's expected digest, as the gateway's TUF client would. */
function verifierOf(expected: Record<string, string>): ImageVerifier & { calls: string[] } {
  const calls: string[] = [];
  const verify = async (path: string, bytes: Uint8Array): Promise<void> => {
    calls.push(path);
    if (expected[path] !== sha256(bytes)) {
      throw new UpdateRejectedError('digest', `image ${path} does not match the signed targets metadata`, {
        subject: path,
      });
    }
  };
  return Object.assign(verify, { calls });
}

const image = new Uint8Array(10_000).map((_, i) => (i * 31) % 251);
const IMAGE = 'targets/po-200/2.4.1.bin';
const options = (maxLength = 1 << 20) => ({ maxLength, signal: new AbortController().signal });

describe('createFirmwareCache', () => {
  it('serves 200 devices asking at once from one upstream download, verified once', async () => {
    const up = upstreamOf({ [IMAGE]: image });
    const verify = verifierOf({ [IMAGE]: sha256(image) });
    const cache = createFirmwareCache({ upstream: up.fetcher, verifyImage: verify });
    const release = up.hold();
    const downloads = Array.from({ length: 200 }, () => cache.fetch(IMAGE, options()));
    release();
    const got = await Promise.all(downloads);
    for (const bytes of got) expect(sha256(bytes)).toBe(sha256(image));
    expect(up.requests).toEqual([IMAGE]);
    expect(verify.calls).toEqual([IMAGE]);
    // Each device gets its own copy: one device scribbling on its buffer harms no other.
    (got[0] as Uint8Array)[0] = 99;
    expect(sha256(await cache.fetch(IMAGE, options()))).toBe(sha256(image));
    expect(cache.stats).toMatchObject({
      upstreamFetches: 1,
      cachedImages: 1,
      cachedImageBytes: image.length,
    });
    expect(cache.stats.hits).toBeGreaterThanOrEqual(1);
  });

  it('never caches nor serves an image its verifier refuses (a substituted image upstream)', async () => {
    const evil = image.slice();
    evil[5] = (evil[5] as number) ^ 1;
    const up = upstreamOf({ [IMAGE]: evil });
    const cache = createFirmwareCache({
      upstream: up.fetcher,
      verifyImage: verifierOf({ [IMAGE]: sha256(image) }),
    });
    await expect(cache.fetch(IMAGE, options())).rejects.toMatchObject({ reason: 'digest' });
    await expect(cache.fetch(IMAGE, options())).rejects.toMatchObject({ reason: 'digest' });
    expect(up.requests).toEqual([IMAGE, IMAGE]); // asked again, never served from a cache
    expect(cache.stats).toMatchObject({ refusedImages: 2, cachedImages: 0 });
    // Once upstream serves the right image, it is cached.
    up.store.set(IMAGE, image);
    expect(sha256(await cache.fetch(IMAGE, options()))).toBe(sha256(image));
  });

  it('keeps serving cached images and metadata while the uplink is down', async () => {
    const timestamp = new TextEncoder().encode('{"signed":{"version":7}}');
    const up = upstreamOf({ [IMAGE]: image, 'metadata/timestamp.json': timestamp });
    const cache = createFirmwareCache({
      upstream: up.fetcher,
      verifyImage: verifierOf({ [IMAGE]: sha256(image) }),
      freshMs: 1,
    });
    await cache.fetch(IMAGE, options());
    await cache.fetch('metadata/timestamp.json', options());
    up.offline();
    await new Promise((r) => setTimeout(r, 5)); // the timestamp is now stale
    expect(sha256(await cache.fetch(IMAGE, options()))).toBe(sha256(image));
    expect(await cache.fetch('metadata/timestamp.json', options())).toEqual(timestamp);
    expect(cache.stats.staleServed).toBe(1);
    // What was never cached fails as upstream does.
    await expect(cache.fetch('targets/other.bin', options())).rejects.toThrow('uplink down');
  });

  it('asks upstream again for timestamp.json after freshMs, never for versioned metadata', async () => {
    const up = upstreamOf({
      'metadata/timestamp.json': new Uint8Array([1]),
      'metadata/3.snapshot.json': new Uint8Array([3]),
    });
    const cache = createFirmwareCache({ upstream: up.fetcher, verifyImage: verifierOf({}), freshMs: 1 });
    for (let i = 0; i < 3; i++) {
      await cache.fetch('metadata/timestamp.json', options());
      await cache.fetch('metadata/3.snapshot.json', options());
      await new Promise((r) => setTimeout(r, 5));
    }
    expect(up.requests.filter((p) => p === 'metadata/3.snapshot.json')).toHaveLength(1);
    expect(up.requests.filter((p) => p === 'metadata/timestamp.json')).toHaveLength(3);
  });

  it('answers "no such file" (a device probing for a newer root) from the cache for freshMs', async () => {
    const up = upstreamOf({});
    const cache = createFirmwareCache({ upstream: up.fetcher, verifyImage: verifierOf({}), freshMs: 60_000 });
    for (let i = 0; i < 50; i++) {
      await expect(cache.fetch('metadata/4.root.json', options())).rejects.toBeInstanceOf(
        UpdateFileNotFoundError,
      );
    }
    expect(up.requests).toEqual(['metadata/4.root.json']);
  });

  it('hands a device at most maxLength + 1 bytes, so its client refuses an endless file', async () => {
    const up = upstreamOf({ 'metadata/timestamp.json': new Uint8Array(5000) });
    const cache = createFirmwareCache({ upstream: up.fetcher, verifyImage: verifierOf({}) });
    expect((await cache.fetch('metadata/timestamp.json', options(100))).length).toBe(101);
  });

  it('refuses an upstream image over maxImageSize without verifying or caching it', async () => {
    const up = upstreamOf({ [IMAGE]: image });
    const verify = verifierOf({ [IMAGE]: sha256(image) });
    const cache = createFirmwareCache({ upstream: up.fetcher, verifyImage: verify, maxImageSize: 1000 });
    await expect(cache.fetch(IMAGE, options())).rejects.toMatchObject({ code: 'update/unavailable' });
    expect(verify.calls).toEqual([]);
    expect(cache.stats.cachedImages).toBe(0);
  });

  it('stays within maxImageBytes, evicting the least recently used image', async () => {
    const files: Record<string, Uint8Array> = {};
    const expected: Record<string, string> = {};
    for (let i = 0; i < 5; i++) {
      const bytes = new Uint8Array(1000).fill(i);
      files[`targets/img-${i}.bin`] = bytes;
      expected[`targets/img-${i}.bin`] = sha256(bytes);
    }
    const up = upstreamOf(files);
    const cache = createFirmwareCache({
      upstream: up.fetcher,
      verifyImage: verifierOf(expected),
      maxImageBytes: 2500,
    });
    for (let i = 0; i < 5; i++) await cache.fetch(`targets/img-${i}.bin`, options());
    expect(cache.stats.cachedImages).toBe(2);
    expect(cache.stats.cachedImageBytes).toBeLessThanOrEqual(2500);
    await cache.fetch('targets/img-4.bin', options()); // still cached
    expect(up.requests.filter((p) => p === 'targets/img-4.bin')).toHaveLength(1);
  });

  it("a device's abort ends its own wait, not the download the others share", async () => {
    const up = upstreamOf({ [IMAGE]: image });
    const cache = createFirmwareCache({
      upstream: up.fetcher,
      verifyImage: verifierOf({ [IMAGE]: sha256(image) }),
    });
    const release = up.hold();
    const impatient = new AbortController();
    const first = cache.fetch(IMAGE, { maxLength: 1 << 20, signal: impatient.signal });
    const second = cache.fetch(IMAGE, options());
    impatient.abort(new Error('device gave up'));
    await expect(first).rejects.toThrow('device gave up');
    release();
    expect(sha256(await second)).toBe(sha256(image));
  });

  it('refuses paths that could escape the repository, and prefetch of anything but an image', async () => {
    const cache = createFirmwareCache({ upstream: upstreamOf({}).fetcher, verifyImage: verifierOf({}) });
    for (const path of ['', '/etc/passwd', 'targets/../metadata/root.json']) {
      await expect(cache.fetch(path, options())).rejects.toMatchObject({ code: 'validation/invalid' });
    }
    await expect(cache.prefetch('metadata/timestamp.json')).rejects.toMatchObject({
      code: 'validation/invalid',
    });
  });

  it('prefetch downloads and verifies an image ahead of a wave', async () => {
    const up = upstreamOf({ [IMAGE]: image });
    const cache = createFirmwareCache({
      upstream: up.fetcher,
      verifyImage: verifierOf({ [IMAGE]: sha256(image) }),
    });
    await cache.prefetch(IMAGE);
    up.offline();
    expect(sha256(await cache.fetch(IMAGE, options()))).toBe(sha256(image));
  });
});
