import { type Clock, HealthItError, systemClock } from '@healthit/core';
import { asyncScheduler, type Observable, type SchedulerLike, Subject, type Subscription } from 'rxjs';
import {
  assertEntrySignatures,
  createStreamSequencer,
  decodeEntry,
  type Entry,
  encodeEntry,
  type KeyLookup,
  type SignatureCheck,
  type SignatureRequirements,
  type StreamSequencer,
} from '../entries/index.js';
import { entrySigningMessage, lookupKey } from '../entries/signatures.js';
import { LedgerIntegrityError } from '../errors.js';
import { fromHex, toHex } from '../hex.js';
import { createMerkleTree, leafHash } from '../merkle/index.js';
import {
  createEd25519NoteVerifier,
  ed25519VerifyStrict,
  type NoteSigner,
  type SignedCheckpoint,
  signCheckpoint,
  verifyCheckpoint,
} from '../note/index.js';
import type { MembershipPolicy, PolicyDocuments } from '../policy/index.js';
import { auditStorage, checkedEntry, replayStorage } from './integrity.js';
import { createMemoryLogStorage } from './memory-storage.js';
import type { ParallelSignatureVerifier } from './parallel-verifier.js';
import { createPolicyGate, type EntryTimeWindow, type PolicyGate } from './policy-gate.js';
import type { LogStorage } from './storage.js';

/**
 * A witness the log asks to cosign each checkpoint before publishing it. `createWitness` of the
 * note module fits; a remote witness wraps its HTTP call in the same shape.
 */
export interface LogWitness {
  /** The witness key name (for messages). */
  readonly name: string;
  /**
   * Returns `note` with the witness's cosignature line added, given a consistency proof from the
   * last checkpoint it cosigned (empty for its first one). Throws (or rejects) to refuse.
   */
  cosign(note: string, proof: readonly Uint8Array[]): string | Promise<string>;
  /** The last checkpoint it cosigned, when it can tell (the proof then starts at that size). */
  latest?(): { readonly checkpoint: { readonly size: number } } | undefined;
}

/** How appends are grouped into storage writes. */
export interface BatchOptions {
  /** A batch is written as soon as it holds this many entries (≥ 1). */
  readonly maxEntries: number;
  /** ... or this long after its first entry was queued (≥ 0). */
  readonly maxWaitMs: number;
  /**
   * The most validated entries waiting for a write (default `4 × maxEntries`). When full, `append`
   * rejects at once with a retryable `buffer/overflow` {@link HealthItError} (nothing is sequenced).
   */
  readonly maxQueued?: number;
}

/** Options of {@link createTransparencyLog}. */
export interface TransparencyLogOptions {
  /** The log's origin: every entry must name it, every checkpoint carries it. */
  readonly origin: string;
  /** Signs checkpoints with the log key (Ed25519 note signer, e.g. `createNoteSigner(skey)`). */
  readonly signer: NoteSigner;
  /**
   * Public keys of the submitters; every signature of an entry must verify under them. Give either
   * `keys` or `policy`.
   */
  readonly keys?: KeyLookup;
  /**
   * The membership policy in force at index 0 (`policy.parseMembershipPolicy` format). When given,
   * it replaces `keys`: every entry's signatures must verify under the keys of the policy in force
   * at its position, and its signers must satisfy the policy's endorsement rule for its kind at the
   * entry's time (`ts`). A `policy.update` entry is admitted only when `policy.verifyPolicyUpdate`
   * passes (signed by the admin rule of the old and the new version); the new version is in force
   * from the next entry on. A reopened log rebuilds the policy in force by replaying its updates.
   */
  readonly policy?: MembershipPolicy;
  /**
   * Where the documents that `policy.update` entries publish are found, by digest
   * (`policy.policyDigest`). Needed to admit an update, and to reopen a log that holds one.
   */
  readonly policyDocuments?: PolicyDocuments;
  /**
   * With a `policy`: how far an entry's producer time may lie from the log's `clock` when it is
   * appended (default: unchecked). Key validity is judged at the producer's claimed time, so
   * without a window the holder of a revoked key can backdate entries to before the revocation;
   * with one, only by up to `maxAgeMs`. Refused entries: `EndorsementError` `entry-time`.
   */
  readonly entryTime?: EntryTimeWindow;
  /** Extra signature requirements for every entry (default: at least one valid signature). */
  readonly signatures?: SignatureRequirements;
  /**
   * Checks entries' signatures on other threads (e.g. `createWorkerSignatureVerifier` of
   * `@healthit/ledger/workers`) while this thread decodes and sequences. Entries are still admitted
   * one at a time in call order with the same rules and errors; an `append` then settles once its
   * verdicts are back. Default: every signature is checked on this thread, inside `append`. The
   * log does not close it.
   */
  readonly signatureVerifier?: ParallelSignatureVerifier;
  /** Where entries, tree nodes and the checkpoint live. Default: {@link createMemoryLogStorage}. */
  readonly storage?: LogStorage;
  /** Witnesses that must cosign a checkpoint before it is published, in order. Default none. */
  readonly witnesses?: readonly LogWitness[];
  /** Timestamps of events. Default: the system clock. */
  readonly clock?: Clock;
  /** Runs the batch and checkpoint timers. Default: RxJS `asyncScheduler`. */
  readonly scheduler?: SchedulerLike;
  /** Batching of appends. */
  readonly batch: BatchOptions;
  /** A checkpoint is published this long after the first entry it does not cover was sequenced (≥ 0). */
  readonly checkpointEveryMs: number;
  /** The most streams whose order the log tracks (default 1 000 000; more are refused, `buffer/overflow`). */
  readonly maxStreams?: number;
  /** The most pending `awaitCheckpoint` calls (default 100 000; more reject, `buffer/overflow`). */
  readonly maxWaiters?: number;
}

/** What `append` resolves with once the entry is durably sequenced. */
export interface AppendResult {
  /** The entry's index in the log (its Merkle leaf index). */
  readonly index: number;
  /** Its RFC 9162 leaf hash, SHA-256(0x00 ‖ canonical bytes). */
  readonly leafHash: Uint8Array;
}

/** An entry read back from the log, checked against its leaf hash. */
export interface LoggedEntry extends AppendResult {
  /** Its canonical bytes (the Merkle leaf data). */
  readonly bytes: Uint8Array;
  /** The decoded entry. */
  readonly entry: Entry;
}

/** What the log reports on `events$` (data, not errors: the log keeps running). */
export type TransparencyLogEvent =
  | {
      /** A batch of entries was durably stored and added to the tree. */
      readonly type: 'batch-sequenced';
      /** The index of the batch's first entry. */
      readonly first: number;
      /** How many entries the batch holds (indices `first` to `first + count - 1`). */
      readonly count: number;
      /** When it happened, epoch ms by the log's clock. */
      readonly at: number;
    }
  | {
      /** A batch could not be stored: its entries were rejected, and the log stops sequencing. */
      readonly type: 'batch-failed';
      /** The index the batch's first entry would have had. */
      readonly first: number;
      /** How many entries the batch held. */
      readonly count: number;
      /** The storage error. */
      readonly error: unknown;
      /** When it happened, epoch ms by the log's clock. */
      readonly at: number;
    }
  | {
      /** A checkpoint was signed, cosigned by every witness, stored and published. */
      readonly type: 'checkpoint';
      /** The tree size the checkpoint covers. */
      readonly size: number;
      /** The checkpoint note (C2SP signed note) with the log's signature and the cosignatures. */
      readonly note: string;
      /** When it happened, epoch ms by the log's clock. */
      readonly at: number;
    }
  | {
      /** A checkpoint could not be cosigned or stored; it is retried on the next checkpoint interval. */
      readonly type: 'checkpoint-failed';
      /** The tree size the checkpoint would have covered. */
      readonly size: number;
      /** The witness or storage error. */
      readonly error: unknown;
      /** When it happened, epoch ms by the log's clock. */
      readonly at: number;
    };

/** A witnessed Merkle transparency log of typed, signed entries (see {@link createTransparencyLog}). */
export interface TransparencyLog {
  /**
   * The log's origin, e.g. `ledger.example.org/cold-chain`: every entry names it, every checkpoint
   * carries it.
   */
  readonly origin: string;
  /** How many entries are durably sequenced (the tree's size). */
  readonly size: number;
  /** Batches written and checkpoints published or failed. Hot; completes on `close`. */
  readonly events$: Observable<TransparencyLogEvent>;
  /**
   * Validates an entry (canonical bytes or an {@link Entry}) and sequences it: resolves once it is
   * durably stored with its index.
   * @throws (rejects) {EntryError} bad encoding or schema; {EntrySignatureError} a signature that is
   *   unknown (with a `policy`: by a key the policy in force does not list) or does not verify;
   *   {EndorsementError} (with a `policy`) `unendorsed`, `kind-not-allowed`, `policy-update`,
   *   `policy-document` or `entry-time`, naming the kind, stream and policy version;
   *   {StreamOrderError} gap, replay, reordering, wrong `prev` or origin; {HealthItError}
   *   `buffer/overflow` (retryable) when the queue is full, `state/invalid` after `close` or a
   *   failed storage write (reopen the log over its storage). A rejected entry uses no index,
   *   does not advance its stream and puts no policy version in force.
   */
  append(entry: Uint8Array | Entry): Promise<AppendResult>;
  /**
   * Resolves with the first published checkpoint note (signed, and cosigned by every configured
   * witness) whose size covers `index`.
   * @throws (rejects) {RangeError} when `index` is not a sequenced index; {HealthItError}
   *   `buffer/overflow` when `maxWaiters` calls are pending, `state/invalid` when the log closes first.
   */
  awaitCheckpoint(index: number): Promise<string>;
  /** The latest published checkpoint note, if any. */
  checkpoint(): string | undefined;
  /**
   * The membership policy in force for the next entry (`undefined` for a log created with `keys`):
   * the initial policy, or the last version a sequenced `policy.update` put in force.
   */
  policy(): MembershipPolicy | undefined;
  /** Publishes a checkpoint of the current size now (or returns the latest when it is current). */
  publishCheckpoint(): Promise<string>;
  /** The tree root at `size` (default: current size). @throws {RangeError} as `MerkleTree.root`. */
  root(size?: number): Uint8Array;
  /** Inclusion proof of `index` in the tree of `size` leaves (default: current). @throws {RangeError}. */
  inclusionProof(index: number, size?: number): Uint8Array[];
  /** Consistency proof from `oldSize` to `newSize` (default: current). @throws {RangeError}. */
  consistencyProof(oldSize: number, newSize?: number): Uint8Array[];
  /**
   * The entry at `index`, checked against its leaf hash.
   * @throws {RangeError} outside `[0, size)`; {LedgerIntegrityError} `entry-hash` naming the index
   *   when the stored bytes were changed.
   */
  entry(index: number): LoggedEntry;
  /**
   * Re-checks the whole storage: every entry against its leaf hash and the tree re-derived from
   * the entries against the latest checkpoint's root. Returns the number of entries checked.
   * @throws {LedgerIntegrityError} naming the first faulty entry (or `fork` for the tree).
   */
  audit(): number;
  /** Writes what is queued, publishes a final checkpoint, stops the timers. Idempotent. */
  close(): Promise<void>;
}

interface Pending {
  readonly bytes: Uint8Array;
  readonly leafHash: Uint8Array;
  readonly resolve: (result: AppendResult) => void;
  readonly reject: (error: unknown) => void;
}

/** An entry decoded and waiting for its signatures' verdicts from the `signatureVerifier`. */
interface Intake {
  readonly bytes: Uint8Array;
  readonly entry: Entry;
  readonly leafHash: Uint8Array;
  /** Per signature, the key it was sent to the verifier with (undefined: not sent). */
  readonly keys: readonly (Uint8Array | undefined)[];
  /** Per signature sent, its verdict (in `keys` order, unsent ones skipped); undefined until back. */
  verdicts: readonly boolean[] | undefined;
  ready: boolean;
  readonly resolve: (result: AppendResult) => void;
  readonly reject: (error: unknown) => void;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * The signature check of an entry whose signatures were verified ahead: a verdict is used only for
 * the very key it was computed with; any other key (a policy update in between changed it) or a
 * missing verdict is checked here, strictly.
 */
function precheckedSignatures(item: Intake): SignatureCheck {
  const slots: number[] = [];
  let sent = 0;
  for (const key of item.keys) slots.push(key === undefined ? -1 : sent++);
  return (index, signature, message, publicKey) => {
    const key = item.keys[index];
    const verdict = item.verdicts?.[slots[index] ?? -1];
    if (key !== undefined && verdict !== undefined && sameBytes(key, publicKey)) return verdict;
    return ed25519VerifyStrict(signature, message, publicKey);
  };
}

interface Waiter {
  readonly index: number;
  readonly resolve: (note: string) => void;
  readonly reject: (error: unknown) => void;
}

function positiveInt(value: number, what: string, min: number): number {
  if (!Number.isSafeInteger(value) || value < min) {
    throw new RangeError(`${what} must be an integer ≥ ${min}, got ${value}`);
  }
  return value;
}

/**
 * Creates a transparency log: entries are validated (canonical encoding, signatures, the
 * membership policy's endorsement rules when a `policy` is given, per-stream order), queued,
 * written in batches (by count or time), appended to an RFC 9162 Merkle tree, and covered by
 * signed, witness-cosigned C2SP checkpoints published every `checkpointEveryMs`. Over a storage
 * that already holds a log, the log continues it (entries are re-checked against the tree, stream
 * heads rebuilt, policy updates replayed, the checkpoint verified). No timer runs while the log is
 * idle. `verifyLog` re-checks a log independently of this sequencer.
 *
 * @throws {RangeError} for invalid batch, interval or limit options;
 * @throws {TypeError} unless exactly one of `keys` and `policy` is given, or for `entryTime`
 *   without `policy`;
 * @throws {ValidationError} when `policy` is not a valid membership policy;
 * @throws {LedgerIntegrityError} when the storage's entries, tree or checkpoint disagree;
 * @throws {LogVerificationError} when a stored `policy.update` does not replay (its document is
 *   unknown, or it was not authorised);
 * @throws {NoteError} when the stored checkpoint does not verify under `signer`'s key.
 * @example
 * ```ts
 * const log = createTransparencyLog({
 *   origin: 'ledger.example.org/cold-chain',
 *   signer: createNoteSigner(logSkey),
 *   keys: new Map([[keyId, publicKey]]), // or policy: membershipPolicy, policyDocuments
 *   batch: { maxEntries: 256, maxWaitMs: 50 },
 *   checkpointEveryMs: 1_000,
 * });
 * const { index } = await log.append(signedEntry);
 * const note = await log.awaitCheckpoint(index);
 * const proof = log.inclusionProof(index, parseCheckpoint(parseNote(note).text).size);
 * ```
 */
export function createTransparencyLog(options: TransparencyLogOptions): TransparencyLog {
  const { origin, signer, keys } = options;
  if ((keys === undefined) === (options.policy === undefined)) {
    throw new TypeError('Give either keys or policy (the policy derives the keys), not both or neither');
  }
  if (options.entryTime !== undefined && options.policy === undefined) {
    throw new TypeError('entryTime applies to a log with a policy');
  }
  const maxEntries = positiveInt(options.batch.maxEntries, 'batch.maxEntries', 1);
  const maxWaitMs = positiveInt(options.batch.maxWaitMs, 'batch.maxWaitMs', 0);
  const maxQueued = positiveInt(options.batch.maxQueued ?? 4 * maxEntries, 'batch.maxQueued', 1);
  const checkpointEveryMs = positiveInt(options.checkpointEveryMs, 'checkpointEveryMs', 0);
  const maxWaiters = positiveInt(options.maxWaiters ?? 100_000, 'maxWaiters', 1);
  const storage = options.storage ?? createMemoryLogStorage();
  const witnesses = options.witnesses ?? [];
  const clock = options.clock ?? systemClock;
  const scheduler = options.scheduler ?? asyncScheduler;
  const requirements = options.signatures ?? {};
  const verifier = createEd25519NoteVerifier({ name: signer.name, publicKey: signer.publicKey });

  const tree = createMerkleTree({ storage: storage.tree });
  const sequencer = createStreamSequencer({ maxStreams: options.maxStreams ?? 1_000_000, origin });
  const gate =
    options.policy === undefined
      ? undefined
      : createPolicyGate({
          policy: options.policy,
          documents: options.policyDocuments,
          signatures: requirements,
          entryTime: options.entryTime,
          now: () => clock.now(),
        });
  const replay = gate === undefined ? undefined : replayingPolicy(sequencer, gate);
  replayStorage(storage, tree, replay?.sequencer ?? sequencer);
  const replayFailure = replay?.failure();
  if (replayFailure !== undefined) throw replayFailure;
  let published: SignedCheckpoint | undefined;
  const stored = storage.latestCheckpoint();
  if (stored !== undefined) {
    published = verifyCheckpoint(stored, verifier, { origin });
    const { size } = published.checkpoint;
    if (size > tree.size) {
      throw new LedgerIntegrityError(
        'ledger/integrity',
        `The stored checkpoint covers ${size} entries but the log holds ${tree.size}: entries were removed`,
        { reason: 'truncated', index: tree.size, expected: String(size), actual: String(tree.size) },
      );
    }
    auditStorage(storage, tree, published);
  }

  const events = new Subject<TransparencyLogEvent>();
  const queue: Pending[] = [];
  const waiters: Waiter[] = [];
  let batchTimer: Subscription | undefined;
  let checkpointTimer: Subscription | undefined;
  let draining: Promise<void> | undefined;
  let due = false;
  let failure: unknown;
  let closed = false;
  let publishing: Promise<string> | undefined;

  function stateError(): HealthItError {
    return failure !== undefined
      ? new HealthItError(
          'state/invalid',
          `The log ${origin} stopped after a failed storage write: reopen it over its storage`,
          { cause: failure },
        )
      : new HealthItError('state/invalid', `The log ${origin} is closed`);
  }

  function startBatchTimer(): void {
    if (batchTimer !== undefined || queue.length === 0) return;
    batchTimer = scheduler.schedule(() => {
      batchTimer = undefined;
      due = true;
      void drain();
    }, maxWaitMs);
  }

  function startCheckpointTimer(): void {
    if (checkpointTimer !== undefined || closed) return;
    if (tree.size <= (published?.checkpoint.size ?? 0) && waiters.length === 0) return;
    checkpointTimer = scheduler.schedule(() => {
      checkpointTimer = undefined;
      publish().catch(() => {
        // reported on events$; retried on the next interval while something waits
        startCheckpointTimer();
      });
    }, checkpointEveryMs);
  }

  async function write(batch: Pending[]): Promise<void> {
    const first = tree.size;
    try {
      await storage.appendEntries(
        first,
        batch.map((p) => p.bytes),
      );
      for (const p of batch) tree.appendLeafHash(p.leafHash);
    } catch (error) {
      failure = error;
      events.next({ type: 'batch-failed', first, count: batch.length, error, at: clock.now() });
      for (const p of [...batch, ...queue.splice(0)]) p.reject(stateError());
      return;
    }
    batch.forEach((p, i) => {
      p.resolve({ index: first + i, leafHash: p.leafHash.slice() });
    });
    events.next({ type: 'batch-sequenced', first, count: batch.length, at: clock.now() });
    startCheckpointTimer();
  }

  function drain(): Promise<void> {
    draining ??= run().finally(() => {
      draining = undefined;
      if (queue.length === 0) {
        batchTimer?.unsubscribe();
        batchTimer = undefined;
      } else {
        startBatchTimer();
      }
    });
    return draining;
  }

  async function run(): Promise<void> {
    try {
      while (failure === undefined && (queue.length >= maxEntries || (due && queue.length > 0))) {
        const batch = queue.splice(0, maxEntries);
        if (queue.length === 0) due = false;
        await write(batch);
      }
    } finally {
      due = false;
    }
  }

  async function publishNow(): Promise<string> {
    const size = tree.size;
    if (published !== undefined && published.checkpoint.size === size) return published.note;
    const rootHash = tree.root(size);
    let note = signCheckpoint({ origin, size, rootHash }, signer);
    try {
      const lastSize = published?.checkpoint.size ?? 0;
      for (const witness of witnesses) {
        const from = witness.latest?.()?.checkpoint.size ?? lastSize;
        const proof = from > 0 && from < size ? tree.consistencyProof(from, size) : [];
        note = await witness.cosign(note, proof);
      }
      await storage.writeCheckpoint(note);
    } catch (error) {
      events.next({ type: 'checkpoint-failed', size, error, at: clock.now() });
      throw error;
    }
    published = verifyCheckpoint(note, verifier, { origin });
    events.next({ type: 'checkpoint', size, note, at: clock.now() });
    for (let i = waiters.length - 1; i >= 0; i--) {
      const w = waiters[i] as Waiter;
      if (w.index < size) {
        waiters.splice(i, 1);
        w.resolve(note);
      }
    }
    return note;
  }

  function startPublishing(): Promise<string> {
    publishing ??= publishNow().finally(() => {
      publishing = undefined;
    });
    return publishing;
  }

  /**
   * Publishes a checkpoint covering every entry sequenced when called. Publications run one at a
   * time (so the stored checkpoint never goes backwards); a call made while a smaller one is in
   * flight waits for it, then publishes again.
   */
  function publish(): Promise<string> {
    const wanted = tree.size;
    const inFlight = publishing;
    if (inFlight === undefined) return startPublishing();
    return inFlight
      .catch(() => undefined)
      .then(() =>
        published !== undefined && published.checkpoint.size >= wanted ? published.note : startPublishing(),
      );
  }

  /**
   * Decodes an input: the bytes are copied first (the caller may reuse its array), and the leaf
   * hash computed once serves as the stream's next `prev` too.
   */
  function decode(input: Uint8Array | Entry): { bytes: Uint8Array; entry: Entry; leafHash: Uint8Array } {
    const bytes = input instanceof Uint8Array ? input.slice() : encodeEntry(input);
    const entry = decodeEntry(bytes);
    return { bytes, entry, leafHash: leafHash(bytes) };
  }

  /** Admits a decoded entry: signatures (and policy), then stream order. @throws the reason. */
  function admit(entry: Entry, hash: Uint8Array, check?: SignatureCheck): void {
    if (gate === undefined) {
      assertEntrySignatures(entry, keys as KeyLookup, requirements, check);
      sequencer.accept(entry, toHex(hash));
    } else {
      const admission = gate.check(entry, check);
      sequencer.accept(entry, toHex(hash));
      gate.apply(admission);
    }
  }

  function enqueue(pending: Pending): void {
    queue.push(pending);
    if (queue.length >= maxEntries) void drain();
    else if (draining === undefined) startBatchTimer();
  }

  /** Entries waiting for verdicts, admitted strictly in call order by {@link pump}. */
  const intake: Intake[] = [];
  let intakeEmptied: (() => void) | undefined;

  function pump(): void {
    while (intake.length > 0 && (intake[0] as Intake).ready) {
      const item = intake.shift() as Intake;
      if (failure !== undefined) {
        item.reject(stateError());
        continue;
      }
      try {
        admit(item.entry, item.leafHash, precheckedSignatures(item));
      } catch (error) {
        item.reject(error);
        continue;
      }
      enqueue({ bytes: item.bytes, leafHash: item.leafHash, resolve: item.resolve, reject: item.reject });
    }
    if (intake.length === 0) intakeEmptied?.();
  }

  /** Sends an entry's signatures, under the keys in force now, to the verifier. */
  function submit(
    verifier: ParallelSignatureVerifier,
    input: Uint8Array | Entry,
    resolve: Intake['resolve'],
    reject: Intake['reject'],
  ): void {
    const { bytes, entry, leafHash: hash } = decode(input);
    const message = entrySigningMessage(entry);
    const jobs = [];
    const sentKeys: (Uint8Array | undefined)[] = [];
    for (const { keyId, sig } of entry.signatures) {
      const key = gate === undefined ? lookupKey(keys as KeyLookup, keyId) : gate.keys.get(keyId);
      sentKeys.push(key);
      if (key !== undefined) jobs.push({ signature: fromHex(sig, 64, 'sig'), message, publicKey: key });
    }
    const item: Intake = {
      bytes,
      entry,
      leafHash: hash,
      keys: sentKeys,
      verdicts: undefined,
      ready: false,
      resolve,
      reject,
    };
    intake.push(item);
    verifier.verify(jobs).then(
      (verdicts) => {
        item.verdicts = verdicts;
        item.ready = true;
        pump();
      },
      () => {
        item.ready = true; // checked on this thread instead
        pump();
      },
    );
  }

  return {
    origin,
    get size() {
      return tree.size;
    },
    events$: events.asObservable(),
    append(input) {
      return new Promise<AppendResult>((resolve, reject) => {
        if (closed || failure !== undefined) throw stateError();
        const waiting = queue.length + intake.length;
        if (waiting >= maxQueued) {
          throw new HealthItError(
            'buffer/overflow',
            `The log ${origin} has ${waiting} entries waiting to be written (batch.maxQueued): retry later`,
            { detail: { maxQueued } },
          );
        }
        const verifier = options.signatureVerifier;
        if (verifier !== undefined) {
          submit(verifier, input, resolve, reject);
          return;
        }
        const { bytes, entry, leafHash: hash } = decode(input);
        admit(entry, hash);
        enqueue({ bytes, leafHash: hash, resolve, reject });
      });
    },
    awaitCheckpoint(index) {
      return new Promise<string>((resolve, reject) => {
        if (!Number.isSafeInteger(index) || index < 0 || index >= tree.size) {
          throw new RangeError(`index must be a sequenced index in [0, ${tree.size}), got ${index}`);
        }
        if (published !== undefined && index < published.checkpoint.size) {
          resolve(published.note);
          return;
        }
        if (closed) throw stateError();
        if (waiters.length >= maxWaiters) {
          throw new HealthItError(
            'buffer/overflow',
            `${maxWaiters} calls already wait for a checkpoint of ${origin} (maxWaiters)`,
            { detail: { maxWaiters } },
          );
        }
        waiters.push({ index, resolve, reject });
        startCheckpointTimer();
      });
    },
    checkpoint: () => published?.note,
    policy: () => gate?.policy,
    publishCheckpoint: () => publish(),
    root: (size) => tree.root(size),
    inclusionProof: (index, size) => tree.inclusionProof(index, size),
    consistencyProof: (oldSize, newSize) => tree.consistencyProof(oldSize, newSize),
    entry(index) {
      if (!Number.isSafeInteger(index) || index < 0 || index >= tree.size) {
        throw new RangeError(`index must be in [0, ${tree.size}), got ${index}`);
      }
      const { bytes, leafHash: hash, entry } = checkedEntry(storage, tree, index);
      return { index, leafHash: hash, bytes, entry };
    },
    audit: () => auditStorage(storage, tree, published),
    async close() {
      if (closed) return;
      closed = true;
      if (intake.length > 0) {
        await new Promise<void>((resolve) => {
          intakeEmptied = resolve;
        });
      }
      while (failure === undefined && (draining !== undefined || queue.length > 0)) {
        due = true;
        await drain();
      }
      batchTimer?.unsubscribe();
      batchTimer = undefined;
      checkpointTimer?.unsubscribe();
      checkpointTimer = undefined;
      try {
        if (failure === undefined && tree.size > (published?.checkpoint.size ?? 0)) await publish();
      } finally {
        for (const w of waiters.splice(0)) w.reject(stateError());
        events.complete();
      }
    },
  };
}

/**
 * The sequencer seen by `replayStorage` while a policy log reopens: every stored entry is
 * accepted in index order, and each `policy.update` is re-checked and put in force as it passes.
 * The first policy fault is kept (not thrown, so `replayStorage` does not rewrap it as a stream
 * order fault) and no later update is applied; the caller throws it.
 */
function replayingPolicy(
  sequencer: StreamSequencer,
  gate: PolicyGate,
): { readonly sequencer: StreamSequencer; failure(): unknown } {
  let index = 0;
  let failure: unknown;
  return {
    failure: () => failure,
    sequencer: {
      check: (entry) => sequencer.check(entry),
      head: (stream) => sequencer.head(stream),
      get size() {
        return sequencer.size;
      },
      accept(entry) {
        const head = sequencer.accept(entry);
        if (failure === undefined) {
          try {
            gate.replay(entry, index);
          } catch (e) {
            failure = e;
          }
        }
        index++;
        return head;
      },
    },
  };
}
