/**
 * Deterministic load for the fault tests: numbered readings of numbered devices, turned into uplink
 * records as a gateway does (one `reading-batch` record per device per tick, some ticks as single
 * `reading` records), and the checks every scenario ends with.
 */
import {
  deviceId,
  patientId,
  type Reading,
  type ReadingStore,
  readingBatchRecord,
  readingId,
  readingRecord,
  type UplinkRecord,
} from '@healthit/core';

/** The measurement time of seq 0; readings are 1 s apart per device. */
export const T0 = 1_700_000_000_000;

/** Reading `seq` of device `device`: heart rate, `ts` = T0 + seq s, so store order = seq order. */
export function numberedReading(device: string, seq: number): Reading {
  return {
    id: readingId(device, seq),
    deviceId: deviceId(device),
    patientId: patientId(`patient-${device}`),
    metric: 'heart-rate',
    value: 55 + ((seq * 7 + device.length) % 50),
    unit: '/min',
    ts: T0 + seq * 1_000,
    seq,
    quality: 'good',
  };
}

/**
 * A steady producer of `devices` devices (`<prefix>-0` …), `perTick` readings per device per tick.
 * Each call of {@link NumberedLoad.tick} makes the next tick's records, in per-device order.
 */
export class NumberedLoad {
  private ticks = 0;
  readonly devices: readonly string[];
  /** Every reading made so far, by id. */
  readonly produced: string[] = [];

  constructor(
    prefix: string,
    devices: number,
    private readonly perTick: number,
  ) {
    this.devices = Array.from({ length: devices }, (_, i) => `${prefix}-${i}`);
  }

  /** The next tick's records: per device one batch record, or (every third tick of a device) single records. */
  tick(): UplinkRecord[] {
    const t = this.ticks++;
    const records: UplinkRecord[] = [];
    this.devices.forEach((device, d) => {
      const readings = Array.from({ length: this.perTick }, (_, k) =>
        numberedReading(device, t * this.perTick + k),
      );
      for (const r of readings) this.produced.push(r.id);
      if ((t + d) % 3 === 0) records.push(...readings.map(readingRecord));
      else records.push(readingBatchRecord(readings));
    });
    return records;
  }
}

/** Parses a reading id `device:seq`. */
export function parseReadingId(id: string): { device: string; seq: number } {
  const at = id.lastIndexOf(':');
  return { device: id.slice(0, at), seq: Number(id.slice(at + 1)) };
}

/** The reading ids a record id stands for: `dev:7` → [`dev:7`]; `dev:3-5` → `dev:3`, `dev:4`, `dev:5`. */
export function readingIdsOfRecord(recordId: string): string[] {
  const at = recordId.lastIndexOf(':');
  const device = recordId.slice(0, at);
  const range = recordId.slice(at + 1);
  const dash = range.indexOf('-');
  if (dash < 0) return [recordId];
  const first = Number(range.slice(0, dash));
  const last = Number(range.slice(dash + 1));
  return Array.from({ length: last - first + 1 }, (_, i) => `${device}:${first + i}`);
}

/**
 * Per device, the ids that come after a higher seq of the same device (none = per-device order
 * kept). Ids listed again are ignored (the first occurrence counts).
 */
export function orderViolations(ids: readonly string[]): { count: number; ids: string[]; sample: string[] } {
  const highest = new Map<string, number>();
  const seen = new Set<string>();
  const sample: string[] = [];
  const late: string[] = [];
  for (const id of ids) {
    if (seen.has(id)) continue;
    seen.add(id);
    const { device, seq } = parseReadingId(id);
    const top = highest.get(device);
    if (top !== undefined && seq < top) {
      late.push(id);
      if (sample.length < 5) sample.push(`${id} after ${device}:${top}`);
    } else highest.set(device, seq);
  }
  return { count: late.length, ids: late, sample };
}

/** What arrived compared with what should have: every count but `expected` and `stored` must be 0. */
export interface DeliveryReport {
  readonly expected: number;
  readonly stored: number;
  /** Expected ids not stored. */
  readonly lost: number;
  /** Ids stored more than once. */
  readonly duplicates: number;
  /** Ids stored that were never expected. */
  readonly unexpected: number;
  /** Readings that come after a higher seq of their device in the order given (see {@link orderViolations}). */
  readonly outOfOrder: number;
  /** Up to 5 lost ids and 5 order violations, for the failure message. */
  readonly sample: readonly string[];
}

/**
 * Compares `arrived` (ids in the order they arrived or are stored) with `expected`: each expected
 * id exactly once, nothing else, and per device in increasing seq order.
 */
export function deliveryReport(expected: Iterable<string>, arrived: readonly string[]): DeliveryReport {
  const want = new Set(expected);
  const counts = new Map<string, number>();
  for (const id of arrived) counts.set(id, (counts.get(id) ?? 0) + 1);
  const lostIds = [...want].filter((id) => !counts.has(id));
  const order = orderViolations(arrived);
  return {
    expected: want.size,
    stored: arrived.length,
    lost: lostIds.length,
    duplicates: [...counts.values()].filter((n) => n > 1).length,
    unexpected: [...counts.keys()].filter((id) => !want.has(id)).length,
    outOfOrder: order.count,
    sample: [...lostIds.slice(0, 5).map((id) => `lost ${id}`), ...order.sample],
  };
}

/** The report of a clean delivery of `n` readings: what {@link deliveryReport} must equal. */
export function clean(n: number): DeliveryReport {
  return { expected: n, stored: n, lost: 0, duplicates: 0, unexpected: 0, outOfOrder: 0, sample: [] };
}

/** Every reading id in `store`, in its query order (ts, device, seq). */
export async function storedIds(store: Pick<ReadingStore, 'query'>): Promise<string[]> {
  const all = await store.query({ from: 0, to: 2 * T0, limit: 10_000_000 });
  return all.map((r) => r.id);
}

/**
 * A real store seen through its `append`: records, in commit order, every reading id the first
 * time an `append` holding it resolved (an append that rejected may still have committed; its
 * readings are recorded when a later append of them resolves).
 */
export function recordingStore<S extends Pick<ReadingStore, 'append'>>(
  store: S,
): { readonly store: Pick<ReadingStore, 'append'>; readonly committed: string[]; failures: () => number } {
  const committed: string[] = [];
  const seen = new Set<string>();
  let failures = 0;
  return {
    committed,
    failures: () => failures,
    store: {
      async append(readings) {
        try {
          const result = await store.append(readings);
          for (const r of readings) {
            if (seen.has(r.id)) continue;
            seen.add(r.id);
            committed.push(r.id);
          }
          return result;
        } catch (e) {
          failures += 1;
          throw e;
        }
      },
    },
  };
}
