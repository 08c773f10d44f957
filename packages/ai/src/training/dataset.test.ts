import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { seriesFromReadings } from '../features/signal-series.js';
import { windowFeatures } from '../features/window-features.js';
import { defineWindowFeatures } from '../features/window-spec.js';
import { datasetFromRows, fitStandardisation, splitByPatient, standardise } from './dataset.js';
import { seededRandom } from './random.js';
import { scoreTimelines } from './simulation.js';
import { artefactWindows, deteriorationWindows } from './windows.js';

const T0 = Date.UTC(2025, 0, 1);
const MIN = 60_000;
const HR = defineWindowFeatures({
  name: 'hr',
  version: '1',
  windowMs: 10 * MIN,
  signals: ['heart-rate'],
  statistics: ['last', 'count'],
});

describe('datasetFromRows', () => {
  it('packs plain rows (e.g. from the warehouse) into a dataset, patients indexed in order of appearance', () => {
    const d = datasetFromRows(
      [
        { patientId: 'b', ts: 2, features: [1, Number.NaN], label: 1, baseline: 3 },
        { patientId: 'a', ts: 1, features: [2, 5], label: false, baseline: 0 },
        { patientId: 'b', ts: 3, features: [3, 6], label: true, baseline: 7 },
      ],
      HR,
    );
    expect(d.rows).toBe(3);
    expect(Array.from(d.x)).toEqual([1, Number.NaN, 2, 5, 3, 6]);
    expect(Array.from(d.y)).toEqual([1, 0, 1]);
    expect(d.patients).toEqual(['b', 'a']);
    expect(Array.from(d.group)).toEqual([0, 1, 0]);
    expect(Array.from(d.ts)).toEqual([2, 1, 3]);
    expect(Array.from(d.baseline ?? [])).toEqual([3, 0, 7]);
    expect(datasetFromRows([], HR).rows).toBe(0);
  });

  it('refuses malformed rows, naming the row', () => {
    const ok = { patientId: 'a', ts: 1, features: [1, 2], label: 1 as const };
    expect(() => datasetFromRows([ok, { ...ok, features: [1] }], HR)).toThrow(
      /row 1: 1 features, expected 2 \(hr@1\)/,
    );
    expect(() => datasetFromRows([{ ...ok, label: 2 as 1 }], HR)).toThrow(/label/);
    expect(() => datasetFromRows([{ ...ok, features: [1, Number.POSITIVE_INFINITY] }], HR)).toThrow(
      /infinite; use NaN/,
    );
    expect(() => datasetFromRows([ok, { ...ok, baseline: 1 }], HR)).toThrow(/every row or on none/);
    expect(() => datasetFromRows([{ ...ok, patientId: '' }], HR)).toThrow(/patientId/);
    expect(() => datasetFromRows([{ ...ok, ts: Number.NaN }], HR)).toThrow(/ts/);
  });
});

/** A dataset of `patients` patients with 1–5 rows each. */
const datasetArb = fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 2, maxLength: 30 }).map((counts) =>
  datasetFromRows(
    counts.flatMap((k, p) =>
      Array.from({ length: k }, (_, i) => ({
        patientId: `p${p}`,
        ts: i,
        features: [p, i],
        label: ((p + i) % 2) as 0 | 1,
      })),
    ),
    HR,
  ),
);

describe('splitByPatient', () => {
  it('never puts one patient on both sides, keeps every row, and is seeded', () => {
    fc.assert(
      fc.property(
        datasetArb,
        fc.double({ min: 0.05, max: 0.95, noNaN: true }),
        fc.integer(),
        (d, fraction, seed) => {
          const { train, test, testPatients } = splitByPatient(d, { testFraction: fraction, seed });
          const trainIds = new Set(Array.from(train.group, (g) => d.patients[g]));
          const testIds = new Set(Array.from(test.group, (g) => d.patients[g]));
          expect([...trainIds].filter((p) => testIds.has(p))).toEqual([]);
          expect(trainIds.size).toBeGreaterThanOrEqual(1);
          expect(testIds.size).toBeGreaterThanOrEqual(1);
          expect(train.rows + test.rows).toBe(d.rows);
          expect([...testIds].sort()).toEqual([...testPatients].sort());
          // features follow their rows: column 0 is the patient number
          for (let i = 0; i < test.rows; i++)
            expect(`p${test.x[2 * i]}`).toBe(d.patients[test.group[i] as number]);
          expect(splitByPatient(d, { testFraction: fraction, seed }).testPatients).toEqual(testPatients);
        },
      ),
    );
  });

  it('refuses a fraction outside (0, 1) and a single patient', () => {
    const one = datasetFromRows([{ patientId: 'a', ts: 0, features: [1, 1], label: 1 }], HR);
    expect(() => splitByPatient(one, { testFraction: 0.5, seed: 1 })).toThrow(/two patients/);
    expect(() => splitByPatient(one, { testFraction: 1, seed: 1 })).toThrow(/testFraction/);
  });
});

describe('standardisation', () => {
  it('leaves NaN out of the mean and spread, and standardises it to 0 (the mean)', () => {
    const d = datasetFromRows(
      [
        { patientId: 'a', ts: 0, features: [1, Number.NaN], label: 0 },
        { patientId: 'a', ts: 1, features: [3, 5], label: 1 },
        { patientId: 'a', ts: 2, features: [5, 5], label: 1 },
      ],
      HR,
    );
    const s = fitStandardisation(d);
    expect(s.mean).toEqual([3, 5]);
    expect(s.std[0]).toBeCloseTo(Math.sqrt(8 / 3), 12);
    expect(s.std[1]).toBe(1); // constant column
    expect(Array.from(standardise(d, s))).toEqual([
      Math.fround(-2 / Math.sqrt(8 / 3)),
      0,
      0,
      0,
      Math.fround(2 / Math.sqrt(8 / 3)),
      0,
    ]);
  });
});

describe('deteriorationWindows', () => {
  // One score a minute for 3 hours: 2, then 7 from minute 100 on.
  const minutes = Array.from({ length: 181 }, (_, i) => i);
  const scores = scoreTimelines(
    minutes.map((m) => ({ patientId: 'p1', ts: T0 + m * MIN, total: m >= 100 ? 7 : 2 })),
  );
  const { series } = seriesFromReadings(
    minutes.map((m) => ({
      id: `d:${m}`,
      patientId: 'p1',
      metric: 'heart-rate',
      value: 60 + m,
      unit: '/min',
      ts: T0 + m * MIN,
    })),
  );

  it('labels a window 1 when the score reaches the threshold within the horizon, and carries the current score', () => {
    const d = deteriorationWindows(series, scores, {
      features: HR,
      strideMs: 10 * MIN,
      horizonMs: 30 * MIN,
      warmupMs: 10 * MIN,
    });
    // Ends at minutes 10, 20, …, 90 (100 on is already at 7, left out; the last end + horizon ≤ 180).
    expect(Array.from(d.ts, (t) => (t - T0) / MIN)).toEqual([10, 20, 30, 40, 50, 60, 70, 80, 90]);
    // (end, end + 30] holds minute 100 for ends 70, 80, 90.
    expect(Array.from(d.y)).toEqual([0, 0, 0, 0, 0, 0, 1, 1, 1]);
    expect(Array.from(d.baseline ?? [])).toEqual([2, 2, 2, 2, 2, 2, 2, 2, 2]);
    // Features are those of the window ending there.
    expect(Array.from(d.x.subarray(2, 4))).toEqual(
      Array.from(windowFeatures(series.get('p1') as never, T0 + 20 * MIN, HR)),
    );
    expect(d.patients).toEqual(['p1']);
  });

  it('keeps windows already at the threshold when asked, and only while the horizon is observed', () => {
    const d = deteriorationWindows(series, scores, {
      features: HR,
      strideMs: 10 * MIN,
      horizonMs: 30 * MIN,
      warmupMs: 10 * MIN,
      excludeAtThreshold: false,
    });
    expect(Array.from(d.ts, (t) => (t - T0) / MIN).at(-1)).toBe(150);
    expect(d.rows).toBe(15);
    expect(() => deteriorationWindows(series, scores, { strideMs: 0 })).toThrow(/strideMs/);
  });
});

describe('artefactWindows', () => {
  it('makes one window per measurement, ending at it, labelled by its fault', () => {
    const { series } = seriesFromReadings(
      [0, 1, 2, 3].map((m) => ({
        id: `d:${m}`,
        patientId: 'p',
        metric: 'heart-rate',
        value: m === 2 ? 150 : 70,
        unit: '/min',
        ts: T0 + m * MIN,
      })),
    );
    const measurements = new Map([
      [
        'p',
        { ts: Float64Array.from([0, 1, 2, 3], (m) => T0 + m * MIN), faulty: Uint8Array.from([0, 0, 1, 0]) },
      ],
    ]);
    const d = artefactWindows(series, measurements, { features: HR, warmupMs: MIN });
    expect(Array.from(d.y)).toEqual([0, 1, 0]);
    expect(Array.from(d.x)).toEqual([70, 2, 150, 3, 70, 4]);
  });
});

describe('seededRandom', () => {
  it('repeats for a seed, differs between seeds, and stays in range', () => {
    const a = seededRandom(42);
    const b = seededRandom(42);
    const xs = Array.from({ length: 1000 }, () => a.uniform());
    expect(Array.from({ length: 1000 }, () => b.uniform())).toEqual(xs);
    expect(seededRandom(43).uniform()).not.toBe(xs[0]);
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
    const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
    expect(mean).toBeGreaterThan(0.45);
    expect(mean).toBeLessThan(0.55);
    const normals = Array.from({ length: 4000 }, () => a.normal());
    const m = normals.reduce((s, x) => s + x, 0) / normals.length;
    const v = normals.reduce((s, x) => s + (x - m) ** 2, 0) / normals.length;
    expect(Math.abs(m)).toBeLessThan(0.06);
    expect(Math.abs(v - 1)).toBeLessThan(0.08);
    expect(() => seededRandom(0.5)).toThrow(RangeError);
  });
});
