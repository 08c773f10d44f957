import type { Reading } from '@healthit/core';
import { defer, map, type OperatorFunction } from 'rxjs';
import { createSequenceGuard } from '../sequence-guard.js';

/** A reading newer than every reading seen from its device. */
export interface NewReading {
  /** Discriminant of {@link DedupeBySeqOutput}: always `reading`. */
  readonly type: 'reading';
  /** The reading, unchanged. */
  readonly reading: Reading;
}

/** A reading whose device already sent one with the same or a higher `seq`. */
export interface DuplicateReading {
  /** Discriminant of {@link DedupeBySeqOutput}: always `duplicate`. */
  readonly type: 'duplicate';
  /** The duplicate reading, unchanged. */
  readonly reading: Reading;
  /** The highest `seq` already accepted from the device. */
  readonly lastSeq: number;
}

/** What {@link dedupeBySeq} emits. */
export type DedupeBySeqOutput = NewReading | DuplicateReading;

/**
 * De-duplication by (device, seq) as an operator: a reading passes when its `seq` is higher than
 * any seen from its device, else it becomes a `duplicate` output (redeliveries, replays, a device
 * resending after reconnecting). Bounded: at most `maxDevices` devices are remembered (default
 * 100 000), the one heard from least recently forgotten first. State is per subscription. The same
 * step `createGateway` runs on every reading.
 *
 * @throws {RangeError} when `maxDevices` is not a positive integer.
 * @example
 * ```ts
 * readings$.pipe(dedupeBySeq({ maxDevices: 20_000 }))
 * ```
 */
export function dedupeBySeq(
  options: { readonly maxDevices?: number } = {},
): OperatorFunction<Reading, DedupeBySeqOutput> {
  createSequenceGuard(options.maxDevices); // validate now, at the call site
  return (source) =>
    defer(() => {
      const guard = createSequenceGuard(options.maxDevices);
      return source.pipe(
        map((reading): DedupeBySeqOutput => {
          const lastSeq = guard.check(reading.deviceId, reading.seq);
          return lastSeq === undefined
            ? { type: 'reading', reading }
            : { type: 'duplicate', reading, lastSeq };
        }),
      );
    });
}
