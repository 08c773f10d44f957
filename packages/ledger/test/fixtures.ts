import type { JsonValue } from '@healthit/core';
import { createFakeClock, type FakeClock } from '@healthit/core/testing';
import { type LedgerEntry, signEntry } from '../src/entry.js';
import { type LedgerKey, ledgerKeyFromSeed } from '../src/key.js';
import { createHashChainLedger, type HashChainLedger } from '../src/ledger.js';

/** A deterministic key: seed bytes all equal to `n`. */
export function keyFromByte(n: number): LedgerKey {
  return ledgerKeyFromSeed(new Uint8Array(32).fill(n));
}

/** The writer's key in the tests, and an attacker's. */
export const WRITER = keyFromByte(1);
export const ATTACKER = keyFromByte(2);

/** A ledger over memory with a fake clock, and `n` appended records (one per call). */
export async function ledgerWith(
  n: number,
  key: LedgerKey = WRITER,
): Promise<{ ledger: HashChainLedger; clock: FakeClock; entries: LedgerEntry[] }> {
  const clock = createFakeClock(Date.UTC(2025, 0, 1));
  const ledger = createHashChainLedger({ key, clock });
  for (let i = 0; i < n; i++) {
    await ledger.append([{ type: 'test-event', body: { n: i, note: `entry ${i}` } }]);
    clock.advance(1000);
  }
  return { ledger, clock, entries: await ledger.entries() };
}

/** A copy of `entry` with some fields replaced (no re-hash, no re-sign). */
export function withFields(entry: LedgerEntry, fields: Partial<LedgerEntry>): LedgerEntry {
  return { ...entry, ...fields };
}

/**
 * What a capable attacker does after editing entries: rebuild the chain from `from` on (new
 * prevHash links, new hashes) and sign it with `key`.
 */
export function rechain(entries: readonly LedgerEntry[], key: LedgerKey, from = 0): LedgerEntry[] {
  const out = entries.slice(0, from);
  let prevHash = from === 0 ? '0'.repeat(64) : (entries[from - 1] as LedgerEntry).entryHash;
  for (let i = from; i < entries.length; i++) {
    const e = entries[i] as LedgerEntry;
    const signed = signEntry({ index: i, prevHash, ts: e.ts, type: e.type, body: e.body as JsonValue }, key);
    out.push(signed);
    prevHash = signed.entryHash;
  }
  return out;
}
