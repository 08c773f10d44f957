import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { Metadata, MetadataKind } from '@tufjs/models';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createFakeClock } from '../../time/fake-clock.js';
import { readMetadata } from './test-fixtures/tuf-attacker.js';
import { createTufKey } from './tuf-key.js';
import { TufRepository } from './tuf-repository.js';

const T0 = Date.UTC(2026, 0, 1);
const parse = (bytes: Uint8Array | undefined) => JSON.parse(new TextDecoder().decode(bytes));

describe('TufRepository', () => {
  it('publishes version 1 of every role as consistent-snapshot files', () => {
    const repo = new TufRepository({ clock: createFakeClock(T0) });
    expect([...repo.files().keys()].sort()).toEqual([
      'metadata/1.root.json',
      'metadata/1.snapshot.json',
      'metadata/1.targets.json',
      'metadata/timestamp.json',
    ]);
    const root = readMetadata(repo.root());
    expect(root.signed).toMatchObject({
      _type: 'root',
      version: 1,
      consistent_snapshot: true,
      expires: '2027-01-01T00:00:00Z',
    });
    expect(readMetadata(repo.get('metadata/timestamp.json') as Uint8Array).signed.expires).toBe(
      '2026-01-02T00:00:00Z',
    );
  });

  it('signs with @tufjs/models-verifiable signatures meeting each threshold', () => {
    const repo = new TufRepository({ roles: { root: { threshold: 2 }, timestamp: { threshold: 3 } } });
    const root = Metadata.fromJSON(MetadataKind.Root, parse(repo.root()));
    root.verifyDelegate('root', root);
    root.verifyDelegate(
      'timestamp',
      Metadata.fromJSON(MetadataKind.Timestamp, parse(repo.get('metadata/timestamp.json'))),
    );
    root.verifyDelegate(
      'snapshot',
      Metadata.fromJSON(MetadataKind.Snapshot, parse(repo.get('metadata/1.snapshot.json'))),
    );
    expect(root.signed.roles.timestamp?.threshold).toBe(3);
    expect(Object.keys(parse(repo.get('metadata/timestamp.json')).signatures)).toHaveLength(3);
  });

  it('adds targets with custom fields at hash-prefixed paths and bumps versions on publish', () => {
    const repo = new TufRepository();
    const bytes = new Uint8Array([1, 2, 3]);
    const digest = bytesToHex(sha256(bytes));
    const info = repo.addTarget('po-200/2.4.1.bin', bytes, {
      custom: { hardwareId: 'po-200.rev-a', version: '2.4.1' },
    });
    expect(info).toEqual({
      path: 'po-200/2.4.1.bin',
      length: 3,
      hashes: { sha256: digest },
      sha256: digest,
      custom: { hardwareId: 'po-200.rev-a', version: '2.4.1' },
    });
    expect(repo.get(`targets/po-200/${digest}.2.4.1.bin`)).toEqual(bytes);
    expect(repo.publish()).toEqual({ root: 1, timestamp: 2, snapshot: 2, targets: { targets: 2 } });
    const targets = parse(repo.get('metadata/2.targets.json'));
    expect(targets.signed.targets['po-200/2.4.1.bin']).toEqual({
      length: 3,
      hashes: { sha256: digest },
      custom: info.custom,
    });
    const snapshot = parse(repo.get('metadata/2.snapshot.json'));
    expect(snapshot.signed.meta['targets.json']).toMatchObject({
      version: 2,
      length: repo.get('metadata/2.targets.json')?.length,
    });
    expect(repo.publish()).toEqual({ root: 1, timestamp: 3, snapshot: 2, targets: {} }); // only a new timestamp
    expect(repo.removeTarget('po-200/2.4.1.bin')).toBe(true);
    expect(repo.publish().targets).toEqual({ targets: 3 });
  });

  it('delegates paths to roles with their own keys, threshold and terminating flag', () => {
    const repo = new TufRepository();
    const keys = repo.delegate({ name: 'vendor-a', paths: ['po-200/*'], threshold: 2, terminating: true });
    expect(keys).toHaveLength(2);
    repo.addTarget('po-200/a.bin', new Uint8Array(1), { role: 'vendor-a' });
    expect(() => repo.addTarget('infusion/a.bin', new Uint8Array(1), { role: 'vendor-a' })).toThrow(
      /not delegated/,
    );
    expect(repo.publish().targets).toEqual({ targets: 2, 'vendor-a': 1 });
    const targets = parse(repo.get('metadata/2.targets.json'));
    expect(targets.signed.delegations.roles).toEqual([
      {
        name: 'vendor-a',
        keyids: keys.map((k) => k.keyId),
        threshold: 2,
        terminating: true,
        paths: ['po-200/*'],
      },
    ]);
    const parent = Metadata.fromJSON(MetadataKind.Targets, targets);
    parent.verifyDelegate(
      'vendor-a',
      Metadata.fromJSON(MetadataKind.Targets, parse(repo.get('metadata/1.vendor-a.json'))),
    );
    expect(parse(repo.get('metadata/2.snapshot.json')).signed.meta).toHaveProperty('vendor-a.json');
  });

  it('rotates root keys with a root signed by the old and the new threshold', () => {
    const repo = new TufRepository({ roles: { root: { threshold: 2 } } });
    const old = Metadata.fromJSON(MetadataKind.Root, parse(repo.root()));
    const next = [createTufKey(), createTufKey(), createTufKey()];
    expect(repo.rotateRootKeys(next, 2)).toBe(2);
    const rotated = Metadata.fromJSON(MetadataKind.Root, parse(repo.root(2)));
    old.verifyDelegate('root', rotated);
    rotated.verifyDelegate('root', rotated);
    expect(rotated.signed.roles.root?.keyIDs).toEqual(next.map((k) => k.keyId));
    expect(Object.keys(parse(repo.root(2)).signatures)).toHaveLength(5);
  });

  it('rotates an online role key through a new root and re-signs the role', () => {
    const repo = new TufRepository();
    const key = createTufKey();
    expect(repo.rotateRoleKeys('timestamp', [key], 1)).toBe(2);
    repo.publish();
    expect(
      parse(repo.get('metadata/timestamp.json')).signatures.map((s: { keyid: string }) => s.keyid),
    ).toEqual([key.keyId]);
  });

  it('refuses invalid input with RangeError', () => {
    expect(() => new TufRepository({ roles: { root: { threshold: 0 } } })).toThrow(RangeError);
    expect(() => new TufRepository({ roles: { root: { keys: [createTufKey()], threshold: 2 } } })).toThrow(
      RangeError,
    );
    const key = createTufKey();
    expect(() => new TufRepository({ roles: { root: { keys: [key, key], threshold: 2 } } })).toThrow(/twice/);
    const repo = new TufRepository();
    for (const path of ['', '/abs', 'a/../b', 'a//b', '.hidden', 'a b'])
      expect(() => repo.addTarget(path, new Uint8Array(1))).toThrow(RangeError);
    expect(() => repo.delegate({ name: 'snapshot', paths: ['*'] })).toThrow(RangeError);
    expect(() => repo.delegate({ name: 'x', paths: [] })).toThrow(RangeError);
    expect(() => repo.addTarget('a', new Uint8Array(1), { role: 'nobody' })).toThrow(RangeError);
    expect(() => repo.root(9)).toThrow(RangeError);
  });

  it('property: every published target file is where its listing says, with the listed digest', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(
          fc.tuple(fc.stringMatching(/^[a-z0-9][a-z0-9._-]{0,8}$/), fc.uint8Array({ maxLength: 64 })),
          {
            selector: ([p]) => p,
            maxLength: 6,
          },
        ),
        (entries) => {
          const repo = new TufRepository({ clock: createFakeClock(T0) });
          for (const [p, bytes] of entries) repo.addTarget(`dir/${p}`, bytes);
          repo.publish();
          const listed = parse(repo.get(`metadata/${repo.version('targets')}.targets.json`)).signed.targets;
          for (const [p, bytes] of entries) {
            const digest = bytesToHex(sha256(bytes));
            expect(listed[`dir/${p}`]).toEqual({ length: bytes.length, hashes: { sha256: digest } });
            expect(repo.get(`targets/dir/${digest}.${p}`)).toEqual(bytes);
          }
        },
      ),
      { numRuns: 25 },
    );
  });
});
