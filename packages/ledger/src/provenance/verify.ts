import { type LedgerReceipt, Reading } from '@healthit/core';
import {
  decodeEntry,
  type EntryOf,
  type KeyLookup,
  readingLeaf,
  saltedReadingLeaf,
  verifyEntrySignatures,
} from '../entries/index.js';
import { fromHex, toHex } from '../hex.js';
import { logIdOf } from '../key.js';
import { leafHash, verifyInclusion } from '../merkle/index.js';
import {
  type Checkpoint,
  createNoteVerifier,
  decodeBase64,
  type NoteVerifier,
  parseCheckpoint,
  requireCosignatures,
  SignatureTypes,
  verifyNote,
} from '../note/index.js';
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
export interface StepOutcome {
  readonly step: ProvenanceStep;
  readonly ok: boolean;
  /** What failed (only when `ok` is false). */
  readonly reason?: string;
}

/** A bundle that verified: what it proves. */
export interface ProvenanceValid {
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

interface Trust {
  readonly log: NoteVerifier;
  readonly logId: string;
  readonly witnesses: readonly NoteVerifier[];
  readonly k: number;
  readonly origin: string;
  readonly submitterKeys: KeyLookup | undefined;
}

function trustOf(options: VerifyProvenanceOptions): Trust {
  const log = createNoteVerifier(options.logKey);
  if (log.type !== SignatureTypes.ed25519) {
    throw new RangeError('logKey must be an Ed25519 note key (type 0x01), not a witness key');
  }
  const witnesses = (options.witnesses ?? []).map((w) => createNoteVerifier(w));
  for (const w of witnesses) {
    if (w.type !== SignatureTypes.cosignatureV1) {
      throw new RangeError(`witness key ${w.name} is not a cosignature/v1 (type 0x04) key`);
    }
  }
  const k = options.witnessThreshold ?? witnesses.length;
  if (!Number.isInteger(k) || k < 0 || k > witnesses.length) {
    throw new RangeError(`witnessThreshold must be an integer in [0, ${witnesses.length}], got ${k}`);
  }
  return {
    log,
    logId: logIdOf(log.publicKey),
    witnesses,
    k,
    origin: options.origin ?? log.name,
    submitterKeys: options.submitterKeys,
  };
}

/** Thrown inside the verifier only, to stop at a step; never escapes. */
class StepFailure {
  constructor(
    readonly step: ProvenanceStep,
    readonly reason: string,
  ) {}
}

function fail(step: ProvenanceStep, reason: string): never {
  throw new StepFailure(step, reason);
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function hashes(proof: readonly string[]): Uint8Array[] {
  return proof.map((h) => fromHex(h, 32, 'proof hash'));
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
  const steps: StepOutcome[] = [];
  let current: ProvenanceStep = 'bundle';
  const step = <T>(name: ProvenanceStep, run: () => T): T => {
    current = name;
    const value = run();
    steps.push({ step: name, ok: true });
    return value;
  };
  try {
    return { ok: true, steps, ...runSteps(bundle, trust, step) };
  } catch (error) {
    const failure = error instanceof StepFailure ? error : new StepFailure(current, messageOf(error));
    steps.push({ step: failure.step, ok: false, reason: failure.reason });
    return { ok: false, step: failure.step, reason: failure.reason, steps };
  }
}

type StepRunner = <T>(name: ProvenanceStep, run: () => T) => T;

function runSteps(input: unknown, trust: Trust, step: StepRunner): Omit<ProvenanceValid, 'ok' | 'steps'> {
  const { bundle, entryBytes } = step('bundle', () => {
    const parsed = ProvenanceBundleSchema.safeParse(input);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      fail('bundle', `${issue?.path.join('.') || '(root)'}: ${issue?.message ?? 'invalid'}`);
    }
    const bytes = decodeBase64(parsed.data.entry.bytes);
    if (bytes === undefined) fail('bundle', 'entry.bytes: not canonical padded base64');
    return { bundle: parsed.data as ProvenanceBundle, entryBytes: bytes };
  });

  const reading = step('reading', () => {
    const parsed = Reading.safeParse(bundle.reading);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      fail('reading', `${issue?.path.join('.') || '(root)'}: ${issue?.message ?? 'invalid'}`);
    }
    return parsed.data;
  });

  const entry = step('entry', () => {
    const decoded = decodeEntry(entryBytes);
    if (decoded.kind !== 'reading.batch') fail('entry', `a ${decoded.kind} entry, not reading.batch`);
    return decoded;
  });

  step('batch-match', () => {
    const b = entry.body;
    if (b.device !== reading.deviceId)
      fail('batch-match', `the batch is device ${b.device}'s, the reading ${reading.deviceId}'s`);
    if (reading.seq < b.firstSeq || reading.seq > b.lastSeq) {
      fail('batch-match', `reading seq ${reading.seq} is outside the batch's ${b.firstSeq}..${b.lastSeq}`);
    }
    if (reading.ts < b.firstTs || reading.ts > b.lastTs) {
      fail('batch-match', `reading ts ${reading.ts} is outside the batch's ${b.firstTs}..${b.lastTs}`);
    }
    if ((reading.patientId === undefined) !== (b.patient === undefined)) {
      fail('batch-match', 'the reading and the batch disagree on whether the readings name a patient');
    }
    if ((b.salted === true) !== (bundle.batch.salt !== undefined)) {
      fail(
        'batch-match',
        b.salted === true
          ? 'the batch has salted leaves but the bundle carries no salt'
          : 'the bundle carries a salt but the batch leaves are not salted',
      );
    }
    if (bundle.batch.leafIndex >= b.count) {
      fail('batch-match', `leaf index ${bundle.batch.leafIndex} is outside the batch of ${b.count}`);
    }
  });

  step('reading-inclusion', () => {
    const { salt } = bundle.batch;
    const ok = verifyInclusion(
      leafHash(salt === undefined ? readingLeaf(reading) : saltedReadingLeaf(reading, salt)),
      bundle.batch.leafIndex,
      entry.body.count,
      hashes(bundle.batch.proof),
      fromHex(entry.body.root, 32, 'batch root'),
    );
    if (!ok) fail('reading-inclusion', "the reading's proof does not lead to the batch root");
  });

  if (trust.submitterKeys !== undefined) {
    const keys = trust.submitterKeys;
    step('entry-signatures', () => {
      const report = verifyEntrySignatures(entry, keys);
      if (!report.ok) {
        const first = report.failures[0];
        fail(
          'entry-signatures',
          first === undefined ? 'no signature' : `signature by "${first.keyId}": ${first.reason}`,
        );
      }
    });
  }

  const checkpoint = step('checkpoint-signature', (): Checkpoint => {
    const { text } = verifyNote(bundle.checkpoint, [trust.log]);
    return parseCheckpoint(text);
  });

  step('checkpoint-origin', () => {
    if (checkpoint.origin !== trust.origin) {
      fail('checkpoint-origin', `the checkpoint is log ${checkpoint.origin}'s, not ${trust.origin}'s`);
    }
    if (entry.origin !== checkpoint.origin) {
      fail(
        'checkpoint-origin',
        `the entry is for log ${entry.origin}, the checkpoint is ${checkpoint.origin}'s`,
      );
    }
  });

  const witnesses = step('witnesses', () =>
    requireCosignatures(bundle.checkpoint, trust.witnesses, trust.k).map((c) => c.name),
  );

  const entryLeaf = leafHash(entryBytes);
  step('log-inclusion', () => {
    const { index, proof } = bundle.entry;
    if (index >= checkpoint.size)
      fail('log-inclusion', `entry ${index} is beyond the checkpoint size ${checkpoint.size}`);
    if (!verifyInclusion(entryLeaf, index, checkpoint.size, hashes(proof), checkpoint.rootHash)) {
      fail('log-inclusion', "the entry's proof does not lead to the checkpoint root");
    }
  });

  return {
    reading,
    entry,
    receipt: Object.freeze({ logId: trust.logId, index: bundle.entry.index, entryHash: toHex(entryLeaf) }),
    checkpoint: Object.freeze({
      origin: checkpoint.origin,
      size: checkpoint.size,
      rootHash: toHex(checkpoint.rootHash),
    }),
    witnesses,
  };
}
