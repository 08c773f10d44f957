import { deviceId, type MetricId, type Reading, readingId } from '@healthit/core';
import * as fc from 'fast-check';
import { from, lastValueFrom, toArray } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import { ARTEFACT_DEFAULTS } from './artefact-defaults.js';
import {
  MAD_TO_SIGMA,
  type SpikeFilterOptions,
  type SpikeFilterOutput,
  spikeFilter,
} from './spike-filter.js';

function reading(dev: string, seq: number, value: number, metric: MetricId = 'heart-rate'): Reading {
  const unit = metric === 'spo2' ? '%' : metric === 'body-temperature' ? 'Cel' : '/min';
  return { id: readingId(dev, seq), deviceId: deviceId(dev), metric, value, unit, ts: seq * 1000, seq };
}

const series = (values: number[], metric: MetricId = 'heart-rate', dev = 'd1'): Reading[] =>
  values.map((v, i) => reading(dev, i + 1, v, metric));

const scheduler = () => new TestScheduler((actual, expected) => expect(actual).toEqual(expected));

async function run(input: Reading[], options: SpikeFilterOptions): Promise<SpikeFilterOutput[]> {
  return lastValueFrom(from(input).pipe(spikeFilter(options), toArray()));
}

const pass = (r: Reading): SpikeFilterOutput => ({ type: 'reading', reading: r });

describe('spikeFilter', () => {
  it('flags a value beyond threshold × 1.4826 × MAD of the preceding window, after a spike event', () => {
    // Window [70, 74, 72, 78, 76]: median 74, MAD 2 → 3 × 1.4826 × 2 ≈ 8.9, below the 10 bpm floor.
    const [a, b, c, d, e, f, g] = series([70, 74, 72, 78, 76, 96, 80]) as [
      Reading,
      Reading,
      Reading,
      Reading,
      Reading,
      Reading,
      Reading,
    ];
    scheduler().run(({ cold, expectObservable }) => {
      const src = cold('abcdef---g|', { a, b, c, d, e, f, g });
      expectObservable(src.pipe(spikeFilter({ window: 5, threshold: 3 }))).toBe('abcde(sx)g|', {
        a: pass(a),
        b: pass(b),
        c: pass(c),
        d: pass(d),
        e: pass(e),
        s: {
          type: 'spike',
          reading: f,
          medianValue: 74,
          deviation: 22,
          limit: 10, // the heart-rate tolerance floor is above 3 × 1.4826 × 2
          rule: 'mad',
          action: 'flag',
        },
        x: { type: 'reading', reading: { ...f, quality: 'questionable' } },
        g: pass(g),
      });
    });
  });

  it('uses the MAD limit when it is above the tolerance floor', async () => {
    const input = series([55, 85, 75, 95, 65, 140]); // window median 75, MAD 10 → limit 44.478
    const res = await run(input, {
      window: 5,
      threshold: 3,
      limits: { 'heart-rate': { maxDeviation: 1000 } },
    });
    expect(res[5]).toMatchObject({ type: 'spike', deviation: 65, rule: 'mad' });
    expect((res[5] as { limit: number }).limit).toBeCloseTo(3 * MAD_TO_SIGMA * 10, 10);
    const calm = await run(series([55, 85, 75, 95, 65, 115]), {
      window: 5,
      threshold: 3,
      limits: { 'heart-rate': { maxDeviation: 1000 } },
    });
    expect(calm.every((o) => o.type === 'reading' && o.reading.quality === undefined)).toBe(true);
  });

  it('applies the absolute per-metric limit from the second reading on (HR jump of 40 bpm)', () => {
    const [a, b, c] = series([70, 111, 75]) as [Reading, Reading, Reading];
    scheduler().run(({ cold, expectObservable }) => {
      const src = cold('ab---c|', { a, b, c });
      expectObservable(src.pipe(spikeFilter({ window: 5 }))).toBe('a(sx)c|', {
        a: pass(a),
        s: {
          type: 'spike',
          reading: b,
          medianValue: 70,
          deviation: 41,
          limit: ARTEFACT_DEFAULTS['heart-rate'].maxDeviation,
          rule: 'absolute',
          action: 'flag',
        },
        x: { type: 'reading', reading: { ...b, quality: 'questionable' } },
        // The spike entered the window: median of [70, 111] = 90.5, |75 − 90.5| < 40 → passes.
        c: pass(c),
      });
    });
  });

  it('applies only the absolute limit until the window is full', async () => {
    // 15 bpm off a flat history (MAD 0, floor 10) would be a MAD spike, but only 3 of 5 values are known.
    const early = series([70, 70, 70, 85]);
    expect(await run(early, { window: 5 })).toEqual(early.map(pass));
    const full = series([70, 70, 70, 70, 70, 85]);
    expect((await run(full, { window: 5 })).filter((o) => o.type === 'spike')).toEqual([
      expect.objectContaining({ rule: 'mad', limit: 10, deviation: 15 }),
    ]);
  });

  it('replaces a spike by the window median, or drops it leaving only the event', () => {
    const [a, b, c, d] = series([36.8, 36.9, 36.8, 39.5], 'body-temperature') as [
      Reading,
      Reading,
      Reading,
      Reading,
    ];
    const spike = (action: 'replace' | 'drop') => ({
      type: 'spike' as const,
      reading: d,
      medianValue: 36.8,
      deviation: 39.5 - 36.8,
      limit: 1,
      rule: 'absolute' as const,
      action,
    });
    scheduler().run(({ cold, expectObservable }) => {
      const src = cold('abcd---|', { a, b, c, d });
      expectObservable(src.pipe(spikeFilter({ window: 3, action: 'replace' }))).toBe('abc(sx)|', {
        a: pass(a),
        b: pass(b),
        c: pass(c),
        s: spike('replace'),
        x: { type: 'reading', reading: { ...d, value: 36.8, quality: 'questionable' } },
      });
      expectObservable(src.pipe(spikeFilter({ window: 3, action: 'drop' }))).toBe('abcs---|', {
        a: pass(a),
        b: pass(b),
        c: pass(c),
        s: spike('drop'),
      });
    });
  });

  it('does not count floating-point rounding on a decimal grid as exceeding a limit', async () => {
    // 37.1 − 36.8 = 0.30000000000000426 in binary floating point; the tolerance is 0.3 °C.
    const input = series([36.8, 36.8, 36.8, 37.1, 36.8, 36.5], 'body-temperature');
    expect(await run(input, { window: 3 })).toEqual(input.map(pass));
  });

  it('lets a genuine level shift through once it fills half the window', async () => {
    const res = await run(series([60, 60, 60, 60, 60, 110, 110, 110, 110]), { window: 5 });
    const flagged = res.flatMap((o) => (o.type === 'spike' ? [o.reading.seq] : []));
    expect(flagged).toEqual([6, 7, 8]);
    expect(res.at(-1)).toEqual({ type: 'reading', reading: expect.objectContaining({ seq: 9 }) });
  });

  it('hands a non-finite value on as an event and keeps it out of the window', async () => {
    const inf = reading('d1', 2, Number.POSITIVE_INFINITY);
    const res = await run([reading('d1', 1, 70), inf, reading('d1', 3, 71)], { window: 3 });
    expect(res).toEqual([
      pass(reading('d1', 1, 70)),
      { type: 'non-finite', reading: inf },
      pass(reading('d1', 3, 71)),
    ]);
  });

  it('forgets the least recently seen series beyond maxSeries (its first reading is never a spike)', async () => {
    const input = [reading('d1', 1, 70), reading('d2', 1, 70), reading('d1', 2, 200)];
    const kept = await run(input, { window: 3, maxSeries: 2 });
    expect(kept.some((o) => o.type === 'spike')).toBe(true);
    const evicted = await run(input, { window: 3, maxSeries: 1 });
    expect(evicted.map((o) => o.type)).toEqual(['reading', 'reading', 'reading']);
  });

  it('rejects bad options', () => {
    expect(() => spikeFilter({ window: 2 })).toThrow(RangeError);
    expect(() => spikeFilter({ window: 256 })).toThrow(RangeError);
    expect(() => spikeFilter({ window: 5, threshold: 0 })).toThrow(RangeError);
    expect(() => spikeFilter({ window: 5, action: 'ignore' as never })).toThrow(RangeError);
    expect(() => spikeFilter({ window: 5, limits: { spo2: { maxDeviation: -1 } } })).toThrow(RangeError);
  });

  it('property: a series with no outliers (spread within the tolerance) is never flagged', async () => {
    const metrics: MetricId[] = ['heart-rate', 'spo2', 'body-temperature'];
    const arb = fc.record({
      metric: fc.constantFrom(...metrics),
      base: fc.double({ min: 30, max: 100, noNaN: true }),
      offsets: fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 60 }),
      window: fc.integer({ min: 3, max: 12 }),
      threshold: fc.double({ min: 0.1, max: 5, noNaN: true }),
      action: fc.constantFrom<'flag' | 'replace' | 'drop'>('flag', 'replace', 'drop'),
    });
    await fc.assert(
      fc.asyncProperty(arb, async ({ metric, base, offsets, window, threshold, action }) => {
        const band = ARTEFACT_DEFAULTS[metric].tolerance;
        const input = series(
          offsets.map((o) => base + o * band),
          metric,
        );
        const res = await run(input, { window, threshold, action });
        expect(res).toEqual(input.map(pass));
      }),
    );
  });

  it('property: every reading comes out exactly once (as a reading, or inside a dropped spike)', async () => {
    const arb = fc.record({
      values: fc.array(fc.integer({ min: 20, max: 250 }), { maxLength: 80 }),
      window: fc.integer({ min: 3, max: 9 }),
    });
    await fc.assert(
      fc.asyncProperty(arb, async ({ values, window }) => {
        const input = series(values);
        const res = await run(input, { window, action: 'drop' });
        const ids = res.flatMap((o) =>
          o.type === 'reading' || (o.type === 'spike' && o.action === 'drop') ? [o.reading.id] : [],
        );
        expect(ids).toEqual(input.map((r) => r.id));
        for (const o of res) if (o.type === 'spike') expect(o.deviation).toBeGreaterThan(o.limit);
      }),
    );
  });
});
