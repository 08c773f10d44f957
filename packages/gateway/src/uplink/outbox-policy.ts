import type { UplinkRecord, UplinkRecordKind } from './uplink.js';

/**
 * What an outbox does with new records when it is full (see {@link Outbox.append}):
 * - `refuse-new`: non-alert records that do not fit are returned in `refused` (back-pressure: the
 *   caller holds them and appends them again later); once one is refused, every later non-alert
 *   record of the same call is refused too, so per-key order is kept.
 * - `shed-oldest-readings`: every record is stored, then the lowest-priority records are deleted,
 *   oldest first (readings, then events, commands and command statuses), until the pending bytes
 *   fit `maxBytes` again; `refused` is always empty.
 *
 * Alerts are accepted and kept under both policies, even over `maxBytes`.
 */
export type OutboxWhenFull = 'refuse-new' | 'shed-oldest-readings';

/** The policies, for validation and iteration. */
export const OUTBOX_WHEN_FULL: readonly OutboxWhenFull[] = ['refuse-new', 'shed-oldest-readings'];

/**
 * Bytes counted for every stored record on top of its payload: the id, key, kind, position and
 * the store's own row and index overhead, as a constant so the bound is predictable. A reading's
 * JSON payload is typically 150–250 bytes, so this is roughly a quarter of a record's account.
 */
export const OUTBOX_ENTRY_OVERHEAD_BYTES = 64;

/** The bytes a record counts against an outbox's `maxBytes`: its payload plus the row overhead. */
export function outboxEntryBytes(record: Pick<UplinkRecord, 'payload'>): number {
  return record.payload.byteLength + OUTBOX_ENTRY_OVERHEAD_BYTES;
}

/** Shedding priority: 0 readings and reading batches (shed first), 1 other non-alert records, 2 alerts (never shed). */
export type ShedPriority = 0 | 1 | 2;

/** Priority of a record kind under `shed-oldest-readings`; alerts (2) are never shed. */
export function shedPriorityOf(kind: UplinkRecordKind): ShedPriority {
  if (kind === 'alert') return 2;
  return kind === 'reading' || kind === 'reading-batch' ? 0 : 1;
}

/** The options both outboxes share. */
export interface OutboxBounds {
  /**
   * Bound on the pending bytes (payload plus {@link OUTBOX_ENTRY_OVERHEAD_BYTES} per record).
   * Alerts may exceed it: they are never refused or shed.
   */
  readonly maxBytes: number;
  /** What to do with non-alert records when full. */
  readonly whenFull: OutboxWhenFull;
}

/**
 * Checks the shared outbox options.
 * @throws {TypeError} when `whenFull` is not one of {@link OUTBOX_WHEN_FULL}.
 * @throws {RangeError} when `maxBytes` is not a positive safe integer.
 */
export function assertOutboxBounds(options: OutboxBounds): void {
  if (!Number.isSafeInteger(options.maxBytes) || options.maxBytes <= 0) {
    throw new RangeError(`outbox maxBytes must be a positive integer, got ${String(options.maxBytes)}`);
  }
  if (!OUTBOX_WHEN_FULL.includes(options.whenFull)) {
    throw new TypeError(
      `outbox whenFull must be one of ${OUTBOX_WHEN_FULL.join(', ')}, got ${String(options.whenFull)}`,
    );
  }
}

/** The records of one append under `refuse-new`, split into stored and refused. */
export interface RefusePlan {
  readonly stored: readonly UplinkRecord[];
  readonly storedBytes: number;
  readonly refused: readonly UplinkRecord[];
}

/**
 * Applies `refuse-new` to a batch: records are taken in order while they fit in `freeBytes`; from
 * the first non-alert record that does not fit, every non-alert record is refused (order per key),
 * while alerts are always taken.
 */
export function planRefuseNew(records: readonly UplinkRecord[], freeBytes: number): RefusePlan {
  const stored: UplinkRecord[] = [];
  const refused: UplinkRecord[] = [];
  let storedBytes = 0;
  let refusing = false;
  for (const r of records) {
    const bytes = outboxEntryBytes(r);
    if (r.kind === 'alert') {
      stored.push(r);
      storedBytes += bytes;
    } else if (refusing || storedBytes + bytes > freeBytes) {
      refusing = true;
      refused.push(r);
    } else {
      stored.push(r);
      storedBytes += bytes;
    }
  }
  return { stored, storedBytes, refused };
}
