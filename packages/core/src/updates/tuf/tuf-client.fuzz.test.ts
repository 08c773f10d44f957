/**
 * Fuzzing the TUF client against a hostile mirror: per input one file the client fetches (root
 * rotation, timestamp, snapshot, targets, or the target image) is replaced by mutated bytes — byte
 * edits, JSON edits of the metadata (members deleted, retyped, swapped, grown, versions and
 * expiries shifted, signatures changed), random bytes — and a fresh client refreshes and downloads
 * the image. Every input ends in the genuine image or an `UpdateRejectedError` /
 * `HealthItError`, in bounded time; the client never hands out other bytes.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { byteInputs, jsonBytes, jsonInputs } from '../../../../../test/fuzz/arbitraries.js';
import { fuzzAsync, fuzzRuns, fuzzTimeout } from '../../../../../test/fuzz/fuzz.js';
import { utf8Decode } from '../../encoding/bytes.js';
import { createFakeClock } from '../../time/fake-clock.js';
import { createMirror, type Mirror } from './test-fixtures/tuf-attacker.js';
import { TufClient } from './tuf-client.js';
import { TufRepository } from './tuf-repository.js';

const PATH = 'po-200/2.4.1.bin';
const IMAGE = Uint8Array.from({ length: 256 }, (_, i) => (i * 7 + 1) & 0xff);
const RUNS = fuzzRuns(300); // a client per input, on disk: the slowest target

describe('TUF client fuzzing (hostile mirror)', () => {
  let repo: TufRepository;
  let mirror: Mirror;
  let base: string;
  const clock = createFakeClock(Date.UTC(2026, 0, 1));
  /** The files a refresh and download fetch, with their genuine bytes (plus a root rotation). */
  let files: { path: string; bytes: Uint8Array }[] = [];

  beforeAll(async () => {
    repo = new TufRepository({ clock });
    repo.addTarget(PATH, IMAGE, { custom: { hardwareId: 'po-200.rev-a', version: '2.4.1' } });
    repo.publish();
    mirror = createMirror(repo);
    base = await mkdtemp(join(tmpdir(), 'healthit-tuf-fuzz-'));
    const client = await TufClient.create({
      metadataDir: join(base, 'probe'),
      trustedRoot: repo.root(),
      fetcher: mirror.fetcher,
      clock,
    });
    await client.refresh();
    await client.download(PATH);
    files = [...new Set(mirror.requests)]
      .map((path) => ({ path, bytes: repo.get(path) ?? repo.root() }))
      .filter(({ path }) => repo.get(path) !== undefined || /root\.json$/.test(path));
    expect(files.length).toBeGreaterThanOrEqual(4);
  });
  afterAll(async () => {
    await rm(base, { recursive: true, force: true });
  });

  it(
    'refresh + download: the genuine image or a typed rejection',
    async () => {
      const isJson = (b: Uint8Array) => b[0] === 0x7b;
      const inputs = fc.nat().chain((n) => {
        const file = files[n % files.length] as { path: string; bytes: Uint8Array };
        const bytes = isJson(file.bytes)
          ? fc.oneof(
              { arbitrary: jsonInputs([JSON.parse(utf8Decode(file.bytes))]).map(jsonBytes), weight: 3 },
              { arbitrary: byteInputs([file.bytes], 128), weight: 1 },
            )
          : byteInputs([file.bytes], 300);
        return bytes.map((b) => ({ path: file.path, bytes: b }));
      });
      let n = 0;
      const r = await fuzzAsync({
        name: 'TUF client refresh + download (mutated metadata/target from the mirror)',
        inputs,
        runs: RUNS,
        maxMsPerInput: 2_000,
        run: async ({ path, bytes }) => {
          const dir = join(base, `c${n++}`);
          mirror.reset();
          mirror.serve(path, bytes);
          try {
            const client = await TufClient.create({
              metadataDir: dir,
              trustedRoot: repo.root(),
              fetcher: mirror.fetcher,
              clock,
              timeoutMs: 1_000,
            });
            await client.refresh();
            const got = await client.download(PATH);
            if (got.bytes.length !== IMAGE.length || !got.bytes.every((x, i) => x === IMAGE[i]))
              throw new Error(`the client handed out other bytes for ${PATH}`);
            return 'genuine image';
          } finally {
            await rm(dir, { recursive: true, force: true });
          }
        },
      });
      expect(r.outcomes['genuine image']).toBeGreaterThan(0);
      expect(r.rejected).toBeGreaterThan(RUNS / 4);
    },
    fuzzTimeout(30_000, RUNS),
  );
});
