/**
 * Shared fixtures of the attack tests: a log key, a submitter, chains of signed entries, logs and
 * witnesses over the real APIs, and helpers that capture the error an attack must raise.
 */
import { createFakeClock, type FakeClock } from '@healthit/core/testing';
import {
  createEd25519NoteSigner,
  createEd25519NoteVerifier,
  createMemoryLogStorage,
  createTransparencyLog,
  createWitness,
  entries,
  type LogStorage,
  type policy,
  type TransparencyLog,
  type TransparencyLogOptions,
  type Witness,
} from '../../src/index.js';
import { ORIGIN, signer, unsigned } from '../entries-fixtures.js';

export { ORIGIN };

type MembershipPolicy = policy.MembershipPolicy;

/** The submitter every key-map log trusts. */
export const ALICE = signer(1, 'acme-pharma.release');
/** A key no log trusts. */
export const MALLORY = signer(3, 'mallory');
/** The submitter keys of the key-map logs. */
export const KEYS = new Map([[ALICE.keyId, ALICE.publicKey]]);

/** The log key (named after the origin) and its verifier. */
export const LOG_SIGNER = createEd25519NoteSigner({ name: ORIGIN, secretKey: new Uint8Array(32).fill(9) });
export const LOG_VERIFIER = createEd25519NoteVerifier(LOG_SIGNER);

/** A fixed start time for witness clocks. */
export const T0 = Date.UTC(2026, 0, 1);

/**
 * `n` signed `config.change` entries of one stream, from `seq` `from` (chained to `prev`). A
 * different `tag` gives different entries at the same positions (a rewritten history).
 */
export function chain(n: number, from = 0, prev?: string, tag = 'honest'): entries.Entry[] {
  const out: entries.Entry[] = [];
  let last = prev;
  for (let seq = from; seq < from + n; seq++) {
    const base = unsigned('config.change', { seq, ...(last === undefined ? {} : { prev: last }) });
    const body = { ...(base.body as entries.EntryBody<'config.change'>), reason: `${tag} change ${seq}` };
    const e = entries.signEntry({ ...base, body } as entries.UnsignedEntry, ALICE);
    out.push(e);
    last = entries.entryHash(e);
  }
  return out;
}

/** A key-map log over memory (or the given storage), checkpoints published on demand. */
export function makeLog(overrides: Partial<TransparencyLogOptions> = {}): TransparencyLog {
  return createTransparencyLog({
    origin: ORIGIN,
    signer: LOG_SIGNER,
    keys: KEYS,
    batch: { maxEntries: 4, maxWaitMs: 0 },
    checkpointEveryMs: 60_000,
    ...overrides,
  });
}

/** A log governed by a membership `policy` (instead of a key map), checkpoints published on demand. */
export function makePolicyLog(
  policy: MembershipPolicy,
  overrides: Omit<Partial<TransparencyLogOptions>, 'keys' | 'policy'> = {},
): TransparencyLog {
  return createTransparencyLog({
    origin: ORIGIN,
    signer: LOG_SIGNER,
    policy,
    batch: { maxEntries: 1, maxWaitMs: 0 },
    checkpointEveryMs: 60_000,
    ...overrides,
  });
}

/** Appends entries one after the other; returns the log. */
export async function appendAll(
  log: TransparencyLog,
  list: readonly entries.Entry[],
): Promise<TransparencyLog> {
  for (const e of list) await log.append(e);
  return log;
}

/** A witness of the log key with seed bytes `20 + n` and a fake clock. */
export function witness(n: number, clock: FakeClock = createFakeClock(T0)): Witness {
  return createWitness({
    key: { name: `w${n}.example/witness`, secretKey: new Uint8Array(32).fill(20 + n) },
    log: LOG_VERIFIER,
    clock,
  });
}

/** A copy of the first `size` entries of `storage` (and the given checkpoint): a backup taken then. */
export async function backupOf(storage: LogStorage, size: number, checkpoint?: string): Promise<LogStorage> {
  const copy = createMemoryLogStorage();
  const list: Uint8Array[] = [];
  for (let i = 0; i < size; i++) list.push((storage.entry(i) as Uint8Array).slice());
  if (list.length > 0) await copy.appendEntries(0, list);
  if (checkpoint !== undefined) await copy.writeCheckpoint(checkpoint);
  return copy;
}

/** The error `f` throws (fails the test when it returns). */
export function thrown(f: () => unknown): unknown {
  try {
    f();
  } catch (e) {
    return e;
  }
  throw new Error('expected an error, none was thrown');
}

/** The reason a promise rejects with (fails the test when it resolves). */
export async function rejection(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    () => {
      throw new Error('expected a rejection');
    },
    (e: unknown) => e,
  );
}

/** Milliseconds `f` takes. */
export function timed<T>(f: () => T): { value: T; ms: number } {
  const start = performance.now();
  const value = f();
  return { value, ms: performance.now() - start };
}
