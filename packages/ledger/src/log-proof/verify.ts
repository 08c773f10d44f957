import type { LedgerReceipt } from '@healthit/core';
import { toHex } from '../hex.js';
import { leafHash, verifyInclusion } from '../merkle/index.js';
import { type Checkpoint, parseCheckpoint, requireCosignatures, verifyNote } from '../note/index.js';
import { proofBytes } from './schema.js';
import { failStep, type StepRunner } from './steps.js';
import type { CheckpointTrust } from './trust.js';

/**
 * The steps of {@link verifyLoggedEntry}, in the order they run:
 *
 * | step                   | checks                                                              |
 * | ---------------------- | ------------------------------------------------------------------- |
 * | `checkpoint-signature` | the checkpoint is a checkpoint note signed by the log key           |
 * | `checkpoint-origin`    | it names the expected origin, and the entry names the same          |
 * | `witnesses`            | at least the required number of trusted witnesses cosigned it       |
 * | `log-inclusion`        | the entry's leaf and proof lead to the checkpoint's root            |
 */
export const LoggedEntrySteps = [
  'checkpoint-signature',
  'checkpoint-origin',
  'witnesses',
  'log-inclusion',
] as const;

/** One of {@link LoggedEntrySteps}. */
export type LoggedEntryStep = (typeof LoggedEntrySteps)[number];

/** An entry claimed to be in the log under a checkpoint. */
export interface LoggedEntryClaim {
  /** The origin the decoded entry names. */
  readonly entryOrigin: string;
  /** The entry's canonical bytes. */
  readonly bytes: Uint8Array;
  /** Its claimed index. */
  readonly index: number;
  /** Its inclusion proof (lowercase hex hashes). */
  readonly proof: readonly string[];
  /** The signed, cosigned checkpoint note. */
  readonly checkpoint: string;
}

/** What {@link verifyLoggedEntry} establishes. */
export interface LoggedEntryProven {
  /** Where the log holds the entry (`logId` = hex SHA-256 of the log key). */
  readonly receipt: LedgerReceipt;
  /** The checkpoint the proof leads to (`rootHash` in lowercase hex). */
  readonly checkpoint: { readonly origin: string; readonly size: number; readonly rootHash: string };
  /** The names of the witnesses whose cosignatures counted. */
  readonly witnesses: readonly string[];
}

/**
 * Runs the {@link LoggedEntrySteps} through `step`: the log's signature on the checkpoint, its
 * origin (and the entry's), the witness quorum, and the entry's inclusion proof to its root.
 * Stops by throwing inside the step runner (see `runSteps`).
 */
export function verifyLoggedEntry(
  step: StepRunner<LoggedEntryStep>,
  trust: CheckpointTrust,
  claim: LoggedEntryClaim,
): LoggedEntryProven {
  const checkpoint = step('checkpoint-signature', (): Checkpoint => {
    const { text } = verifyNote(claim.checkpoint, [trust.log]);
    return parseCheckpoint(text);
  });

  step('checkpoint-origin', () => {
    if (checkpoint.origin !== trust.origin) {
      failStep('checkpoint-origin', `the checkpoint is log ${checkpoint.origin}'s, not ${trust.origin}'s`);
    }
    if (claim.entryOrigin !== checkpoint.origin) {
      failStep(
        'checkpoint-origin',
        `the entry is for log ${claim.entryOrigin}, the checkpoint is ${checkpoint.origin}'s`,
      );
    }
  });

  const witnesses = step('witnesses', () =>
    requireCosignatures(claim.checkpoint, trust.witnesses, trust.k).map((c) => c.name),
  );

  const entryLeaf = leafHash(claim.bytes);
  step('log-inclusion', () => {
    const { index, proof } = claim;
    if (index >= checkpoint.size) {
      failStep('log-inclusion', `entry ${index} is beyond the checkpoint size ${checkpoint.size}`);
    }
    if (!verifyInclusion(entryLeaf, index, checkpoint.size, proofBytes(proof), checkpoint.rootHash)) {
      failStep('log-inclusion', "the entry's proof does not lead to the checkpoint root");
    }
  });

  return {
    receipt: Object.freeze({ logId: trust.logId, index: claim.index, entryHash: toHex(entryLeaf) }),
    checkpoint: Object.freeze({
      origin: checkpoint.origin,
      size: checkpoint.size,
      rootHash: toHex(checkpoint.rootHash),
    }),
    witnesses,
  };
}
