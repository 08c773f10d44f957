import { deviceId, type MetricId, type Reading, readingId } from '@healthit/core';
import * as fc from 'fast-check';
import { from, lastValueFrom, toArray } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import { ARTEFACT_DEFAULTS } from './artefact-defaults.js';
import { type StuckValueOptions, type StuckValueOutput, stuckValue } from './stuck-value.js';

const UNITS: Partial<Record<MetricId, string>> = {
  spo2: '%',
  'body-temperature': 'Cel',
  'heart-rate': '/min',
};

function reading(dev: string, seq: number, value: number, ts: number, metric: MetricId = 'spo2'): Reading {
  const unit = UNITS[metric] ?? '/min';
  return { id: readingId(dev, seq), deviceId: deviceId(dev), metric, value, unit, ts, seq };
}

const scheduler = () => new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
const pass = (r: Reading): StuckValueOutput => ({ type: 'reading', reading: r });
const bad = (r: Reading): StuckValueOutput => ({ type: 'reading', reading: { ...r, quality: 'bad' } });

async function run(input: Reading[], options?: StuckValueOptions): Promise<StuckValueOutput[]> {
  return lastValueFrom(from(input).pipe(stuckValue(options), toArray()));
}

describe('stuckValue', () => {
  it('marks readings bad from the one completing N repeats over D ms until the value changes', () => {
    const [a, b, c, d, e] = [
      reading('d1', 1, 97, 0),
      reading('d1', 2, 97, 1000),
      reading('d1', 3, 97, 2000),
      reading('d1', 4, 97, 3000),
      reading('d1', 5, 98, 4000),
    ] as [Reading, Reading, Reading, Reading, Reading];
    const episode = { deviceId: 'd1', metric: 'spo2', unit: '%', value: 97, sinceMs: 0 } as const;
    scheduler().run(({ cold, expectObservable }) => {
      // c has the 3 repeats but spans only 2000 ms; d (3000 ms) completes the run.
      const src = cold('ab-c---d-----e---|', { a, b, c, d, e });
      expectObservable(src.pipe(stuckValue({ minRepeats: 3, minDurationMs: 2500 }))).toBe(
        'ab-c---(sd)--(ze)|',
        {
          a: pass(a),
          b: pass(b),
          c: pass(c),
          s: { type: 'stuck-start', ...episode, count: 4, readingId: 'd1:4' },
          d: bad(d),
          z: { type: 'stuck-end', ...episode, untilMs: 3000, count: 4, ended: 'changed' },
          e: pass(e),
        },
      );
    });
  });

  it('needs both the repeat count and the duration', async () => {
    const fast = [0, 10, 20, 30, 40].map((ts, i) => reading('d1', i + 1, 97, ts));
    expect((await run(fast, { minRepeats: 3, minDurationMs: 1000 })).map((o) => o.type)).not.toContain(
      'stuck-start',
    );
    const slow = [0, 60_000].map((ts, i) => reading('d1', i + 1, 97, ts));
    expect((await run(slow, { minRepeats: 3, minDurationMs: 1000 })).map((o) => o.type)).not.toContain(
      'stuck-start',
    );
  });

  it('uses per-metric defaults: a temperature probe may repeat longer than an SpO2 sensor', async () => {
    // One reading a minute for 30 minutes, the same value throughout.
    const minutes = Array.from({ length: 31 }, (_, i) => i * 60_000);
    const spo2 = minutes.map((ts, i) => reading('d1', i + 1, 97, ts, 'spo2'));
    const temp = minutes.map((ts, i) => reading('d2', i + 1, 36.8, ts, 'body-temperature'));
    const out = await run([...spo2, ...temp], { perMetric: { spo2: { minRepeats: 5 } } });
    const starts = out.filter((o) => o.type === 'stuck-start');
    expect(starts).toEqual([expect.objectContaining({ metric: 'spo2', count: 11, sinceMs: 0 })]); // 10 min
    expect(ARTEFACT_DEFAULTS['body-temperature'].stuckMinDurationMs).toBeGreaterThan(
      ARTEFACT_DEFAULTS.spo2.stuckMinDurationMs,
    );
    // The open SpO2 episode is closed on completion.
    expect(out.at(-1)).toEqual(
      expect.objectContaining({ type: 'stuck-end', metric: 'spo2', count: 31, ended: 'complete' }),
    );
  });

  it('keeps a series’ run across other series and keys them by device, metric and unit', async () => {
    const input = [
      reading('d1', 1, 97, 0),
      reading('d2', 1, 97, 0),
      reading('d1', 2, 97, 1000, 'heart-rate'),
      reading('d1', 3, 97, 2000),
    ];
    const out = await run(input, { minRepeats: 2, minDurationMs: 0 });
    expect(out.filter((o) => o.type === 'stuck-start')).toEqual([
      expect.objectContaining({ deviceId: 'd1', metric: 'spo2', count: 2, sinceMs: 0, readingId: 'd1:3' }),
    ]);
  });

  it('ends an evicted series’ episode and starts it afresh when it comes back', async () => {
    const input = [
      reading('d1', 1, 97, 0),
      reading('d1', 2, 97, 1000),
      reading('d2', 1, 60, 1000),
      reading('d1', 3, 97, 2000),
    ];
    const out = await run(input, { minRepeats: 2, minDurationMs: 0, maxSeries: 1 });
    expect(out.map((o) => o.type)).toEqual([
      'reading',
      'stuck-start',
      'reading',
      'stuck-end',
      'reading',
      'reading',
    ]);
    expect(out[3]).toMatchObject({ type: 'stuck-end', deviceId: 'd1', count: 2, ended: 'evicted' });
    expect(out[5]).toEqual(pass(input[3] as Reading)); // d1 forgot its run
  });

  it('hands a non-finite value on as an event without breaking the run', async () => {
    const nan = reading('d1', 2, Number.NaN, 500);
    const out = await run([reading('d1', 1, 97, 0), nan, reading('d1', 3, 97, 1000)], {
      minRepeats: 2,
      minDurationMs: 0,
    });
    expect(out[1]).toEqual({ type: 'non-finite', reading: nan });
    expect(out[2]).toMatchObject({ type: 'stuck-start', count: 2 });
  });

  it('rejects bad options', () => {
    expect(() => stuckValue({ minRepeats: 1 })).toThrow(RangeError);
    expect(() => stuckValue({ minRepeats: 2.5 })).toThrow(RangeError);
    expect(() => stuckValue({ minDurationMs: -1 })).toThrow(RangeError);
    expect(() => stuckValue({ perMetric: { spo2: { minRepeats: 0 } } })).toThrow(RangeError);
    expect(() => stuckValue({ maxSeries: 0 })).toThrow(RangeError);
  });

  it('property: a constant series is flagged bad from exactly the first reading meeting N and D', async () => {
    const arb = fc.record({
      value: fc.double({ min: -1e6, max: 1e6, noNaN: true }),
      gaps: fc.array(fc.constantFrom(0, 500, 1000, 2500), { minLength: 1, maxLength: 60 }),
      minRepeats: fc.integer({ min: 2, max: 20 }),
      minDurationMs: fc.integer({ min: 0, max: 60 }).map((k) => k * 500), // often hit exactly
    });
    await fc.assert(
      fc.asyncProperty(arb, async ({ value, gaps, minRepeats, minDurationMs }) => {
        let ts = 1_000_000;
        const input = gaps.map((g, i) => {
          ts += g;
          return reading('d1', i + 1, value, ts);
        });
        const out = await run(input, { minRepeats, minDurationMs });
        const t0 = (input[0] as Reading).ts;
        const first = input.findIndex((r, i) => i + 1 >= minRepeats && r.ts - t0 >= minDurationMs);
        const readings = out.flatMap((o) => (o.type === 'reading' ? [o.reading] : []));
        expect(readings.map((r) => r.id)).toEqual(input.map((r) => r.id));
        readings.forEach((r, i) => {
          expect(r.quality).toBe(first >= 0 && i >= first ? 'bad' : undefined);
        });
        const starts = out.filter((o) => o.type === 'stuck-start');
        expect(starts).toEqual(first < 0 ? [] : [expect.objectContaining({ count: first + 1, sinceMs: t0 })]);
      }),
    );
  });

  it('property: readings come out in order, one each, and episodes pair up start → end', async () => {
    const arb = fc.array(
      fc.tuple(fc.constantFrom('a', 'b'), fc.constantFrom(97, 98), fc.integer({ min: 0, max: 3000 })),
      { maxLength: 80 },
    );
    await fc.assert(
      fc.asyncProperty(arb, fc.integer({ min: 1, max: 3 }), async (items, maxSeries) => {
        const seqs = new Map<string, number>();
        const clock = new Map<string, number>();
        const input = items.map(([d, v, gap]) => {
          const seq = (seqs.get(d) ?? 0) + 1;
          seqs.set(d, seq);
          const t = (clock.get(d) ?? 0) + gap;
          clock.set(d, t);
          return reading(d, seq, v, t);
        });
        const out = await run(input, { minRepeats: 3, minDurationMs: 2000, maxSeries });
        expect(out.flatMap((o) => (o.type === 'reading' ? [o.reading.id] : []))).toEqual(
          input.map((r) => r.id),
        );
        const open = new Set<string>();
        for (const o of out) {
          if (o.type === 'stuck-start') {
            expect(open.has(o.deviceId)).toBe(false);
            open.add(o.deviceId);
          } else if (o.type === 'stuck-end') {
            expect(open.delete(o.deviceId)).toBe(true);
          }
        }
        expect(open.size).toBe(0);
      }),
    );
  });
});
