import type { Reading } from '@healthit/core';
import { createFakeClock } from '@healthit/core/testing';
import { describe, expect, it } from 'vitest';
import { createHistorian, seriesKeyOf } from './historian.js';
import { MAX_SEQ_SPAN, MAX_SPAN_MS } from './layout.js';

const T0 = Date.UTC(2025, 5, 1, 12);
const SPO2 = { patientId: 'p1', metric: 'spo2' } as const;

interface PointInit {
  readonly device?: string;
  readonly patient?: string | null;
  readonly metric?: Reading['metric'];
  readonly value?: number;
  readonly unit?: string;
  readonly quality?: Reading['quality'];
}

/** A canonical SpO2 reading of patient p1 from device d1, `seq` at T0 + `dtMs`. */
function r(seq: number, dtMs: number, init: PointInit = {}): Reading {
  const device = init.device ?? 'd1';
  const reading = {
    id: `${device}:${seq}`,
    deviceId: device,
    metric: init.metric ?? 'spo2',
    value: init.value ?? 90 + (seq % 10),
    unit: init.unit ?? '%',
    ts: T0 + dtMs,
    seq,
  } as Reading;
  if (init.patient !== null) reading.patientId = (init.patient ?? 'p1') as Reading['patientId'];
  if (init.quality !== undefined) reading.quality = init.quality;
  return reading;
}

const seqs = (readings: readonly Reading[]) => readings.map((x) => x.seq);

describe('createHistorian', () => {
  it('gives back the whole reading it stored, and the latest', () => {
    const h = createHistorian();
    const a = r(1, 0, { quality: 'good', value: 97.123456789 });
    const b = r(2, 1000, { quality: 'questionable' });
    const c = r(3, 2000);
    const d = r(7, 0, { patient: null, device: 'd9', metric: 'heart-rate', unit: '/min', quality: 'bad' });
    for (const x of [a, b, c, d]) expect(h.append(x)).toBe('stored');
    expect(h.range(SPO2, T0, T0 + 3000)).toEqual([a, b, c]);
    expect(h.latest(SPO2)).toEqual(c);
    expect(h.latest({ deviceId: 'd9', metric: 'heart-rate' })).toEqual(d);
    expect(h.latest(seriesKeyOf(d))).toEqual(d);
    expect(h.latest({ patientId: 'p2', metric: 'spo2' })).toBeUndefined();
  });

  it('keeps patient and device series apart even when their ids are the same string', () => {
    const h = createHistorian();
    h.append(r(1, 0, { patient: 'x' }));
    h.append(r(2, 0, { patient: null, device: 'x' }));
    expect(seqs(h.range({ patientId: 'x', metric: 'spo2' }, 0, Number.POSITIVE_INFINITY))).toEqual([1]);
    expect(seqs(h.range({ deviceId: 'x', metric: 'spo2' }, 0, Number.POSITIVE_INFINITY))).toEqual([2]);
  });

  describe('ring buffer', () => {
    it('wraps around: at capacity the oldest points are overwritten and order is kept', () => {
      const h = createHistorian({ capacityPerSeries: 5, initialCapacityPerSeries: 5 });
      for (let s = 0; s < 12; s++) expect(h.append(r(s, s * 1000))).toBe('stored');
      expect(seqs(h.range(SPO2, 0, Number.POSITIVE_INFINITY))).toEqual([7, 8, 9, 10, 11]);
      expect(h.stats().evicted.capacity).toBe(7);
      // A late point lands in order across the wrap point, pushing out the oldest.
      expect(h.append(r(100, 9500))).toBe('stored');
      expect(seqs(h.range(SPO2, 0, Number.POSITIVE_INFINITY))).toEqual([8, 9, 100, 10, 11]);
      expect(h.range(SPO2, 0, Number.POSITIVE_INFINITY).map((x) => x.ts - T0)).toEqual([
        8000, 9000, 9500, 10_000, 11_000,
      ]);
    });

    it('grows by doubling up to capacity, keeping order across a wrapped buffer', () => {
      const h = createHistorian({ capacityPerSeries: 10, initialCapacityPerSeries: 2 });
      h.append(r(0, 0));
      h.append(r(1, 1000));
      expect(h.stats().bytesAllocated).toBe(2 * 16);
      h.append(r(2, 2000));
      expect(h.stats().bytesAllocated).toBe(4 * 16);
      for (let s = 3; s < 25; s++) h.append(r(s, s * 1000));
      expect(h.stats().bytesAllocated).toBe(10 * 16);
      expect(seqs(h.range(SPO2, 0, Number.POSITIVE_INFINITY))).toEqual([
        15, 16, 17, 18, 19, 20, 21, 22, 23, 24,
      ]);
    });

    it('refuses a point older than the oldest one when at capacity', () => {
      const h = createHistorian({ capacityPerSeries: 3 });
      for (let s = 1; s <= 3; s++) h.append(r(s, s * 1000));
      expect(h.append(r(9, 500))).toBe('full');
      expect(h.append(r(10, 1000))).toBe('stored'); // same ts as the oldest: goes after it, it goes
      expect(seqs(h.range(SPO2, 0, Number.POSITIVE_INFINITY))).toEqual([10, 2, 3]);
      expect(h.stats().refused.full).toBe(1);
    });
  });

  describe('eviction by age', () => {
    it('without a clock, evicts points more than maxAgeMs older than the newest point', () => {
      const h = createHistorian({ maxAgeMs: 10_000 });
      h.append(r(1, 0));
      h.append(r(2, 5000));
      h.append(r(3, 10_000));
      expect(seqs(h.range(SPO2, 0, Number.POSITIVE_INFINITY))).toEqual([1, 2, 3]); // exactly 10 s: kept
      h.append(r(4, 10_001));
      expect(seqs(h.range(SPO2, 0, Number.POSITIVE_INFINITY))).toEqual([2, 3, 4]);
      expect(h.append(r(5, 0))).toBe('expired');
      expect(h.append(r(6, 0))).toBe('expired');
      expect(h.append(r(7, 1))).toBe('stored'); // exactly maxAgeMs before the newest point
      expect(h.append(r(8, 3000))).toBe('stored'); // late but within the window
      expect(seqs(h.range(SPO2, 0, Number.POSITIVE_INFINITY))).toEqual([7, 8, 2, 3, 4]);
      expect(h.stats().evicted.age).toBe(1);
      expect(h.stats().refused.expired).toBe(2);
    });

    it('with a clock, evicts as time passes, even without new readings, and drops emptied series', () => {
      const clock = createFakeClock(T0);
      const h = createHistorian({ maxAgeMs: 60_000, clock });
      expect(h.append(r(1, -60_001))).toBe('expired');
      expect(h.stats().series).toBe(0);
      h.append(r(2, -30_000));
      h.append(r(3, 0));
      clock.advance(30_000);
      expect(seqs(h.range(SPO2, 0, Number.POSITIVE_INFINITY))).toEqual([2, 3]); // exactly 60 s: kept
      clock.advance(1);
      expect(seqs(h.range(SPO2, 0, Number.POSITIVE_INFINITY))).toEqual([3]);
      clock.advance(30_000);
      expect(h.latest(SPO2)).toBeUndefined();
      expect(h.series()).toEqual([]);
      expect(h.stats()).toMatchObject({ series: 0, points: 0, evicted: { age: 2 } });
    });

    it('never lets a series span more than 2^32 − 1 ms', () => {
      const h = createHistorian();
      h.append(r(1, 0));
      h.append(r(2, 1000));
      h.append(r(3, MAX_SPAN_MS + 1000));
      expect(seqs(h.range(SPO2, 0, Number.POSITIVE_INFINITY))).toEqual([2, 3]);
      expect(h.append(r(4, 999))).toBe('expired');
      expect(h.append(r(5, 1000))).toBe('stored');
      h.append(r(6, 2 * MAX_SPAN_MS));
      expect(seqs(h.range(SPO2, 0, Number.POSITIVE_INFINITY))).toEqual([3, 6]);
      expect(h.range(SPO2, 0, Number.POSITIVE_INFINITY).map((x) => x.ts - T0)).toEqual([
        MAX_SPAN_MS + 1000,
        2 * MAX_SPAN_MS,
      ]);
    });
  });

  describe('maxSeries', () => {
    it('drops the least recently updated series; refused readings do not count as updates', () => {
      const h = createHistorian({ maxSeries: 3 });
      h.append(r(1, 0, { patient: 'a' }));
      h.append(r(1, 0, { patient: 'b' }));
      h.append(r(1, 0, { patient: 'c' }));
      h.append(r(2, 1000, { patient: 'a' })); // a updated: b is now the least recent
      h.append(r(1, 0, { patient: 'b' })); // duplicate: b is not updated
      h.append(r(1, 0, { patient: 'd' }));
      expect(h.series().map((s) => ('patientId' in s ? s.patientId : s.deviceId))).toEqual(['c', 'a', 'd']);
      expect(h.latest({ patientId: 'b', metric: 'spo2' })).toBeUndefined();
      expect(h.stats().evicted).toMatchObject({ series: 1, seriesPoints: 1 });
    });

    it('with a clock, lets aged-out series go before dropping a live one', () => {
      const clock = createFakeClock(T0);
      const h = createHistorian({ maxSeries: 2, maxAgeMs: 1000, clock });
      h.append(r(1, 0, { patient: 'a' }));
      h.append(r(1, -900, { patient: 'b' }));
      clock.advance(500); // b is aged out, a is not
      h.append(r(1, 500, { patient: 'c' }));
      expect(h.series().map((s) => ('patientId' in s ? s.patientId : s.deviceId))).toEqual(['a', 'c']);
      expect(h.stats().evicted).toMatchObject({ series: 0, age: 1 });
    });
  });

  describe('range', () => {
    it('includes fromTs and excludes toTs; equal timestamps come back in arrival order', () => {
      const h = createHistorian();
      h.append(r(1, 0));
      h.append(r(2, 1000));
      h.append(r(3, 1000));
      h.append(r(4, 2000));
      h.append(r(5, 1000)); // late, same ts as 2 and 3: after them
      expect(seqs(h.range(SPO2, T0 + 1000, T0 + 2000))).toEqual([2, 3, 5]);
      expect(seqs(h.range(SPO2, T0, T0 + 1000))).toEqual([1]);
      expect(seqs(h.range(SPO2, T0 + 1, T0 + 2001))).toEqual([2, 3, 5, 4]);
      expect(h.range(SPO2, T0 + 1000, T0 + 1000)).toEqual([]);
      expect(h.range(SPO2, T0 + 2000, T0)).toEqual([]);
      expect(seqs(h.range(SPO2, Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY))).toEqual([
        1, 2, 3, 5, 4,
      ]);
      const cols = h.rangeColumns(SPO2, T0 + 1000, T0 + 2001);
      expect([...cols.ts]).toEqual([T0 + 1000, T0 + 1000, T0 + 1000, T0 + 2000]);
      expect([...cols.values]).toEqual([92, 93, 95, 94]);
      expect(() => h.range(SPO2, Number.NaN, 0)).toThrow(RangeError);
      expect(() => h.rangeColumns(SPO2, 0, Number.NaN)).toThrow(RangeError);
    });
  });

  describe('late and repeated readings', () => {
    it('inserts a late reading in time order, also beyond the first point of a series', () => {
      const h = createHistorian();
      h.append(r(10, 10_000));
      h.append(r(11, 11_000));
      h.append(r(9, 9_000));
      h.append(r(1, -7_200_000)); // two hours before the first point: the time base moves
      expect(seqs(h.range(SPO2, Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY))).toEqual([1, 9, 10, 11]);
      expect(h.range(SPO2, Number.NEGATIVE_INFINITY, T0)[0]?.ts).toBe(T0 - 7_200_000);
    });

    it('ignores a repeated (device, seq), whatever its content; another device may reuse the seq', () => {
      const h = createHistorian();
      expect(h.append(r(5, 0))).toBe('stored');
      expect(h.append(r(5, 0))).toBe('duplicate');
      expect(h.append(r(5, 3000, { value: 50 }))).toBe('duplicate');
      expect(h.append(r(6, 1000))).toBe('stored');
      expect(h.append(r(5, 0, { device: 'd2' }))).toBe('stored');
      expect(h.append(r(4, -1000))).toBe('stored'); // a lower seq that was never stored is new
      expect(h.append(r(4, -1000))).toBe('duplicate');
      expect(h.range(SPO2, Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY).map((x) => x.id)).toEqual([
        'd1:4',
        'd1:5',
        'd2:5',
        'd1:6',
      ]);
      expect(h.stats().refused.duplicate).toBe(3);
    });
  });

  describe('devices and seqs', () => {
    it('keeps each point’s device in a series fed by several devices; a 17th device is refused', () => {
      const h = createHistorian({ capacityPerSeries: 16 });
      for (let d = 0; d < 16; d++) expect(h.append(r(d, d, { device: `dev-${d}` }))).toBe('stored');
      expect(h.append(r(0, 100, { device: 'dev-16' }))).toBe('too-many-devices');
      expect(h.range(SPO2, 0, Number.POSITIVE_INFINITY).map((x) => x.deviceId)).toEqual(
        Array.from({ length: 16 }, (_, d) => `dev-${d}`),
      );
      // dev-0's only point is overwritten by dev-1's next one: its slot is free for dev-16.
      expect(h.append(r(1000, 200, { device: 'dev-1' }))).toBe('stored');
      expect(h.append(r(0, 300, { device: 'dev-16' }))).toBe('stored');
      expect(h.latest(SPO2)?.id).toBe('dev-16:0');
      expect(h.stats().refused['too-many-devices']).toBe(1);
    });

    it('stores seqs up to Number.MAX_SAFE_INTEGER exactly', () => {
      const h = createHistorian();
      const top = Number.MAX_SAFE_INTEGER;
      h.append(r(top - 1, 0));
      h.append(r(top, 1000));
      expect(h.range(SPO2, 0, Number.POSITIVE_INFINITY).map((x) => x.id)).toEqual([
        `d1:${top - 1}`,
        `d1:${top}`,
      ]);
    });

    it('drops a device’s points whose seq is more than 2^26 − 1 below its new one, and refuses such late seqs', () => {
      const h = createHistorian();
      h.append(r(1, 0));
      h.append(r(2, 1000, { device: 'd2' }));
      h.append(r(100_000, 2000));
      h.append(r(100 + MAX_SEQ_SPAN, 3000)); // 1 is now too far below: dropped, 100 000 stays
      expect(h.range(SPO2, 0, Number.POSITIVE_INFINITY).map((x) => x.id)).toEqual([
        'd2:2',
        'd1:100000',
        `d1:${100 + MAX_SEQ_SPAN}`,
      ]);
      expect(h.stats().evicted.seqSpan).toBe(1);
      expect(h.append(r(50, 4000))).toBe('seq-out-of-span');
      expect(h.append(r(1000, 4000))).toBe('stored');
      expect(h.append(r(2 * MAX_SEQ_SPAN + 200_000, 5000))).toBe('stored'); // drops all older d1 points
      expect(h.range(SPO2, 0, Number.POSITIVE_INFINITY).map((x) => x.id)).toEqual([
        'd2:2',
        `d1:${2 * MAX_SEQ_SPAN + 200_000}`,
      ]);
    });
  });

  describe('refusals', () => {
    it('refuses non-canonical units and invalid numbers without storing anything', () => {
      const h = createHistorian();
      expect(h.append(r(1, 0, { metric: 'body-temperature', unit: '[degF]', value: 98.6 }))).toBe(
        'not-canonical',
      );
      expect(h.append(r(2, 0, { value: Number.NaN }))).toBe('invalid');
      expect(h.append(r(3, 0, { value: Number.POSITIVE_INFINITY }))).toBe('invalid');
      expect(h.append({ ...r(4, 0), ts: 1.5 })).toBe('invalid');
      expect(h.append({ ...r(5, 0), seq: -1 })).toBe('invalid');
      expect(h.append({ ...r(6, 0), metric: 'nope' as Reading['metric'] })).toBe('invalid');
      expect(h.stats()).toMatchObject({ series: 0, points: 0, refused: { invalid: 5, 'not-canonical': 1 } });
    });
  });

  describe('memory', () => {
    it('uses at most 16 bytes per stored point at capacity', () => {
      const h = createHistorian({ capacityPerSeries: 1000, maxSeries: 50 });
      for (let p = 0; p < 50; p++) {
        for (let s = 0; s < 1200; s++) h.append(r(s, s * 1000, { patient: `p${p}`, quality: 'good' }));
      }
      const stats = h.stats();
      expect(stats.series).toBe(50);
      expect(stats.points).toBe(50_000);
      expect(stats.bytesAllocated).toBe(50_000 * 16);
      expect(stats.bytesPerPoint).toBeLessThanOrEqual(16);
      expect(stats.maxBytes).toBe(50 * 1000 * 16);
    });
  });

  describe('options', () => {
    it('rejects out-of-range and wrongly typed options', () => {
      expect(() => createHistorian({ capacityPerSeries: 0 })).toThrow(RangeError);
      expect(() => createHistorian({ capacityPerSeries: 1.5 })).toThrow(RangeError);
      expect(() => createHistorian({ maxSeries: 0 })).toThrow(RangeError);
      expect(() => createHistorian({ initialCapacityPerSeries: -1 })).toThrow(RangeError);
      expect(() => createHistorian({ maxAgeMs: 0 })).toThrow(RangeError);
      expect(() => createHistorian({ maxAgeMs: MAX_SPAN_MS + 1 })).toThrow(/49\.7 days/);
      expect(() => createHistorian({ maxAgeMs: '5' as unknown as number })).toThrow(TypeError);
      expect(() => createHistorian({ clock: {} as never })).toThrow(TypeError);
    });
  });
});
