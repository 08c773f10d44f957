import {
  assertEntrySignatures,
  type Entry,
  type EntryKind,
  type EntryOf,
  type SignatureCheck,
  type SignatureRequirements,
} from '../entries/index.js';
import { fromHex } from '../hex.js';
import { refusedResult } from '../policy/errors.js';
import {
  createEndorsementEvaluator,
  type EndorsedEntryContext,
  EndorsementError,
  type EndorsementEvaluator,
  type EndorsementRule,
  endorsementRuleFor,
  type MembershipPolicy,
  type PolicyDocuments,
  parseMembershipPolicy,
  resolvePolicyDocument,
  verifyPolicyUpdate,
} from '../policy/index.js';
import { LogVerificationError } from './log-verification-error.js';

/** @internal One policy version, compiled once: its evaluator, its keys decoded, its rules per kind. */
export interface PolicyVersion {
  readonly policy: MembershipPolicy;
  readonly evaluator: EndorsementEvaluator;
  /** Key id → 32-byte public key. */
  readonly keys: ReadonlyMap<string, Uint8Array>;
  readonly rules: Map<EntryKind, EndorsementRule | undefined>;
}

function compile(policy: MembershipPolicy): PolicyVersion {
  const keys = new Map<string, Uint8Array>();
  for (const org of policy.organisations) {
    for (const key of org.keys) keys.set(key.id, fromHex(key.publicKey, 32, 'publicKey'));
  }
  return { policy, evaluator: createEndorsementEvaluator(policy), keys, rules: new Map() };
}

function ruleOf(version: PolicyVersion, kind: EntryKind): EndorsementRule | undefined {
  if (!version.rules.has(kind)) version.rules.set(kind, endorsementRuleFor(version.policy, kind));
  return version.rules.get(kind);
}

function sameKey(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** An entry the gate admitted: the keys that endorsed it, and the version it puts in force, if any. */
export interface Admission {
  readonly keyIds: readonly string[];
  /** For an admitted `policy.update`: the version in force from the next entry on. */
  readonly next?: PolicyVersion;
}

/** Options of {@link createPolicyGate}. */
export interface PolicyGateOptions {
  /** The policy in force at index 0 (validated here). */
  readonly policy: MembershipPolicy;
  /** Where `policy.update` entries' documents are found. */
  readonly documents?: PolicyDocuments | undefined;
  /** Extra signature requirements for every entry. */
  readonly signatures?: SignatureRequirements | undefined;
  /** The accepted window of producer times around `now()` (see `TransparencyLogOptions.entryTime`). */
  readonly entryTime?: EntryTimeWindow | undefined;
  /** The log's clock (epoch ms), for `entryTime`. */
  readonly now: () => number;
}

/** How far an entry's producer time (`ts`) may lie from the log's clock when it is appended. */
export interface EntryTimeWindow {
  /** `ts` may be at most this much earlier than now (≥ 0): bounds backdating by a revoked key. */
  readonly maxAgeMs: number;
  /** `ts` may be at most this much later than now (≥ 0): clock skew of the producers. */
  readonly maxAheadMs: number;
}

/**
 * @internal The sequencer's membership-policy check: which entries the policy in force admits.
 * `check` is side-effect free; `apply` puts an admitted update in force (call it once the entry is
 * sequenced, so a rejected entry changes nothing).
 */
export interface PolicyGate {
  /** The policy in force for the next entry. */
  readonly policy: MembershipPolicy;
  /** The keys of the policy in force for the next entry (key id → 32-byte public key). */
  readonly keys: ReadonlyMap<string, Uint8Array>;
  /**
   * @throws {EntrySignatureError} a signature by a key the policy in force does not list (an
   *   unauthorised writer), that does not verify, or unmet `signatures` requirements;
   * @throws {EndorsementError} `entry-time`, `unendorsed`, `kind-not-allowed`, `policy-update`,
   *   `policy-document`.
   * `verify` checks one signature (default strict Ed25519; see `SignatureCheck`).
   */
  check(entry: Entry, verify?: SignatureCheck): Admission;
  apply(admission: Admission): void;
  /**
   * Replays stored entry `index` of a reopened log: re-checks and applies `policy.update` entries
   * (other entries were checked when appended).
   * @throws {LogVerificationError} `signature` or `policy-update` naming `index`.
   */
  replay(entry: Entry, index: number): void;
}

/**
 * @internal Creates the gate over the initial policy. Each policy version is compiled once (key
 * index, decoded public keys, rules per kind): the per-entry cost is the signature checks and
 * one rule evaluation.
 * @throws {ValidationError} when the initial policy is invalid;
 * @throws {RangeError} for a bad `entryTime` window.
 */
export function createPolicyGate(options: PolicyGateOptions): PolicyGate {
  const requirements = options.signatures ?? {};
  const window = options.entryTime;
  if (window !== undefined) {
    for (const [what, v] of [
      ['entryTime.maxAgeMs', window.maxAgeMs],
      ['entryTime.maxAheadMs', window.maxAheadMs],
    ] as const) {
      if (!Number.isSafeInteger(v) || v < 0) throw new RangeError(`${what} must be an integer ≥ 0, got ${v}`);
    }
  }
  let current = compile(parseMembershipPolicy(options.policy, 'policy'));

  const context = (entry: Entry): EndorsedEntryContext => ({
    kind: entry.kind,
    stream: entry.stream,
    seq: entry.seq,
    ts: entry.ts,
    policyId: current.policy.policyId,
    policyVersion: current.policy.version,
  });
  const where = (entry: Entry): string =>
    `${entry.kind} entry ${entry.stream}#${entry.seq} (policy ${current.policy.policyId} v${current.policy.version})`;

  function checkEntry(entry: Entry, verify: SignatureCheck | undefined): Admission {
    const rule = ruleOf(current, entry.kind);
    if (rule === undefined) {
      const why = `the policy lists no endorsement rule for kind ${entry.kind}`;
      throw new EndorsementError(`${where(entry)} refused: ${why}`, refusedResult(why), {
        reason: 'kind-not-allowed',
        entry: context(entry),
      });
    }
    const report = assertEntrySignatures(entry, current.keys, requirements, verify);
    const result = current.evaluator.evaluate(rule, report.keyIds, entry.ts);
    if (!result.satisfied) {
      throw new EndorsementError(`${where(entry)} is not endorsed: ${result.reasons.join('; ')}`, result, {
        entry: context(entry),
      });
    }
    return { keyIds: report.keyIds };
  }

  function checkUpdate(entry: EntryOf<'policy.update'>, verify?: SignatureCheck): Admission {
    const found = resolvePolicyDocument(options.documents, entry.body);
    if (!found.ok) {
      throw new EndorsementError(`${where(entry)} refused: ${found.reason}`, refusedResult(found.reason), {
        reason: 'policy-document',
        entry: context(entry),
      });
    }
    const next = compile(found.policy);
    const old = current.keys;
    // A signature verifies under the key its id has in the old version, else in the new one.
    const lookup = (keyId: string): Uint8Array | undefined => old.get(keyId) ?? next.keys.get(keyId);
    const report = assertEntrySignatures(entry, lookup, requirements, verify);
    // An id bound to another public key in the new version endorses neither version.
    const signers = report.keyIds.filter((id) => {
      const a = old.get(id);
      const b = next.keys.get(id);
      return a === undefined || b === undefined || sameKey(a, b);
    });
    const verdict = verifyPolicyUpdate(current.policy, next.policy, signers, entry.ts);
    if (!verdict.valid) {
      const failed = verdict.oldAdmin.satisfied ? verdict.newAdmin : verdict.oldAdmin;
      throw new EndorsementError(`${where(entry)} refused: ${verdict.reasons.join('; ')}`, failed, {
        reason: 'policy-update',
        entry: context(entry),
        update: verdict,
      });
    }
    return { keyIds: report.keyIds, next };
  }

  function checkTime(entry: Entry): void {
    if (window === undefined) return;
    const now = options.now();
    if (entry.ts >= now - window.maxAgeMs && entry.ts <= now + window.maxAheadMs) return;
    const why =
      `producer time ${entry.ts} is outside [now - ${window.maxAgeMs}, now + ${window.maxAheadMs}] ` +
      `(now ${now}): key validity cannot be judged at it`;
    throw new EndorsementError(`${where(entry)} refused: ${why}`, refusedResult(why), {
      reason: 'entry-time',
      entry: context(entry),
    });
  }

  function check(entry: Entry, verify?: SignatureCheck): Admission {
    checkTime(entry);
    return entry.kind === 'policy.update' ? checkUpdate(entry, verify) : checkEntry(entry, verify);
  }

  function apply(admission: Admission): void {
    if (admission.next !== undefined) current = admission.next;
  }

  return {
    get policy() {
      return current.policy;
    },
    get keys() {
      return current.keys;
    },
    check,
    apply,
    replay(entry, index) {
      if (entry.kind !== 'policy.update') return;
      try {
        apply(checkUpdate(entry)); // not checkTime: the entry was timely when it was appended
      } catch (cause) {
        const reason = cause instanceof EndorsementError ? 'policy-update' : 'signature';
        throw new LogVerificationError(
          `Entry ${index} of the log, a policy update, does not replay: ${(cause as Error).message}`,
          { reason, index, cause },
        );
      }
    },
  };
}
