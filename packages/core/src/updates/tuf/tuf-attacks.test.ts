import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { Metadata, MetadataKind } from '@tufjs/models';
import { afterEach, describe, expect, it } from 'vitest';
import { createFakeClock } from '../../time/fake-clock.js';
import { UpdateRejectedError, type UpdateRejection } from '../update-rejected-error.js';
import { readBounded } from './read-bounded.js';
import { tempDirs } from './test-fixtures/temp-dirs.js';
import {
  aliasKey,
  attempt,
  createMirror,
  readMetadata,
  resign,
  writeMetadata,
} from './test-fixtures/tuf-attacker.js';
import { TufClient, type TufClientOptions } from './tuf-client.js';
import { createTufKey } from './tuf-key.js';
import { TufRepository, type TufRepositoryOptions } from './tuf-repository.js';

const dirs = tempDirs();
afterEach(() => dirs.cleanup());

const DAY = 86_400_000;
const PATH = 'po-200/2.4.1.bin';
const image = (n: number, size = 1024) => Uint8Array.from({ length: size }, (_, i) => (i * 7 + n) & 0xff);
const hex = (bytes: Uint8Array) => bytesToHex(sha256(bytes));

async function setup(options: { repo?: TufRepositoryOptions; client?: Partial<TufClientOptions> } = {}) {
  const clock = createFakeClock(Date.now());
  const repo = new TufRepository({ clock, ...options.repo });
  repo.addTarget(PATH, image(1), { custom: { hardwareId: 'po-200.rev-a', version: '2.4.1' } });
  repo.publish();
  const mirror = createMirror(repo);
  const client = await TufClient.create({
    metadataDir: await dirs.make(),
    trustedRoot: repo.root(),
    fetcher: mirror.fetcher,
    clock,
    ...options.client,
  });
  return { clock, repo, mirror, client };
}

/** Asserts that `promise` returned nothing and threw an UpdateRejectedError with `reason`. */
async function expectRejected(promise: Promise<unknown>, reason: UpdateRejection, subject?: string | RegExp) {
  const { value, error } = await attempt(promise);
  expect(value).toBeUndefined();
  expect(error).toBeInstanceOf(UpdateRejectedError);
  const rejected = error as UpdateRejectedError;
  expect({ reason: rejected.reason, message: rejected.message }).toMatchObject({ reason });
  if (typeof subject === 'string') expect(rejected.subject).toBe(subject);
  else if (subject !== undefined) expect(rejected.subject).toMatch(subject);
  return rejected;
}

describe('TUF attacks on the client', () => {
  it('U2 signature-threshold bypass: one key listed under two key ids cannot meet a threshold of two', async () => {
    const { repo, mirror, client } = await setup();
    await client.refresh();
    const [tsKey] = repo.keys('timestamp');
    if (tsKey === undefined) throw new Error('no timestamp key');
    const alias = [...tsKey.keyId].reverse().join('');
    const root2 = resign(repo.root(), repo.keys('root'), (signed) => {
      const keys = signed.keys as Record<string, unknown>;
      keys[alias] = tsKey.json;
      (signed.roles as Record<string, unknown>).timestamp = { keyids: [tsKey.keyId, alias], threshold: 2 };
      signed.version = 2;
    });
    const timestamp = resign(
      repo.get('metadata/timestamp.json') as Uint8Array,
      [tsKey, aliasKey(tsKey, alias)],
      (s) => {
        s.version += 1;
      },
    );
    // Without the client's screen, @tufjs/models counts the one key twice and accepts:
    const asRoot = Metadata.fromJSON(MetadataKind.Root, JSON.parse(new TextDecoder().decode(root2)));
    expect(() =>
      asRoot.verifyDelegate(
        'timestamp',
        Metadata.fromJSON(MetadataKind.Timestamp, readMetadata(timestamp) as never),
      ),
    ).not.toThrow();
    mirror.serve('metadata/2.root.json', root2);
    mirror.serve('metadata/timestamp.json', timestamp);
    await expectRejected(client.refresh(), 'signature', 'metadata/2.root.json');
    await expectRejected(client.download(PATH), 'signature');
    expect(client.versions?.root).toBe(1);
  });

  it('U2 signature-threshold bypass: a signature repeated under the same key id is refused', async () => {
    const { repo, mirror, client } = await setup({ repo: { roles: { timestamp: { threshold: 2 } } } });
    await client.refresh();
    const [first] = repo.keys('timestamp');
    const forged = readMetadata(
      resign(repo.get('metadata/timestamp.json') as Uint8Array, first ? [first] : [], (s) => {
        s.version += 1;
      }),
    );
    forged.signatures.push({ ...(forged.signatures[0] as { keyid: string; sig: string }) });
    mirror.serve('metadata/timestamp.json', writeMetadata(forged));
    await expectRejected(client.refresh(), 'signature', 'metadata/timestamp.json');
    await expectRejected(client.download(PATH), 'signature');
  });

  it('U2 signature-threshold bypass: a role listing the same key id twice is refused', async () => {
    const { repo, mirror, client } = await setup();
    await client.refresh();
    const [tsKey] = repo.keys('timestamp');
    mirror.serve(
      'metadata/2.root.json',
      resign(repo.root(), repo.keys('root'), (signed) => {
        (signed.roles as Record<string, unknown>).timestamp = {
          keyids: [tsKey?.keyId, tsKey?.keyId],
          threshold: 2,
        };
        signed.version = 2;
      }),
    );
    await expectRejected(client.refresh(), 'signature', 'metadata/2.root.json');
    await expectRejected(client.download(PATH), 'signature');
  });

  it('U2 signature-threshold bypass: fewer distinct signatures than the threshold are refused', async () => {
    const { repo, mirror, client } = await setup({ repo: { roles: { timestamp: { threshold: 2 } } } });
    const [first] = repo.keys('timestamp');
    mirror.serve(
      'metadata/timestamp.json',
      resign(repo.get('metadata/timestamp.json') as Uint8Array, first ? [first] : [], (s) => {
        s.version += 1;
      }),
    );
    await expectRejected(client.download(PATH), 'signature', 'metadata/timestamp.json');
  });

  it('U3 rollback to an older version: a replayed older timestamp is refused', async () => {
    const { repo, mirror, client } = await setup();
    const old = repo.get('metadata/timestamp.json') as Uint8Array;
    repo.addTarget('po-200/2.4.2.bin', image(2));
    repo.publish();
    expect((await client.refresh()).timestamp).toBe(3);
    mirror.serve('metadata/timestamp.json', old);
    await expectRejected(client.refresh(), 'rollback', 'metadata/timestamp.json');
    await expectRejected(client.download('po-200/2.4.2.bin'), 'rollback');
    expect(client.versions?.timestamp).toBe(3);
  });

  it('U3 rollback to an older version: a timestamp naming an older snapshot is refused', async () => {
    const { repo, mirror, client } = await setup();
    const oldSnapshot = repo.get('metadata/2.snapshot.json') as Uint8Array;
    repo.addTarget('po-200/2.4.2.bin', image(2));
    repo.publish();
    await client.refresh();
    mirror.serve(
      'metadata/timestamp.json',
      resign(repo.get('metadata/timestamp.json') as Uint8Array, repo.keys('timestamp'), (s) => {
        s.version += 1;
        s.meta = {
          'snapshot.json': { version: 2, length: oldSnapshot.length, hashes: { sha256: hex(oldSnapshot) } },
        };
      }),
    );
    await expectRejected(client.refresh(), 'rollback', 'metadata/timestamp.json');
    await expectRejected(client.download('po-200/2.4.2.bin'), 'rollback');
  });

  it('U3 rollback to an older version: a snapshot naming older targets metadata is refused', async () => {
    const { repo, mirror, client } = await setup();
    repo.addTarget('po-200/2.4.2.bin', image(2));
    repo.publish(); // targets v3, snapshot v3
    await client.refresh();
    const oldTargets = repo.get('metadata/2.targets.json') as Uint8Array;
    const snapshot = resign(
      repo.get('metadata/3.snapshot.json') as Uint8Array,
      repo.keys('snapshot'),
      (s) => {
        s.version = 4;
        s.meta = {
          'targets.json': { version: 2, length: oldTargets.length, hashes: { sha256: hex(oldTargets) } },
        };
      },
    );
    mirror.serve('metadata/4.snapshot.json', snapshot);
    mirror.serve(
      'metadata/timestamp.json',
      resign(repo.get('metadata/timestamp.json') as Uint8Array, repo.keys('timestamp'), (s) => {
        s.version += 1;
        s.meta = {
          'snapshot.json': { version: 4, length: snapshot.length, hashes: { sha256: hex(snapshot) } },
        };
      }),
    );
    await expectRejected(client.refresh(), 'rollback', 'metadata/4.snapshot.json');
    await expectRejected(client.download('po-200/2.4.2.bin'), 'rollback');
  });

  it('U3 rollback to an older version: an older root served as the next root is refused', async () => {
    const { repo, mirror, client } = await setup();
    mirror.serve('metadata/2.root.json', repo.root(1));
    await expectRejected(client.refresh(), 'rollback', 'metadata/2.root.json');
    await expectRejected(client.download(PATH), 'rollback');
  });

  it('U4 freeze: a timestamp past its expiry is refused', async () => {
    const { clock, client } = await setup();
    await client.refresh();
    clock.advance(DAY + 1000); // the repository (or a mirror) stopped publishing
    await expectRejected(client.refresh(), 'expired', 'metadata/timestamp.json');
    await expectRejected(client.download(PATH), 'expired');
  });

  it('U4 freeze: a fresh timestamp does not revive an expired snapshot', async () => {
    const { clock, repo, client } = await setup();
    await client.refresh();
    clock.advance(8 * DAY);
    repo.publish(); // only a new timestamp
    await expectRejected(client.refresh(), 'expired', 'metadata/snapshot.json');
    await expectRejected(client.download(PATH), 'expired');
  });

  it('U4 freeze: expired targets metadata is refused', async () => {
    const { clock, repo, client } = await setup();
    clock.advance(91 * DAY);
    repo.bump('snapshot');
    repo.publish();
    await expectRejected(client.download(PATH), 'expired', 'metadata/targets.json');
  });

  it('U4 freeze: an expired root is refused', async () => {
    const { clock, repo, client } = await setup();
    clock.advance(366 * DAY);
    repo.bump('targets');
    repo.publish();
    await expectRejected(client.download(PATH), 'expired', 'metadata/root.json');
  });

  it('U5 fast-forward attack recovery: after a fast-forwarded timestamp, rotating the timestamp key restores updates', async () => {
    const { repo, mirror, client } = await setup();
    await client.refresh();
    // the attacker holds the timestamp key and fast-forwards the version
    mirror.serve(
      'metadata/timestamp.json',
      resign(repo.get('metadata/timestamp.json') as Uint8Array, repo.keys('timestamp'), (s) => {
        s.version = 1_000_000;
      }),
    );
    expect((await client.refresh()).timestamp).toBe(1_000_000);
    mirror.reset();
    repo.addTarget('po-200/2.4.2.bin', image(2));
    repo.publish();
    await expectRejected(client.refresh(), 'rollback', 'metadata/timestamp.json');
    await expectRejected(client.download('po-200/2.4.2.bin'), 'rollback');
    // recovery: the repository rotates the timestamp key (root v2)
    repo.rotateRoleKeys('timestamp', [createTufKey()], 1);
    repo.publish();
    expect(await client.refresh()).toMatchObject({ root: 2, timestamp: repo.version('timestamp') });
    expect((await client.download('po-200/2.4.2.bin')).bytes).toEqual(image(2));
  });

  it('U5 fast-forward attack recovery: after a fast-forwarded snapshot, rotating the snapshot key restores updates (§5.3.11)', async () => {
    const { repo, mirror, client } = await setup();
    await client.refresh();
    // the attacker holds the snapshot key; the online timestamp service signs what is published
    const snapshot = resign(
      repo.get('metadata/2.snapshot.json') as Uint8Array,
      repo.keys('snapshot'),
      (s) => {
        s.version = 1_000_000;
      },
    );
    mirror.serve('metadata/1000000.snapshot.json', snapshot);
    mirror.serve(
      'metadata/timestamp.json',
      resign(repo.get('metadata/timestamp.json') as Uint8Array, repo.keys('timestamp'), (s) => {
        s.version += 1;
        s.meta = {
          'snapshot.json': { version: 1_000_000, length: snapshot.length, hashes: { sha256: hex(snapshot) } },
        };
      }),
    );
    expect((await client.refresh()).snapshot).toBe(1_000_000);
    mirror.reset();
    repo.addTarget('po-200/2.4.2.bin', image(2));
    repo.publish();
    repo.publish(); // the honest timestamp overtakes the attacker's
    await expectRejected(client.refresh(), 'rollback', 'metadata/timestamp.json');
    // recovery: rotate only the snapshot key; the client forgets its trusted timestamp and snapshot
    repo.rotateRoleKeys('snapshot', [createTufKey()], 1);
    repo.publish();
    expect(await client.refresh()).toMatchObject({ root: 2, snapshot: repo.version('snapshot') });
    expect((await client.download('po-200/2.4.2.bin')).bytes).toEqual(image(2));
  });

  it('U6 mix-and-match: targets metadata of another version served under the current name is refused', async () => {
    const { repo, mirror, client } = await setup();
    await client.refresh();
    repo.addTarget('po-200/2.4.2.bin', image(2));
    repo.publish(); // targets v3
    mirror.serve('metadata/3.targets.json', repo.get('metadata/2.targets.json') as Uint8Array);
    await expectRejected(client.refresh(), 'inconsistent', 'metadata/3.targets.json');
    await expectRejected(client.download('po-200/2.4.2.bin'), 'inconsistent');
  });

  it('U6 mix-and-match: without hashes in the snapshot, a targets version mismatch is still refused', async () => {
    const { repo, mirror, client } = await setup({ repo: { metaHashes: false } });
    await client.refresh();
    repo.addTarget('po-200/2.4.2.bin', image(2));
    repo.publish();
    mirror.serve('metadata/3.targets.json', repo.get('metadata/2.targets.json') as Uint8Array);
    const e = await expectRejected(client.refresh(), 'inconsistent', 'metadata/3.targets.json');
    expect(e.message).toMatch(/does not match snapshot version/);
    await expectRejected(client.download('po-200/2.4.2.bin'), 'inconsistent');
  });

  it('U6 mix-and-match: a snapshot other than the one the timestamp names is refused', async () => {
    for (const metaHashes of [true, false]) {
      const { repo, mirror, client } = await setup({ repo: { metaHashes } });
      await client.refresh();
      repo.addTarget('po-200/2.4.2.bin', image(2));
      repo.publish(); // snapshot v3
      mirror.serve('metadata/3.snapshot.json', repo.get('metadata/2.snapshot.json') as Uint8Array);
      await expectRejected(client.refresh(), 'inconsistent', 'metadata/3.snapshot.json');
      await expectRejected(client.download('po-200/2.4.2.bin'), 'inconsistent');
    }
  });

  it('U7 endless data: metadata longer than its cap is refused as too-large', async () => {
    const { mirror, client } = await setup();
    mirror.serve('metadata/timestamp.json', new Uint8Array(10 * 1024 * 1024).fill(0x20));
    await expectRejected(client.download(PATH), 'too-large', 'metadata/timestamp.json');
  });

  it('U7 endless data: a target longer than its signed length is refused as too-large', async () => {
    const { mirror, client } = await setup();
    const served = `targets/po-200/${hex(image(1))}.2.4.1.bin`;
    mirror.serve(served, new Uint8Array([...image(1), ...new Uint8Array(4096)]));
    await expectRejected(client.download(PATH), 'too-large', served);
  });

  it('U7 endless data: a target declared larger than maxFileBytes is refused before it is fetched', async () => {
    const { repo, mirror, client } = await setup({ client: { maxFileBytes: 32 * 1024 } });
    repo.addTarget('po-200/huge.bin', image(3, 100 * 1024));
    repo.publish();
    await expectRejected(client.download('po-200/huge.bin'), 'too-large', 'po-200/huge.bin');
    expect(mirror.requests.some((p) => p.startsWith('targets/'))).toBe(false);
  });

  it('U7 endless data: an endless stream read with readBounded stops at the cap', async () => {
    const { mirror, client } = await setup();
    async function* endless() {
      while (true) yield new Uint8Array(1024);
    }
    mirror.serve('metadata/timestamp.json', ({ maxLength, signal }) =>
      readBounded(endless(), { maxLength, signal, subject: 'metadata/timestamp.json' }),
    );
    await expectRejected(client.download(PATH), 'too-large', 'metadata/timestamp.json');
  });

  it('U7 slow retrieval: a fetch that never completes is aborted at the timeout', async () => {
    const { mirror, client } = await setup({ client: { timeoutMs: 50 } });
    let aborted = false;
    mirror.serve(
      'metadata/timestamp.json',
      ({ signal }) =>
        new Promise((_, reject) =>
          signal.addEventListener('abort', () => {
            aborted = true;
            reject(signal.reason);
          }),
        ),
    );
    await expectRejected(client.download(PATH), 'timeout', 'metadata/timestamp.json');
    expect(aborted).toBe(true);
  });

  it('U7 slow retrieval: a fetcher that ignores the abort signal still times out', async () => {
    const { mirror, client } = await setup({ client: { timeoutMs: 50 } });
    mirror.serve('metadata/timestamp.json', () => new Promise<Uint8Array>(() => undefined));
    await expectRejected(client.download(PATH), 'timeout', 'metadata/timestamp.json');
  });

  it('U7 slow retrieval: a drip-fed target times out', async () => {
    const { mirror, client } = await setup({ client: { timeoutMs: 100 } });
    async function* drip() {
      while (true) {
        await new Promise((r) => setTimeout(r, 20));
        yield new Uint8Array(1);
      }
    }
    const served = `targets/po-200/${hex(image(1))}.2.4.1.bin`;
    mirror.serve(served, ({ maxLength, signal }) =>
      readBounded(drip(), { maxLength, signal, subject: served }),
    );
    await expectRejected(client.download(PATH), 'timeout', served);
  });

  it('U9 root key rotation: the client follows a legitimate chain of rotations', async () => {
    const { repo, client } = await setup({ repo: { roles: { root: { threshold: 2 } } } });
    repo.rotateRootKeys([createTufKey(), createTufKey()], 2);
    repo.rotateRootKeys([createTufKey(), createTufKey(), createTufKey()], 2);
    repo.rotateRoleKeys('targets', [createTufKey()], 1);
    repo.publish();
    expect((await client.refresh()).root).toBe(4);
    expect((await client.download(PATH)).bytes).toEqual(image(1));
  });

  it('U9 root key rotation: a new root not signed by the previous root threshold is refused', async () => {
    const { repo, mirror, client } = await setup({ repo: { roles: { root: { threshold: 2 } } } });
    const attacker = [createTufKey(), createTufKey()];
    const [oldRootKey] = repo.keys('root');
    mirror.serve(
      'metadata/2.root.json',
      resign(repo.root(), oldRootKey ? [oldRootKey, ...attacker] : attacker, (signed) => {
        signed.version = 2;
        signed.keys = {
          ...(signed.keys as object),
          ...Object.fromEntries(attacker.map((k) => [k.keyId, k.json])),
        };
        (signed.roles as Record<string, unknown>).root = {
          keyids: attacker.map((k) => k.keyId),
          threshold: 2,
        };
      }),
    );
    const e = await expectRejected(client.refresh(), 'signature', 'metadata/2.root.json');
    expect(e.message).toMatch(/signed by 1\/2 keys/);
    await expectRejected(client.download(PATH), 'signature');
  });

  it('U9 root key rotation: a new root not signed by its own threshold is refused', async () => {
    const { repo, mirror, client } = await setup();
    const next = [createTufKey(), createTufKey()];
    mirror.serve(
      'metadata/2.root.json',
      resign(repo.root(), repo.keys('root'), (signed) => {
        signed.version = 2;
        signed.keys = {
          ...(signed.keys as object),
          ...Object.fromEntries(next.map((k) => [k.keyId, k.json])),
        };
        (signed.roles as Record<string, unknown>).root = { keyids: next.map((k) => k.keyId), threshold: 2 };
      }),
    );
    await expectRejected(client.refresh(), 'signature', 'metadata/2.root.json');
    await expectRejected(client.download(PATH), 'signature');
  });

  it('U10 delegation abuse: a delegated role cannot sign a path outside its delegation', async () => {
    const { repo, client } = await setup();
    repo.delegate({ name: 'vendor-a', paths: ['po-200/*'] });
    repo.addTarget('po-200/2.5.0.bin', image(5), { role: 'vendor-a' });
    repo.addTarget('infusion/evil.bin', image(66), { role: 'vendor-a', skipPathCheck: true });
    repo.publish();
    expect((await client.download('po-200/2.5.0.bin')).bytes).toEqual(image(5));
    expect(await client.targetInfo('infusion/evil.bin')).toBeUndefined();
    const e = await expectRejected(client.download('infusion/evil.bin'), 'delegation', 'infusion/evil.bin');
    expect(e.message).toMatch(/vendor-a .*delegated it only po-200\/\*/);
  });

  it('U10 delegation abuse: a terminating delegation ends the search', async () => {
    for (const terminating of [true, false]) {
      const { repo, client } = await setup();
      repo.delegate({ name: 'vendor-a', paths: ['po-200/*'], terminating });
      repo.delegate({ name: 'vendor-b', paths: ['po-200/*'] });
      repo.addTarget('po-200/9.9.9.bin', image(9), { role: 'vendor-b' });
      repo.publish();
      if (terminating) {
        const e = await expectRejected(client.download('po-200/9.9.9.bin'), 'delegation', 'po-200/9.9.9.bin');
        expect(e.message).toMatch(/terminating delegation to vendor-a/);
      } else {
        expect((await client.download('po-200/9.9.9.bin')).bytes).toEqual(image(9)); // the control
      }
    }
  });

  it('U10 delegation abuse: delegated metadata signed by a key its delegator did not list is refused', async () => {
    const { repo, mirror, client } = await setup({ repo: { metaHashes: false } });
    repo.delegate({ name: 'vendor-a', paths: ['po-200/*'] });
    repo.addTarget('po-200/2.5.0.bin', image(5), { role: 'vendor-a' });
    repo.publish();
    mirror.serve(
      'metadata/1.vendor-a.json',
      resign(repo.get('metadata/1.vendor-a.json') as Uint8Array, [createTufKey()]),
    );
    await expectRejected(client.download('po-200/2.5.0.bin'), 'signature', 'metadata/1.vendor-a.json');
  });
});
