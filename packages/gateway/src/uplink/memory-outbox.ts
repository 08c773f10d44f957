import { HealthItError } from '@healthit/core';
import type { JournalSettlement } from './message-journal.js';
import type { Outbox, OutboxAppendResult, OutboxEntry, OutboxStats } from './outbox.js';
import {
  type AlertCandidate,
  type AlertTriage,
  appendWithPolicy,
  assertAckPositions,
  type OutboxBounds,
  type OutboxStorage,
  RefusalCounter,
  resolveOutboxBounds,
  type ShedPriority,
  shedPriorityOf,
} from './outbox-policy.js';
import type { UplinkRecord } from './uplink.js';

/** Options of {@link createMemoryOutbox}. */
export interface MemoryOutboxOptions extends OutboxBounds {}

/** Compact a lane once this many of its slots are free and they are the majority. */
const COMPACT_AFTER = 1024;

/** One stored record. */
interface Slot {
  readonly entry: OutboxEntry;
  readonly bytes: number;
  readonly priority: ShedPriority;
  /** Alerts only: the series (null: its own) and severity rank. */
  readonly series: string | null;
  readonly severity: number;
  superseded: boolean;
  live: boolean;
}

/**
 * The records of one priority in position order: `slots[head..]`, with holes (`undefined`) where
 * records were acknowledged or deleted; `positions` mirrors `slots` (kept for holes too) so a
 * position is found by binary search.
 */
class Lane {
  slots: (Slot | undefined)[] = [];
  positions: number[] = [];
  head = 0;
  live = 0;
  bytes = 0;
  /** Index before which no sheddable slot is: only holes and in-flight slots. */
  shedCursor = 0;

  push(slot: Slot): void {
    this.slots.push(slot);
    this.positions.push(slot.entry.position);
    this.live++;
    this.bytes += slot.bytes;
  }

  /** The index of the live slot at `position`, or -1. */
  indexOf(position: number): number {
    let lo = this.head;
    let hi = this.positions.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const p = this.positions[mid]!;
      if (p === position) return this.slots[mid] === undefined ? -1 : mid;
      if (p < position) lo = mid + 1;
      else hi = mid - 1;
    }
    return -1;
  }

  remove(i: number): Slot {
    const slot = this.slots[i]!;
    this.slots[i] = undefined;
    slot.live = false;
    this.live--;
    this.bytes -= slot.bytes;
    return slot;
  }

  /** Drops leading holes and, when holes are the majority, all of them. */
  tidy(): void {
    while (this.head < this.slots.length && this.slots[this.head] === undefined) this.head++;
    if (this.head === this.slots.length) {
      this.slots = [];
      this.positions = [];
      this.head = 0;
      this.shedCursor = 0;
      return;
    }
    const holes = this.slots.length - this.head - this.live;
    if (holes > COMPACT_AFTER && holes > this.live) {
      const slots: Slot[] = [];
      let cursor = 0;
      for (let i = this.head; i < this.slots.length; i++) {
        const s = this.slots[i];
        if (s === undefined) continue;
        if (i < this.shedCursor) cursor++;
        slots.push(s);
      }
      this.slots = slots;
      this.positions = slots.map((s) => s.entry.position);
      this.head = 0;
      this.shedCursor = cursor;
      return;
    }
    if (this.head >= COMPACT_AFTER && this.head * 2 >= this.slots.length) {
      this.slots = this.slots.slice(this.head);
      this.positions = this.positions.slice(this.head);
      this.shedCursor = Math.max(0, this.shedCursor - this.head);
      this.head = 0;
    }
  }

  /** Live slots in position order from `from`. */
  *iterate(from = this.head): Generator<Slot> {
    for (let i = from; i < this.slots.length; i++) {
      const s = this.slots[i];
      if (s !== undefined) yield s;
    }
  }
}

/**
 * An {@link Outbox} in memory: the embedded default where nothing must survive a restart (and the
 * browser), with the same bounds, policies, lanes and counters as the SQLite outbox
 * (`@healthit/gateway/outbox`). Records are held by reference (payloads are not copied).
 * Appending, peeking and acknowledging cost O(records touched) (acknowledging a position
 * O(log pending)); the alert bound scans the pending alerts only when it is full.
 *
 * @throws {TypeError} when `whenFull` is not a known policy.
 * @throws {RangeError} when `maxBytes` or `maxAlertBytes` is not a positive integer.
 *
 * @example
 * ```ts
 * const outbox = createMemoryOutbox({ maxBytes: 64 * 2 ** 20, whenFull: 'shed-oldest-readings' });
 * const { refused, shed, alertsDropped } = outbox.append(records);
 * ```
 */
export function createMemoryOutbox(options: MemoryOutboxOptions): Outbox {
  const bounds = resolveOutboxBounds(options);
  const { maxBytes, maxAlertBytes } = bounds;
  // Lanes by priority: 0 readings, 1 other non-alert records, 2 alerts.
  let lanes = [new Lane(), new Lane(), new Lane()] as const;
  // Pending alerts of each series that no newer pending alert supersedes (at most one per
  // severity: a newer alert supersedes those of at most its severity).
  const seriesHeads = new Map<string, Slot[]>();
  let superseded = 0;
  const bySeverity: number[] = [0, 0, 0, 0, 0, 0];
  // Entries up to these positions, in the alert lane and in the other lanes, are in flight (the
  // current lease: a prefix of each lane when it was taken).
  let leasedAlertsUpTo = 0;
  let leasedDataUpTo = 0;
  let nextPosition = 1;
  let appended = 0;
  let acknowledged = 0;
  let refusedCount = 0;
  let refusals = 0;
  let shedCount = 0;
  let alertsShed = 0;
  let alertsRejected = 0;
  const refusalCounter = new RefusalCounter();
  let closed = false;

  function assertOpen(operation: string): void {
    if (closed) throw new HealthItError('store/closed', `Cannot ${operation}: the memory outbox is closed`);
  }

  const alerts = () => lanes[2];
  const leased = (slot: Slot) =>
    slot.entry.position <= (slot.priority === 2 ? leasedAlertsUpTo : leasedDataUpTo);

  function forgetAlert(slot: Slot): void {
    bySeverity[slot.severity] = (bySeverity[slot.severity] ?? 0) - 1;
    if (slot.superseded) {
      superseded--;
      return;
    }
    if (slot.series === null) return;
    const heads = seriesHeads.get(slot.series);
    if (heads === undefined) return;
    const i = heads.indexOf(slot);
    if (i >= 0) heads.splice(i, 1);
    if (heads.length === 0) seriesHeads.delete(slot.series);
  }

  /** Removes the live slot at index `i` of `lane`. */
  function removeAt(lane: Lane, i: number): Slot {
    const slot = lane.remove(i);
    if (slot.priority === 2) forgetAlert(slot);
    return slot;
  }

  const storage: OutboxStorage = {
    dataBytes: () => lanes[0].bytes + lanes[1].bytes,
    alertBytes: () => alerts().bytes,

    insert(record: UplinkRecord, bytes: number, triage: AlertTriage | undefined): void {
      const entry: OutboxEntry = {
        id: record.id,
        kind: record.kind,
        key: record.key,
        payload: record.payload,
        position: nextPosition++,
      };
      const priority = shedPriorityOf(record.kind);
      const slot: Slot = {
        entry,
        bytes,
        priority,
        series: triage?.series ?? null,
        severity: triage?.severity ?? 0,
        superseded: false,
        live: true,
      };
      if (triage !== undefined) {
        if (triage.series !== null) {
          const heads = seriesHeads.get(triage.series) ?? [];
          const kept = heads.filter((h) => {
            if (h.severity > triage.severity) return true;
            h.superseded = true;
            superseded++;
            return false;
          });
          kept.push(slot);
          seriesHeads.set(triage.series, kept);
        }
        bySeverity[triage.severity] = (bySeverity[triage.severity] ?? 0) + 1;
      }
      lanes[priority].push(slot);
      appended++;
    },

    shed(priority: 0 | 1, bytes: number): number {
      const lane = lanes[priority];
      let freed = 0;
      let count = 0;
      let i = Math.max(lane.head, lane.shedCursor);
      // The cursor may only pass slots that are gone: a leased slot skipped now becomes sheddable
      // when its lease ends, so the next shed must start at it again.
      let firstLeased = -1;
      for (; i < lane.slots.length && freed < bytes; i++) {
        const slot = lane.slots[i];
        if (slot === undefined) continue;
        if (leased(slot)) {
          if (firstLeased < 0) firstLeased = i;
          continue;
        }
        freed += removeAt(lane, i).bytes;
        count++;
      }
      lane.shedCursor = firstLeased >= 0 ? firstLeased : i;
      return count;
    },

    shedSuperseded(bytes: number): readonly OutboxEntry[] {
      const lane = alerts();
      const out: OutboxEntry[] = [];
      if (superseded === 0) return out;
      let freed = 0;
      for (let i = lane.head; i < lane.slots.length && freed < bytes; i++) {
        const slot = lane.slots[i];
        if (slot === undefined || !slot.superseded || leased(slot)) continue;
        freed += slot.bytes;
        out.push(removeAt(lane, i).entry);
      }
      return out;
    },

    planDisplacement(triage: AlertTriage, bytes: number): readonly AlertCandidate[] | undefined {
      const plan: AlertCandidate[] = [];
      const chosen = new Set<Slot>();
      let freed = 0;
      if (triage.series !== null) {
        for (const h of seriesHeads.get(triage.series) ?? []) {
          if (freed >= bytes) break;
          if (h.severity > triage.severity || leased(h)) continue;
          plan.push({ entry: h.entry, bytes: h.bytes, reason: 'superseded' });
          chosen.add(h);
          freed += h.bytes;
        }
      }
      for (let severity = 0; severity < triage.severity && freed < bytes; severity++) {
        if ((bySeverity[severity] ?? 0) === 0) continue;
        for (const slot of alerts().iterate()) {
          if (freed >= bytes) break;
          if (slot.severity !== severity || chosen.has(slot) || leased(slot)) continue;
          plan.push({ entry: slot.entry, bytes: slot.bytes, reason: 'displaced' });
          chosen.add(slot);
          freed += slot.bytes;
        }
      }
      return freed >= bytes ? plan : undefined;
    },

    deleteAlerts(candidates: readonly AlertCandidate[]): void {
      const lane = alerts();
      for (const c of candidates) {
        const i = lane.indexOf(c.entry.position);
        if (i >= 0) removeAt(lane, i);
      }
    },
  };

  function tidy(): void {
    for (const lane of lanes) lane.tidy();
  }

  /** Up to `limit` live entries in send order: the alert lane, then lanes 0 and 1 merged by position. */
  function select(count: number): OutboxEntry[] {
    const out: OutboxEntry[] = [];
    if (!(count > 0)) return out;
    const limit = Math.floor(count);
    for (const slot of alerts().iterate()) {
      if (out.length >= limit) return out;
      out.push(slot.entry);
    }
    if (lanes[1].live === 0 || lanes[0].live === 0) {
      for (const slot of (lanes[1].live === 0 ? lanes[0] : lanes[1]).iterate()) {
        if (out.length >= limit) break;
        out.push(slot.entry);
      }
      return out;
    }
    const a = lanes[0].iterate();
    const b = lanes[1].iterate();
    let x = a.next();
    let y = b.next();
    while (out.length < limit && !(x.done && y.done)) {
      if (y.done || (!x.done && x.value.entry.position < y.value.entry.position)) {
        out.push((x.value as Slot).entry);
        x = a.next();
      } else {
        out.push(y.value.entry);
        y = b.next();
      }
    }
    return out;
  }

  function pendingCount(): number {
    return lanes[0].live + lanes[1].live + lanes[2].live;
  }

  return {
    append(records: readonly UplinkRecord[], settle?: JournalSettlement): OutboxAppendResult {
      assertOpen('append');
      if (settle !== undefined && settle.seqs.length > 0) {
        throw new TypeError(
          'The in-memory outbox has no message journal to settle: a journal needs a durable outbox (createSqliteOutbox({ journal }))',
        );
      }
      const r = appendWithPolicy(storage, records, bounds);
      refusals += r.refused.length;
      refusedCount += refusalCounter.fresh(r.refused);
      refusalCounter.remember(r.refused);
      shedCount += r.shed;
      alertsShed += r.alertsShed;
      alertsRejected += r.alertsRejected;
      if (r.shed > 0 || r.alertsShed > 0) tidy();
      return { accepted: r.accepted, refused: r.refused, shed: r.shed, alertsDropped: r.alertsDropped };
    },

    peek(limit: number): readonly OutboxEntry[] {
      assertOpen('peek');
      return select(limit);
    },

    lease(limit: number): readonly OutboxEntry[] {
      assertOpen('lease');
      const out = select(limit);
      leasedAlertsUpTo = 0;
      leasedDataUpTo = 0;
      for (const e of out) {
        if (e.kind === 'alert') leasedAlertsUpTo = e.position;
        else leasedDataUpTo = e.position;
      }
      return out;
    },

    release(): void {
      assertOpen('release');
      leasedAlertsUpTo = 0;
      leasedDataUpTo = 0;
    },

    ack(positions: number | readonly number[]): void {
      assertOpen('ack');
      assertAckPositions(positions, nextPosition - 1, '');
      const before = pendingCount();
      if (typeof positions === 'number') {
        const p = positions;
        const isData = lanes[0].indexOf(p) >= 0 || lanes[1].indexOf(p) >= 0;
        for (const lane of isData ? lanes : [alerts()]) {
          for (let i = lane.head; i < lane.slots.length && lane.positions[i]! <= p; i++) {
            if (lane.slots[i] !== undefined) removeAt(lane, i);
          }
        }
      } else {
        for (const p of positions) {
          for (const lane of lanes) {
            const i = lane.indexOf(p);
            if (i >= 0) {
              removeAt(lane, i);
              break;
            }
          }
        }
      }
      acknowledged += before - pendingCount();
      tidy();
    },

    stats(): OutboxStats {
      const alertBytes = alerts().bytes;
      return {
        pending: pendingCount(),
        pendingBytes: lanes[0].bytes + lanes[1].bytes + alertBytes,
        maxBytes,
        pendingAlertBytes: alertBytes,
        maxAlertBytes,
        appended,
        acknowledged,
        refused: refusedCount,
        refusals,
        shed: shedCount,
        alertsShed,
        alertsRejected,
      };
    },

    close(): void {
      closed = true;
      lanes = [new Lane(), new Lane(), new Lane()];
      seriesHeads.clear();
    },
  };
}
