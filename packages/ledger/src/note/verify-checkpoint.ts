import { type Checkpoint, type CheckpointFields, formatCheckpoint, parseCheckpoint } from './checkpoint.js';
import { NoteError } from './errors.js';
import { signNote, verifyNote } from './note.js';
import type { NoteSigner, NoteVerifier } from './signer.js';

/** A checkpoint whose note verified under the log's key. */
export interface SignedCheckpoint {
  /** The parsed checkpoint. */
  readonly checkpoint: Checkpoint;
  /** The signed note, verbatim (with every signature line, cosignatures included). */
  readonly note: string;
}

/** Options of {@link verifyCheckpoint}. */
export interface VerifyCheckpointOptions {
  /** The origin line the checkpoint must carry. Default: the log key's name (C2SP recommends they match). */
  readonly origin?: string;
}

/**
 * Verifies a signed checkpoint note: the log's signature (`log` is its verifier; other signature
 * lines, e.g. witness cosignatures, are ignored here), the checkpoint format, and the origin.
 * @throws {NoteError} `malformed`, `unverified` (the log did not sign), `bad-signature`,
 * `checkpoint` (bad text) or `origin` (another log's checkpoint).
 * @example
 * ```ts
 * const { checkpoint } = verifyCheckpoint(noteText, createNoteVerifier(logVkey));
 * console.log(checkpoint.size);
 * ```
 */
export function verifyCheckpoint(
  note: string,
  log: NoteVerifier,
  options: VerifyCheckpointOptions = {},
): SignedCheckpoint {
  const { text } = verifyNote(note, [log]);
  const checkpoint = parseCheckpoint(text);
  const origin = options.origin ?? log.name;
  if (checkpoint.origin !== origin) {
    throw new NoteError(
      'origin',
      `checkpoint origin ${JSON.stringify(checkpoint.origin)} is not the expected ${JSON.stringify(origin)}`,
    );
  }
  return Object.freeze({ checkpoint, note });
}

/**
 * Formats and signs a checkpoint with the log's key (the key name should be the origin).
 * @throws as {@link formatCheckpoint} and {@link signNote}.
 * @example
 * ```ts
 * const note = signCheckpoint({ origin: logSigner.name, size: tree.size, rootHash: tree.root() }, logSigner);
 * ```
 */
export function signCheckpoint(fields: CheckpointFields, log: NoteSigner): string {
  return signNote(formatCheckpoint(fields), [log]);
}
