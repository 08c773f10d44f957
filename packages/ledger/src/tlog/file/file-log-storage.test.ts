import { type ChildProcess, spawn } from 'node:child_process';
import {
  copyFileSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { ORIGIN, signer, unsigned } from '../../../test/entries-fixtures.js';
import { type Entry, entryHash, signEntry } from '../../entries/index.js';
import { LedgerIntegrityError } from '../../errors.js';
import { toHex } from '../../hex.js';
import { verifyConsistency, verifyInclusion } from '../../merkle/index.js';
import { createEd25519NoteSigner, createEd25519NoteVerifier, verifyCheckpoint } from '../../note/index.js';
import { createTransparencyLog, type TransparencyLog } from '../log.js';
import { ENTRIES_MAGIC, LOG_FILES, openFileLogStorage, TREE_MAGIC } from './file-log-storage.js';

const ALICE = signer(1, 'acme-pharma.release');
const LOG_SIGNER = createEd25519NoteSigner({ name: ORIGIN, secretKey: new Uint8Array(32).fill(9) });
const LOG_VERIFIER = createEd25519NoteVerifier(LOG_SIGNER);
const FIXTURE = join(dirname(fileURLToPath(import.meta.url)), 'test-fixtures', 'append-forever.mjs');

const dirs: string[] = [];
const children: ChildProcess[] = [];
afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'tlog-'));
  dirs.push(d);
  return d;
}

function chain(n: number, from = 0, prev?: string): Entry[] {
  const out: Entry[] = [];
  let last = prev;
  for (let seq = from; seq < from + n; seq++) {
    const e = signEntry(
      unsigned('config.change', { seq, ...(last === undefined ? {} : { prev: last }) }),
      ALICE,
    );
    out.push(e);
    last = entryHash(e);
  }
  return out;
}

async function openLog(dir: string): Promise<{ log: TransparencyLog; close: () => Promise<void> }> {
  const storage = await openFileLogStorage({ dir });
  let log: TransparencyLog;
  try {
    log = createTransparencyLog({
      origin: ORIGIN,
      signer: LOG_SIGNER,
      keys: new Map([[ALICE.keyId, ALICE.publicKey]]),
      storage,
      batch: { maxEntries: 4, maxWaitMs: 1 },
      checkpointEveryMs: 5,
    });
  } catch (error) {
    await storage.close();
    throw error;
  }
  return {
    log,
    close: async () => {
      await log.close();
      await storage.close();
    },
  };
}

describe('openFileLogStorage', () => {
  it('persists entries, tree and checkpoint; a reopened log proves and continues', async () => {
    const dir = tempDir();
    const entries = chain(10);
    const a = await openLog(dir);
    await Promise.all(entries.slice(0, 6).map((e) => a.log.append(e)));
    const note = await a.log.publishCheckpoint();
    await a.close();
    expect(readFileSync(join(dir, LOG_FILES.checkpoint), 'utf8')).toBe(note);

    const b = await openLog(dir);
    expect(b.log.size).toBe(6);
    expect(b.log.checkpoint()).toBe(note);
    expect(b.log.audit()).toBe(6);
    const old = verifyCheckpoint(note, LOG_VERIFIER).checkpoint;
    expect(verifyInclusion(b.log.entry(5).leafHash, 5, 6, b.log.inclusionProof(5, 6), old.rootHash)).toBe(
      true,
    );
    const results = await Promise.all(entries.slice(6).map((e) => b.log.append(e)));
    expect(results.map((r) => r.index)).toEqual([6, 7, 8, 9]);
    const later = verifyCheckpoint(await b.log.publishCheckpoint(), LOG_VERIFIER).checkpoint;
    expect(verifyConsistency(6, 10, old.rootHash, later.rootHash, b.log.consistencyProof(6, 10))).toBe(true);
    await b.close();
  });

  it('detects a flipped byte in entries.bin, pointing at the entry', async () => {
    const dir = tempDir();
    const a = await openLog(dir);
    await Promise.all(chain(5).map((e) => a.log.append(e)));
    await a.close();
    const path = join(dir, LOG_FILES.entries);
    const bytes = readFileSync(path);
    const third = bytes.indexOf('"seq":3') + 2; // inside entry 3
    bytes[third] = (bytes[third] as number) ^ 0x20;
    writeFileSync(path, bytes);
    await expect(openLog(dir)).rejects.toSatisfy(
      (e: unknown) => e instanceof LedgerIntegrityError && e.index === 3 && e.reason === 'entry-hash',
    );
  });

  it('property: a crash at any byte of an append leaves a valid log that keeps every checkpointed entry', async () => {
    const dir = tempDir();
    const a = await openLog(dir);
    const entries = chain(12);
    await Promise.all(entries.slice(0, 5).map((e) => a.log.append(e)));
    const note = await a.log.publishCheckpoint();
    const atCheckpoint = {
      entries: statSync(join(dir, LOG_FILES.entries)).size,
      tree: statSync(join(dir, LOG_FILES.tree)).size,
    };
    await Promise.all(entries.slice(5).map((e) => a.log.append(e)));
    await a.close();
    // Byte offsets where each entry record / tree record ends: a crash leaves prefixes with the
    // tree never ahead of the entries (it is written only after its entries were fsynced).
    const entryBytes = readFileSync(join(dir, LOG_FILES.entries));
    const entryEnds: number[] = [];
    for (let at = ENTRIES_MAGIC.length; at < entryBytes.length; ) {
      at += 4 + entryBytes.readUInt32BE(at);
      entryEnds.push(at);
    }
    const treeEnds: number[] = [];
    for (let i = 0, at = TREE_MAGIC.length; i < 12; i++) {
      let k = 1;
      for (let j = i; j % 2 === 1; j = (j - 1) / 2) k++;
      at += 32 * k;
      treeEnds.push(at);
    }
    expect(entryEnds).toHaveLength(12);
    expect(statSync(join(dir, LOG_FILES.tree)).size).toBe(treeEnds[11]);
    expect(atCheckpoint).toEqual({ entries: entryEnds[4], tree: treeEnds[4] });
    const crashPoint = fc
      .integer({ min: 5, max: 12 })
      .chain((complete) =>
        fc.tuple(
          fc.constant(complete),
          fc.integer({
            min: 0,
            max:
              complete === 12 ? 0 : (entryEnds[complete] as number) - (entryEnds[complete - 1] as number) - 1,
          }),
          fc.integer({ min: treeEnds[4] as number, max: treeEnds[complete - 1] as number }),
        ),
      )
      .map(
        ([complete, partial, treeLength]) =>
          [(entryEnds[complete - 1] as number) + partial, treeLength] as const,
      );
    await fc.assert(
      fc.asyncProperty(crashPoint, async ([entriesLength, treeLength]) => {
        const crashed = tempDir();
        for (const f of [LOG_FILES.entries, LOG_FILES.tree]) copyFileSync(join(dir, f), join(crashed, f));
        writeFileSync(join(crashed, LOG_FILES.checkpoint), note); // the last checkpoint before the crash
        truncateSync(join(crashed, LOG_FILES.entries), entriesLength);
        truncateSync(join(crashed, LOG_FILES.tree), treeLength);
        const b = await openLog(crashed);
        expect(b.log.size).toBeGreaterThanOrEqual(5);
        expect(b.log.audit()).toBe(b.log.size);
        const next = chain(1, b.log.size, entryHash(b.log.entry(b.log.size - 1).entry))[0] as Entry;
        expect((await b.log.append(next)).index).toBe(b.log.size - 1);
        await b.close();
      }),
      { numRuns: 20 },
    );
  });

  it('SIGKILL during batches: every acknowledged entry survives, no index is reused', async () => {
    const dir = tempDir();
    for (let round = 0; round < 2; round++) {
      const child = spawn(
        process.execPath,
        ['--conditions=@healthit/source', '--import', 'tsx', FIXTURE, dir],
        {
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      children.push(child);
      const acked = new Map<number, string>();
      let stderr = '';
      child.stderr?.on('data', (d: Buffer) => {
        stderr += d.toString();
      });
      await new Promise<void>((resolve, reject) => {
        let rest = '';
        let checkpoints = 0;
        child.stdout?.on('data', (d: Buffer) => {
          const parts = (rest + d.toString()).split('\n');
          rest = parts.pop() ?? '';
          for (const line of parts) {
            const [what, a, b] = line.split(' ');
            if (what === 'acked') acked.set(Number(a), b as string);
            if (what === 'checkpoint') checkpoints++;
          }
          if (checkpoints >= 2 && acked.size >= 100) {
            child.kill('SIGKILL');
            resolve();
          }
        });
        child.on('exit', (code) => {
          reject(new Error(`child exited (${code}) early: ${stderr}`));
        });
      });
      await new Promise((r) => child.once('exit', r));
      const b = await openLog(dir);
      for (const [index, hash] of acked) expect(toHex(b.log.entry(index).leafHash)).toBe(hash);
      expect(b.log.audit()).toBe(b.log.size);
      const size = b.log.size;
      const next = chain(1, size, entryHash(b.log.entry(size - 1).entry))[0] as Entry;
      expect((await b.log.append(next)).index).toBe(size);
      await b.close();
    }
  }, 20_000);
});
