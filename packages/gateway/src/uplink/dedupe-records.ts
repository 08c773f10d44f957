import { type MonoTypeOperatorFunction, Observable } from 'rxjs';
import type { UplinkRecord } from './uplink.js';

/** Options of {@link dedupeRecords}. */
export interface DedupeRecordsOptions {
  /**
   * How many recent ids are remembered (default 100 000). When full, the id seen longest ago is
   * forgotten, so a redelivery older than the last `maxIds` distinct records passes through.
   * Choose it above the largest number of records that can be redelivered at once — the
   * forwarder's `batchSize` (one unacknowledged batch) plus, after a restart, the batch that
   * was in flight.
   */
  readonly maxIds?: number;
}

/**
 * Drops records whose `id` was seen recently: the receiving side of an at-least-once uplink
 * (the in-process uplink, or a consumer of NATS JetStream beyond its duplicate window). The
 * window is bounded by `maxIds` (FIFO eviction); each subscription has its own window.
 *
 * @throws {RangeError} when `maxIds` is not a positive integer.
 *
 * @example
 * ```ts
 * uplink.received$.pipe(dedupeRecords({ maxIds: 10_000 })).subscribe((r) => ingest(r));
 * ```
 */
export function dedupeRecords<T extends Pick<UplinkRecord, 'id'>>(
  options: DedupeRecordsOptions = {},
): MonoTypeOperatorFunction<T> {
  const maxIds = options.maxIds ?? 100_000;
  if (!Number.isSafeInteger(maxIds) || maxIds <= 0) {
    throw new RangeError(`dedupeRecords maxIds must be a positive integer, got ${String(maxIds)}`);
  }
  return (source) =>
    new Observable<T>((subscriber) => {
      // A Set iterates in insertion order: its first element is the id seen longest ago.
      const seen = new Set<string>();
      return source.subscribe({
        next(record) {
          if (seen.has(record.id)) return;
          seen.add(record.id);
          if (seen.size > maxIds) {
            const oldest = seen.values().next().value;
            if (oldest !== undefined) seen.delete(oldest);
          }
          subscriber.next(record);
        },
        error: (e: unknown) => subscriber.error(e),
        complete: () => subscriber.complete(),
      });
    });
}
