import type { Reading } from '@healthit/core';
import { defer, map, type OperatorFunction } from 'rxjs';
import { createSequenceGuard, type SequenceGuardOptions } from '../sequence-guard.js';

/** A reading not seen before from its device: newer than every one seen, or late inside the window. */
export interface NewReading {
  /** Discriminant of {@link DedupeBySeqOutput}: always `reading`. */
  readonly type: 'reading';
  /** The reading, unchanged. */
  readonly reading: Reading;
  /**
   * `true` when it arrived after a reading with a higher `seq` of its device (out of order, inside
   * the window, not seen before: accepted); absent for a reading above every seq seen.
   */
  readonly late?: true;
}

/** A reading whose device already sent one with the same `seq` (inside the window). */
export interface DuplicateReading {
  /** Discriminant of {@link DedupeBySeqOutput}: always `duplicate`. */
  readonly type: 'duplicate';
  /** The duplicate reading, unchanged. */
  readonly reading: Reading;
  /** The highest `seq` already accepted from the device. */
  readonly lastSeq: number;
}

/**
 * A reading whose `seq` is `window` or more below the highest accepted from its device: too old to
 * tell whether it was seen, refused.
 */
export interface TooOldReading {
  /** Discriminant of {@link DedupeBySeqOutput}: always `too-old`. */
  readonly type: 'too-old';
  /** The refused reading, unchanged. */
  readonly reading: Reading;
  /** The highest `seq` already accepted from the device. */
  readonly lastSeq: number;
  /** Seqs remembered per device: the oldest still judged is `lastSeq - window + 1`. */
  readonly window: number;
}

/** What {@link dedupeBySeq} emits. */
export type DedupeBySeqOutput = NewReading | DuplicateReading | TooOldReading;

/**
 * De-duplication by (device, seq) as an operator, with a sliding window of seen seqs per device
 * (see {@link createSequenceGuard}): a reading passes once — above every seq seen, or late (out of
 * order) inside the window, then marked `late: true`; a repeat inside the window becomes a
 * `duplicate` output (redeliveries, replays, a device resending after reconnecting); one `window`
 * or more below the highest is `too-old`. Bounded: at most `maxDevices` devices (default 100 000),
 * the one heard from least recently forgotten first, `window / 8` bytes each (default window
 * 1024). State is per subscription. The same step `createGateway` runs on every reading.
 *
 * @throws {RangeError} for an invalid `maxDevices` or `window` (when called), or, as an error of the
 *   stream, a reading whose `seq` is not a non-negative safe integer (validate first).
 * @example
 * ```ts
 * readings$.pipe(dedupeBySeq({ maxDevices: 20_000, window: 256 }))
 * ```
 */
export function dedupeBySeq(
  options: SequenceGuardOptions = {},
): OperatorFunction<Reading, DedupeBySeqOutput> {
  const { window } = createSequenceGuard(options); // validate now, at the call site
  return (source) =>
    defer(() => {
      const guard = createSequenceGuard(options);
      return source.pipe(
        map((reading): DedupeBySeqOutput => {
          switch (guard.check(reading.deviceId, reading.seq)) {
            case 'new':
              return { type: 'reading', reading };
            case 'late':
              return { type: 'reading', reading, late: true };
            case 'duplicate':
              return {
                type: 'duplicate',
                reading,
                lastSeq: guard.highestSeq(reading.deviceId) ?? reading.seq,
              };
            case 'too-old':
              return {
                type: 'too-old',
                reading,
                lastSeq: guard.highestSeq(reading.deviceId) ?? reading.seq,
                window,
              };
          }
        }),
      );
    });
}
