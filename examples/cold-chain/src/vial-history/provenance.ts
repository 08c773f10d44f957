import { Reading } from '@healthit/core';
import {
  buildProvenanceBundle,
  decodeBase64,
  type ProvenanceBundle,
  parseCheckpoint,
  parseNote,
} from '@healthit/ledger';
import { fromHex } from '../hex.js';
import type { VialHistory } from './bundle.js';

/**
 * The standard provenance bundle of one reading of a vial history (`@healthit/ledger`'s
 * `buildProvenanceBundle`, fed from the history instead of the log): the reading, its proof in its
 * batch, the batch entry with its proof, the same checkpoint. Anyone can check it with
 * `verifyProvenanceBundle` or the `healthit-verify-bundle` command, without the rest of the history.
 *
 * @throws {RangeError} when no batch of the history holds a reading with `readingId`.
 * @throws what `buildProvenanceBundle` throws when the history is inconsistent (verify it first).
 * @example
 * ```ts
 * const bundle = readingProvenance(history, 'swift-TRK-12:183');
 * await writeFile('reading.json', JSON.stringify(bundle));
 * ```
 */
export function readingProvenance(history: VialHistory, readingId: string): ProvenanceBundle {
  const batch = history.readings.find((b) =>
    b.readings.some((r) => (r as { readonly id?: unknown } | null)?.id === readingId),
  );
  if (batch === undefined) throw new RangeError(`no batch of the history holds reading ${readingId}`);
  const batchReadings = batch.readings.map((r) => Reading.parse(r));
  const reading = batchReadings.find((r) => r.id === readingId) as Reading;
  const { size } = parseCheckpoint(parseNote(history.checkpoint).text);
  const entryOf = (index: number) => {
    const entry = history.entries.find((e) => e.index === index);
    if (entry === undefined) throw new RangeError(`the history holds no entry ${index}`);
    return entry;
  };
  return buildProvenanceBundle({
    reading,
    batchReadings,
    index: batch.index,
    checkpointNote: history.checkpoint,
    log: {
      entry(index) {
        const bytes = decodeBase64(entryOf(index).bytes);
        if (bytes === undefined) throw new RangeError(`entry ${index}: not canonical base64`);
        return { bytes };
      },
      inclusionProof(index, treeSize) {
        if (treeSize !== size)
          throw new RangeError(`the history proves entries in a tree of ${size}, not ${treeSize}`);
        return entryOf(index).proof.map(fromHex);
      },
    },
  });
}
