import type { Reading } from '@healthit/core';
import { encodeBase64, entries, parseCheckpoint, parseNote } from '@healthit/ledger';
import { toHex } from '../hex.js';
import {
  type HistoryBatch,
  type HistoryEntry,
  VIAL_HISTORY_FORMAT,
  VIAL_HISTORY_VERSION,
  type Vial,
  type VialHistory,
} from './bundle.js';
import { custodyPeriods, type LoggedTransfer, periodOfBatch } from './periods.js';

/** What {@link buildVialHistory} reads from the log: a `TransparencyLog` fits. */
export interface HistorySource {
  /** The entry at `index`: its canonical bytes. */
  entry(index: number): { readonly bytes: Uint8Array };
  /** RFC 9162 inclusion proof of `index` in the tree of `size` leaves. */
  inclusionProof(index: number, size: number): Uint8Array[];
}

/** Options of {@link buildVialHistory}. */
export interface BuildVialHistoryOptions {
  /** The log (or anything serving its entries and inclusion proofs). */
  readonly log: HistorySource;
  /** A signed, cosigned checkpoint note: every proof leads to its root, every entry is below its size. */
  readonly checkpoint: string;
  readonly vial: Vial;
  readonly shipment: string;
  /** The readings of a `reading.batch` entry, by its index (kept by whoever anchored them). */
  readonly readingsOf: (index: number) => readonly Reading[] | undefined;
}

/**
 * Builds a vial's history from the log, as of a checkpoint: every entry of the shipment's stream
 * (custody transfers, excursion flags), and every `reading.batch` of the loggers each transfer
 * names while its receiver held the shipment, each with its inclusion proof; plus the readings of
 * those batches. Scans the entries below the checkpoint's size once.
 *
 * @throws {RangeError} when the log holds no transfer of the shipment, the vial's lot is not in it,
 *   or the readings of a selected batch are unknown.
 * @throws {NoteError} when `checkpoint` is not a checkpoint note.
 * @example
 * ```ts
 * const history = buildVialHistory({ log, checkpoint, vial, shipment: 'SHP-1', readingsOf: (i) => batches.get(i) });
 * await writeFile('vial.json', JSON.stringify(history));
 * ```
 */
export function buildVialHistory(options: BuildVialHistoryOptions): VialHistory {
  const { log, vial, shipment } = options;
  const { size } = parseCheckpoint(parseNote(options.checkpoint).text);
  const stream = `shipment:${shipment}`;
  const shipmentEntries: number[] = [];
  const transfers: LoggedTransfer[] = [];
  const batchEntries: { index: number; body: entries.EntryBody<'reading.batch'> }[] = [];
  for (let index = 0; index < size; index++) {
    const entry = entries.decodeEntry(log.entry(index).bytes);
    if (entry.stream === stream) {
      shipmentEntries.push(index);
      if (entry.kind === 'custody.transfer') transfers.push({ index, entry });
    } else if (entry.kind === 'reading.batch') {
      batchEntries.push({ index, body: entry.body });
    }
  }
  const first = transfers[0];
  if (first === undefined) throw new RangeError(`the log holds no custody transfer of shipment ${shipment}`);
  if (!(first.entry.body.lots ?? []).includes(vial.lot)) {
    throw new RangeError(`lot ${vial.lot} is not in shipment ${shipment}`);
  }
  const periods = custodyPeriods(transfers);
  const selected = batchEntries
    .filter((b) => periodOfBatch(periods, b.body) !== undefined)
    .map((b) => b.index);
  const indexes = [...shipmentEntries, ...selected].sort((a, b) => a - b);
  const historyEntries = indexes.map(
    (index): HistoryEntry => ({
      index,
      bytes: encodeBase64(log.entry(index).bytes),
      proof: log.inclusionProof(index, size).map(toHex),
    }),
  );
  const readings = selected.map((index): HistoryBatch => {
    const batch = options.readingsOf(index);
    if (batch === undefined) throw new RangeError(`the readings of batch entry ${index} are unknown`);
    return { index, readings: [...batch].sort((a, b) => a.seq - b.seq) };
  });
  return {
    format: VIAL_HISTORY_FORMAT,
    version: VIAL_HISTORY_VERSION,
    vial,
    shipment,
    checkpoint: options.checkpoint,
    entries: historyEntries,
    readings,
  };
}
