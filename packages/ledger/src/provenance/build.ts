import { parse, Reading, utf8Decode } from '@healthit/core';
import { z } from 'zod';
import {
  decodeEntry,
  readingLeaf,
  readingSalter,
  saltedReadingLeaf,
  verifyReadingBatchBody,
} from '../entries/index.js';
import { toHex } from '../hex.js';
import { type ProofSource, proveLoggedEntry } from '../log-proof/index.js';
import { inclusionProof } from '../merkle/index.js';
import { PROVENANCE_FORMAT, PROVENANCE_VERSION, type ProvenanceBundle } from './bundle.js';

export type { ProofSource };

/** Options of {@link buildProvenanceBundle}. */
export interface BuildProvenanceOptions {
  /** The reading to prove. */
  readonly reading: Reading;
  /** Every reading of its batch, in any order (only hashes of the others go into the bundle). */
  readonly batchReadings: readonly Reading[];
  /** The log (or anything serving its entries and inclusion proofs). */
  readonly log: ProofSource;
  /** The log index of the batch's `reading.batch` entry (the receipt's `index`). */
  readonly index: number;
  /** A signed, cosigned checkpoint note whose tree covers `index` (e.g. `log.awaitCheckpoint(index)`). */
  readonly checkpointNote: string;
  /** The leaf key the batch was anchored with, for a salted batch (its body says `salted`). */
  readonly leafKey?: Uint8Array | string;
}

const Readings = z.array(Reading).min(1);

/**
 * Builds the provenance bundle of one reading: the reading, its inclusion proof in the batch's
 * Merkle root, the batch entry's canonical bytes, its log index and inclusion proof up to the
 * checkpoint, and the checkpoint note. The other readings contribute only Merkle hashes; for a
 * salted batch the bundle carries this reading's leaf salt (derived from `leafKey`), never the key,
 * another reading's salt or the patient commitment's salt.
 *
 * @throws {ValidationError} when `reading` or a batch reading is malformed.
 * @throws {RangeError} when the entry at `index` is not a `reading.batch` entry, the batch is
 *   salted and no `leafKey` was given, `batchReadings` are not exactly the readings it anchors
 *   (under that key), `reading` is not one of them, or the checkpoint does
 *   not cover `index`.
 * @throws {Error} when the log's proof does not lead to the checkpoint's root (a checkpoint of
 *   another log, or a log that changed its history).
 * @throws {NoteError} when `checkpointNote` is not a checkpoint note.
 * @example
 * ```ts
 * const note = await log.awaitCheckpoint(receipt.index);
 * const bundle = buildProvenanceBundle({ reading, batchReadings, log, index: receipt.index, checkpointNote: note });
 * await writeFile('bundle.json', JSON.stringify(bundle));
 * ```
 */
export function buildProvenanceBundle(options: BuildProvenanceOptions): ProvenanceBundle {
  const { log, index, checkpointNote } = options;
  const reading = parse(Reading, 'Reading', options.reading, 'provenance reading');
  const batch = parse(Readings, 'Reading[]', options.batchReadings, 'provenance batch');
  if (!Number.isSafeInteger(index) || index < 0) {
    throw new RangeError(`index must be a non-negative integer, got ${index}`);
  }
  const bytes = log.entry(index).bytes;
  const entry = decodeEntry(bytes);
  if (entry.kind !== 'reading.batch') {
    throw new RangeError(`log entry ${index} is a ${entry.kind} entry, not a reading.batch entry`);
  }
  const salted = entry.body.salted === true;
  if (salted && options.leafKey === undefined) {
    throw new RangeError(`log entry ${index} anchors salted leaves: pass the leafKey it was anchored with`);
  }
  const leafKey = salted ? options.leafKey : undefined;
  if (!verifyReadingBatchBody(batch, entry.body, undefined, leafKey)) {
    throw new RangeError(
      `batchReadings are not exactly the readings log entry ${index} anchors${salted ? ' (or leafKey is not its key)' : ''}`,
    );
  }
  const saltOf = leafKey === undefined ? undefined : readingSalter(leafKey, reading.deviceId);
  const sorted = [...batch].sort((a, b) => a.seq - b.seq);
  const leafOf = (r: typeof reading): Uint8Array =>
    saltOf === undefined ? readingLeaf(r) : saltedReadingLeaf(r, saltOf(r.seq));
  const leaves = sorted.map(leafOf);
  const salt = saltOf?.(reading.seq);
  const leaf = leafOf(reading);
  const leafIndex = sorted.findIndex((r) => r.seq === reading.seq);
  const candidate = leaves[leafIndex];
  if (candidate === undefined || toHex(candidate) !== toHex(leaf)) {
    throw new RangeError(`reading ${reading.id} is not one of the batch's readings`);
  }
  const logged = proveLoggedEntry(log, index, bytes, checkpointNote);
  return {
    format: PROVENANCE_FORMAT,
    version: PROVENANCE_VERSION,
    reading: JSON.parse(utf8Decode(readingLeaf(reading))) as unknown,
    batch: {
      leafIndex,
      proof: inclusionProof(leaves, leafIndex).map(toHex),
      ...(salt === undefined ? {} : { salt }),
    },
    entry: logged,
    checkpoint: checkpointNote,
  };
}
