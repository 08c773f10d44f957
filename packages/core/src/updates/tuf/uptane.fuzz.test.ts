/**
 * Fuzzing the device's Uptane update path, `verifyingUpdateSource` (director + image repository,
 * SUIT, the ledger's authorisation), through in-memory fetchers, one fresh director client per
 * input (the image repository's client is shared: its files are never changed). Each input is one
 * of:
 *
 * - a hostile mirror of the director: one file the director client fetches (root, timestamp,
 *   snapshot, targets) replaced by mutated bytes — byte edits, JSON edits of the metadata (members
 *   deleted, retyped, swapped, grown, versions and expiries shifted, signatures changed; a member
 *   nested up to 50 000 levels deep), random bytes;
 * - a compromised director key: the director's targets metadata mutated as JSON (the assignment's
 *   path, length, hashes, `custom` device id, hardware id and version ...) and re-signed with the
 *   director's targets key, with snapshot and timestamp re-signed to match, so that the Uptane
 *   checks behind the signatures are reached (U8 hardware, U11 director/image agreement, rollback,
 *   the commanded target and version).
 *
 * Every input ends in the genuine update or a refusal: an `UpdateRejectedError`, or a
 * `HealthItError` (`update/unavailable` when nothing is assigned), in bounded time. The source never
 * hands out other bytes, another version, or an update the image repository and the ledger did not
 * release.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ed25519 } from '@noble/curves/ed25519.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  byteInputs,
  deepJsonTextInside,
  jsonBytes,
  jsonInputs,
  mutatedJson,
} from '../../../../../test/fuzz/arbitraries.js';
import { fuzzAsync, fuzzRuns, fuzzTimeout } from '../../../../../test/fuzz/fuzz.js';
import { utf8Decode, utf8Encode } from '../../encoding/bytes.js';
import { canonicalJson } from '../../encoding/canonical-json.js';
import { createFakeClock } from '../../time/fake-clock.js';
import type { FirmwareAuthorisationVerifier } from '../authorisation/firmware-authorisation.js';
import { encodeSuitEnvelope } from '../suit/encode-envelope.js';
import { suitClassId, suitVendorId } from '../suit/uuid.js';
import { UpdateRejectedError } from '../update-rejected-error.js';
import { DirectorRepository, directorImage } from './director-repository.js';
import { repositoryFetcher } from './repository-fetcher.js';
import {
  createMirror,
  type MetadataJson,
  type Mirror,
  readMetadata,
  resign,
} from './test-fixtures/tuf-attacker.js';
import { TufClient } from './tuf-client.js';
import { createTufKey } from './tuf-key.js';
import { TufRepository } from './tuf-repository.js';
import {
  releaseTargetPaths,
  type VerifyingUpdateRequest,
  verifyingUpdateSource,
} from './verifying-update-source.js';

const RUNS = fuzzRuns(60); // a director client on disk per input, and three downloads: the slowest target
const HW = 'po-200.rev-a';
const PATH = 'po-200/rev-a/2.5.0.bin';
const IMAGE = Uint8Array.from({ length: 3000 }, (_, i) => (i * 7 + 3) & 0xff);
const DIGEST = bytesToHex(sha256(IMAGE));
const vendorId = suitVendorId('healthit.example');
const classId = suitClassId(vendorId, HW);
const vendorSeed = new Uint8Array(32).fill(7);
const vendorKey = {
  algorithm: 'EdDSA' as const,
  publicKey: ed25519.getPublicKey(vendorSeed),
  name: 'vendor',
};
const encoder = new TextEncoder();
/** The director's role keys: the test holds them, as an attacker who compromised the director would. */
const KEYS = {
  root: createTufKey(new Uint8Array(32).fill(11)),
  targets: createTufKey(new Uint8Array(32).fill(12)),
  snapshot: createTufKey(new Uint8Array(32).fill(13)),
  timestamp: createTufKey(new Uint8Array(32).fill(14)),
};

/**
 * The ledger port: it trusts the released image's digest (as the real verifier trusts a log and a
 * policy) and the proof must name it. Like the real one it never throws, whatever the proof holds.
 */
const authoriser: FirmwareAuthorisationVerifier = {
  verify(proof, identity) {
    let named: unknown;
    try {
      named = typeof proof === 'string' ? (JSON.parse(proof) as { sha256?: unknown }).sha256 : undefined;
    } catch {
      named = undefined;
    }
    if (
      named === identity.sha256 &&
      named === DIGEST &&
      identity.version === '2.5.0' &&
      identity.hardwareId === HW
    )
      return {
        ok: true,
        authorisation: {
          ...identity,
          hardwareIds: [HW],
          endorsers: [],
          receipt: { logId: '0'.repeat(64), index: 0, entryHash: '1'.repeat(64) },
          checkpoint: { origin: 'log.example', size: 1, rootHash: '2'.repeat(64) },
          witnesses: ['w1'],
        },
      };
    const error = new UpdateRejectedError('not-authorised', 'no authorisation for these bytes', {
      detail: { step: 'bundle' },
    });
    return { ok: false, step: 'bundle', reason: 'no authorisation', error };
  },
};

const REQUEST: VerifyingUpdateRequest = {
  hardwareId: HW,
  targetPath: PATH,
  version: '2.5.0',
  installed: { version: '2.4.0', sequence: 240 },
  antiRollbackCounter: 240,
};
/** What the platform's command may name: the genuine request, or less of it, or an already newer device. */
const REQUESTS: readonly VerifyingUpdateRequest[] = [
  REQUEST,
  REQUEST,
  REQUEST,
  { hardwareId: HW, installed: REQUEST.installed, antiRollbackCounter: 240 },
  { ...REQUEST, installed: { version: '2.5.0', sequence: 250 } },
  { ...REQUEST, antiRollbackCounter: 250 },
];

type Input =
  | { readonly kind: 'mirror'; readonly path: string; readonly bytes: Uint8Array; readonly request: number }
  | { readonly kind: 'director-key'; readonly signed: unknown; readonly request: number };

describe('Uptane verifyingUpdateSource fuzzing (hostile director mirror, compromised director key)', () => {
  const clock = createFakeClock(Date.UTC(2026, 0, 1));
  let base: string;
  let director: DirectorRepository;
  let mirror: Mirror;
  let images: TufClient;
  /** The director files a refresh fetches, with their genuine bytes. */
  let files: { path: string; bytes: Uint8Array }[] = [];
  let targetsPath: string;
  let targetsSigned: MetadataJson['signed'];

  beforeAll(async () => {
    base = await mkdtemp(join(tmpdir(), 'healthit-uptane-fuzz-'));
    const imageRepo = new TufRepository({ clock });
    const paths = releaseTargetPaths(PATH);
    imageRepo.addTarget(paths.image, IMAGE, { custom: { hardwareId: HW, version: '2.5.0' } });
    imageRepo.addTarget(
      paths.suit,
      encodeSuitEnvelope(
        {
          sequenceNumber: 250,
          components: [
            {
              id: [encoder.encode('firmware')],
              vendorId,
              classId,
              imageDigest: { algorithm: -16, bytes: sha256(IMAGE) },
              imageSize: IMAGE.length,
            },
          ],
        },
        [{ algorithm: 'EdDSA', secretKey: vendorSeed }],
      ),
    );
    imageRepo.addTarget(paths.authorisation, encoder.encode(JSON.stringify({ sha256: DIGEST })));
    imageRepo.publish();
    images = await TufClient.create({
      metadataDir: join(base, 'images'),
      trustedRoot: imageRepo.root(),
      fetcher: repositoryFetcher(imageRepo),
      clock,
    });
    director = new DirectorRepository({
      clock,
      roles: {
        root: { keys: [KEYS.root], threshold: 1 },
        targets: { keys: [KEYS.targets], threshold: 1 },
        snapshot: { keys: [KEYS.snapshot], threshold: 1 },
        timestamp: { keys: [KEYS.timestamp], threshold: 1 },
      },
    });
    director.registerDevice({ deviceId: 'po-1', hardwareId: HW, installedVersion: '2.4.0' });
    director.assign('po-1', directorImage(imageRepo.targetInfo(PATH) as never));
    const repo = director.repository('po-1');
    mirror = createMirror(repo);
    // a probe: the genuine update goes through, and shows which director files a refresh fetches
    const update = await source(join(base, 'probe')).fetch(REQUEST);
    expect(update.image).toEqual(IMAGE);
    files = [...new Set(mirror.requests)].map((path) => ({ path, bytes: repo.get(path) ?? repo.root() }));
    targetsPath = files.find((f) => /\.targets\.json$/.test(f.path))?.path as string;
    expect(targetsPath).toBeDefined();
    targetsSigned = readMetadata(repo.get(targetsPath) as Uint8Array).signed;
    expect(files.length).toBeGreaterThanOrEqual(4);
  }, 60_000);
  afterAll(async () => {
    await rm(base, { recursive: true, force: true });
  });

  /** A verifying source over a fresh director client in `dir` and the shared image client. */
  function source(dir: string) {
    return {
      async fetch(request: VerifyingUpdateRequest) {
        const directorClient = await TufClient.create({
          metadataDir: dir,
          trustedRoot: director.trustedRoot('po-1'),
          fetcher: mirror.fetcher,
          clock,
          timeoutMs: 1_000,
        });
        return verifyingUpdateSource({
          deviceId: 'po-1',
          hardwareId: HW,
          director: directorClient,
          images,
          suit: { trustedKeys: [vendorKey], vendorId, classId },
          authoriser,
        }).fetch(request);
      },
    };
  }

  /** Serves `signed` as the director's targets metadata, signed by its targets key, snapshot and timestamp to match. */
  function serveSignedTargets(signed: unknown): void {
    let sig: string;
    try {
      sig = bytesToHex(KEYS.targets.sign(utf8Encode(canonicalJson(signed as never))));
    } catch {
      sig = '00'.repeat(64); // not JSON that canonicalises (a lone surrogate): unsigned
    }
    const targets = jsonBytes({ signed, signatures: [{ keyid: KEYS.targets.keyId, sig }] });
    const version = (signed as { version?: unknown } | null)?.version;
    const v = Number.isSafeInteger(version) && (version as number) > 0 ? (version as number) : 1;
    const snapshotFile = files.find((f) => /\.snapshot\.json$/.test(f.path)) as {
      path: string;
      bytes: Uint8Array;
    };
    const snapshot = resign(snapshotFile.bytes, [KEYS.snapshot], (s) => {
      (s.meta as Record<string, unknown>)['targets.json'] = {
        version: v,
        length: targets.length,
        hashes: { sha256: bytesToHex(sha256(targets)) },
      };
    });
    const timestampFile = files.find((f) => /timestamp\.json$/.test(f.path)) as {
      path: string;
      bytes: Uint8Array;
    };
    const timestamp = resign(timestampFile.bytes, [KEYS.timestamp], (s) => {
      const meta = (s.meta as Record<string, { version: number }>)['snapshot.json'] as { version: number };
      (s.meta as Record<string, unknown>)['snapshot.json'] = {
        version: meta.version,
        length: snapshot.length,
        hashes: { sha256: bytesToHex(sha256(snapshot)) },
      };
    });
    mirror.serve(snapshotFile.path, snapshot);
    mirror.serve(timestampFile.path, timestamp);
    mirror.serve(targetsPath.replace(/^(.*\/)?\d+\.targets\.json$/, `$1${v}.targets.json`), targets);
  }

  it(
    'fetch: the genuine update or a typed refusal; never other bytes, another version or an unreleased image',
    async () => {
      const isJson = (b: Uint8Array) => b[0] === 0x7b;
      const request = fc.nat({ max: REQUESTS.length - 1 });
      const mirrored: fc.Arbitrary<Input> = fc.nat().chain((n) => {
        const file = files[n % files.length] as { path: string; bytes: Uint8Array };
        const bytes = isJson(file.bytes)
          ? fc.oneof(
              { arbitrary: jsonInputs([JSON.parse(utf8Decode(file.bytes))]).map(jsonBytes), weight: 6 },
              { arbitrary: byteInputs([file.bytes], 128), weight: 2 },
              { arbitrary: deepJsonTextInside([JSON.parse(utf8Decode(file.bytes))]), weight: 1 },
            )
          : byteInputs([file.bytes], 300);
        return fc.record({ bytes, request }).map((r) => ({ kind: 'mirror' as const, path: file.path, ...r }));
      });
      const compromised: fc.Arbitrary<Input> = fc
        .record({
          signed: fc.oneof(
            // mostly the assignment itself (path, length, hashes, custom), else anything signed
            {
              arbitrary: mutatedJson([targetsSigned.targets]).map((targets) => ({
                ...targetsSigned,
                targets,
              })),
              weight: 5,
            },
            { arbitrary: mutatedJson([targetsSigned]), weight: 3 },
            { arbitrary: fc.constant(targetsSigned), weight: 1 },
          ),
          request,
        })
        .map((r) => ({ kind: 'director-key' as const, ...r }));
      let n = 0;
      const r = await fuzzAsync<Input>({
        name: 'Uptane verifyingUpdateSource (hostile director mirror / director-key-signed mutated targets)',
        inputs: fc.oneof(mirrored, compromised),
        runs: RUNS,
        maxMsPerInput: 3_000,
        kindOf: (input) => input.kind,
        run: async (input) => {
          const dir = join(base, `c${n++}`);
          mirror.reset();
          if (input.kind === 'mirror') mirror.serve(input.path, input.bytes);
          else serveSignedTargets(input.signed);
          const request = REQUESTS[input.request] as VerifyingUpdateRequest;
          try {
            const update = await source(dir).fetch(request);
            const fail = (why: string) => {
              throw new Error(`${input.kind}: the source handed out ${why}`);
            };
            if (update.image.length !== IMAGE.length || !update.image.every((x, i) => x === IMAGE[i]))
              fail('other bytes');
            if (update.sha256 !== DIGEST || update.length !== IMAGE.length)
              fail(`a wrong digest ${update.sha256}`);
            if (update.targetPath !== PATH || update.version !== '2.5.0' || update.hardwareId !== HW)
              fail(`${update.targetPath} ${update.version} for ${update.hardwareId}`);
            if (update.sequence !== 250 || update.sequence <= request.antiRollbackCounter)
              fail(`sequence ${update.sequence}`);
            if (request.installed.version !== '2.4.0') fail(`an update over ${request.installed.version}`);
            return `${input.kind}: genuine update`;
          } finally {
            await rm(dir, { recursive: true, force: true });
          }
        },
      });
      expect(r.outcomes['mirror: genuine update']).toBeGreaterThan(0);
      expect(r.outcomes['director-key: genuine update']).toBeGreaterThan(0);
      expect(r.rejected).toBeGreaterThan(RUNS / 4);
    },
    fuzzTimeout(60_000, RUNS),
  );
});
