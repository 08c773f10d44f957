import { deviceId, type MetricId, patientId, type Reading, readingId } from '@healthit/core';
import * as fc from 'fast-check';
import { from, lastValueFrom, toArray } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import { type WindowAggregate, windowStats } from './window-stats.js';

function reading(dev: string, seq: number, ts: number, value: number, patient?: string): Reading {
  const metric: MetricId = 'heart-rate';
  return {
    id: readingId(dev, seq),
    deviceId: deviceId(dev),
    ...(patient !== undefined ? { patientId: patientId(patient) } : {}),
    metric,
    value,
    unit: '/min',
    ts,
    seq,
  };
}

const scheduler = () => new TestScheduler((actual, expected) => expect(actual).toEqual(expected));

describe('windowStats', () => {
  it('emits a tumbling window when a reading of a later window arrives, and the rest on completion', () => {
    const a = reading('d1', 1, 0, 60);
    const b = reading('d1', 2, 400, 70);
    const c = reading('d1', 3, 999, 80);
    const d = reading('d1', 4, 1000, 90);
    scheduler().run(({ cold, expectObservable }) => {
      const src = cold('abcd|', { a, b, c, d });
      expectObservable(src.pipe(windowStats({ kind: 'tumbling', sizeMs: 1000 }))).toBe('---x(y|)', {
        x: {
          type: 'window',
          series: 'd1',
          metric: 'heart-rate',
          unit: '/min',
          windowStart: 0,
          windowEnd: 1000,
          count: 3,
          mean: 70,
          min: 60,
          max: 80,
          last: 80,
          stddev: Math.sqrt(200 / 3),
        },
        y: {
          type: 'window',
          series: 'd1',
          metric: 'heart-rate',
          unit: '/min',
          windowStart: 1000,
          windowEnd: 2000,
          count: 1,
          mean: 90,
          min: 90,
          max: 90,
          last: 90,
          stddev: 0,
        },
      });
    });
  });

  it('keys series by patient when present and includes only the stats asked for', () => {
    const a = reading('d1', 1, 10, 60, 'p1');
    const b = reading('d2', 1, 20, 80, 'p1');
    scheduler().run(({ cold, expectObservable }) => {
      const src = cold('ab|', { a, b });
      expectObservable(src.pipe(windowStats({ kind: 'tumbling', sizeMs: 100, stats: ['max'] }))).toBe(
        '--(x|)',
        {
          x: {
            type: 'window',
            series: 'p1',
            metric: 'heart-rate',
            unit: '/min',
            windowStart: 0,
            windowEnd: 100,
            count: 2,
            max: 80,
          },
        },
      );
    });
  });

  it('puts a reading in every sliding window that covers it', () => {
    const a = reading('d1', 1, 250, 10);
    const b = reading('d1', 2, 450, 20);
    const c = reading('d1', 3, 1000, 30);
    const w = (windowStart: number, count: number, mean: number) => ({
      type: 'window',
      series: 'd1',
      metric: 'heart-rate',
      unit: '/min',
      windowStart,
      windowEnd: windowStart + 500,
      count,
      mean,
    });
    scheduler().run(({ cold, expectObservable }) => {
      const src = cold('a-b-c------|', { a, b, c });
      const op = windowStats({ kind: 'sliding', sizeMs: 500, slideMs: 250, stats: ['mean'] });
      // c (t=1000) closes [0,500) and [250,750); [500,1000) never had a reading.
      expectObservable(src.pipe(op)).toBe('----(xy)---(zv|)', {
        x: w(0, 2, 15),
        y: w(250, 2, 15),
        z: w(750, 1, 30),
        v: w(1000, 1, 30),
      });
    });
  });

  it('turns a reading for an already emitted window into a late event', () => {
    const a = reading('d1', 1, 100, 1);
    const b = reading('d1', 2, 1100, 2);
    const late = reading('d1', 3, 900, 3);
    scheduler().run(({ cold, expectObservable }) => {
      const src = cold('a-b-l|', { a, b, l: late });
      const out = src.pipe(windowStats({ kind: 'tumbling', sizeMs: 1000, stats: [] }));
      expectObservable(out).toBe('--x-y(z|)', {
        x: {
          type: 'window',
          series: 'd1',
          metric: 'heart-rate',
          unit: '/min',
          windowStart: 0,
          windowEnd: 1000,
          count: 1,
        },
        y: { type: 'late', reading: late, closedUpToMs: 1000 },
        z: {
          type: 'window',
          series: 'd1',
          metric: 'heart-rate',
          unit: '/min',
          windowStart: 1000,
          windowEnd: 2000,
          count: 1,
        },
      });
    });
  });

  it('closes the windows of an idle series after flushAfterIdleMs', () => {
    const a = reading('d1', 1, 100, 5);
    const ts = scheduler();
    ts.run(({ cold, expectObservable }) => {
      const src = cold('a 30ms |', { a });
      const op = windowStats({
        kind: 'tumbling',
        sizeMs: 1000,
        stats: ['last'],
        flushAfterIdleMs: 20,
        scheduler: ts,
      });
      expectObservable(src.pipe(op)).toBe('20ms x 10ms |', {
        x: {
          type: 'window',
          series: 'd1',
          metric: 'heart-rate',
          unit: '/min',
          windowStart: 0,
          windowEnd: 1000,
          count: 1,
          last: 5,
        },
      });
    });
  });

  it('rejects bad options', () => {
    expect(() => windowStats({ kind: 'tumbling', sizeMs: 0 })).toThrow(RangeError);
    expect(() => windowStats({ kind: 'sliding', sizeMs: 100 })).toThrow(RangeError);
    expect(() => windowStats({ kind: 'sliding', sizeMs: 100, slideMs: 200 })).toThrow(RangeError);
    expect(() => windowStats({ kind: 'tumbling', sizeMs: 100, slideMs: 50 })).toThrow(RangeError);
    expect(() => windowStats({ kind: 'tumbling', sizeMs: 100, stats: ['median' as never] })).toThrow(
      RangeError,
    );
  });

  const inputs = fc
    .array(
      fc.tuple(fc.constantFrom('a', 'b', 'c'), fc.nat(5000), fc.double({ min: -1e3, max: 1e3, noNaN: true })),
      {
        maxLength: 100,
      },
    )
    .map((items) =>
      items.map(([d, ts, v], i) => reading(d, i, ts, v)).sort((x, y) => x.ts - y.ts || x.seq - y.seq),
    );

  it('property: tumbling window counts sum to the number of readings and match a direct computation', async () => {
    await fc.assert(
      fc.asyncProperty(inputs, fc.integer({ min: 1, max: 2000 }), async (input, sizeMs) => {
        const out = await lastValueFrom(
          from(input).pipe(windowStats({ kind: 'tumbling', sizeMs }), toArray()),
        );
        const windows = out.filter((o): o is WindowAggregate => o.type === 'window');
        expect(windows).toHaveLength(out.length);
        expect(windows.reduce((n, w) => n + w.count, 0)).toBe(input.length);
        for (const w of windows) {
          const vs = input
            .filter((r) => r.deviceId === w.series && r.ts >= w.windowStart && r.ts < w.windowEnd)
            .map((r) => r.value);
          expect(w.count).toBe(vs.length);
          expect(w.min).toBe(Math.min(...vs));
          expect(w.max).toBe(Math.max(...vs));
          expect(w.last).toBe(vs[vs.length - 1]);
          const mean = vs.reduce((s, v) => s + v, 0) / vs.length;
          expect(w.mean).toBeCloseTo(mean, 6);
          expect(w.stddev).toBeCloseTo(Math.sqrt(vs.reduce((s, v) => s + (v - mean) ** 2, 0) / vs.length), 6);
        }
      }),
    );
  });

  it('property: with shuffled input, window counts plus late events account for every reading', async () => {
    await fc.assert(
      fc.asyncProperty(
        inputs.chain((xs) => fc.shuffledSubarray(xs, { minLength: xs.length, maxLength: xs.length })),
        fc.integer({ min: 1, max: 2000 }),
        async (input, sizeMs) => {
          const out = await lastValueFrom(
            from(input).pipe(windowStats({ kind: 'tumbling', sizeMs }), toArray()),
          );
          const counted = out.reduce((n, o) => n + (o.type === 'window' ? o.count : 1), 0);
          expect(counted).toBe(input.length);
        },
      ),
    );
  });

  it('property: sliding windows count each reading once per covering window', async () => {
    await fc.assert(
      fc.asyncProperty(
        inputs,
        fc.integer({ min: 1, max: 500 }),
        fc.integer({ min: 1, max: 4 }),
        async (input, slideMs, k) => {
          const sizeMs = slideMs * k;
          const out = await lastValueFrom(
            from(input).pipe(windowStats({ kind: 'sliding', sizeMs, slideMs }), toArray()),
          );
          const total = out.reduce((n, o) => n + (o.type === 'window' ? o.count : 0), 0);
          expect(out.every((o) => o.type === 'window')).toBe(true);
          expect(total).toBe(input.length * k);
        },
      ),
    );
  });
});
