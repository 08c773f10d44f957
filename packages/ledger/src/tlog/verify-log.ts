import {
  assertEntrySignatures,
  checkStreamOrder,
  decodeEntry,
  type Entry,
  type EntryKind,
  type EntryOf,
  type SignatureRequirements,
  type StreamHead,
  StreamOrderError,
} from '../entries/index.js';
import { toHex } from '../hex.js';
import {
  createNoteVerifier,
  type NoteVerifier,
  requireCosignatures,
  type SignedCheckpoint,
  verifyCheckpoint,
} from '../note/index.js';
import { refusedResult } from '../policy/errors.js';
import {
  EndorsementError,
  endorsementRuleFor,
  evaluateEndorsement,
  type MembershipPolicy,
  type PolicyDocuments,
  parseMembershipPolicy,
  policyKeyLookup,
  resolvePolicyDocument,
  verifyPolicyUpdate,
  type WitnessPolicy,
} from '../policy/index.js';
import { LogVerificationError, type LogVerificationReason } from './log-verification-error.js';
import { createStreamingRoot } from './streaming-root.js';

/** Witnesses given as verifiers rather than as the policy's `{ name, vkey }` list. */
export interface WitnessVerifiers {
  /** Cosignature/v1 (type 0x04) verifiers, e.g. `createWitness(...).verifier`. */
  readonly verifiers: readonly NoteVerifier[];
  /** How many distinct witnesses must have cosigned. */
  readonly k: number;
}

/** Input of {@link verifyLog}. */
export interface VerifyLogOptions {
  /** The membership policy in force at index 0 (as the log was created with). */
  readonly policy: MembershipPolicy;
  /** Where the documents of `policy.update` entries are found, by digest. */
  readonly policyDocuments?: PolicyDocuments;
  /** The log's entries, canonical bytes, in index order: exactly the checkpoint's `size` of them. */
  readonly entries: Iterable<Uint8Array>;
  /** The signed (and cosigned) checkpoint note the entries must produce. */
  readonly checkpoint: string;
  /** The log's public key: a C2SP verifier key string (`name+keyid+base64`) or a note verifier. */
  readonly logKey: string | NoteVerifier;
  /** The log's origin (every entry's `origin`, the checkpoint's first line). Default: the log key's name. */
  readonly origin?: string;
  /**
   * Which witnesses must have cosigned the checkpoint, k of n. Default: the `witnesses` of the
   * membership policy in force at the checkpoint (after its last entry).
   */
  readonly witnesses?: WitnessPolicy | WitnessVerifiers;
  /** Extra signature requirements every entry had to meet (as the log's `signatures` option). */
  readonly signatures?: SignatureRequirements;
  /** The most distinct streams tracked (default 1 000 000; more fail as `stream-order`). */
  readonly maxStreams?: number;
}

/** A `policy.update` the verifier accepted. */
export interface VerifiedPolicyUpdate {
  /** The update entry's index; the new version is in force from `index + 1`. */
  readonly index: number;
  /** The id of the membership policy updated (the same for every version). */
  readonly policyId: string;
  /** The version put in force: one above the previous. */
  readonly version: number;
  /** Lowercase hex SHA-256 of the new canonical policy document (its `policy.policyDigest`). */
  readonly digest: string;
}

/** What {@link verifyLog} checked. */
export interface LogVerificationReport {
  /**
   * The log's origin, e.g. `ledger.example.org/cold-chain`: every entry's `origin` and the
   * checkpoint's first line.
   */
  readonly origin: string;
  /** Entries verified: the checkpoint's size. */
  readonly size: number;
  /** The checkpoint's root, re-derived from the entries. */
  readonly rootHash: Uint8Array;
  /** Distinct streams. */
  readonly streams: number;
  /** Entries per kind. */
  readonly kinds: Readonly<Partial<Record<EntryKind, number>>>;
  /** The policy in force after the last entry. */
  readonly policy: MembershipPolicy;
  /** The policy updates, in index order. */
  readonly policyUpdates: readonly VerifiedPolicyUpdate[];
  /** The witnesses whose cosignatures counted (`name`), at least `k` of them. */
  readonly witnesses: readonly string[];
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

function fail(reason: LogVerificationReason, index: number, what: string, cause?: unknown): never {
  const where = index < 0 ? 'the checkpoint' : `entry ${index}`;
  throw new LogVerificationError(`Log verification failed at ${where} (${reason}): ${what}`, {
    reason,
    index,
    ...(cause === undefined ? {} : { cause }),
  });
}

/** The policy in force while walking the log, with its key lookup. */
interface InForce {
  readonly policy: MembershipPolicy;
  readonly keys: ReadonlyMap<string, string>;
}

function inForce(policy: MembershipPolicy): InForce {
  return { policy, keys: policyKeyLookup(policy) };
}

/**
 * Judges one ordinary entry under the policy in force: every signature by a listed key and valid,
 * then the kind's rule met by the signers at the entry's time.
 */
function judgeEntry(
  entry: Entry,
  index: number,
  current: InForce,
  requirements: SignatureRequirements,
): void {
  const { policy } = current;
  const rule = endorsementRuleFor(policy, entry.kind);
  const label = `${entry.kind} ${entry.stream}#${entry.seq} under ${policy.policyId} v${policy.version}`;
  if (rule === undefined) {
    const why = `${label}: the policy lists no endorsement rule for kind ${entry.kind}`;
    fail(
      'endorsement',
      index,
      why,
      new EndorsementError(why, refusedResult(why), { reason: 'kind-not-allowed' }),
    );
  }
  let keyIds: readonly string[];
  try {
    keyIds = assertEntrySignatures(entry, current.keys, requirements).keyIds;
  } catch (e) {
    fail('signature', index, `${label}: ${(e as Error).message}`, e);
  }
  let result: ReturnType<typeof evaluateEndorsement>;
  try {
    result = evaluateEndorsement(rule, keyIds, policy, entry.ts);
  } catch (e) {
    fail('endorsement', index, `${label}: ${(e as Error).message}`, e);
  }
  if (!result.satisfied) {
    const why = `${label} is not endorsed: ${result.reasons.join('; ')}`;
    fail('endorsement', index, why, new EndorsementError(why, result));
  }
}

/**
 * Judges a `policy.update`: its document found and matching, each signature verifying under the
 * key its id has in the old version, else in the new one (an id bound to two different keys
 * counts for neither), and both admin rules met. Returns the new version.
 */
function judgeUpdate(
  entry: EntryOf<'policy.update'>,
  index: number,
  current: InForce,
  documents: PolicyDocuments | undefined,
  requirements: SignatureRequirements,
): MembershipPolicy {
  const label = `policy.update ${entry.stream}#${entry.seq} to v${entry.body.version}`;
  const found = resolvePolicyDocument(documents, entry.body);
  if (!found.ok) {
    const why = `${label}: ${found.reason}`;
    fail(
      'policy-update',
      index,
      why,
      new EndorsementError(why, refusedResult(why), { reason: 'policy-document' }),
    );
  }
  const next = found.policy;
  const nextKeys = policyKeyLookup(next);
  // Each signature verifies under the key its id has in the old version, else in the new one.
  const lookup = (keyId: string): string | undefined => current.keys.get(keyId) ?? nextKeys.get(keyId);
  let keyIds: readonly string[];
  try {
    keyIds = assertEntrySignatures(entry, lookup, requirements).keyIds;
  } catch (e) {
    return fail('signature', index, `${label}: ${(e as Error).message}`, e);
  }
  // An id listed with two different public keys (old and new) endorses neither version.
  const rebound = (id: string): boolean => {
    const before = current.keys.get(id);
    const after = nextKeys.get(id);
    return before !== undefined && after !== undefined && before !== after;
  };
  const signers = keyIds.filter((id) => !rebound(id));
  const verdict = verifyPolicyUpdate(current.policy, next, signers, entry.ts);
  if (!verdict.valid) {
    const why = `${label}: ${verdict.reasons.join('; ')}`;
    const failed = verdict.oldAdmin.satisfied ? verdict.newAdmin : verdict.oldAdmin;
    fail(
      'policy-update',
      index,
      why,
      new EndorsementError(why, failed, { reason: 'policy-update', update: verdict }),
    );
  }
  return next;
}

function witnessRequirement(
  option: WitnessPolicy | WitnessVerifiers | undefined,
  policy: MembershipPolicy,
): { verifiers: NoteVerifier[]; k: number } {
  const chosen = option ?? policy.witnesses;
  if ('verifiers' in chosen) return { verifiers: [...chosen.verifiers], k: chosen.k };
  try {
    return { verifiers: chosen.keys.map((w) => createNoteVerifier(w.vkey)), k: chosen.k };
  } catch (e) {
    return fail('witnesses', -1, `a witness key is invalid: ${(e as Error).message}`, e);
  }
}

/**
 * Re-checks a transparency log from scratch, trusting nothing the log's sequencer computed: the
 * checkpoint's log signature and origin; then every entry in index order — canonical encoding,
 * signatures under the keys of the membership policy in force at that index, the kind's
 * endorsement rule at the entry's time, `policy.update` entries (document by digest, admin rules
 * of both versions; the new version judges the entries after it), per-stream `seq` / `prev` and
 * origin —; the number of entries against the checkpoint's size; the Merkle root re-derived from
 * the entries against the checkpoint's; and the witness cosignatures, k of n.
 *
 * Pure and browser-safe; memory is the stream heads plus O(log n) hashes. It shares no state and
 * no decision code with `createTransparencyLog`: only the pure primitives (`decodeEntry`, entry
 * signature checks, `evaluateEndorsement`, `verifyPolicyUpdate`, `checkStreamOrder`, the hashes).
 *
 * @throws {LogVerificationError} the first fault, naming the entry index (`-1` for the checkpoint)
 *   and the reason (`malformed`, `signature`, `endorsement`, `policy-update`, `stream-order`,
 *   `size`, `root`, `checkpoint`, `witnesses`), the underlying error as `cause`;
 * @throws {ValidationError} when `options.policy` is not a valid membership policy;
 * @throws {RangeError} for a bad `maxStreams`.
 * @example
 * ```ts
 * const report = verifyLog({
 *   policy: initialPolicy,
 *   policyDocuments: new Map([[policy.policyDigest(v2), v2]]),
 *   entries: downloadedEntries, // Uint8Array[] in index order
 *   checkpoint: note,
 *   logKey: 'ledger.example.org/cold-chain+1a2b3c4d+AQ…',
 * });
 * console.log(report.size, report.policy.version);
 * ```
 */
export function verifyLog(options: VerifyLogOptions): LogVerificationReport {
  const maxStreams = options.maxStreams ?? 1_000_000;
  if (!Number.isSafeInteger(maxStreams) || maxStreams < 1) {
    throw new RangeError(`maxStreams must be a positive integer, got ${maxStreams}`);
  }
  const requirements = options.signatures ?? {};
  let current = inForce(parseMembershipPolicy(options.policy, 'policy'));

  let signed: SignedCheckpoint;
  let origin: string;
  try {
    const log = typeof options.logKey === 'string' ? createNoteVerifier(options.logKey) : options.logKey;
    origin = options.origin ?? log.name;
    signed = verifyCheckpoint(options.checkpoint, log, { origin });
  } catch (e) {
    return fail('checkpoint', -1, (e as Error).message, e);
  }
  const { size, rootHash } = signed.checkpoint;

  const root = createStreamingRoot();
  const heads = new Map<string, StreamHead>();
  const kinds: Partial<Record<EntryKind, number>> = {};
  const policyUpdates: VerifiedPolicyUpdate[] = [];
  let index = 0;
  for (const bytes of options.entries) {
    if (index >= size) fail('size', index, `there are more entries than the ${size} the checkpoint covers`);
    let entry: Entry;
    try {
      entry = decodeEntry(bytes);
    } catch (e) {
      return fail('malformed', index, (e as Error).message, e);
    }
    if (entry.origin !== origin) {
      const error = new StreamOrderError({
        reason: 'origin',
        stream: entry.stream,
        expectedSeq: entry.seq,
        gotSeq: entry.seq,
        expectedPrev: origin,
        gotPrev: entry.origin,
      });
      fail('stream-order', index, error.message, error);
    }
    let next: { policy: MembershipPolicy; digest: string } | undefined;
    if (entry.kind === 'policy.update') {
      const policy = judgeUpdate(entry, index, current, options.policyDocuments, requirements);
      next = { policy, digest: entry.body.digest };
    } else {
      judgeEntry(entry, index, current, requirements);
    }
    const hash = toHex(root.add(bytes));
    const head = heads.get(entry.stream);
    try {
      heads.set(entry.stream, checkStreamOrder(head, entry, hash));
    } catch (e) {
      return fail('stream-order', index, (e as Error).message, e);
    }
    if (heads.size > maxStreams) fail('stream-order', index, `more than ${maxStreams} streams (maxStreams)`);
    kinds[entry.kind] = (kinds[entry.kind] ?? 0) + 1;
    if (next !== undefined) {
      current = inForce(next.policy);
      const { policyId, version } = next.policy;
      policyUpdates.push({ index, policyId, version, digest: next.digest });
    }
    index++;
  }
  if (index < size) fail('size', index, `the checkpoint covers ${size} entries, only ${index} were given`);
  const derived = root.root();
  if (!sameBytes(derived, rootHash)) {
    fail('root', -1, `the entries produce root ${toHex(derived)}, the checkpoint signs ${toHex(rootHash)}`);
  }

  const { verifiers, k } = witnessRequirement(options.witnesses, current.policy);
  let witnesses: string[];
  try {
    witnesses = requireCosignatures(options.checkpoint, verifiers, k).map((c) => c.name);
  } catch (e) {
    return fail('witnesses', -1, (e as Error).message, e);
  }
  return Object.freeze({
    origin,
    size,
    rootHash: derived,
    streams: heads.size,
    kinds,
    policy: current.policy,
    policyUpdates,
    witnesses,
  });
}
