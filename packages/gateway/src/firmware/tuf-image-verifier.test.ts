import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UpdateRejectedError } from '@healthit/core/updates';
import { hashPrefixedPath, repositoryFetcher, TufClient, TufRepository } from '@healthit/core/updates/tuf';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { afterEach, describe, expect, it } from 'vitest';
import { createFirmwareCache } from './firmware-cache.js';
import { tufImageVerifier } from './tuf-image-verifier.js';

const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

const PATH = 'po-200/rev-a/2.5.0.bin';
const image = Uint8Array.from({ length: 5000 }, (_, i) => (i * 11) & 0xff);
const hex = (b: Uint8Array) => bytesToHex(sha256(b));
const options = () => ({ maxLength: 1 << 20, signal: new AbortController().signal });

async function setup() {
  const repo = new TufRepository();
  repo.addTarget(PATH, image, { custom: { hardwareId: 'po-200.rev-a', version: '2.5.0' } });
  repo.publish();
  const files = new Map<string, Uint8Array>();
  const upstream = repositoryFetcher({ get: (p) => files.get(p) ?? repo.get(p) });
  const dir = await mkdtemp(join(tmpdir(), 'healthit-gw-tuf-'));
  dirs.push(dir);
  const client = await TufClient.create({ metadataDir: dir, trustedRoot: repo.root(), fetcher: upstream });
  const cache = createFirmwareCache({ upstream, verifyImage: tufImageVerifier(client) });
  return { repo, files, cache, file: `targets/${hashPrefixedPath(PATH, hex(image))}` };
}

async function reasonOf(promise: Promise<unknown>): Promise<string> {
  const e = await promise.then(
    () => undefined,
    (error: unknown) => error,
  );
  return e instanceof UpdateRejectedError ? e.reason : String(e);
}

describe('tufImageVerifier', () => {
  it('lets the cache serve an image whose length and SHA-256 are the signed target’s', async () => {
    const { cache, file } = await setup();
    expect(hex(await cache.fetch(file, options()))).toBe(hex(image));
    expect(cache.stats).toMatchObject({ refusedImages: 0, cachedImages: 1, upstreamFetches: 1 });
  });

  it('refuses substituted bytes under the genuine file name: never cached nor served', async () => {
    const { cache, file, files } = await setup();
    const evil = image.slice();
    evil[100] = (evil[100] ?? 0) ^ 1;
    files.set(file, evil);
    expect(await reasonOf(cache.fetch(file, options()))).toBe('digest');
    expect(cache.stats).toMatchObject({ refusedImages: 1, cachedImages: 0 });
  });

  it('refuses a file the signed metadata does not list, or whose name carries another hash', async () => {
    const { cache, files } = await setup();
    const unlisted = `targets/${hashPrefixedPath('po-200/rev-a/9.9.9.bin', hex(image))}`;
    files.set(unlisted, image);
    expect(await reasonOf(cache.fetch(unlisted, options()))).toBe('digest');
    const renamed = `targets/${hashPrefixedPath(PATH, 'f'.repeat(64))}`;
    files.set(renamed, image);
    expect(await reasonOf(cache.fetch(renamed, options()))).toBe('digest');
    files.set('targets/po-200/rev-a/2.5.0.bin', image);
    expect(await reasonOf(cache.fetch('targets/po-200/rev-a/2.5.0.bin', options()))).toBe('malformed');
    expect(cache.stats.cachedImages).toBe(0);
  });
});
