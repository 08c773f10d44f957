import { deviceId, type MetricId, type Reading, readingId } from '@healthit/core';
import * as fc from 'fast-check';
import { from, lastValueFrom, toArray } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import { type MedianFilterOutput, medianFilter } from './median-filter.js';

function reading(dev: string, seq: number, value: number, metric: MetricId = 'heart-rate'): Reading {
  const unit = metric === 'spo2' ? '%' : '/min';
  return { id: readingId(dev, seq), deviceId: deviceId(dev), metric, value, unit, ts: seq * 1000, seq };
}

const scheduler = () => new TestScheduler((actual, expected) => expect(actual).toEqual(expected));

const out = (r: Reading, value: number, quality?: 'questionable'): MedianFilterOutput => ({
  type: 'reading',
  reading: { ...r, value, ...(quality !== undefined ? { quality } : {}) },
  rawValue: r.value,
});

async function run(input: Reading[], window: number, tolerance?: number): Promise<MedianFilterOutput[]> {
  const op = medianFilter(tolerance === undefined ? { window } : { window, tolerance });
  return lastValueFrom(from(input).pipe(op, toArray()));
}

describe('medianFilter', () => {
  it('replaces each value by the running median and flags a reading it moved beyond the tolerance', () => {
    const [a, b, c, d, e] = [70, 72, 150, 71, 73].map((v, i) => reading('d1', i + 1, v)) as [
      Reading,
      Reading,
      Reading,
      Reading,
      Reading,
    ];
    scheduler().run(({ cold, expectObservable }) => {
      const src = cold('a-b-c-d-e|', { a, b, c, d, e });
      expectObservable(src.pipe(medianFilter({ window: 3 }))).toBe('a-b-c-d-e|', {
        a: out(a, 70),
        b: out(b, 71), // before the window fills: mean of the two middle values
        c: out(c, 72, 'questionable'), // 150 → 72, moved by 78 > 10 bpm
        d: out(d, 72),
        e: out(e, 73),
      });
    });
  });

  it('keeps series apart and keys them by device, metric and unit', () => {
    const a = reading('d1', 1, 60);
    const b = reading('d2', 1, 100);
    const c = reading('d1', 2, 64, 'spo2');
    const d = reading('d1', 3, 62);
    scheduler().run(({ cold, expectObservable }) => {
      const src = cold('abcd|', { a, b, c, d });
      expectObservable(src.pipe(medianFilter({ window: 3 }))).toBe('abcd|', {
        a: out(a, 60),
        b: out(b, 100),
        c: out(c, 64),
        d: out(d, 61),
      });
    });
  });

  it('uses a per-metric tolerance and keeps a worse quality already set', () => {
    const a = reading('d1', 1, 95, 'spo2');
    const b = reading('d1', 2, 97, 'spo2');
    const c = { ...reading('d1', 3, 80, 'spo2'), quality: 'bad' as const };
    scheduler().run(({ cold, expectObservable }) => {
      const src = cold('abc|', { a, b, c });
      expectObservable(src.pipe(medianFilter({ window: 3, tolerance: { spo2: 0.5 } }))).toBe('abc|', {
        a: out(a, 95),
        b: out(b, 96, 'questionable'), // moved by 1 > 0.5
        c: { type: 'reading', reading: { ...c, value: 95 }, rawValue: 80 },
      });
    });
  });

  it('hands a non-finite value on as an event and keeps it out of the window', async () => {
    const nan = reading('d1', 2, Number.NaN);
    const res = await run([reading('d1', 1, 60), nan, reading('d1', 3, 80)], 3, 100);
    expect(res[1]).toEqual({ type: 'non-finite', reading: nan });
    expect(res[2]).toMatchObject({ type: 'reading', reading: { value: 70 } });
  });

  it('forgets the least recently seen series beyond maxSeries (its window restarts empty)', async () => {
    const op = medianFilter({ window: 3, maxSeries: 1, tolerance: 1000 });
    const input = [reading('d1', 1, 10), reading('d1', 2, 20), reading('d2', 1, 99), reading('d1', 3, 30)];
    const res = await lastValueFrom(from(input).pipe(op, toArray()));
    expect(res.map((o) => (o.type === 'reading' ? o.reading.value : Number.NaN))).toEqual([10, 15, 99, 30]);
  });

  it('rejects bad options', () => {
    expect(() => medianFilter({ window: 4 })).toThrow(RangeError);
    expect(() => medianFilter({ window: 1 })).toThrow(RangeError);
    expect(() => medianFilter({ window: 257 })).toThrow(RangeError);
    expect(() => medianFilter({ window: 3, tolerance: -1 })).toThrow(RangeError);
    expect(() => medianFilter({ window: 3, tolerance: { spo2: Number.NaN } })).toThrow(RangeError);
    expect(() => medianFilter({ window: 3, maxSeries: 0 })).toThrow(RangeError);
  });

  it('property: every output lies within [min, max] of its window, is finite, and keeps id and order', async () => {
    const arb = fc.record({
      items: fc.array(
        fc.tuple(
          fc.constantFrom('a', 'b', 'c'),
          fc.double({ min: -1e308, max: 1e308, noNaN: true, noDefaultInfinity: true }),
        ),
        { maxLength: 80 },
      ),
      window: fc.integer({ min: 1, max: 6 }).map((k) => 2 * k + 1),
      maxSeries: fc.integer({ min: 1, max: 4 }),
    });
    await fc.assert(
      fc.asyncProperty(arb, async ({ items, window, maxSeries }) => {
        const seqs = new Map<string, number>();
        const input = items.map(([d, v]) => {
          const seq = (seqs.get(d) ?? 0) + 1;
          seqs.set(d, seq);
          return reading(d, seq, v);
        });
        const res = await lastValueFrom(from(input).pipe(medianFilter({ window, maxSeries }), toArray()));
        expect(res.map((o) => o.reading.id)).toEqual(input.map((r) => r.id));
        // Reference: the window is the last `window` values of the series since it was last (re)created.
        const windows = new Map<string, number[]>();
        const lru: string[] = [];
        res.forEach((o, i) => {
          const r = input[i] as Reading;
          if (!windows.has(r.deviceId) && lru.length >= maxSeries) windows.delete(lru.shift() as string);
          const idx = lru.indexOf(r.deviceId);
          if (idx >= 0) lru.splice(idx, 1);
          lru.push(r.deviceId);
          const w = [...(windows.get(r.deviceId) ?? []), r.value].slice(-window);
          windows.set(r.deviceId, w);
          expect(o.type).toBe('reading');
          const v = o.reading.value;
          expect(Number.isFinite(v)).toBe(true);
          expect(v).toBeGreaterThanOrEqual(Math.min(...w));
          expect(v).toBeLessThanOrEqual(Math.max(...w));
          if (w.length % 2 === 1) expect(w).toContain(v); // an odd count yields a member
        });
      }),
    );
  });
});
