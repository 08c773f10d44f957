import { decodeEntry } from '../entries/index.js';
import { type ProofSource, proveLoggedEntry } from '../log-proof/index.js';
import {
  FIRMWARE_AUTHORISATION_FORMAT,
  FIRMWARE_AUTHORISATION_VERSION,
  type FirmwareAuthorisationProof,
  MAX_FIRMWARE_CHECKPOINT_CHARS,
} from './bundle.js';

/** Options of {@link buildFirmwareAuthorisationProof}. */
export interface BuildFirmwareAuthorisationOptions {
  /** The log (or anything serving its entries and inclusion proofs): a `TransparencyLog` fits. */
  readonly log: ProofSource;
  /** The log index of the release's `firmware.authorize` entry (its `append` result's `index`). */
  readonly index: number;
  /**
   * A signed, witness-cosigned checkpoint note whose tree covers `index`, e.g.
   * `await log.awaitCheckpoint(index)` on a log with witnesses.
   */
  readonly checkpointNote: string;
}

/**
 * Builds the authorisation proof of a firmware release: the `firmware.authorize` entry's canonical
 * bytes (which carry the endorsers' signatures: in this ledger an endorsement IS a signature on the
 * entry, checked against the membership policy when it was appended), its log index, its inclusion
 * proof up to the checkpoint, and the checkpoint note. The proof is checked against the
 * checkpoint's root before it is returned; whether the endorsements meet a policy and the witnesses
 * a quorum is the verifier's decision (`verifyFirmwareAuthorisationProof`), made with what the
 * device trusts.
 *
 * @throws {RangeError} when `index` is not a non-negative integer, the entry at `index` is not a
 *   `firmware.authorize` entry, the checkpoint does not cover `index`, or the checkpoint note is
 *   longer than {@link MAX_FIRMWARE_CHECKPOINT_CHARS};
 * @throws {Error} when the log's proof does not lead to the checkpoint's root (a checkpoint of
 *   another log, or a log that changed its history);
 * @throws {NoteError} when `checkpointNote` is not a checkpoint note.
 * @example
 * ```ts
 * const { index } = await log.append(signedAuthorisation); // endorsed by release + QA
 * const proof = buildFirmwareAuthorisationProof({ log, index, checkpointNote: await log.awaitCheckpoint(index) });
 * await writeFile('po-200-2.4.1.authorisation.json', JSON.stringify(proof));
 * ```
 */
export function buildFirmwareAuthorisationProof(
  options: BuildFirmwareAuthorisationOptions,
): FirmwareAuthorisationProof {
  const { log, index, checkpointNote } = options;
  if (!Number.isSafeInteger(index) || index < 0) {
    throw new RangeError(`index must be a non-negative integer, got ${index}`);
  }
  if (checkpointNote.length > MAX_FIRMWARE_CHECKPOINT_CHARS) {
    throw new RangeError(
      `the checkpoint note is ${checkpointNote.length} characters, at most ${MAX_FIRMWARE_CHECKPOINT_CHARS}`,
    );
  }
  const bytes = log.entry(index).bytes;
  const entry = decodeEntry(bytes);
  if (entry.kind !== 'firmware.authorize') {
    throw new RangeError(`log entry ${index} is a ${entry.kind} entry, not a firmware.authorize entry`);
  }
  return {
    format: FIRMWARE_AUTHORISATION_FORMAT,
    version: FIRMWARE_AUTHORISATION_VERSION,
    entry: proveLoggedEntry(log, index, bytes, checkpointNote),
    checkpoint: checkpointNote,
  };
}
