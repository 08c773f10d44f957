import { HealthItError } from '@healthit/core';
import type { Outbox, OutboxAppendResult, OutboxEntry, OutboxStats } from './outbox.js';
import {
  assertOutboxBounds,
  type OutboxBounds,
  outboxEntryBytes,
  planRefuseNew,
  shedPriorityOf,
} from './outbox-policy.js';
import type { UplinkRecord } from './uplink.js';

/** Options of {@link createMemoryOutbox}. */
export interface MemoryOutboxOptions extends OutboxBounds {}

/** Compact the slot array once this many leading slots are free and they are the majority. */
const COMPACT_AFTER = 1024;

/**
 * An {@link Outbox} in memory: the embedded default where nothing must survive a restart (and the
 * browser), with the same bounds and policies as the SQLite outbox (`@healthit/gateway/outbox`).
 * Records are held by reference (payloads are not copied). Appending, peeking and acknowledging
 * are O(records touched); shedding skips over alerts it cannot shed.
 *
 * @throws {TypeError} when `whenFull` is not a known policy.
 * @throws {RangeError} when `maxBytes` is not a positive integer.
 *
 * @example
 * ```ts
 * const outbox = createMemoryOutbox({ maxBytes: 64 * 2 ** 20, whenFull: 'shed-oldest-readings' });
 * const { refused, shed } = outbox.append(records);
 * ```
 */
export function createMemoryOutbox(options: MemoryOutboxOptions): Outbox {
  assertOutboxBounds(options);
  const { maxBytes, whenFull } = options;
  // Live entries are in `slots[head..]`; acknowledged and shed ones are `undefined`. `sizes[i]` is
  // the accounted bytes of `slots[i]` (a parallel array: one object per record, not two).
  let slots: (OutboxEntry | undefined)[] = [];
  let sizes: number[] = [];
  let head = 0;
  // Per shed priority, an index before which no slot of that priority is live.
  const shedCursor = [0, 0];
  let nextPosition = 1;
  let pending = 0;
  let pendingBytes = 0;
  let appended = 0;
  let acknowledged = 0;
  let refusedCount = 0;
  let shedCount = 0;
  let closed = false;

  function assertOpen(operation: string): void {
    if (closed) throw new HealthItError('store/closed', `Cannot ${operation}: the memory outbox is closed`);
  }

  function compact(): void {
    const holes = slots.length - head - pending;
    if (holes > COMPACT_AFTER && holes > pending) {
      // Shed records behind an unacknowledged alert leave holes: drop them.
      sizes = sizes.filter((_, i) => slots[i] !== undefined);
      slots = slots.filter((s) => s !== undefined);
      head = 0;
      shedCursor[0] = 0;
      shedCursor[1] = 0;
      return;
    }
    if (head < COMPACT_AFTER || head * 2 < slots.length) return;
    slots = slots.slice(head);
    sizes = sizes.slice(head);
    shedCursor[0] = Math.max(0, (shedCursor[0] ?? 0) - head);
    shedCursor[1] = Math.max(0, (shedCursor[1] ?? 0) - head);
    head = 0;
  }

  function advanceHead(): void {
    while (head < slots.length && slots[head] === undefined) head++;
    if (head === slots.length) {
      slots = [];
      sizes = [];
      head = 0;
      shedCursor[0] = 0;
      shedCursor[1] = 0;
    }
  }

  function store(record: UplinkRecord): void {
    const entry: OutboxEntry = {
      id: record.id,
      kind: record.kind,
      key: record.key,
      payload: record.payload,
      position: nextPosition++,
    };
    const bytes = outboxEntryBytes(record);
    slots.push(entry);
    sizes.push(bytes);
    pending++;
    pendingBytes += bytes;
    appended++;
  }

  /** Deletes the lowest-priority records, oldest first, until the pending bytes fit. */
  function shedToFit(): number {
    let shed = 0;
    for (const priority of [0, 1] as const) {
      let i = Math.max(head, shedCursor[priority] ?? 0);
      while (pendingBytes > maxBytes && i < slots.length) {
        const slot = slots[i];
        if (slot !== undefined && shedPriorityOf(slot.kind) === priority) {
          slots[i] = undefined;
          pending--;
          pendingBytes -= sizes[i] ?? 0;
          shed++;
        }
        i++;
      }
      shedCursor[priority] = i;
      if (pendingBytes <= maxBytes) break;
    }
    advanceHead();
    return shed;
  }

  return {
    append(records: readonly UplinkRecord[]): OutboxAppendResult {
      assertOpen('append');
      if (whenFull === 'refuse-new') {
        const plan = planRefuseNew(records, maxBytes - pendingBytes);
        for (const r of plan.stored) store(r);
        refusedCount += plan.refused.length;
        return { accepted: plan.stored.length, refused: plan.refused, shed: 0 };
      }
      for (const r of records) store(r);
      const shed = pendingBytes > maxBytes ? shedToFit() : 0;
      shedCount += shed;
      if (shed > 0) compact();
      return { accepted: records.length, refused: [], shed };
    },

    peek(limit: number): readonly OutboxEntry[] {
      assertOpen('peek');
      const out: OutboxEntry[] = [];
      for (let i = head; i < slots.length && out.length < limit; i++) {
        const slot = slots[i];
        if (slot !== undefined) out.push(slot);
      }
      return out;
    },

    ack(position: number): void {
      assertOpen('ack');
      if (!Number.isSafeInteger(position) || position >= nextPosition) {
        throw new RangeError(
          `Cannot acknowledge position ${position}: the last appended position is ${nextPosition - 1}`,
        );
      }
      while (head < slots.length) {
        const slot = slots[head];
        if (slot !== undefined) {
          if (slot.position > position) break;
          pending--;
          pendingBytes -= sizes[head] ?? 0;
          acknowledged++;
          slots[head] = undefined;
        }
        head++;
      }
      advanceHead();
      compact();
    },

    stats(): OutboxStats {
      return {
        pending,
        pendingBytes,
        maxBytes,
        appended,
        acknowledged,
        refused: refusedCount,
        shed: shedCount,
      };
    },

    close(): void {
      closed = true;
      slots = [];
      sizes = [];
      head = 0;
    },
  };
}
