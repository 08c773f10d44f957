import { EpochMs, type Reading, utf8Encode, ValidationError } from '@healthit/core';
import { z } from 'zod';
import { readingText, validReadings as validReadingsOf } from './entries/reading-leaf.js';
import { Hash } from './entry.js';
import { toHex } from './hex.js';
import { sha256 } from './merkle/sha256.js';

/** The record type of a reading-batch anchor. */
export const READING_BATCH = 'reading-batch';

/** The most readings one batch anchor may cover. */
export const MAX_READINGS_PER_BATCH = 100_000;

/** The body of a `reading-batch` record: what commits the ledger to a batch of readings. */
export const ReadingBatchBody = z.strictObject({
  /** How many readings the batch holds. */
  count: z.number().int().positive(),
  /**
   * Lowercase hex SHA-256 of the UTF-8 bytes of the RFC 8785 canonical JSON of the array of the
   * readings sorted by `id` (UTF-16 code-unit order).
   */
  digest: Hash,
  /** The earliest reading `ts` (epoch ms). */
  firstTs: EpochMs,
  /** The latest reading `ts` (epoch ms). */
  lastTs: EpochMs,
  /** The devices that produced the readings, sorted (UTF-16 code-unit order), without repeats. */
  deviceIds: z.array(z.string().min(1)).min(1),
});
export type ReadingBatchBody = z.infer<typeof ReadingBatchBody>;

/** A `reading-batch` ledger record. */
export interface ReadingBatchRecord {
  /** Always {@link READING_BATCH} (`reading-batch`). */
  readonly type: typeof READING_BATCH;
  /** What commits the ledger to the batch: count, digest, time range and devices. */
  readonly body: ReadingBatchBody;
}

function compareCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function validReadings(input: readonly Reading[]): readonly Reading[] {
  return validReadingsOf(input, MAX_READINGS_PER_BATCH);
}

function batchBody(input: readonly Reading[]): ReadingBatchBody {
  const readings = validReadings(input);
  const seen = new Map<string, number>();
  readings.forEach((r, i) => {
    const first = seen.get(r.id);
    if (first !== undefined) {
      throw new ValidationError(
        'Reading[]',
        [
          {
            path: `${i}.id`,
            message: `duplicate reading id "${r.id}" (also at ${first}): a batch holds each reading once`,
            code: 'custom',
          },
        ],
        { source: 'reading batch' },
      );
    }
    seen.set(r.id, i);
  });
  const sorted = [...readings].sort((a, b) => compareCodeUnits(a.id, b.id));
  let firstTs = Number.POSITIVE_INFINITY;
  let lastTs = Number.NEGATIVE_INFINITY;
  const devices = new Set<string>();
  for (const r of sorted) {
    firstTs = Math.min(firstTs, r.ts);
    lastTs = Math.max(lastTs, r.ts);
    devices.add(r.deviceId);
  }
  // the RFC 8785 text of the array: its elements' texts, comma-separated
  let json = '[';
  for (let i = 0; i < sorted.length; i++) json += `${i === 0 ? '' : ','}${readingText(sorted[i] as Reading)}`;
  json += ']';
  return {
    count: sorted.length,
    digest: toHex(sha256(utf8Encode(json))),
    firstTs,
    lastTs,
    deviceIds: [...devices].sort(compareCodeUnits),
  };
}

/**
 * The ledger record that anchors a batch of readings: type `reading-batch`, body
 * {@link ReadingBatchBody}. The digest does not depend on the order of the readings, so the same
 * set of readings always anchors to the same body.
 *
 * @throws {ValidationError} when a reading is malformed, the batch is empty or larger than
 *   100 000 readings, or two readings share an id.
 * @example
 * ```ts
 * const [receipt] = await ledger.append([readingBatchRecord(batch)]);
 * ```
 */
export function readingBatchRecord(readings: readonly Reading[]): ReadingBatchRecord {
  return { type: READING_BATCH, body: batchBody(readings) };
}

/**
 * True only when `readings` are exactly the readings `body` anchors, in any order: same count,
 * digest, time span and devices. False for a missing, extra, duplicated or altered reading, for
 * malformed readings and for a malformed body.
 *
 * @example
 * ```ts
 * const entry = (await ledger.entries(receipt.index, receipt.index + 1))[0];
 * verifyReadingBatch(readingsFromStore, entry.body); // true when nothing was altered
 * ```
 */
export function verifyReadingBatch(readings: readonly Reading[], body: unknown): boolean {
  const claimed = ReadingBatchBody.safeParse(body);
  if (!claimed.success) return false;
  let actual: ReadingBatchBody;
  try {
    actual = batchBody(readings);
  } catch (error) {
    if (error instanceof ValidationError) return false;
    throw error;
  }
  const c = claimed.data;
  return (
    c.digest === actual.digest &&
    c.count === actual.count &&
    c.firstTs === actual.firstTs &&
    c.lastTs === actual.lastTs &&
    c.deviceIds.length === actual.deviceIds.length &&
    c.deviceIds.every((d, i) => d === actual.deviceIds[i])
  );
}
