import { toHex } from '../hex.js';
import { leafHash, verifyInclusion } from '../merkle/index.js';
import { encodeBase64, parseCheckpoint, parseNote } from '../note/index.js';
import type { LoggedEntryProof } from './schema.js';

/** What a bundle builder needs from the log: a `TransparencyLog` fits. */
export interface ProofSource {
  /** The entry at `index`: its canonical bytes. */
  entry(index: number): { readonly bytes: Uint8Array };
  /** RFC 9162 inclusion proof of `index` in the tree of `size` leaves. */
  inclusionProof(index: number, size: number): Uint8Array[];
}

/**
 * The {@link LoggedEntryProof} of the entry at `index` (whose canonical bytes are `bytes`) under
 * `checkpointNote`, checked before it is returned: the proof leads to the checkpoint's root.
 * @throws {RangeError} when the checkpoint does not cover `index`;
 * @throws {Error} when the log's proof does not lead to the checkpoint's root (a checkpoint of
 *   another log, or a log that changed its history);
 * @throws {NoteError} when `checkpointNote` is not a checkpoint note.
 */
export function proveLoggedEntry(
  log: ProofSource,
  index: number,
  bytes: Uint8Array,
  checkpointNote: string,
): LoggedEntryProof {
  const { size, rootHash } = parseCheckpoint(parseNote(checkpointNote).text);
  if (index >= size) {
    throw new RangeError(`the checkpoint covers ${size} entries, not entry ${index}: use a later checkpoint`);
  }
  const logProof = log.inclusionProof(index, size);
  if (!verifyInclusion(leafHash(bytes), index, size, logProof, rootHash)) {
    throw new Error(`the log's inclusion proof of entry ${index} does not lead to the checkpoint's root`);
  }
  return { index, bytes: encodeBase64(bytes), proof: logProof.map(toHex) };
}
