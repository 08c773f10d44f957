import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { HealthItError } from '../../errors/health-it-error.js';
import { createFakeClock } from '../../time/fake-clock.js';
import { UpdateRejectedError } from '../update-rejected-error.js';
import { repositoryFetcher } from './repository-fetcher.js';
import { tempDirs } from './test-fixtures/temp-dirs.js';
import { attempt, createMirror, readMetadata } from './test-fixtures/tuf-attacker.js';
import { TufClient, type TufClientOptions } from './tuf-client.js';
import { createTufKey } from './tuf-key.js';
import { TufRepository } from './tuf-repository.js';
import type { UpdateFetcher } from './update-fetcher.js';

const dirs = tempDirs();
afterEach(() => dirs.cleanup());

const PATH = 'po-200/2.4.1.bin';
const image = (n: number, size = 1024) => Uint8Array.from({ length: size }, (_, i) => (i * 7 + n) & 0xff);
const hex = (bytes: Uint8Array) => bytesToHex(sha256(bytes));

async function setup(client: Partial<TufClientOptions> = {}) {
  const clock = createFakeClock(Date.now());
  const repo = new TufRepository({ clock });
  repo.addTarget(PATH, image(1), { custom: { hardwareId: 'po-200.rev-a', version: '2.4.1' } });
  repo.publish();
  const mirror = createMirror(repo);
  const metadataDir = await dirs.make();
  const tuf = await TufClient.create({
    metadataDir,
    trustedRoot: repo.root(),
    fetcher: mirror.fetcher,
    clock,
    ...client,
  });
  return { clock, repo, mirror, metadataDir, client: tuf };
}

describe('TufClient', () => {
  it('refreshes, describes and downloads a target with its custom fields', async () => {
    const { repo, client } = await setup();
    expect(client.versions).toBeUndefined();
    expect(await client.refresh()).toEqual({ root: 1, timestamp: 2, snapshot: 2, targets: 2 });
    expect(await client.targetInfo(PATH)).toEqual({
      path: PATH,
      length: 1024,
      hashes: { sha256: hex(image(1)) },
      sha256: hex(image(1)),
      custom: { hardwareId: 'po-200.rev-a', version: '2.4.1' },
    });
    const got = await client.download(PATH);
    expect(got).toMatchObject({ path: PATH, length: 1024, sha256: hex(image(1)) });
    expect(got.bytes).toEqual(image(1));
    expect(await client.targetInfo('po-200/none.bin')).toBeUndefined();
    expect((await client.listTargets()).map((t) => t.path)).toEqual([PATH]);
    repo.addTarget('po-200/2.4.2.bin', image(2));
    repo.publish();
    expect(await client.targetInfo('po-200/2.4.2.bin')).toBeUndefined(); // until the next refresh
    expect((await client.refresh()).targets).toBe(3);
    expect((await client.download('po-200/2.4.2.bin')).bytes).toEqual(image(2));
  });

  it('downloads a target listed by a delegated role', async () => {
    const { repo, client } = await setup();
    repo.delegate({ name: 'vendor-a', paths: ['po-200/*'] });
    repo.addTarget('po-200/2.5.0.bin', image(5), { role: 'vendor-a' });
    repo.publish();
    expect((await client.download('po-200/2.5.0.bin')).bytes).toEqual(image(5));
  });

  it('persists the trusted metadata in metadataDir and reopens from it without the original root', async () => {
    const { repo, mirror, metadataDir, client, clock } = await setup();
    repo.rotateRootKeys([createTufKey()], 1);
    repo.publish();
    await client.refresh();
    expect(readMetadata(await readFile(join(metadataDir, 'root.json'))).signed.version).toBe(2);
    for (const file of ['timestamp.json', 'snapshot.json', 'targets.json'])
      expect(readMetadata(await readFile(join(metadataDir, file))).signed._type).toBe(
        file.replace('.json', ''),
      );
    const reopened = await TufClient.create({ metadataDir, fetcher: mirror.fetcher, clock });
    expect((await reopened.refresh()).root).toBe(2);
    await expect(
      TufClient.create({ metadataDir: await dirs.make(), fetcher: mirror.fetcher }),
    ).rejects.toMatchObject({
      code: 'config/invalid',
    });
  });

  it('steady state costs two fetches per refresh: the next root (absent) and the timestamp', async () => {
    const { mirror, client } = await setup();
    await client.refresh();
    mirror.requests.length = 0;
    await client.refresh();
    expect(mirror.requests).toEqual(['metadata/2.root.json', 'metadata/timestamp.json']);
  });

  it('reports transport failures and missing files as update/unavailable (retryable)', async () => {
    const failing: UpdateFetcher = {
      fetch: async () => {
        throw new Error('gateway unreachable');
      },
    };
    const repo = new TufRepository();
    const client = await TufClient.create({
      metadataDir: await dirs.make(),
      trustedRoot: repo.root(),
      fetcher: failing,
    });
    const { error } = await attempt(client.refresh());
    expect(error).toBeInstanceOf(HealthItError);
    expect(error).not.toBeInstanceOf(UpdateRejectedError);
    expect(error).toMatchObject({
      code: 'update/unavailable',
      retryable: true,
      detail: { path: 'metadata/2.root.json' },
    });

    const { mirror, client: other } = await setup();
    mirror.hide('metadata/timestamp.json');
    expect((await attempt(other.refresh())).error).toMatchObject({ code: 'update/unavailable' });
    mirror.reset();
    mirror.hide('metadata/2.targets.json');
    expect((await attempt(other.refresh())).error).toMatchObject({ code: 'update/unavailable' });
    mirror.reset();
    await other.refresh();
    expect((await attempt(other.download('po-200/none.bin'))).error).toMatchObject({
      code: 'update/unavailable',
      detail: { path: 'po-200/none.bin' },
    });
  });

  it('refuses a malformed metadata file as malformed', async () => {
    const { mirror, client } = await setup();
    mirror.serve('metadata/timestamp.json', new TextEncoder().encode('{"signed": '));
    expect((await attempt(client.refresh())).error).toMatchObject({
      reason: 'malformed',
      subject: 'metadata/timestamp.json',
    });
  });

  it('runs one operation at a time', async () => {
    const { client } = await setup();
    const results = await Promise.all([
      client.refresh(),
      client.download(PATH),
      client.refresh(),
      client.download(PATH),
    ]);
    expect(results.map((r) => ('bytes' in r ? r.bytes.length : r.timestamp))).toEqual([2, 1024, 2, 1024]);
  });

  it('property: a target altered in any byte is refused as digest, and nothing is returned', async () => {
    const { mirror, client } = await setup();
    const served = `targets/po-200/${hex(image(1))}.2.4.1.bin`;
    await fc.assert(
      fc.asyncProperty(fc.nat({ max: 1023 }), fc.integer({ min: 1, max: 255 }), async (index, mask) => {
        const tampered = image(1);
        tampered[index] = (tampered[index] as number) ^ mask;
        mirror.serve(served, tampered);
        const { value, error } = await attempt(client.download(PATH));
        expect(value).toBeUndefined();
        expect(error).toMatchObject({ reason: 'digest', subject: PATH });
      }),
      { numRuns: 15 },
    );
  });

  it('refuses non-positive limits', async () => {
    const repo = new TufRepository();
    const base = {
      metadataDir: await dirs.make(),
      trustedRoot: repo.root(),
      fetcher: repositoryFetcher(repo),
    };
    await expect(TufClient.create({ ...base, timeoutMs: 0 })).rejects.toThrow(RangeError);
    await expect(TufClient.create({ ...base, maxFileBytes: -1 })).rejects.toThrow(RangeError);
  });
});
