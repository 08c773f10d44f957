import { deviceId, type Reading, readingId } from '@healthit/core';
import fc from 'fast-check';
import { from, lastValueFrom, toArray } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import { batchByPeriod } from './batches.js';
import { alertDigest, deriveExcursions, excursionFlagBody } from './excursions.js';

const MINUTE_MS = 60_000;
const T0 = Date.UTC(2026, 2, 2, 6, 0);

/** One logger's readings every 5 min from T0, with these values. */
function trace(values: readonly number[], device = 'logger-1'): Reading[] {
  return values.map((value, seq) => ({
    id: readingId(device, seq),
    deviceId: deviceId(device),
    metric: 'device-temperature',
    value,
    unit: 'Cel',
    ts: T0 + seq * 5 * MINUTE_MS,
    seq,
  }));
}

describe('excursion rules (above 8 °C for 15 min, clearing at 7.5 °C)', () => {
  it('a breach of less than 15 min raises nothing', () => {
    expect(deriveExcursions(trace([5, 8.5, 9, 9.2, 7, 5]))).toEqual([]);
  });

  it('raises once, at the reading that completes 15 min, and records start, clearing and peak', () => {
    const [x, ...rest] = deriveExcursions(trace([5, 8.5, 9, 9.6, 9.1, 8.2, 7.9, 7.4, 5]));
    expect(rest).toEqual([]);
    expect(x?.startTs).toBe(T0 + 5 * MINUTE_MS);
    expect(x?.raisedAt).toBe(T0 + 20 * MINUTE_MS);
    expect(x?.alert.ts).toBe(x?.raisedAt);
    expect(x?.clearedAt).toBe(T0 + 35 * MINUTE_MS);
    expect(x?.peakCelsius).toBe(9.6);
    expect(x?.digest).toBe(alertDigest(x!.alert));
  });

  it('hysteresis: hovering between 7.5 and 8 °C neither clears nor raises again; a new breach after clearing does', () => {
    const values = [9, 9, 9, 9, 7.8, 8.3, 7.9, 8.4, 7.6, 8.6, 7, 9, 9, 9, 9];
    const xs = deriveExcursions(trace(values));
    expect(xs.map((x) => x.raisedAt)).toEqual([T0 + 15 * MINUTE_MS, T0 + 70 * MINUTE_MS]);
  });

  it('a freeze below 2 °C for 15 min is a critical excursion', () => {
    const [x] = deriveExcursions(trace([4, 1.5, 1.2, 0.8, 1.1, 3]));
    expect(x?.alert.severity).toBe('critical');
    expect(x?.peakCelsius).toBe(0.8);
    expect(excursionFlagBody(x!, 'SHP-1')).toMatchObject({ severity: 'critical', subject: 'SHP-1' });
  });

  it('property: re-deriving is deterministic and independent of the order readings are given in', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 120 }), { minLength: 1, maxLength: 60 }),
        fc.integer(),
        (tenths, salt) => {
          const readings = trace(tenths.map((t) => t / 10));
          const shuffled = [...readings].sort(
            (a, b) => ((a.seq * 7919 + salt) % 61) - ((b.seq * 7919 + salt) % 61),
          );
          const a = deriveExcursions(readings).map((x) => x.digest);
          expect(deriveExcursions(shuffled).map((x) => x.digest)).toEqual(a);
        },
      ),
      { numRuns: 100 },
    );
  });
});

describe('batchByPeriod', () => {
  it('emits an hour when the first reading of the next arrives, the rest on completion (marbles)', () => {
    new TestScheduler((a, e) => expect(a).toEqual(e)).run(({ cold, expectObservable }) => {
      const [r0, r1, r2, r3] = trace([5, 5, 5, 5]).map((r, i) => ({
        ...r,
        ts: T0 + [0, 50, 60, 130][i]! * MINUTE_MS,
      }));
      const src = cold('a-b-c-d|', { a: r0!, b: r1!, c: r2!, d: r3! });
      expectObservable(src.pipe(batchByPeriod(60 * MINUTE_MS, T0))).toBe('----x-y(z|)', {
        x: [r0, r1],
        y: [r2],
        z: [r3],
      });
    });
  });

  it('property: no reading is lost or repeated, and every batch lies within one period', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 0, max: 30 }), { maxLength: 80 }),
        fc.integer({ min: 1, max: 120 }),
        async (steps, periodMinutes) => {
          let ts = T0;
          const readings = steps.map((step, seq) => {
            ts += step * MINUTE_MS;
            return { ...trace([5])[0]!, id: readingId('logger-1', seq), seq, ts };
          });
          const period = periodMinutes * MINUTE_MS;
          const batches = await lastValueFrom(from(readings).pipe(batchByPeriod(period, T0), toArray()));
          expect(batches.flat()).toEqual(readings);
          for (const b of batches) {
            expect(b.length).toBeGreaterThan(0);
            expect(new Set(b.map((r) => Math.floor((r.ts - T0) / period))).size).toBe(1);
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  it('refuses a period that is not a positive integer', () => {
    expect(() => batchByPeriod(0, T0)).toThrow(RangeError);
    expect(() => batchByPeriod(1.5, T0)).toThrow(RangeError);
  });
});
