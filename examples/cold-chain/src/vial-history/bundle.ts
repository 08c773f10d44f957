import { entries, MAX_NOTE_BYTES, MAX_PROOF_HASHES } from '@healthit/ledger';
import { z } from 'zod';

/** The `format` member of every vial history. */
export const VIAL_HISTORY_FORMAT = 'healthit-cold-chain-vial-history';

/** The version this module writes and verifies. */
export const VIAL_HISTORY_VERSION = 1;

/** The most entries one history may carry. */
export const MAX_HISTORY_ENTRIES = 10_000;

/** The most readings one history may carry (over all its batches). */
export const MAX_HISTORY_READINGS = 1_000_000;

const HashHex = z.string().regex(/^[0-9a-f]{64}$/, 'must be 64 lowercase hex characters');
const Index = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);

/** A vial, as its GS1 label names it: GTIN, lot (batch) and serial number. */
export const Vial = z.strictObject({
  gtin: z.string().regex(/^\d{14}$/, 'must be a 14-digit GTIN'),
  lot: entries.Id,
  serial: entries.Id,
});
export type Vial = z.infer<typeof Vial>;

/** One log entry of the history: its index, canonical bytes and inclusion proof in the checkpoint's tree. */
export const HistoryEntry = z.strictObject({
  index: Index,
  /** Standard padded base64 of the entry's canonical bytes. */
  bytes: z.string().max(Math.ceil(entries.MAX_ENTRY_BYTES / 3) * 4),
  /** RFC 9162 inclusion proof (lowercase hex hashes). */
  proof: z.array(HashHex).max(MAX_PROOF_HASHES),
});
export type HistoryEntry = z.infer<typeof HistoryEntry>;

/** The readings a `reading.batch` entry of the history anchors, in `seq` order. */
export const HistoryBatch = z.strictObject({
  index: Index,
  readings: z.array(z.unknown()).min(1).max(entries.MAX_BATCH_READINGS),
});
export type HistoryBatch = z.infer<typeof HistoryBatch>;

/**
 * zod schema of a vial history (version 1): exactly these members. Only the shape is checked here;
 * `verifyVialHistory` checks what it proves.
 */
export const VialHistorySchema = z
  .strictObject({
    format: z.literal(VIAL_HISTORY_FORMAT),
    version: z.literal(VIAL_HISTORY_VERSION),
    vial: Vial,
    shipment: entries.Id,
    /** The signed, witness-cosigned checkpoint note every proof leads to. */
    checkpoint: z.string().max(MAX_NOTE_BYTES),
    /** The shipment's custody transfers and flags and the loggers' batches, by increasing index. */
    entries: z.array(HistoryEntry).min(1).max(MAX_HISTORY_ENTRIES),
    /** The readings of every `reading.batch` entry, by increasing index. */
    readings: z.array(HistoryBatch).max(MAX_HISTORY_ENTRIES),
  })
  .superRefine((h, ctx) => {
    for (const [name, list] of [
      ['entries', h.entries],
      ['readings', h.readings],
    ] as const) {
      for (let i = 1; i < list.length; i++) {
        if ((list[i]?.index ?? 0) <= (list[i - 1]?.index ?? 0)) {
          ctx.addIssue({
            code: 'custom',
            path: [name, i, 'index'],
            message: 'indexes must increase strictly',
          });
        }
      }
    }
    const total = h.readings.reduce((n, b) => n + b.readings.length, 0);
    if (total > MAX_HISTORY_READINGS) {
      ctx.addIssue({
        code: 'custom',
        path: ['readings'],
        message: `${total} readings, at most ${MAX_HISTORY_READINGS}`,
      });
    }
  });

/**
 * One vial's history from a witnessed transparency log, self-contained and JSON-serialisable: every
 * custody transfer and excursion flag of its shipment, every temperature batch anchored while the
 * shipment was held, each entry with its inclusion proof against one checkpoint, and the readings
 * of every batch.
 */
export type VialHistory = z.infer<typeof VialHistorySchema>;
