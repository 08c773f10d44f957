import * as fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isHealthItError } from '../errors/health-it-error.js';
import { ValidationError } from '../errors/validation-error.js';
import type { AggregateStat, ReadingStore, RetentionPolicy } from '../ports/reading-store.js';
import type { Reading } from '../schemas/reading.js';

const T0 = Date.UTC(2025, 0, 1);

/** A valid reading for tests; `overrides` replace fields. */
export function sampleReading(seq: number, overrides: Partial<Reading> = {}): Reading {
  const deviceId = (overrides.deviceId ?? 'monitor-1') as Reading['deviceId'];
  return {
    id: `${deviceId}:${seq}`,
    deviceId,
    patientId: 'patient-1' as Reading['patientId'] & string,
    metric: 'heart-rate',
    value: 60 + (seq % 40),
    unit: '/min',
    ts: T0 + seq * 1000,
    seq,
    quality: 'good',
    ...overrides,
  } as Reading;
}

/**
 * The reference for `aggregate`'s percentiles: SQL `percentile_cont`, linear interpolation
 * between the two nearest ranks, computed exactly as PostgreSQL does (`lo + (hi − lo) · frac` at
 * position `p · (n − 1)` of the sorted values).
 */
export function percentileCont(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const pos = p * (sorted.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  const first = sorted[lo] as number;
  if (lo === hi) return first;
  return first + ((sorted[hi] as number) - first) * (pos - lo);
}

const MINUTE = 60_000;
const HOUR = 3_600_000;
const PERCENTILES = { p50: 0.5, p90: 0.9, p95: 0.95, p99: 0.99 } as const;
const ALL_STATS: AggregateStat[] = ['count', 'mean', 'min', 'max', 'p50', 'p90', 'p95', 'p99'];

/**
 * The conformance suite every {@link ReadingStore} implementation must pass. `makeStore` opens a
 * fresh, empty store for each test.
 */
export function describeReadingStoreConformance(name: string, makeStore: () => Promise<ReadingStore>): void {
  describe(`ReadingStore conformance: ${name}`, () => {
    let store: ReadingStore;
    beforeEach(async () => {
      store = await makeStore();
    });
    afterEach(async () => {
      await store.close();
    });

    it('stores readings and returns them unchanged, optional fields included or absent', async () => {
      const a = sampleReading(1, { value: 36.6 + 0.1, metric: 'body-temperature', unit: 'Cel' });
      const { patientId: _p, quality: _q, ...rest } = sampleReading(2);
      const b = rest as Reading;
      const result = await store.append([a, b]);
      expect(result).toEqual({ inserted: 2, duplicates: 0, conflicts: [] });
      const got = await store.query({ from: T0, to: T0 + 10_000 });
      expect(got).toEqual([a, b]);
      expect('patientId' in (got[1] as object)).toBe(false);
    });

    it('stores ids with commas, quotes, backslashes and newlines unchanged', async () => {
      // A reading's id is free text (device and patient ids are restricted): it must survive any
      // bulk path (COPY CSV) exactly.
      const odd = ['a,b', 'say "hi"', 'back\\slash\\N', 'line\nbreak\r\n', 'ünï ☃', '\\.', ' ', 'NULL'];
      const readings = odd.map((id, k) => ({ ...sampleReading(k), id }));
      expect((await store.append(readings)).inserted).toBe(odd.length);
      expect(await store.query({ from: T0, to: T0 + 10_000 })).toEqual(readings);
      expect(await store.append(readings)).toEqual({ inserted: 0, duplicates: odd.length, conflicts: [] });
    });

    it('is idempotent: re-appending the same readings stores nothing new', async () => {
      const batch = [1, 2, 3].map((s) => sampleReading(s));
      await store.append(batch);
      const again = await store.append(batch);
      expect(again).toEqual({ inserted: 0, duplicates: 3, conflicts: [] });
      expect(await store.count()).toBe(3);
    });

    it('stores a reading repeated inside one batch once', async () => {
      const r = sampleReading(7);
      const result = await store.append([r, r, sampleReading(8)]);
      expect(result.inserted).toBe(2);
      expect(result.duplicates).toBe(1);
      expect(await store.count()).toBe(2);
    });

    it('keeps the stored reading and reports a conflict when an id comes back with other content', async () => {
      const r = sampleReading(4);
      await store.append([r]);
      const changed = { ...r, value: r.value + 1 };
      const result = await store.append([changed, sampleReading(5)]);
      expect(result).toEqual({ inserted: 1, duplicates: 0, conflicts: [r.id] });
      const [stored] = await store.query({ from: r.ts, to: r.ts + 1 });
      expect(stored).toEqual(r);
    });

    it('answers range queries: from inclusive, to exclusive, filtered, ordered, limited', async () => {
      const readings = [
        sampleReading(1, { deviceId: 'dev-b' as Reading['deviceId'] }),
        sampleReading(1, { deviceId: 'dev-a' as Reading['deviceId'] }),
        sampleReading(2, { deviceId: 'dev-a' as Reading['deviceId'], metric: 'spo2', unit: '%', value: 97 }),
        sampleReading(3, {
          deviceId: 'dev-a' as Reading['deviceId'],
          patientId: 'patient-2' as Reading['patientId'] & string,
        }),
      ];
      await store.append(readings);
      const all = await store.query({ from: T0 + 1000, to: T0 + 3000 });
      expect(all.map((r) => r.id)).toEqual(['dev-a:1', 'dev-b:1', 'dev-a:2']);
      expect((await store.query({ from: T0, to: T0 + 10_000, deviceId: 'dev-b' })).map((r) => r.id)).toEqual([
        'dev-b:1',
      ]);
      expect((await store.query({ from: T0, to: T0 + 10_000, metric: 'spo2' })).map((r) => r.id)).toEqual([
        'dev-a:2',
      ]);
      expect(
        (await store.query({ from: T0, to: T0 + 10_000, patientId: 'patient-2' })).map((r) => r.id),
      ).toEqual(['dev-a:3']);
      expect((await store.query({ from: T0, to: T0 + 10_000, limit: 2 })).map((r) => r.id)).toEqual([
        'dev-a:1',
        'dev-b:1',
      ]);
      expect(await store.query({ from: T0 + 3000, to: T0 + 3000 })).toEqual([]);
    });

    it('rejects an invalid reading with a ValidationError and stores nothing of its batch', async () => {
      const bad = { ...sampleReading(2), value: 'fast' } as unknown as Reading;
      const err = await store.append([sampleReading(1), bad]).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(ValidationError);
      expect((err as ValidationError).message).toContain('value');
      expect(await store.count()).toBe(0);
    });

    it('keeps exactly one copy of each distinct reading whatever the order and repetition of appends', async () => {
      let run = 0;
      await fc.assert(
        fc.asyncProperty(
          fc.array(fc.array(fc.integer({ min: 0, max: 30 }), { minLength: 1, maxLength: 8 }), {
            maxLength: 6,
          }),
          async (batches) => {
            run += 1;
            const deviceId = `prop-${run}` as Reading['deviceId'];
            const before = await store.count();
            const distinct = new Set(batches.flat());
            for (const b of batches) await store.append(b.map((s) => sampleReading(s, { deviceId })));
            expect((await store.count()) - before).toBe(distinct.size);
          },
        ),
        { numRuns: 15 },
      );
    });

    it('aggregates a fixed data set per bucket: exact count, mean, min and max', async () => {
      // Three minutes of heart rate from monitor-1 (patient-1), six readings a minute; one minute
      // of spo2; and monitor-2 (patient-2) in the first minute. T0 is on a minute.
      const hr = [60, 62, 64, 66, 68, 70, 80, 80, 80, 80, 80, 92, 50, 51, 52, 53, 54, 55];
      const readings = hr.map((value, k) => sampleReading(k, { value, ts: T0 + k * 10_000 }));
      readings.push(
        sampleReading(100, { ts: T0 + 5_000, metric: 'spo2', unit: '%', value: 97 }),
        ...[100, 110].map((value, k) =>
          sampleReading(k, {
            deviceId: 'monitor-2' as Reading['deviceId'],
            patientId: 'patient-2' as Reading['patientId'] & string,
            ts: T0 + 1_000 + k,
            value,
          }),
        ),
      );
      await store.append(readings);
      const q = { from: T0, to: T0 + 3 * MINUTE, bucketMs: MINUTE, metric: 'heart-rate' } as const;
      expect(
        await store.aggregate({ ...q, patientId: 'patient-1', stats: ['count', 'mean', 'min', 'max'] }),
      ).toEqual([
        { bucket: T0, count: 6, mean: 65, min: 60, max: 70 },
        { bucket: T0 + MINUTE, count: 6, mean: 82, min: 80, max: 92 },
        { bucket: T0 + 2 * MINUTE, count: 6, mean: 52.5, min: 50, max: 55 },
      ]);
      // Every patient's readings; only the stats asked for; `to` exclusive; empty buckets left out.
      expect(await store.aggregate({ ...q, to: T0 + MINUTE + 20_000, stats: ['max', 'count'] })).toEqual([
        { bucket: T0, count: 8, max: 110 },
        { bucket: T0 + MINUTE, count: 2, max: 80 },
      ]);
      expect(await store.aggregate({ ...q, deviceId: 'monitor-2', stats: ['mean'] })).toEqual([
        { bucket: T0, mean: 105 },
      ]);
      expect(await store.aggregate({ ...q, metric: 'spo2', bucketMs: HOUR, stats: ['count'] })).toEqual([
        { bucket: T0, count: 1 },
      ]);
      expect(await store.aggregate({ ...q, metric: 'body-weight', stats: ['count'] })).toEqual([]);
      // Buckets aligned on `origin` instead of the epoch.
      expect(
        await store.aggregate({ ...q, patientId: 'patient-1', origin: T0 + 30_000, stats: ['count', 'min'] }),
      ).toEqual([
        { bucket: T0 - 30_000, count: 3, min: 60 },
        { bucket: T0 + 30_000, count: 6, min: 66 },
        { bucket: T0 + 90_000, count: 6, min: 50 },
        { bucket: T0 + 150_000, count: 3, min: 53 },
      ]);
    });

    it('computes percentiles as percentile_cont, against a reference computed here', async () => {
      const values = [3.5, -1.25, 100, 42, 42, 7.75, 0, 13, 99.5, 1e-3, 250, 18];
      await store.append(values.map((value, k) => sampleReading(k, { value, ts: T0 + k })));
      const [row] = await store.aggregate({
        from: T0,
        to: T0 + MINUTE,
        bucketMs: MINUTE,
        metric: 'heart-rate',
        stats: ALL_STATS,
      });
      for (const [stat, p] of Object.entries(PERCENTILES)) {
        expect(row?.[stat as keyof typeof PERCENTILES], stat).toBe(percentileCont(values, p));
      }
      expect(row).toMatchObject({ count: 12, min: -1.25, max: 250 });
      // One reading: every percentile is that reading.
      await store.append([
        sampleReading(1, { deviceId: 'solo' as Reading['deviceId'], ts: T0 + HOUR, value: 71 }),
      ]);
      expect(
        await store.aggregate({
          from: T0 + HOUR,
          to: T0 + 2 * HOUR,
          bucketMs: HOUR,
          metric: 'heart-rate',
          stats: ['p50', 'p99'],
        }),
      ).toEqual([{ bucket: T0 + HOUR, p50: 71, p99: 71 }]);
    });

    it('agrees with the readings it aggregates whatever the data and buckets (property)', async () => {
      let run = 0;
      await fc.assert(
        fc.asyncProperty(
          fc.array(
            fc.record({
              dt: fc.integer({ min: 0, max: 600_000 }),
              value: fc.integer({ min: -500, max: 500 }),
            }),
            {
              minLength: 1,
              maxLength: 40,
            },
          ),
          fc.integer({ min: 1, max: 200_000 }),
          fc.integer({ min: 0, max: 300_000 }),
          fc.integer({ min: 1, max: 700_000 }),
          async (points, bucketMs, fromOffset, span) => {
            run += 1;
            const deviceId = `agg-${run}` as Reading['deviceId'];
            await store.append(
              points.map((p, k) => sampleReading(k, { deviceId, ts: T0 + p.dt, value: p.value })),
            );
            const from = T0 + fromOffset;
            const to = from + span;
            const rows = await store.aggregate({
              from,
              to,
              bucketMs,
              metric: 'heart-rate',
              deviceId,
              stats: ALL_STATS,
            });
            const inRange = await store.query({ from, to, deviceId, limit: 1_000 });
            expect(rows.reduce((n, r) => n + r.count, 0)).toBe(inRange.length);
            let previous = -Infinity;
            for (const r of rows) {
              expect(r.bucket % bucketMs).toBe(0);
              expect(r.bucket).toBeGreaterThan(previous);
              previous = r.bucket;
              const members = inRange
                .filter((x) => x.ts >= r.bucket && x.ts < r.bucket + bucketMs)
                .map((x) => x.value);
              expect(r.count).toBe(members.length);
              expect(r.min).toBe(Math.min(...members));
              expect(r.max).toBe(Math.max(...members));
              expect(r.mean).toBeGreaterThanOrEqual(r.min);
              expect(r.mean).toBeLessThanOrEqual(r.max);
              expect(r.mean).toBeCloseTo(members.reduce((a, b) => a + b, 0) / members.length, 9);
              expect([r.min, r.p50, r.p90, r.p95, r.p99, r.max]).toEqual(
                [r.min, r.p50, r.p90, r.p95, r.p99, r.max].sort((a, b) => a - b),
              );
              expect(r.p90).toBe(percentileCont(members, 0.9));
            }
          },
        ),
        { numRuns: 20 },
      );
    });

    it('rejects malformed aggregate and latest queries with a ValidationError naming the fields', async () => {
      const err = await store
        .aggregate({
          from: Number.NaN,
          to: T0,
          bucketMs: 0,
          metric: 'mood' as never,
          stats: ['p42' as never],
        })
        .then(
          () => undefined,
          (e: unknown) => e,
        );
      expect(err).toBeInstanceOf(ValidationError);
      expect((err as ValidationError).issues.map((i) => i.path)).toEqual([
        'from',
        'bucketMs',
        'metric',
        'stats.0',
      ]);
      const empty = await store
        .aggregate({ from: 0, to: 1, bucketMs: 1, metric: 'spo2', stats: [] })
        .catch((e: unknown) => e);
      expect(empty).toBeInstanceOf(ValidationError);
      const latest = await store.latest({ metric: 'mood' as never }).catch((e: unknown) => e);
      expect(latest).toBeInstanceOf(ValidationError);
    });

    it('returns the newest reading of each (patient, metric); readings without a patient by device', async () => {
      const p2 = 'patient-2' as Reading['patientId'] & string;
      const dev = (id: string) => id as Reading['deviceId'];
      const readings = [
        sampleReading(1, { ts: T0 + 1000 }),
        sampleReading(2, { ts: T0 + 3000, value: 71 }),
        sampleReading(3, { ts: T0 + 2000 }),
        sampleReading(4, { ts: T0 + 2500, metric: 'spo2', unit: '%', value: 95 }),
        // Same patient and metric from a second device, same ts as the newest: device order decides.
        sampleReading(1, { deviceId: dev('monitor-0'), ts: T0 + 3000, value: 72 }),
        sampleReading(5, { deviceId: dev('monitor-9'), patientId: p2, ts: T0 + 500, value: 88 }),
        sampleReading(6, { deviceId: dev('monitor-9'), patientId: p2, ts: T0 + 400, value: 89 }),
      ];
      const { patientId: _a, ...fridgeA } = sampleReading(7, {
        deviceId: dev('fridge-a'),
        metric: 'body-temperature',
        unit: 'Cel',
        value: 4.5,
        ts: T0 + 100,
      });
      const { patientId: _b, ...fridgeB } = sampleReading(8, {
        deviceId: dev('fridge-b'),
        metric: 'body-temperature',
        unit: 'Cel',
        value: 5.5,
        ts: T0 + 50,
      });
      readings.push(fridgeA as Reading, fridgeB as Reading);
      await store.append(readings);
      const ids = (rs: readonly Reading[]) => rs.map((r) => r.id);
      expect(ids(await store.latest())).toEqual([
        'monitor-1:2',
        'monitor-1:4',
        'monitor-9:5',
        'fridge-a:7',
        'fridge-b:8',
      ]);
      expect(await store.latest({ patientId: 'patient-1', metric: 'heart-rate' })).toEqual([readings[1]]);
      expect(ids(await store.latest({ deviceId: 'monitor-0' }))).toEqual(['monitor-0:1']);
      expect(ids(await store.latest({ metric: 'body-temperature' }))).toEqual(['fridge-a:7', 'fridge-b:8']);
      expect(await store.latest({ patientId: 'nobody' })).toEqual([]);
    });

    it('applies a retention policy: rolls up, deletes only what expired, idempotently', async (ctx) => {
      if (store.applyRetention === undefined || store.rollups === undefined) {
        ctx.skip();
        return;
      }
      // Three hours of one reading every 10 s (integer values, so sums are exact), T0 on the hour.
      const readings = Array.from({ length: 1080 }, (_, k) =>
        sampleReading(k, { ts: T0 + k * 10_000, value: 60 + (k % 7) }),
      );
      await store.append(readings);
      const policy: RetentionPolicy = {
        rawMs: 30 * MINUTE,
        rollups: [
          { bucketMs: MINUTE, keepMs: 2 * HOUR },
          { bucketMs: HOUR, keepMs: 48 * HOUR },
        ],
      };
      const now = T0 + 3 * HOUR;
      const hourly = await store.aggregate({
        from: T0,
        to: now,
        bucketMs: HOUR,
        metric: 'heart-rate',
        stats: ['count', 'min', 'max', 'mean'],
      });
      const first = await store.applyRetention(policy, { now });
      expect(first.rawDeleted).toBe(900); // ts < now - 30 min: 2.5 h of readings
      expect(first.rollups).toEqual([
        { bucketMs: MINUTE, written: 180, deleted: 60 }, // minutes before now - 2 h expire
        { bucketMs: HOUR, written: 3, deleted: 0 },
      ]);
      expect(await store.count()).toBe(180);
      const kept = await store.query({ from: 0, to: Number.MAX_SAFE_INTEGER, limit: 2_000 });
      expect(kept).toEqual(readings.filter((r) => r.ts >= now - 30 * MINUTE));

      const all = { from: 0, to: Number.MAX_SAFE_INTEGER } as const;
      const hours = await store.rollups({ ...all, bucketMs: HOUR });
      expect(
        hours.map((h) => ({ bucket: h.bucket, count: h.count, min: h.min, max: h.max, mean: h.mean })),
      ).toEqual(hourly);
      expect(hours[0]).toMatchObject({
        deviceId: 'monitor-1',
        patientId: 'patient-1',
        metric: 'heart-rate',
        unit: '/min',
      });
      const minutes = await store.rollups({
        ...all,
        bucketMs: MINUTE,
        metric: 'heart-rate',
        patientId: 'patient-1',
      });
      expect(minutes).toHaveLength(120);
      expect(minutes[0]?.bucket).toBe(T0 + HOUR);
      const m = readings.filter((r) => r.ts >= T0 + HOUR && r.ts < T0 + HOUR + MINUTE).map((r) => r.value);
      expect(minutes[0]).toMatchObject({
        count: 6,
        sum: m.reduce((a, b) => a + b, 0),
        min: Math.min(...m),
        max: Math.max(...m),
      });

      // Again at the same time: nothing changes.
      const second = await store.applyRetention(policy, { now });
      expect(second.rawDeleted).toBe(0);
      expect(second.rollups.map((r) => r.deleted)).toEqual([0, 0]);
      expect(await store.rollups({ ...all, bucketMs: MINUTE })).toEqual(minutes);
      expect(await store.rollups({ ...all, bucketMs: HOUR })).toEqual(hours);
      expect(await store.count()).toBe(180);

      // A reading arriving late (within lateMs) is rolled up by the next run.
      const late = sampleReading(5_000, { ts: now - 5 * MINUTE + 1, value: 1 });
      await store.append([late]);
      await store.applyRetention(policy, { now });
      const [bucket] = await store.rollups({
        bucketMs: MINUTE,
        from: now - 5 * MINUTE,
        to: now - 4 * MINUTE,
      });
      expect(bucket).toMatchObject({ count: 7, min: 1 });
      const [hour] = await store.rollups({ bucketMs: HOUR, from: now - HOUR, to: now });
      expect(hour?.count).toBe(361);

      // Later: the hourly rollups outlive the minute rollups and the raw readings.
      const later = await store.applyRetention(policy, { now: now + 3 * HOUR });
      expect(later.rawDeleted).toBe(181);
      expect(await store.count()).toBe(0);
      expect(await store.rollups({ ...all, bucketMs: MINUTE })).toEqual([]);
      expect((await store.rollups({ ...all, bucketMs: HOUR })).map((h) => h.count)).toEqual([360, 360, 361]);
    });

    it('refuses an inconsistent retention policy with a RangeError', async (ctx) => {
      if (store.applyRetention === undefined) {
        ctx.skip();
        return;
      }
      for (const policy of [
        { rawMs: 0, rollups: [] },
        {
          rawMs: HOUR,
          rollups: [
            { bucketMs: 7 * MINUTE, keepMs: HOUR },
            { bucketMs: 10 * MINUTE, keepMs: HOUR },
          ],
        },
        {
          rawMs: HOUR,
          rollups: [
            { bucketMs: HOUR, keepMs: HOUR },
            { bucketMs: MINUTE, keepMs: HOUR },
          ],
        },
        { rawMs: MINUTE, rollups: [{ bucketMs: HOUR, keepMs: HOUR }] },
      ]) {
        await expect(store.applyRetention(policy)).rejects.toThrow(RangeError);
      }
      await expect(store.applyRetention({ rawMs: HOUR, rollups: [] }, { now: -1 })).rejects.toThrow(
        RangeError,
      );
    });

    it('is closed after close: appends fail with store/closed, close is idempotent', async () => {
      await store.close();
      await store.close();
      const err = await store.append([sampleReading(1)]).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(isHealthItError(err, 'store/closed')).toBe(true);
    });
  });
}
