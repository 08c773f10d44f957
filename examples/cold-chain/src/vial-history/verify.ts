import { Reading } from '@healthit/core';
import type { ThresholdRuleSpec } from '@healthit/gateway';
import {
  type Checkpoint,
  createNoteVerifier,
  decodeBase64,
  entries,
  leafHash,
  type NoteVerifier,
  parseCheckpoint,
  policy,
  requireCosignatures,
  SignatureTypes,
  verifyInclusion,
  verifyNote,
} from '@healthit/ledger';
import { COLD_CHAIN_RULES } from '../excursions.js';
import { fromHex, toHex } from '../hex.js';
import { type Vial, type VialHistory, VialHistorySchema } from './bundle.js';
import {
  failStep,
  type HistoryStepOutcome,
  StepFailure,
  type StepRunner,
  type VialHistoryStep,
} from './steps.js';
import { type CheckedHistory, checkShipment, type ShipmentFindings } from './verify-shipment.js';

/** A history that verified: what it proves. */
export interface VialHistoryValid extends ShipmentFindings {
  readonly ok: true;
  readonly steps: readonly HistoryStepOutcome[];
  readonly vial: Vial;
  readonly shipment: string;
  /** The checkpoint every proof leads to (`rootHash` lowercase hex). */
  readonly checkpoint: { readonly origin: string; readonly size: number; readonly rootHash: string };
  /** The witnesses whose cosignatures counted. */
  readonly witnesses: readonly string[];
}

/** A history that did not verify: the first failed step and why. */
export interface VialHistoryInvalid {
  readonly ok: false;
  readonly step: VialHistoryStep;
  readonly reason: string;
  readonly steps: readonly HistoryStepOutcome[];
}

/** The verdict of {@link verifyVialHistory}. */
export type VialHistoryVerdict = VialHistoryValid | VialHistoryInvalid;

/** What the verifier trusts. */
export interface VerifyVialHistoryOptions {
  /** The log's verifier key string (Ed25519, type 0x01). */
  readonly logKey: string;
  /** The consortium's membership policy: member keys, roles, endorsement rules, witnesses. */
  readonly policy: policy.MembershipPolicy;
  /** Witness verifier keys (type 0x04). Default: the policy's witnesses. */
  readonly witnesses?: readonly string[];
  /** How many distinct witnesses must have cosigned. Default: the policy's `k` (all given witnesses when `witnesses` is set). */
  readonly witnessThreshold?: number;
  /** The origin the checkpoint must name. Default: the log key's name. */
  readonly origin?: string;
  /** The excursion rules the consortium agreed (default the example's {@link COLD_CHAIN_RULES}). */
  readonly rules?: readonly ThresholdRuleSpec[];
  /** The longest allowed silence of the temperature record (default 15 min). */
  readonly maxGapMs?: number;
}

interface Trust {
  readonly log: NoteVerifier;
  readonly witnesses: readonly NoteVerifier[];
  readonly k: number;
  readonly origin: string;
  readonly policy: policy.MembershipPolicy;
  readonly keys: ReadonlyMap<string, string>;
  readonly rules: readonly ThresholdRuleSpec[];
  readonly maxGapMs: number;
}

function trustOf(options: VerifyVialHistoryOptions): Trust {
  const log = createNoteVerifier(options.logKey);
  if (log.type !== SignatureTypes.ed25519)
    throw new RangeError('logKey must be an Ed25519 note key (type 0x01)');
  const vkeys = options.witnesses ?? options.policy.witnesses.keys.map((w) => w.vkey);
  const witnesses = vkeys.map((w) => createNoteVerifier(w));
  for (const w of witnesses) {
    if (w.type !== SignatureTypes.cosignatureV1)
      throw new RangeError(`witness key ${w.name} is not a cosignature key`);
  }
  const k =
    options.witnessThreshold ??
    (options.witnesses === undefined ? options.policy.witnesses.k : witnesses.length);
  if (!Number.isInteger(k) || k < 0 || k > witnesses.length) {
    throw new RangeError(`witnessThreshold must be an integer in [0, ${witnesses.length}], got ${k}`);
  }
  const maxGapMs = options.maxGapMs ?? 15 * 60_000;
  if (!Number.isSafeInteger(maxGapMs) || maxGapMs <= 0)
    throw new RangeError(`maxGapMs must be a positive integer`);
  return {
    log,
    witnesses,
    k,
    origin: options.origin ?? log.name,
    policy: options.policy,
    keys: policy.policyKeyLookup(options.policy),
    rules: options.rules ?? COLD_CHAIN_RULES,
    maxGapMs,
  };
}

/**
 * Verifies a vial's history offline, in one call, with nothing but what the pharmacist trusts: the
 * log's key, the consortium's membership policy (keys, roles, rules, witnesses) and the excursion
 * rules. Runs every step of `VialHistorySteps` in order and stops at the first failure.
 * Never throws on the history, whatever it holds: failures are data.
 *
 * The history proves what it includes, and that nothing inside it is missing: the shipment's stream
 * from its first entry, each logger's batches without a gap, readings without a silence. It cannot
 * prove that the log holds nothing *after* its last entries (a later transfer or flag); for that,
 * compare its checkpoint with a newer one the pharmacist trusts.
 *
 * @throws {NoteError} / {RangeError} only for bad `options` (a malformed key, a threshold out of range).
 * @example
 * ```ts
 * const verdict = verifyVialHistory(JSON.parse(text), { logKey, policy: consortiumPolicy });
 * if (!verdict.ok) console.error(`invalid at ${verdict.step}: ${verdict.reason}`);
 * ```
 */
export function verifyVialHistory(history: unknown, options: VerifyVialHistoryOptions): VialHistoryVerdict {
  const trust = trustOf(options);
  const steps: HistoryStepOutcome[] = [];
  let current: VialHistoryStep = 'bundle';
  const step = <T>(name: VialHistoryStep, run: () => T): T => {
    current = name;
    const value = run();
    steps.push({ step: name, ok: true });
    return value;
  };
  try {
    return { ok: true, steps, ...runSteps(history, trust, step) };
  } catch (error) {
    const failure =
      error instanceof StepFailure
        ? error
        : new StepFailure(current, error instanceof Error ? error.message : String(error));
    steps.push({ step: failure.step, ok: false, reason: failure.reason });
    return { ok: false, step: failure.step, reason: failure.reason, steps };
  }
}

function runSteps(input: unknown, trust: Trust, step: StepRunner): Omit<VialHistoryValid, 'ok' | 'steps'> {
  const { history, bytes } = step('bundle', () => {
    const parsed = VialHistorySchema.safeParse(input);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      failStep('bundle', `${issue?.path.join('.') || '(root)'}: ${issue?.message ?? 'invalid'}`);
    }
    const decoded = parsed.data.entries.map((e, i) => {
      const b = decodeBase64(e.bytes);
      if (b === undefined) failStep('bundle', `entries.${i}.bytes: not canonical padded base64`);
      return b;
    });
    return { history: parsed.data as VialHistory, bytes: decoded };
  });

  const checkpoint = step('checkpoint', (): Checkpoint => {
    const cp = parseCheckpoint(verifyNote(history.checkpoint, [trust.log]).text);
    if (cp.origin !== trust.origin)
      failStep('checkpoint', `the checkpoint is log ${cp.origin}'s, not ${trust.origin}'s`);
    return cp;
  });

  const witnesses = step('witnesses', () =>
    requireCosignatures(history.checkpoint, trust.witnesses, trust.k).map((c) => c.name),
  );

  const decoded = step('entries', () =>
    history.entries.map((e, i) => {
      const where = `entry ${e.index}`;
      let entry: entries.Entry;
      try {
        entry = entries.decodeEntry(bytes[i] as Uint8Array);
      } catch (error) {
        failStep('entries', `${where}: ${error instanceof Error ? error.message : String(error)}`);
      }
      if (entry.origin !== checkpoint.origin) failStep('entries', `${where} is for log ${entry.origin}`);
      if (e.index >= checkpoint.size)
        failStep('entries', `${where} is beyond the checkpoint size ${checkpoint.size}`);
      return { index: e.index, entry, leaf: leafHash(bytes[i] as Uint8Array) };
    }),
  );

  step('signatures', () => {
    const evaluator = policy.createEndorsementEvaluator(trust.policy);
    for (const { index, entry } of decoded) {
      const where = `entry ${index} (${entry.kind} ${entry.stream}#${entry.seq})`;
      const report = entries.verifyEntrySignatures(entry, trust.keys);
      const failed = report.failures[0];
      if (failed !== undefined)
        failStep('signatures', `${where}: signature by "${failed.keyId}": ${failed.reason}`);
      const rule = policy.endorsementRuleFor(trust.policy, entry.kind);
      if (rule === undefined) failStep('signatures', `${where}: the policy allows no ${entry.kind} entries`);
      const result = evaluator.evaluate(rule, report.keyIds, entry.ts);
      if (!result.satisfied) failStep('signatures', `${where}: not endorsed: ${result.reasons.join('; ')}`);
      if (entry.kind === 'custody.transfer') {
        const orgs = new Set(result.counted.map((c) => c.org));
        for (const party of [entry.body.from, entry.body.to]) {
          if (!orgs.has(party)) failStep('signatures', `${where}: not signed by ${party}, a party it names`);
        }
      }
    }
  });

  step('inclusion', () => {
    decoded.forEach(({ index, leaf }, i) => {
      const proof = (history.entries[i]?.proof ?? []).map(fromHex);
      if (!verifyInclusion(leaf, index, checkpoint.size, proof, checkpoint.rootHash)) {
        failStep('inclusion', `entry ${index}: its proof does not lead to the checkpoint root`);
      }
    });
  });

  const checked: CheckedHistory = {
    history,
    entries: decoded.map(({ index, entry }) => ({ index, entry })),
    readingsOf: new Map(
      history.readings.map((b) => [b.index, b.readings.map((r) => Reading.safeParse(r))] as const),
    ),
  };
  const findings = checkShipment(checked, trust, step);
  return {
    vial: history.vial,
    shipment: history.shipment,
    checkpoint: { origin: checkpoint.origin, size: checkpoint.size, rootHash: toHex(checkpoint.rootHash) },
    witnesses,
    ...findings,
  };
}
