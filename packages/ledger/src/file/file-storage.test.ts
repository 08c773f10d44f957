import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createFakeClock } from '@healthit/core/testing';
import * as fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ATTACKER, rechain, WRITER } from '../../test/fixtures.js';
import type { LedgerEntry } from '../entry.js';
import { LedgerIntegrityError } from '../errors.js';
import { toHex } from '../hex.js';
import { createHashChainLedger } from '../ledger.js';
import { verifyChain } from '../verify.js';
import { openFileLedgerStorage } from './file-storage.js';
import { encodeLine } from './format.js';

let dir: string;
let counter = 0;
const fresh = (): string => join(dir, `ledger-${counter++}`, 'log.jsonl');

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'healthit-ledger-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Writes `n` records through a ledger over a new file, closes it, returns the path and entries. */
async function fileWith(n: number): Promise<{ path: string; entries: LedgerEntry[] }> {
  const path = fresh();
  const storage = await openFileLedgerStorage({ path, publicKey: WRITER.publicKey });
  const clock = createFakeClock(Date.UTC(2025, 0, 1));
  const ledger = createHashChainLedger({ key: WRITER, storage, clock });
  for (let i = 0; i < n; i++) {
    await ledger.append([{ type: 'custody-event', body: { step: i, note: `ünïcødé ${i} 😀` } }]);
    clock.advance(1000);
  }
  const entries = await ledger.entries();
  await ledger.close();
  await storage.close();
  return { path, entries };
}

async function openError(
  path: string,
  publicKey: Uint8Array = WRITER.publicKey,
): Promise<LedgerIntegrityError> {
  const error = await openFileLedgerStorage({ path, publicKey }).then(
    async (s) => {
      await s.close();
      return undefined;
    },
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(LedgerIntegrityError);
  return error as LedgerIntegrityError;
}

const attackerHeader = {
  format: 'healthit-ledger-jsonl',
  v: 1,
  logId: ATTACKER.logId,
  publicKey: toHex(ATTACKER.publicKey),
} as const;

async function lines(path: string): Promise<string[]> {
  return (await readFile(path, 'utf8')).split('\n');
}

describe('openFileLedgerStorage: format', () => {
  it('writes a header line and one canonical JSON entry per line, each ending in a line feed', async () => {
    const { path, entries } = await fileWith(3);
    const text = await readFile(path, 'utf8');
    expect(text.endsWith('\n')).toBe(true);
    const [header, ...rest] = text.slice(0, -1).split('\n');
    expect(JSON.parse(header as string)).toEqual({
      format: 'healthit-ledger-jsonl',
      v: 1,
      logId: WRITER.logId,
      publicKey: toHex(WRITER.publicKey),
    });
    expect(rest).toEqual(entries.map((e) => encodeLine(e).slice(0, -1)));
    // A third party verifies the file with JSON.parse and the public key alone.
    expect(
      verifyChain(
        rest.map((l) => JSON.parse(l)),
        toHex(WRITER.publicKey),
      ).length,
    ).toBe(3);
  });
});

describe('openFileLedgerStorage: survives reopen', () => {
  it('reopens, verifies, and the ledger continues the chain', async () => {
    const { path, entries } = await fileWith(4);
    const storage = await openFileLedgerStorage({ path, publicKey: WRITER.publicKey });
    expect(storage.verifiedAtOpen).toEqual({ ok: true, length: 4, head: entries[3]?.entryHash });
    expect(storage.logId).toBe(WRITER.logId);
    expect(await storage.read(0, 10)).toEqual(entries);
    expect(await storage.read(1, 3)).toEqual(entries.slice(1, 3));
    const ledger = createHashChainLedger({ key: WRITER, storage, verifyOnOpen: 'head' });
    const [receipt] = await ledger.append([{ type: 'after-reopen', body: true }]);
    expect(receipt?.index).toBe(4);
    await storage.close();

    const again = await openFileLedgerStorage({ path, publicKey: toHex(WRITER.publicKey) });
    expect(again.verifiedAtOpen.length).toBe(5);
    expect((await again.read(4, 5))[0]?.entryHash).toBe(receipt?.entryHash);
    await again.close();
  });

  it('creates missing directories and an empty log', async () => {
    const path = fresh();
    const storage = await openFileLedgerStorage({ path, publicKey: WRITER.publicKey });
    expect(await storage.length()).toBe(0);
    expect(storage.verifiedAtOpen).toEqual({ ok: true, length: 0, head: '0'.repeat(64) });
    await storage.close();
    expect((await lines(path)).length).toBe(2);
  });

  it('concurrent appends through a ledger keep order and chain on disk', async () => {
    const path = fresh();
    const storage = await openFileLedgerStorage({ path, publicKey: WRITER.publicKey });
    const ledger = createHashChainLedger({ key: WRITER, storage });
    await Promise.all(
      Array.from({ length: 10 }, (_, call) =>
        ledger.append([
          { type: 'c', body: { call, k: 0 } },
          { type: 'c', body: { call, k: 1 } },
        ]),
      ),
    );
    await storage.close();
    const reopened = await openFileLedgerStorage({ path, publicKey: WRITER.publicKey });
    const entries = await reopened.read(0, 100);
    expect(entries.map((e) => e.body)).toEqual(
      Array.from({ length: 10 }, (_, call) => [
        { call, k: 0 },
        { call, k: 1 },
      ]).flat(),
    );
    await reopened.close();
  });

  it('refuses appends that do not continue the log, and use after close', async () => {
    const { path, entries } = await fileWith(2);
    const storage = await openFileLedgerStorage({ path, publicKey: WRITER.publicKey });
    await expect(storage.append(entries.slice(1))).rejects.toMatchObject({ code: 'state/invalid' });
    await storage.close();
    await storage.close();
    await expect(storage.length()).rejects.toMatchObject({ code: 'store/closed' });
  });
});

describe('openFileLedgerStorage: detects tampering on reopen', () => {
  it('tampered line (body edited, line kept canonical): entry-hash mismatch at that entry', async () => {
    const { path, entries } = await fileWith(4);
    const all = await lines(path);
    all[3] = encodeLine({ ...(entries[2] as LedgerEntry), body: { step: 2, note: 'edited' } }).slice(0, -1);
    await writeFile(path, all.join('\n'));
    const error = await openError(path);
    expect({ code: error.code, reason: error.reason, index: error.index }).toEqual({
      code: 'ledger/integrity',
      reason: 'entry-hash',
      index: 2,
    });
    expect(error.message).toContain('line 4');
  });

  it('tampered line (edited by hand, not canonical): refused as malformed', async () => {
    const { path } = await fileWith(3);
    const all = await lines(path);
    all[2] = JSON.stringify(JSON.parse(all[2] as string), null, 1).replaceAll('\n', '');
    await writeFile(path, all.join('\n'));
    const error = await openError(path);
    expect({ reason: error.reason, index: error.index }).toEqual({ reason: 'malformed', index: 1 });
  });

  it('deleted line in the middle, and swapped lines: detected', async () => {
    const { path } = await fileWith(4);
    const all = await lines(path);
    await writeFile(path, all.filter((_, i) => i !== 2).join('\n'));
    expect((await openError(path)).reason).toBe('index');
    const swapped = [all[0], all[1], all[3], all[2], all[4], ''];
    await writeFile(path, swapped.join('\n'));
    expect((await openError(path)).reason).toBe('index');
  });

  it('replaced public key in storage: header swapped and every entry re-signed by another key', async () => {
    const { path, entries } = await fileWith(3);
    const forged = rechain(entries, ATTACKER);
    await writeFile(
      path,
      [encodeLine(attackerHeader).slice(0, -1), ...forged.map((e) => encodeLine(e).slice(0, -1)), ''].join(
        '\n',
      ),
    );
    // The forgery is consistent in itself ...
    const forgedOpen = await openFileLedgerStorage({ path, publicKey: ATTACKER.publicKey });
    expect(forgedOpen.verifiedAtOpen.length).toBe(3);
    await forgedOpen.close();
    // ... but not under the trusted key, which comes from elsewhere, never from the file.
    const error = await openError(path);
    expect({ code: error.code, reason: error.reason, index: error.index }).toEqual({
      code: 'ledger/signature',
      reason: 'log-id',
      index: -1,
    });
    const stored = (await lines(path)).slice(1, -1).map((l) => JSON.parse(l));
    expect(() => verifyChain(stored, WRITER.publicKey)).toThrow(/signed by another key/);
  });

  it('header key swapped but entries left alone: refused (header names another log)', async () => {
    const { path } = await fileWith(2);
    const all = await lines(path);
    all[0] = encodeLine(attackerHeader).slice(0, -1);
    await writeFile(path, all.join('\n'));
    expect((await openError(path)).reason).toBe('log-id');
    expect((await openError(path, ATTACKER.publicKey)).reason).toBe('signature');
  });

  it('opening with the wrong key is refused before anything is written', async () => {
    const { path } = await fileWith(1);
    const before = await readFile(path);
    const error = await openError(path, ATTACKER.publicKey);
    expect(error.code).toBe('ledger/signature');
    expect(await readFile(path)).toEqual(before);
  });

  it('any single flipped byte anywhere in the file is detected on reopen', async () => {
    const { path } = await fileWith(3);
    const original = await readFile(path);
    await fc.assert(
      fc.asyncProperty(
        fc.nat({ max: original.length - 1 }),
        fc.integer({ min: 1, max: 255 }),
        async (at, mask) => {
          const copy = Buffer.from(original);
          copy[at] = (copy[at] as number) ^ mask;
          const tamperedPath = join(dir, `flip-${counter++}.jsonl`);
          await writeFile(tamperedPath, copy);
          const error = await openFileLedgerStorage({ path: tamperedPath, publicKey: WRITER.publicKey }).then(
            async (s) => {
              await s.close();
              return undefined;
            },
            (e: unknown) => e,
          );
          expect(error).toBeInstanceOf(LedgerIntegrityError);
          await rm(tamperedPath);
        },
      ),
      { numRuns: 150 },
    );
  });
});

describe('openFileLedgerStorage: torn tail (an append cut short by a crash)', () => {
  it('refuses by default, naming the partial line', async () => {
    const { path, entries } = await fileWith(3);
    const partial = encodeLine(rechain([...entries, entries[2] as LedgerEntry], WRITER, 3)[3] as LedgerEntry);
    await writeFile(path, (await readFile(path, 'utf8')) + partial.slice(0, 40));
    const error = await openError(path);
    expect({ reason: error.reason, index: error.index }).toEqual({ reason: 'torn-tail', index: 3 });
  });

  it('with repairTornTail, cuts the partial line off and continues', async () => {
    const { path, entries } = await fileWith(3);
    const intact = await readFile(path, 'utf8');
    await writeFile(path, `${intact}{"body":{"st`);
    const storage = await openFileLedgerStorage({ path, publicKey: WRITER.publicKey, repairTornTail: true });
    expect(storage.repairedBytes).toBe(12);
    expect(await storage.length()).toBe(3);
    expect(await readFile(path, 'utf8')).toBe(intact);
    const ledger = createHashChainLedger({ key: WRITER, storage });
    await ledger.append([{ type: 'after-repair', body: 1 }]);
    expect(verifyChain(await ledger.entries(), WRITER.publicKey).length).toBe(4);
    expect((await ledger.entries())[2]).toEqual(entries[2]);
    await storage.close();
  });

  it('a file whose header itself was torn is started afresh with repairTornTail', async () => {
    const path = fresh();
    const storage = await openFileLedgerStorage({ path, publicKey: WRITER.publicKey });
    await storage.close();
    await writeFile(path, (await readFile(path, 'utf8')).slice(0, 20));
    expect((await openError(path)).reason).toBe('torn-tail');
    const repaired = await openFileLedgerStorage({ path, publicKey: WRITER.publicKey, repairTornTail: true });
    expect(await repaired.length()).toBe(0);
    await repaired.close();
    expect((await openFileLedgerStorage({ path, publicKey: WRITER.publicKey })).verifiedAtOpen.length).toBe(
      0,
    );
  });

  it('a file that is not a ledger file is refused', async () => {
    const path = join(dir, 'not-a-ledger.txt');
    await writeFile(path, 'hello\n');
    expect((await openError(path)).reason).toBe('malformed');
    await writeFile(path, '{"format":"something-else","v":1}\n');
    expect((await openError(path)).reason).toBe('malformed');
  });
});
