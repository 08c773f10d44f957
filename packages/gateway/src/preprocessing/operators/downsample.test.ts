import { deviceId, type Reading, type ReadingQuality, readingId } from '@healthit/core';
import * as fc from 'fast-check';
import { from, lastValueFrom, toArray } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import { downsample } from './downsample.js';

function reading(dev: string, seq: number, ts: number, value: number, quality?: ReadingQuality): Reading {
  return {
    id: readingId(dev, seq),
    deviceId: deviceId(dev),
    metric: 'heart-rate',
    value,
    unit: '/min',
    ts,
    seq,
    ...(quality !== undefined ? { quality } : {}),
  };
}

const scheduler = () => new TestScheduler((actual, expected) => expect(actual).toEqual(expected));

const a = reading('d1', 1, 100, 60);
const b = reading('d1', 2, 500, 70, 'questionable');
const c = reading('d1', 3, 900, 80);
const d = reading('d1', 4, 1200, 90);

describe('downsample', () => {
  it("pick 'first' emits the first reading of each bucket at once", () => {
    scheduler().run(({ cold, expectObservable }) => {
      const src = cold('abcd|', { a, b, c, d });
      expectObservable(src.pipe(downsample({ everyMs: 1000, pick: 'first' }))).toBe('x--y|', {
        x: { type: 'reading', reading: a, bucketStartMs: 0, count: 1 },
        y: { type: 'reading', reading: d, bucketStartMs: 1000, count: 1 },
      });
    });
  });

  it("pick 'last' emits the last reading of a bucket when it closes", () => {
    scheduler().run(({ cold, expectObservable }) => {
      const src = cold('abcd|', { a, b, c, d });
      expectObservable(src.pipe(downsample({ everyMs: 1000, pick: 'last' }))).toBe('---x(y|)', {
        x: { type: 'reading', reading: c, bucketStartMs: 0, count: 3 },
        y: { type: 'reading', reading: d, bucketStartMs: 1000, count: 1 },
      });
    });
  });

  it("pick 'mean' emits the bucket mean on the last reading, with the worst quality", () => {
    scheduler().run(({ cold, expectObservable }) => {
      const src = cold('abcd|', { a, b, c, d });
      expectObservable(src.pipe(downsample({ everyMs: 1000, pick: 'mean' }))).toBe('---x(y|)', {
        x: {
          type: 'reading',
          reading: { ...c, value: 70, quality: 'questionable' },
          bucketStartMs: 0,
          count: 3,
        },
        y: { type: 'reading', reading: d, bucketStartMs: 1000, count: 1 },
      });
    });
  });

  it('reports a reading older than the current bucket as late', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const src = cold('adb|', { a, d, b });
      expectObservable(src.pipe(downsample({ everyMs: 1000, pick: 'last' }))).toBe('-xy(z|)', {
        x: { type: 'reading', reading: a, bucketStartMs: 0, count: 1 },
        y: { type: 'late', reading: b, bucketStartMs: 1000 },
        z: { type: 'reading', reading: d, bucketStartMs: 1000, count: 1 },
      });
    });
  });

  it('closes an idle bucket after flushAfterIdleMs of scheduler time', () => {
    const ts = scheduler();
    ts.run(({ cold, expectObservable }) => {
      const src = cold('ab 50ms |', { a, b });
      const op = downsample({ everyMs: 1000, pick: 'last', flushAfterIdleMs: 10, scheduler: ts });
      expectObservable(src.pipe(op)).toBe('- 10ms x 40ms |', {
        x: { type: 'reading', reading: b, bucketStartMs: 0, count: 2 },
      });
    });
  });

  it('rejects bad options', () => {
    expect(() => downsample({ everyMs: 0, pick: 'last' })).toThrow(RangeError);
    expect(() => downsample({ everyMs: 10, pick: 'median' as never })).toThrow(RangeError);
  });

  it('property: one reading per (series, bucket), counts sum to the input', async () => {
    const inputs = fc
      .array(fc.tuple(fc.constantFrom('a', 'b'), fc.nat(5000), fc.integer({ min: 0, max: 200 })), {
        maxLength: 100,
      })
      .map((items) =>
        items.map(([dv, t, v], i) => reading(dv, i, t, v)).sort((x, y) => x.ts - y.ts || x.seq - y.seq),
      );
    await fc.assert(
      fc.asyncProperty(
        inputs,
        fc.integer({ min: 1, max: 2000 }),
        fc.constantFrom('first', 'last', 'mean' as const),
        async (input, everyMs, pick) => {
          const out = await lastValueFrom(from(input).pipe(downsample({ everyMs, pick }), toArray()));
          const buckets = new Set(input.map((r) => `${r.deviceId}|${Math.floor(r.ts / everyMs)}`));
          expect(out).toHaveLength(buckets.size);
          if (pick !== 'first') {
            expect(out.reduce((n, o) => n + (o.type === 'reading' ? o.count : 0), 0)).toBe(input.length);
          }
          for (const o of out) {
            expect(o.type).toBe('reading');
            if (o.type === 'reading')
              expect(Math.floor(o.reading.ts / everyMs) * everyMs).toBe(o.bucketStartMs);
          }
        },
      ),
    );
  });
});
