import { ALERT_SEVERITIES, utf8Decode } from '@healthit/core';
import type { DroppedAlert, OutboxAppendResult, OutboxEntry } from './outbox.js';
import type { UplinkRecord, UplinkRecordKind } from './uplink.js';

/**
 * What an outbox does with new non-alert records when they do not fit `maxBytes` (see
 * `Outbox.append`):
 * - `refuse-new`: non-alert records that do not fit are returned in `refused` (back-pressure: the
 *   caller holds them and appends them again later); once one is refused, every later non-alert
 *   record of the same call is refused too, so per-key order is kept.
 * - `shed-oldest-readings`: every record is stored, then the lowest-priority records are deleted,
 *   oldest first (readings, then events, commands and command statuses), until the pending
 *   non-alert bytes fit `maxBytes` again; `refused` is always empty. Entries in flight (handed to
 *   the forwarder by `lease`, not yet acknowledged) are never shed.
 *
 * Alerts are bounded separately, by `maxAlertBytes`, under both policies (see {@link OutboxBounds}).
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

/** The bytes a record counts against an outbox's bounds: its payload plus the row overhead. */
export function outboxEntryBytes(record: Pick<UplinkRecord, 'payload'>): number {
  return record.payload.byteLength + OUTBOX_ENTRY_OVERHEAD_BYTES;
}

/**
 * Priority of a record: 0 readings and reading batches (shed first), 1 other non-alert records
 * (shed when no reading is left), 2 alerts (the priority lane: sent first, bounded separately).
 */
export type ShedPriority = 0 | 1 | 2;

/** The {@link ShedPriority} of a record kind. */
export function shedPriorityOf(kind: UplinkRecordKind): ShedPriority {
  if (kind === 'alert') return 2;
  return kind === 'reading' || kind === 'reading-batch' ? 0 : 1;
}

/** The options both outboxes share. */
export interface OutboxBounds {
  /**
   * Bound on the pending bytes of non-alert records (payload plus
   * {@link OUTBOX_ENTRY_OVERHEAD_BYTES} per record), enforced by `whenFull`.
   */
  readonly maxBytes: number;
  /** What to do with non-alert records that do not fit `maxBytes`. */
  readonly whenFull: OutboxWhenFull;
  /**
   * Bound on the pending bytes of alerts, counted like `maxBytes` (default: `maxBytes`), so the
   * outbox holds at most `maxBytes + maxAlertBytes`. Alerts are rare and small (a few hundred
   * bytes, one per episode), so the default is far more than a ward raises in days of outage; the
   * bound is for a flapping or hostile sensor. When an alert does not fit, in this order:
   *
   * 1. **superseded** alerts are deleted, oldest first: those with a newer pending alert of the
   *    same series (same `key` — the device, else the patient — and same rule) at least as severe,
   *    which the platform will still receive;
   * 2. then, if that makes room, the alerts the new one supersedes and alerts of a **strictly
   *    lower severity** than the new one (least severe first, oldest first) are deleted
   *    (`displaced`);
   * 3. otherwise the new alert is **not stored** (`no-room`): the bound is full of alerts at least
   *    as severe, and those already accepted are kept.
   *
   * So an alert is never lost to a later alert of the same or a lower severity from another
   * series. Every alert given up is reported (`alertsDropped` of the append result, counted in
   * `alertsShed` / `alertsRejected`). In-flight alerts are never deleted. An alert whose payload
   * has no known `severity` counts as `critical`; one without a `rule`, as a series of its own.
   */
  readonly maxAlertBytes?: number;
}

/**
 * Checks the shared outbox options and returns them with the defaults applied.
 * @throws {TypeError} when `whenFull` is not one of {@link OUTBOX_WHEN_FULL}.
 * @throws {RangeError} when `maxBytes` or `maxAlertBytes` is not a positive safe integer.
 */
export function resolveOutboxBounds(options: OutboxBounds): Required<OutboxBounds> {
  if (!Number.isSafeInteger(options.maxBytes) || options.maxBytes <= 0) {
    throw new RangeError(`outbox maxBytes must be a positive integer, got ${String(options.maxBytes)}`);
  }
  if (!OUTBOX_WHEN_FULL.includes(options.whenFull)) {
    throw new TypeError(
      `outbox whenFull must be one of ${OUTBOX_WHEN_FULL.join(', ')}, got ${String(options.whenFull)}`,
    );
  }
  const maxAlertBytes = options.maxAlertBytes ?? options.maxBytes;
  if (!Number.isSafeInteger(maxAlertBytes) || maxAlertBytes <= 0) {
    throw new RangeError(
      `outbox maxAlertBytes must be a positive integer, got ${String(options.maxAlertBytes)}`,
    );
  }
  return { maxBytes: options.maxBytes, whenFull: options.whenFull, maxAlertBytes };
}

/**
 * Checks the shared outbox options.
 * @throws {TypeError} / {RangeError} as {@link resolveOutboxBounds}.
 */
export function assertOutboxBounds(options: OutboxBounds): void {
  resolveOutboxBounds(options);
}

/** Severity rank of `critical`, the most severe: what an alert that cannot be parsed counts as. */
const MOST_SEVERE = ALERT_SEVERITIES.length - 1;

/** What the alert bound knows of an alert record. */
export interface AlertTriage {
  /**
   * `key` and rule, the series a newer alert supersedes older ones in; `null` for an alert without
   * a rule (a series of its own).
   */
  readonly series: string | null;
  /** Index in `ALERT_SEVERITIES`: 0 `info` … 5 `critical`. */
  readonly severity: number;
}

/** The payload as a JSON object, or null (not UTF-8 JSON, or not an object). */
function parseObject(payload: Uint8Array): { readonly rule?: unknown; readonly severity?: unknown } | null {
  try {
    const json: unknown = JSON.parse(utf8Decode(payload));
    return typeof json === 'object' ? (json as { rule?: unknown; severity?: unknown } | null) : null;
  } catch {
    return null;
  }
}

/**
 * Reads the series and severity of an alert record from its JSON payload (never throws): without a
 * known `severity` it counts as `critical`, without a string `rule` as a series of its own.
 */
export function triageAlert(record: Pick<UplinkRecord, 'key' | 'payload'>): AlertTriage {
  const alert = parseObject(record.payload);
  const rank = ALERT_SEVERITIES.indexOf(alert?.severity as (typeof ALERT_SEVERITIES)[number]);
  const severity = rank >= 0 ? rank : MOST_SEVERE;
  const series = typeof alert?.rule === 'string' ? `${record.key}\n${alert.rule}` : null;
  return { series, severity };
}

/** A pending alert the alert bound would delete, and why. */
export interface AlertCandidate {
  readonly entry: OutboxEntry;
  readonly bytes: number;
  readonly reason: 'superseded' | 'displaced';
}

/**
 * The storage operations {@link appendWithPolicy} runs one append on (inside one transaction for
 * a SQLite outbox). "Unleased" means not in flight (see `Outbox.lease`). Both built-in outboxes
 * implement it, so the policy itself is written once.
 */
export interface OutboxStorage {
  /** Bytes of the pending non-alert records. */
  dataBytes(): number;
  /** Bytes of the pending alerts. */
  alertBytes(): number;
  /**
   * Stores a record at the next position. For an alert (`triage` given), first marks as superseded
   * the pending alerts of its series (unless `series` is null) whose severity is at most its own.
   */
  insert(record: UplinkRecord, bytes: number, triage: AlertTriage | undefined): void;
  /**
   * Deletes unleased records of `priority`, oldest first, until at least `bytes` are freed or none
   * is left; returns how many it deleted.
   */
  shed(priority: 0 | 1, bytes: number): number;
  /**
   * Deletes unleased superseded alerts, oldest first, until at least `bytes` are freed or none is
   * left; returns them.
   */
  shedSuperseded(bytes: number): readonly OutboxEntry[];
  /**
   * The unleased alerts to delete, in order, to free at least `bytes` for an alert of `triage`:
   * first those of its series it supersedes (severity at most its own; `superseded`), then those
   * of a strictly lower severity, least severe first, oldest first (`displaced`); `undefined`
   * when all of them together free less. Deletes nothing.
   */
  planDisplacement(triage: AlertTriage, bytes: number): readonly AlertCandidate[] | undefined;
  /** Deletes these alerts (from {@link OutboxStorage.planDisplacement}). */
  deleteAlerts(candidates: readonly AlertCandidate[]): void;
}

/**
 * One `append` under the outbox policies, on `storage`: records in order; alerts under the alert
 * bound, non-alert records under `whenFull` (shedding, if any, after the whole call). Returns the
 * result and how many alerts were shed and rejected, for the counters.
 */
export function appendWithPolicy(
  storage: OutboxStorage,
  records: readonly UplinkRecord[],
  bounds: Required<OutboxBounds>,
): OutboxAppendResult & { readonly alertsShed: number; readonly alertsRejected: number } {
  const { maxBytes, maxAlertBytes, whenFull } = bounds;
  const refused: UplinkRecord[] = [];
  const alertsDropped: DroppedAlert[] = [];
  let accepted = 0;
  let alertsShed = 0;
  let alertsRejected = 0;
  let refusing = false;
  for (const record of records) {
    const bytes = outboxEntryBytes(record);
    if (record.kind === 'alert') {
      const triage = triageAlert(record);
      if (bytes > maxAlertBytes) {
        alertsDropped.push({ record, reason: 'no-room' });
        alertsRejected++;
        continue;
      }
      if (storage.alertBytes() + bytes > maxAlertBytes) {
        for (const entry of storage.shedSuperseded(storage.alertBytes() + bytes - maxAlertBytes)) {
          alertsDropped.push({ record: entry, reason: 'superseded' });
          alertsShed++;
        }
        const over = storage.alertBytes() + bytes - maxAlertBytes;
        if (over > 0) {
          const plan = storage.planDisplacement(triage, over);
          if (plan === undefined) {
            alertsDropped.push({ record, reason: 'no-room' });
            alertsRejected++;
            continue;
          }
          storage.deleteAlerts(plan);
          for (const c of plan) alertsDropped.push({ record: c.entry, reason: c.reason });
          alertsShed += plan.length;
        }
      }
      storage.insert(record, bytes, triage);
      accepted++;
    } else if (whenFull === 'refuse-new' && (refusing || storage.dataBytes() + bytes > maxBytes)) {
      refusing = true;
      refused.push(record);
    } else {
      storage.insert(record, bytes, undefined);
      accepted++;
    }
  }
  let shed = 0;
  if (whenFull === 'shed-oldest-readings') {
    for (const priority of [0, 1] as const) {
      const over = storage.dataBytes() - maxBytes;
      if (over <= 0) break;
      shed += storage.shed(priority, over);
    }
  }
  return { accepted, refused, shed, alertsDropped, alertsShed, alertsRejected };
}

/**
 * Checks the argument of `Outbox.ack` against the last appended position.
 * @throws {TypeError} when it is neither a number nor an array.
 * @throws {RangeError} for a position that is not an integer or above `lastPosition`.
 */
export function assertAckPositions(
  positions: number | readonly number[],
  lastPosition: number,
  where: string,
): void {
  const check = (p: unknown) => {
    if (typeof p !== 'number' || !Number.isSafeInteger(p) || p > lastPosition) {
      throw new RangeError(
        `Cannot acknowledge position ${String(p)}${where}: the last appended position is ${lastPosition}`,
      );
    }
  };
  if (typeof positions === 'number') check(positions);
  else if (Array.isArray(positions)) for (const p of positions) check(p);
  else throw new TypeError(`outbox ack takes a position or an array of positions, got ${typeof positions}`);
}

/**
 * Tells distinct refused records by identity, for `stats().refused`: a held record appended again
 * (the same object) and refused again is not counted twice. Weak: the outbox keeps nothing alive.
 */
export class RefusalCounter {
  readonly #seen = new WeakSet<UplinkRecord>();

  /** How many of `refused` were not refused before (changes nothing). */
  fresh(refused: readonly UplinkRecord[]): number {
    let n = 0;
    for (const r of refused) if (!this.#seen.has(r)) n++;
    return n;
  }

  /** Remembers `refused` as refused. */
  remember(refused: readonly UplinkRecord[]): void {
    for (const r of refused) this.#seen.add(r);
  }
}
