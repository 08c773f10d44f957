import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createFakeClock } from '../../time/fake-clock.js';
import { assertDistinctKeys } from './distinct-keys.js';
import { tempDirs } from './test-fixtures/temp-dirs.js';
import { attempt, createMirror } from './test-fixtures/tuf-attacker.js';
import { TufClient } from './tuf-client.js';

// A repository written by python-tuf, from tuf-js's test data (see test-vectors/…/SOURCE.md).
const VECTORS = join(import.meta.dirname, 'test-vectors', 'tuf-js-empty-target-repo');
const FILES = ['1.root.json', '2.root.json', 'timestamp.json', 'snapshot.json', 'targets.json'];

const dirs = tempDirs();
afterEach(() => dirs.cleanup());

async function vectorRepository() {
  const files = new Map<string, Uint8Array>();
  for (const name of FILES)
    files.set(`metadata/${name}`, new Uint8Array(await readFile(join(VECTORS, name))));
  return files;
}

describe('interoperability with a python-tuf repository (tuf-js test data)', () => {
  // Its key ids are securesystemslib's (which hash the key with a `keyid_hash_algorithms` member
  // the listing omits); ours hash the listed key. Key ids are opaque labels to a client (TAP 12).
  it('follows its root rotation (consistent snapshots switched off in v2) and trusts its metadata', async () => {
    const files = await vectorRepository();
    for (const [path, bytes] of files) expect(() => assertDistinctKeys(bytes, path)).not.toThrow();
    const mirror = createMirror(files);
    const client = await TufClient.create({
      metadataDir: await dirs.make(),
      trustedRoot: files.get('metadata/1.root.json') as Uint8Array,
      fetcher: mirror.fetcher,
      clock: createFakeClock(Date.parse('2023-02-01T00:00:00Z')),
    });
    expect(await client.refresh()).toEqual({ root: 2, timestamp: 1, snapshot: 1, targets: 1 });
    expect(mirror.requests).toEqual([
      'metadata/2.root.json',
      'metadata/3.root.json',
      'metadata/timestamp.json',
      'metadata/snapshot.json',
      'metadata/targets.json',
    ]);
    expect(await client.listTargets()).toEqual([]);
  });

  it('U4 freeze: refuses it once its root has expired', async () => {
    const files = await vectorRepository();
    const client = await TufClient.create({
      metadataDir: await dirs.make(),
      trustedRoot: files.get('metadata/1.root.json') as Uint8Array,
      fetcher: createMirror(files).fetcher,
      clock: createFakeClock(Date.parse('2023-02-08T20:45:27Z')),
    });
    const { value, error } = await attempt(client.refresh());
    expect(value).toBeUndefined();
    expect(error).toMatchObject({ reason: 'expired', subject: 'metadata/root.json' });
  });
});
