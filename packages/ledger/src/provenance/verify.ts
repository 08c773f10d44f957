import { type LedgerReceipt, Reading } from '@healthit/core';
import {
  decodeEntry,
  type EntryOf,
  type KeyLookup,
  readingLeaf,
  saltedReadingLeaf,
  verifyEntrySignatures,
} from '../entries/index.js';
import { fromHex } from '../hex.js';
import {
  type CheckpointTrust,
  checkpointTrust,
  failStep,
  firstIssue,
  proofBytes,
  runSteps,
  type StepOutcome as SharedStepOutcome,
  type StepRunner,
  verifyLoggedEntry,
} from '../log-proof/index.js';
import { leafHash, verifyInclusion } from '../merkle/index.js';
import { decodeBase64 } from '../note/index.js';
import { type ProvenanceBundle, ProvenanceBundleSchema } from './bundle.js';

/**
 * The checks of {@link verifyProvenanceBundle}, in the order they run:
 *
 * | step                   | checks                                                                                   |
 * | ---------------------- | ---------------------------------------------------------------------------------------- |
 * | `bundle`               | the bundle's shape: format, version, members, hex proofs, canonical base64               |
 * | `reading`              | the reading is a valid core `Reading`                                                    |
 * | `entry`                | the entry bytes are a canonical `reading.batch` entry                                    |
 * | `batch-match`          | the entry's batch is the reading's: device, seq and time range, patient commitment, leaf index < count |
 * | `reading-inclusion`    | the reading's leaf and proof lead to the entry's batch root                              |
 * | `entry-signatures`     | (only with `submitterKeys`) every entry signature verifies                               |
 * | `checkpoint-signature` | the checkpoint is a checkpoint note signed by the log key                                |
 * | `checkpoint-origin`    | it names the expected origin, and the entry names the same                               |
 * | `witnesses`            | at least `witnessThreshold` of the given witnesses cosigned it                           |
 * | `log-inclusion`        | the entry's leaf and proof lead to the checkpoint's root                                 |
 */
export const ProvenanceSteps = [
  'bundle',
  'reading',
  'entry',
  'batch-match',
  'reading-inclusion',
  'entry-signatures',
  'checkpoint-signature',
  'checkpoint-origin',
  'witnesses',
  'log-inclusion',
] as const;

/** One of {@link ProvenanceSteps}. */
export type ProvenanceStep = (typeof ProvenanceSteps)[number];

/** The outcome of one step. */
export type StepOutcome = SharedStepOutcome<ProvenanceStep>;

/** A bundle that verified: what it proves. */
export interface ProvenanceValid {
  /** The bundle verified: every step passed. */
  readonly ok: true;
  /** Every step run, each `ok`. */
  readonly steps: readonly StepOutcome[];
  /** The proven reading. */
  readonly reading: Reading;
  /** The batch entry that anchors it. */
  readonly entry: EntryOf<'reading.batch'>;
  /** Where the log holds the entry (`logId` = hex SHA-256 of the log key, as the sink's receipts). */
  readonly receipt: LedgerReceipt;
  /** The checkpoint the proof leads to (`rootHash` in lowercase hex). */
  readonly checkpoint: { readonly origin: string; readonly size: number; readonly rootHash: string };
  /** The names of the witnesses whose cosignatures counted. */
  readonly witnesses: readonly string[];
}

/** A bundle that did not verify: the first failed step and why. */
export interface ProvenanceInvalid {
  /** The bundle did not verify: do not trust the reading. */
  readonly ok: false;
  /** The step that failed. */
  readonly step: ProvenanceStep;
  /** Why, in words. */
  readonly reason: string;
  /** The steps run, the last one failed. */
  readonly steps: readonly StepOutcome[];
}

/** The verdict of {@link verifyProvenanceBundle}. */
export type ProvenanceVerdict = ProvenanceValid | ProvenanceInvalid;

/** What the auditor trusts, given to {@link verifyProvenanceBundle}. */
export interface VerifyProvenanceOptions {
  /** The log's verifier key string (`name+keyid+base64`, Ed25519 type 0x01). */
  readonly logKey: string;
  /** The witnesses' verifier key strings (cosignature type 0x04). Default none. */
  readonly witnesses?: readonly string[];
  /** How many distinct witnesses must have cosigned. Default: all of `witnesses`. */
  readonly witnessThreshold?: number;
  /** The log origin the checkpoint must carry. Default: the log key's name. */
  readonly origin?: string;
  /** When given, the entry's submitter signatures are checked too (step `entry-signatures`). */
  readonly submitterKeys?: KeyLookup;
}

interface Trust extends CheckpointTrust {
  readonly submitterKeys: KeyLookup | undefined;
}

function trustOf(options: VerifyProvenanceOptions): Trust {
  return { ...checkpointTrust(options), submitterKeys: options.submitterKeys };
}

/**
 * Verifies a provenance bundle offline with nothing but the keys the auditor trusts: the reading's
 * Merkle proof to the batch root in the entry, the entry's Merkle proof to the checkpoint root, the
 * log's signature on the checkpoint and the witnesses' cosignatures. Runs each step of
 * {@link ProvenanceSteps} in order and stops at the first failure.
 *
 * Pure and browser-safe. Never throws on the bundle, whatever it holds (not an object, wrong types,
 * oversized, forged): the verdict names the failed step. Strict: the bundle must be exactly what
 * `buildProvenanceBundle` writes (lowercase hex, canonical base64, canonical entry bytes).
 *
 * @throws {NoteError} `bad-key` / {RangeError} only for bad `options` (a malformed log or witness
 *   key, a threshold outside `[0, witnesses.length]`), checked before the bundle is looked at.
 * @example
 * ```ts
 * const verdict = verifyProvenanceBundle(JSON.parse(text), { logKey, witnesses: [w1, w2], witnessThreshold: 1 });
 * if (!verdict.ok) console.error(`invalid at ${verdict.step}: ${verdict.reason}`);
 * ```
 */
export function verifyProvenanceBundle(bundle: unknown, options: VerifyProvenanceOptions): ProvenanceVerdict {
  const trust = trustOf(options);
  const outcome = runSteps<ProvenanceStep, Omit<ProvenanceValid, 'ok' | 'steps'>>('bundle', (step) =>
    runProvenanceSteps(bundle, trust, step),
  );
  return outcome.ok ? { ok: true, steps: outcome.steps, ...outcome.value } : outcome;
}

function runProvenanceSteps(
  input: unknown,
  trust: Trust,
  step: StepRunner<ProvenanceStep>,
): Omit<ProvenanceValid, 'ok' | 'steps'> {
  const { bundle, entryBytes } = step('bundle', () => {
    const parsed = ProvenanceBundleSchema.safeParse(input);
    if (!parsed.success) failStep('bundle', firstIssue(parsed.error));
    const bytes = decodeBase64(parsed.data.entry.bytes);
    if (bytes === undefined) failStep('bundle', 'entry.bytes: not canonical padded base64');
    return { bundle: parsed.data as ProvenanceBundle, entryBytes: bytes };
  });

  const reading = step('reading', () => {
    const parsed = Reading.safeParse(bundle.reading);
    if (!parsed.success) failStep('reading', firstIssue(parsed.error));
    return parsed.data;
  });

  const entry = step('entry', () => {
    const decoded = decodeEntry(entryBytes);
    if (decoded.kind !== 'reading.batch') failStep('entry', `a ${decoded.kind} entry, not reading.batch`);
    return decoded;
  });

  step('batch-match', () => {
    const b = entry.body;
    if (b.device !== reading.deviceId)
      failStep('batch-match', `the batch is device ${b.device}'s, the reading ${reading.deviceId}'s`);
    if (reading.seq < b.firstSeq || reading.seq > b.lastSeq) {
      failStep(
        'batch-match',
        `reading seq ${reading.seq} is outside the batch's ${b.firstSeq}..${b.lastSeq}`,
      );
    }
    if (reading.ts < b.firstTs || reading.ts > b.lastTs) {
      failStep('batch-match', `reading ts ${reading.ts} is outside the batch's ${b.firstTs}..${b.lastTs}`);
    }
    if ((reading.patientId === undefined) !== (b.patient === undefined)) {
      failStep('batch-match', 'the reading and the batch disagree on whether the readings name a patient');
    }
    if ((b.salted === true) !== (bundle.batch.salt !== undefined)) {
      failStep(
        'batch-match',
        b.salted === true
          ? 'the batch has salted leaves but the bundle carries no salt'
          : 'the bundle carries a salt but the batch leaves are not salted',
      );
    }
    if (bundle.batch.leafIndex >= b.count) {
      failStep('batch-match', `leaf index ${bundle.batch.leafIndex} is outside the batch of ${b.count}`);
    }
  });

  step('reading-inclusion', () => {
    const { salt } = bundle.batch;
    const ok = verifyInclusion(
      leafHash(salt === undefined ? readingLeaf(reading) : saltedReadingLeaf(reading, salt)),
      bundle.batch.leafIndex,
      entry.body.count,
      proofBytes(bundle.batch.proof),
      fromHex(entry.body.root, 32, 'batch root'),
    );
    if (!ok) failStep('reading-inclusion', "the reading's proof does not lead to the batch root");
  });

  if (trust.submitterKeys !== undefined) {
    const keys = trust.submitterKeys;
    step('entry-signatures', () => {
      const report = verifyEntrySignatures(entry, keys);
      if (!report.ok) {
        const first = report.failures[0];
        failStep(
          'entry-signatures',
          first === undefined ? 'no signature' : `signature by "${first.keyId}": ${first.reason}`,
        );
      }
    });
  }

  const proven = verifyLoggedEntry(step, trust, {
    entryOrigin: entry.origin,
    bytes: entryBytes,
    index: bundle.entry.index,
    proof: bundle.entry.proof,
    checkpoint: bundle.checkpoint,
  });

  return { reading, entry, ...proven };
}
