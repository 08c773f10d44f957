import type { Reading } from '@healthit/core';

/**
 * The readings the gateway accepted from one transport message, in message order (never empty):
 * the unit for batch-oriented consumers (one outbox record per message instead of one per
 * reading, see `readingBatchRecords`).
 */
export interface ReadingBatch {
  /** The accepted readings of the message, in message order; at least one. */
  readonly readings: readonly Reading[];
  /**
   * The device's own UTF-8 JSON array of exactly `readings`, validated by the built-in readings
   * codec; present when the gateway accepted every reading of the message unchanged (already in
   * canonical units, none refused or duplicate), so it can be forwarded without encoding again.
   */
  readonly json?: Uint8Array;
}
