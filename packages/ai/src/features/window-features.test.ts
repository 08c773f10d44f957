import { isHealthItError, METRICS } from '@healthit/core';
import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createFeatureWindows } from './feature-windows.js';
import { type ReadingLike, seriesFromReadings } from './signal-series.js';
import { emptySeries, extractWindowFeatures, windowFeatureRows, windowFeatures } from './window-features.js';
import {
  ARTEFACT_FEATURES,
  assertWindowFeatures,
  DETERIORATION_FEATURES,
  defineWindowFeatures,
  parseWindowFeatures,
  WINDOW_SIGNALS,
  WINDOW_STATISTICS,
  type WindowFeatureSpec,
  type WindowSignal,
  windowFeatureMismatches,
} from './window-spec.js';

const T0 = Date.UTC(2025, 0, 1, 12);
const MIN = 60_000;

/** Every statistic, one hour: the spec the hand-computed examples use. */
const ALL = defineWindowFeatures({
  name: 'all',
  version: '1.0.0',
  windowMs: 3_600_000,
  signals: WINDOW_SIGNALS,
  statistics: WINDOW_STATISTICS,
});

let seq = 0;
function r(metric: string, value: number, ts: number, extra: Partial<ReadingLike> = {}): ReadingLike {
  seq += 1;
  return {
    id: `mon-1:${seq}`,
    patientId: 'p1',
    metric,
    value,
    unit: METRICS[metric as WindowSignal]?.unit ?? 'mg/dL',
    ts,
    ...extra,
  };
}

/** The columns of one signal as a record statistic → value. */
function columnsOf(spec: WindowFeatureSpec, row: Float32Array, signal: WindowSignal): Record<string, number> {
  const out: Record<string, number> = {};
  spec.columns.forEach((c, i) => {
    if (c.signal === signal) out[c.statistic] = row[i] as number;
  });
  return out;
}

describe('feature specs', () => {
  it('derive signal-major columns with units', () => {
    expect(DETERIORATION_FEATURES.columns).toHaveLength(42);
    expect(ARTEFACT_FEATURES.columns).toHaveLength(42);
    expect(DETERIORATION_FEATURES.columns.slice(0, 7).map((c) => `${c.name} ${c.unit}`)).toEqual([
      'heart-rate.last /min',
      'heart-rate.mean /min',
      'heart-rate.min /min',
      'heart-rate.max /min',
      'heart-rate.sd /min',
      'heart-rate.slope /min/h',
      'heart-rate.missing 1',
    ]);
    const units = Object.fromEntries(ALL.columns.map((c) => [c.name, c.unit]));
    expect(units).toMatchObject({
      'body-temperature.mean': 'Cel',
      'spo2.slope': '%/h',
      'bp-systolic.lastStep': 'mm[Hg]',
      'respiratory-rate.flatRun': '1',
      'bp-diastolic.age': 's',
    });
    expect(Object.isFrozen(DETERIORATION_FEATURES.columns)).toBe(true);
  });

  it('refuse unknown, repeated or missing parts', () => {
    const ok = { name: 'x', version: '1', windowMs: 1000, signals: ['spo2'], statistics: ['last'] } as const;
    expect(() => defineWindowFeatures({ ...ok, signals: ['glucose' as WindowSignal] })).toThrow(
      /unknown signal "glucose"/,
    );
    expect(() => defineWindowFeatures({ ...ok, statistics: ['median' as 'last'] })).toThrow(
      /unknown statistic/,
    );
    expect(() => defineWindowFeatures({ ...ok, signals: ['spo2', 'spo2'] })).toThrow(/twice/);
    expect(() => defineWindowFeatures({ ...ok, windowMs: 0 })).toThrow(RangeError);
    expect(() => defineWindowFeatures({ ...ok, statistics: [] })).toThrow(/at least one/);
    expect(() => defineWindowFeatures({ ...ok, name: '' })).toThrow(RangeError);
  });

  it('survive JSON and refuse columns edited by hand', () => {
    expect(parseWindowFeatures(JSON.parse(JSON.stringify(DETERIORATION_FEATURES)))).toEqual(
      DETERIORATION_FEATURES,
    );
    const tampered = JSON.parse(JSON.stringify(DETERIORATION_FEATURES));
    tampered.columns[3].unit = 'Cel';
    expect(() => parseWindowFeatures(tampered)).toThrow(/columns differ/);
    expect(() => parseWindowFeatures(null)).toThrow(TypeError);
  });

  it('name every mismatch between a model and an extractor, and refuse the pair with a typed error', () => {
    expect(windowFeatureMismatches(DETERIORATION_FEATURES, DETERIORATION_FEATURES)).toEqual([]);
    const other = defineWindowFeatures({
      name: 'vitals-trend',
      version: '1.1.0',
      windowMs: 1_800_000,
      signals: WINDOW_SIGNALS,
      statistics: ['last', 'mean', 'min', 'max', 'sd', 'slope', 'count'],
    });
    const mismatches = windowFeatureMismatches(DETERIORATION_FEATURES, other);
    expect(mismatches).toContain('version: expected 1.0.0, got 1.1.0');
    expect(mismatches).toContain('windowMs: expected 3600000, got 1800000');
    expect(mismatches).toContain('column 6: expected heart-rate.missing (1), got heart-rate.count (1)');
    let error: unknown;
    try {
      assertWindowFeatures(DETERIORATION_FEATURES, other, 'deterioration-risk@1.0.0');
    } catch (e) {
      error = e;
    }
    expect(isHealthItError(error, 'config/invalid')).toBe(true);
    expect((error as Error).message).toMatch(
      /deterioration-risk@1.0.0 was trained on features vitals-trend@1.0.0/,
    );
    expect((error as { detail: { mismatches: string[] } }).detail.mismatches).toEqual(mismatches);
  });
});

describe('windowFeatures', () => {
  const end = T0;

  it('computes every statistic as defined (hand-computed)', () => {
    const readings = [
      r('heart-rate', 80, end - 50 * MIN),
      r('heart-rate', 90, end - 30 * MIN),
      r('heart-rate', 100, end - 10 * MIN),
    ];
    const hr = columnsOf(
      ALL,
      extractWindowFeatures(readings, { patientId: 'p1', endTs: end }, ALL),
      'heart-rate',
    );
    expect(hr).toEqual({
      last: 100,
      mean: 90,
      min: 80,
      max: 100,
      sd: 10,
      slope: expect.closeTo(30, 4), // +20 /min over 40 min = 30 /min per hour
      lastStep: 10,
      lastDeviation: 15, // 100 − mean(80, 90)
      flatRun: 1,
      count: 3,
      missing: 0,
      age: 600, // s
    });
  });

  it('takes readings with end − window < ts ≤ end only', () => {
    const readings = [
      r('spo2', 90, end - 60 * MIN), // exactly one window back: out
      r('spo2', 95, end - 60 * MIN + 1),
      r('spo2', 97, end),
      r('spo2', 80, end + 1), // after the end: out
    ];
    const s = columnsOf(ALL, extractWindowFeatures(readings, { patientId: 'p1', endTs: end }, ALL), 'spo2');
    expect(s).toMatchObject({ count: 2, min: 95, max: 97, last: 97, age: 0 });
  });

  it('converts units, leaves out bad readings, other patients and metrics, and counts a re-delivered reading once', () => {
    const hot = r('body-temperature', 100.4, end - 5 * MIN, { unit: '[degF]' });
    const readings = [
      hot,
      { ...hot }, // the same reading delivered twice
      r('body-temperature', 36.0, end - 4 * MIN, { quality: 'bad' }),
      r('body-temperature', 35.0, end - 3 * MIN, { patientId: 'p2' }),
      r('glucose', 100, end - 2 * MIN),
    ];
    const t = columnsOf(
      ALL,
      extractWindowFeatures(readings, { patientId: 'p1', endTs: end }, ALL),
      'body-temperature',
    );
    expect(t.count).toBe(1);
    expect(t.last).toBeCloseTo(38, 5);
    const { counts } = seriesFromReadings(readings);
    expect(counts).toMatchObject({ accepted: 3, 'bad-quality': 1, 'not-a-signal': 1 });
    expect(
      seriesFromReadings([r('spo2', 90, end, { unit: 'mm[Hg]' }), r('spo2', Number.NaN, end)]).counts,
    ).toMatchObject({
      unit: 1,
      'not-finite': 1,
    });
    expect(seriesFromReadings([{ ...r('spo2', 90, end), patientId: undefined }]).counts['no-patient']).toBe(
      1,
    );
  });

  it('flags a signal without readings as missing and leaves its values undefined (NaN), never filled in', () => {
    const row = extractWindowFeatures([r('heart-rate', 70, end - MIN)], { patientId: 'p1', endTs: end }, ALL);
    const rr = columnsOf(ALL, row, 'respiratory-rate');
    expect(rr).toEqual({
      last: Number.NaN,
      mean: Number.NaN,
      min: Number.NaN,
      max: Number.NaN,
      sd: Number.NaN,
      slope: Number.NaN,
      lastStep: Number.NaN,
      lastDeviation: Number.NaN,
      flatRun: 0,
      count: 0,
      missing: 1,
      age: Number.NaN,
    });
    // One reading: its value, but no spread, slope or step.
    expect(columnsOf(ALL, row, 'heart-rate')).toMatchObject({
      last: 70,
      count: 1,
      missing: 0,
      sd: Number.NaN,
      slope: Number.NaN,
    });
    // A patient with no readings at all: every signal missing.
    const none = windowFeatures(emptySeries('nobody'), end, DETERIORATION_FEATURES);
    DETERIORATION_FEATURES.columns.forEach((c, i) => {
      expect(none[i]).toBe(c.statistic === 'missing' ? 1 : Number.NaN);
    });
  });

  it('measures a flat line', () => {
    const readings = [70, 72, 75, 75, 75].map((v, i) => r('heart-rate', v, end - (5 - i) * MIN));
    expect(
      columnsOf(ALL, extractWindowFeatures(readings, { patientId: 'p1', endTs: end }, ALL), 'heart-rate')
        .flatRun,
    ).toBe(3);
  });

  it('refuses a non-finite end or an output it does not fit in', () => {
    expect(() => windowFeatures(emptySeries('p'), Number.NaN, ALL)).toThrow(/endTs/);
    expect(() => windowFeatures(emptySeries('p'), end, ALL, new Float32Array(3))).toThrow(/do not fit/);
    expect(() => windowFeatureRows(emptySeries('p'), [end, end - 1], ALL, new Float32Array(2 * 72))).toThrow(
      /ascending/,
    );
  });
});

/** Readings of two patients over two hours, with some re-delivered, in arbitrary order. */
const readingsArb = fc
  .array(
    fc.record({
      patient: fc.constantFrom('p1', 'p1', 'p1', 'p2'),
      metric: fc.constantFrom(...WINDOW_SIGNALS, 'glucose'),
      value: fc.integer({ min: 30, max: 200 }),
      second: fc.integer({ min: 0, max: 7200 }),
      quality: fc.constantFrom(undefined, 'good', 'bad'),
    }),
    { maxLength: 150 },
  )
  .map((xs) =>
    xs.map(
      (x, i): ReadingLike => ({
        id: `dev-${x.patient}:${i}`,
        patientId: x.patient,
        metric: x.metric,
        value: x.metric === 'body-temperature' ? x.value / 4 : x.value,
        unit: METRICS[x.metric].unit,
        ts: T0 + x.second * 1000,
        ...(x.quality === undefined ? {} : { quality: x.quality as 'good' | 'bad' }),
      }),
    ),
  )
  .chain((xs) =>
    fc
      .subarray(xs)
      .chain((dups) => fc.shuffledSubarray([...xs, ...dups], { minLength: xs.length + dups.length })),
  );

const endsArb = fc
  .array(fc.integer({ min: 0, max: 9000 }), { minLength: 1, maxLength: 8 })
  .map((xs) => xs.sort((a, b) => a - b).map((s) => T0 + s * 1000));

describe('feature extraction invariants', () => {
  it('does not depend on the order the readings arrive in, nor on re-deliveries', () => {
    fc.assert(
      fc.property(readingsArb, fc.integer({ min: 0, max: 9000 }), (readings, s) => {
        const end = T0 + s * 1000;
        const once = [...new Map(readings.map((x) => [x.id, x])).values()];
        const a = extractWindowFeatures(readings, { patientId: 'p1', endTs: end }, ALL);
        const b = extractWindowFeatures([...readings].reverse(), { patientId: 'p1', endTs: end }, ALL);
        const c = extractWindowFeatures(once, { patientId: 'p1', endTs: end }, ALL);
        expect(Array.from(b)).toEqual(Array.from(a));
        expect(Array.from(c)).toEqual(Array.from(a));
      }),
      { numRuns: 200 },
    );
  });

  it('flags missing data: a signal is missing exactly when no usable reading is in the window, and then its values are NaN', () => {
    fc.assert(
      fc.property(readingsArb, fc.integer({ min: 0, max: 9000 }), (readings, s) => {
        const end = T0 + s * 1000;
        const row = extractWindowFeatures(readings, { patientId: 'p1', endTs: end }, ALL);
        for (const signal of WINDOW_SIGNALS) {
          const inWindow = new Set(
            readings
              .filter(
                (x) =>
                  x.patientId === 'p1' &&
                  x.metric === signal &&
                  x.quality !== 'bad' &&
                  x.ts > end - ALL.windowMs &&
                  x.ts <= end,
              )
              .map((x) => x.id),
          ).size;
          const c = columnsOf(ALL, row, signal);
          expect(c.count).toBe(inWindow);
          expect(c.missing).toBe(inWindow === 0 ? 1 : 0);
          for (const stat of ['last', 'mean', 'min', 'max', 'age'] as const) {
            expect(Number.isNaN(c[stat])).toBe(inWindow === 0);
          }
          if (inWindow >= 2) {
            expect(c.sd).not.toBeNaN();
            expect(c.lastStep).not.toBeNaN();
          }
        }
      }),
      { numRuns: 200 },
    );
  });

  it('gives the same rows sliding (windowFeatureRows) as one window at a time', () => {
    fc.assert(
      fc.property(readingsArb, endsArb, (readings, ends) => {
        const series = seriesFromReadings(readings).series.get('p1') ?? emptySeries('p1');
        const out = new Float32Array(ends.length * ARTEFACT_FEATURES.columns.length);
        windowFeatureRows(series, ends, ARTEFACT_FEATURES, out);
        ends.forEach((end, k) => {
          const one = windowFeatures(series, end, ARTEFACT_FEATURES);
          expect(Array.from(out.subarray(k * 42, (k + 1) * 42))).toEqual(Array.from(one));
        });
      }),
      { numRuns: 150 },
    );
  });

  it('gives the same rows streaming (createFeatureWindows) as in batch, whatever the arrival order', () => {
    fc.assert(
      fc.property(readingsArb, endsArb, (readings, ends) => {
        const windows = createFeatureWindows(ALL);
        for (const x of readings) windows.push(x);
        const series = seriesFromReadings(readings).series.get('p1') ?? emptySeries('p1');
        for (const end of ends) {
          expect(Array.from(windows.features('p1', end))).toEqual(
            Array.from(windowFeatures(series, end, ALL)),
          );
        }
      }),
      { numRuns: 150 },
    );
  });
});

describe('createFeatureWindows', () => {
  const spec = defineWindowFeatures({
    name: 'hr',
    version: '1',
    windowMs: 10 * MIN,
    signals: ['heart-rate'],
    statistics: ['last', 'count'],
  });

  it('reports what it did with each reading', () => {
    const w = createFeatureWindows(spec);
    const a = r('heart-rate', 70, T0);
    expect(w.push(a)).toBe('accepted');
    expect(w.push({ ...a })).toBe('duplicate');
    expect(w.push(r('glucose', 5, T0))).toBe('not-a-signal');
    expect(w.push(r('heart-rate', 70, T0, { quality: 'bad' }))).toBe('bad-quality');
    expect(Array.from(w.features('p1', T0 + MIN))).toEqual([70, 1]);
    // The window asked for now starts at T0 + 11 min − 10 min: a reading from before is too late.
    expect(Array.from(w.features('p1', T0 + 11 * MIN))).toEqual([Number.NaN, 0]);
    expect(w.push(r('heart-rate', 71, T0 + MIN))).toBe('late');
    expect(w.push(r('heart-rate', 72, T0 + 2 * MIN))).toBe('accepted');
    expect(Array.from(w.features('unknown', T0))).toEqual([Number.NaN, 0]);
  });

  it('is bounded: forgets the least recently updated patient, and keeps the latest readings', () => {
    const evicted: string[] = [];
    const w = createFeatureWindows(spec, {
      maxPatients: 2,
      maxReadingsPerSignal: 3,
      onEvict: (p) => evicted.push(p),
    });
    w.push(r('heart-rate', 60, T0, { patientId: 'a' }));
    w.push(r('heart-rate', 61, T0, { patientId: 'b' }));
    w.push(r('heart-rate', 62, T0 + 1, { patientId: 'a' })); // a is now the most recent
    w.push(r('heart-rate', 63, T0, { patientId: 'c' }));
    expect(evicted).toEqual(['b']);
    expect(w.size).toBe(2);
    for (let i = 0; i < 5; i++) w.push(r('heart-rate', 80 + i, T0 + i * 1000));
    expect(Array.from(w.features('p1', T0 + 10_000))).toEqual([84, 3]);
    expect(w.push(r('heart-rate', 50, T0 - 1000))).toBe('late'); // older than everything in a full buffer
    expect(() => createFeatureWindows(spec, { maxPatients: 0 })).toThrow(RangeError);
    expect(() => w.features('p1', Number.POSITIVE_INFINITY)).toThrow(/endTs/);
  });
});
