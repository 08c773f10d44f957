import { DeviceDescriptor, isHealthItError, isPlausible, METRICS, Reading } from '@healthit/core';
import { createFakeClock } from '@healthit/core/testing';
import fc from 'fast-check';
import { bufferCount, map, type Observable, switchMap, take, timer, VirtualTimeScheduler } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import { circadianOffset } from './circadian.js';
import { scenarioMean } from './scenarios.js';
import { VITAL_METRICS, type VitalMetric } from './vital-signs.js';
import { createWardSimulator, type WardSimulatorOptions } from './ward-simulator.js';

/** Runs `readings$` in virtual time (instantly) and returns its first `count` readings. */
function collect(options: Omit<WardSimulatorOptions, 'scheduler'>, ticks: number): Reading[] {
  const scheduler = new VirtualTimeScheduler();
  const ward = createWardSimulator({ ...options, scheduler });
  const out: Reading[] = [];
  ward.readings$.pipe(take(ticks * ward.patients.length * VITAL_METRICS.length)).subscribe((r) => {
    out.push(r);
  });
  scheduler.flush();
  return out;
}

function newTestScheduler(): TestScheduler {
  return new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
}

/** `${id}@${ts}` for every reading of one tick of `patients` patients. */
function tickIds(devices: string[], tick: number, ts: number): string[] {
  return devices.flatMap((d) => VITAL_METRICS.map((_, m) => `${d}:${(tick - 1) * 6 + m + 1}@${ts}`));
}

describe('createWardSimulator: patients and devices', () => {
  it('names patients and monitors patient-001/monitor-001 … and describes each monitor', () => {
    const ward = createWardSimulator({ patients: 3, seed: 7 });
    expect(ward.patients.map((p) => [p.index, p.patientId, p.deviceId])).toEqual([
      [0, 'patient-001', 'monitor-001'],
      [1, 'patient-002', 'monitor-002'],
      [2, 'patient-003', 'monitor-003'],
    ]);
    for (const [i, device] of ward.devices.entries()) {
      expect(DeviceDescriptor.parse(device)).toEqual(device);
      expect(device).toMatchObject({
        id: `monitor-00${i + 1}`,
        patientId: `patient-00${i + 1}`,
        role: 'sensor',
        protocol: 'simulator',
        metrics: [...VITAL_METRICS],
      });
    }
    expect(Object.isFrozen(ward)).toBe(true);
    expect(Object.isFrozen(ward.patients)).toBe(true);
    expect(Object.isFrozen(ward.patients[0])).toBe(true);
    expect(Object.isFrozen(ward.devices)).toBe(true);
  });

  it('pads ids to the width of the patient count and honours id prefixes', () => {
    const ward = createWardSimulator({
      patients: 1200,
      seed: 1,
      patientIdPrefix: 'bed',
      deviceIdPrefix: 'icu.mon',
    });
    expect(ward.patients[0]?.patientId).toBe('bed-0001');
    expect(ward.patients[1199]?.deviceId).toBe('icu.mon-1200');
  });

  it('assigns the default mix deterministically from the seed: most stable, a few deteriorating/hypoxic', () => {
    const names = (seed: number) =>
      createWardSimulator({ patients: 10, seed }).patients.map((p) => p.scenario.name);
    const a = names(11);
    expect(names(11)).toEqual(a);
    expect(a.filter((n) => n === 'stable')).toHaveLength(8);
    expect(a.filter((n) => n === 'deteriorating')).toHaveLength(1);
    expect(a.filter((n) => n === 'hypoxic')).toHaveLength(1);
    // Which patients deteriorate depends on the seed.
    const placements = new Set([1, 2, 3, 4, 5, 6, 7, 8].map((seed) => names(seed).indexOf('deteriorating')));
    expect(placements.size).toBeGreaterThan(1);
  });

  it('takes a scenario mix, explicit per-patient scenarios, and timing overrides', () => {
    const mixed = createWardSimulator({ patients: 4, seed: 3, scenarioMix: { hypoxic: 1 } });
    expect(mixed.patients.every((p) => p.scenario.name === 'hypoxic')).toBe(true);
    const ward = createWardSimulator({
      patients: 3,
      seed: 3,
      scenarios: ['stable', 'deteriorating', { name: 'hypoxic', startAfterMs: 5, rampMs: 10 }],
      scenarioTiming: { rampMs: 3_600_000 },
    });
    expect(ward.patients.map((p) => p.scenario)).toEqual([
      { name: 'stable', startAfterMs: 0, rampMs: 3_600_000 },
      { name: 'deteriorating', startAfterMs: 60_000, rampMs: 3_600_000 },
      { name: 'hypoxic', startAfterMs: 5, rampMs: 10 },
    ]);
  });

  it('draws baselines inside the population ranges, with a pulse pressure of at least 30 mm Hg', () => {
    const ward = createWardSimulator({ patients: 500, seed: 99 });
    for (const p of ward.patients) {
      expect(p.baseline['heart-rate']).toBeGreaterThanOrEqual(58);
      expect(p.baseline['heart-rate']).toBeLessThanOrEqual(98);
      expect(p.baseline.spo2).toBeLessThanOrEqual(99);
      expect(p.baseline['bp-systolic'] - p.baseline['bp-diastolic']).toBeGreaterThanOrEqual(30);
    }
  });

  it('rejects bad options with TypeError / RangeError naming the option', () => {
    const bad: [unknown, ErrorConstructor, RegExp][] = [
      [{ patients: '3', seed: 1 }, TypeError, /patients must be a number/],
      [{ patients: 0, seed: 1 }, RangeError, /patients must be an integer in 1…10000/],
      [{ patients: 2.5, seed: 1 }, RangeError, /patients/],
      [{ patients: 1, seed: 1.5 }, RangeError, /seed must be a safe integer/],
      [{ patients: 1, seed: 1, periodMs: 0 }, RangeError, /periodMs/],
      [{ patients: 1, seed: 1, startTs: -1 }, RangeError, /startTs/],
      [
        { patients: 1, seed: 1, startTs: 0, clock: createFakeClock() },
        RangeError,
        /either clock .* or startTs/,
      ],
      [
        { patients: 2, seed: 1, scenarios: ['stable'] },
        RangeError,
        /scenarios has 1 entries but patients is 2/,
      ],
      [{ patients: 1, seed: 1, scenarios: ['stable'], scenarioMix: { stable: 1 } }, RangeError, /not both/],
      [
        { patients: 1, seed: 1, scenarios: ['septic'] },
        RangeError,
        /scenarios\[0\]: unknown scenario "septic"/,
      ],
      [{ patients: 1, seed: 1, scenarioMix: { septic: 1 } }, RangeError, /unknown scenario "septic"/],
      [{ patients: 1, seed: 1, scenarioMix: { stable: 0 } }, RangeError, /sum to 0/],
      [{ patients: 1, seed: 1, scenarioTiming: { rampMs: -5 } }, RangeError, /rampMs/],
      [{ patients: 1, seed: 1, deviceIdPrefix: 'bad/topic' }, RangeError, /deviceIdPrefix "bad\/topic"/],
    ];
    for (const [options, type, message] of bad) {
      expect(() => createWardSimulator(options as WardSimulatorOptions)).toThrow(type);
      expect(() => createWardSimulator(options as WardSimulatorOptions)).toThrow(message);
    }
  });
});

describe('createWardSimulator: readings$ timing and ids (marble tests)', () => {
  it('emits one reading per vital per patient every periodMs, ids and seq counting from 1 per device', () => {
    newTestScheduler().run(({ expectObservable }) => {
      const ward = createWardSimulator({ patients: 2, seed: 5, periodMs: 1_000 });
      const ticks$ = ward.readings$.pipe(
        bufferCount(12),
        map((rs) => rs.map((r) => `${r.id}@${r.ts}`)),
        take(3),
      );
      const devices = ['monitor-001', 'monitor-002'];
      expectObservable(ticks$).toBe('1s a 999ms b 999ms (c|)', {
        a: tickIds(devices, 1, 1_000),
        b: tickIds(devices, 2, 2_000),
        c: tickIds(devices, 3, 3_000),
      });
    });
  });

  it('emits vitals in VITAL_METRICS order, in canonical units, quality good, with the patient id', () => {
    newTestScheduler().run(({ expectObservable }) => {
      const ward = createWardSimulator({ patients: 1, seed: 5, periodMs: 250 });
      const tick$ = ward.readings$.pipe(
        map((r) => `${r.patientId} ${r.metric} ${r.unit} ${r.quality} seq=${r.seq}`),
        bufferCount(6),
        take(1),
      );
      expectObservable(tick$).toBe('250ms (a|)', {
        a: VITAL_METRICS.map((m, i) => `patient-001 ${m} ${METRICS[m].unit} good seq=${i + 1}`),
      });
    });
  });

  it('stamps ts from the clock when one is injected, or startTs + k·periodMs', () => {
    newTestScheduler().run(({ expectObservable }) => {
      const clock = createFakeClock(1_700_000_000_000);
      const fromClock = createWardSimulator({ patients: 1, seed: 5, periodMs: 500, clock });
      const fromStart = createWardSimulator({ patients: 1, seed: 5, periodMs: 500, startTs: 86_400_000 });
      const ts = (o: Observable<Reading>) =>
        o.pipe(
          bufferCount(6),
          map((rs) => [...new Set(rs.map((r) => r.ts))]),
          take(2),
        );
      expectObservable(ts(fromClock.readings$)).toBe('500ms a 499ms (b|)', {
        a: [1_700_000_000_000],
        b: [1_700_000_000_000],
      });
      expectObservable(ts(fromStart.readings$)).toBe('500ms a 499ms (b|)', {
        a: [86_400_500],
        b: [86_401_000],
      });
    });
  });

  it('makes each subscription an independent run from its own start', () => {
    const firstTick = (o: Observable<Reading>) =>
      o.pipe(
        bufferCount(6),
        map((rs) => rs.map((r) => `${r.id}=${r.value}`)),
        take(1),
      );
    const expected = collect({ patients: 1, seed: 8 }, 1).map((r) => `${r.id}=${r.value}`);
    newTestScheduler().run(({ expectObservable }) => {
      const ward = createWardSimulator({ patients: 1, seed: 8, periodMs: 1_000 });
      // A second subscription 400 ms later starts its own run: same ids (seq from 1) and values.
      expectObservable(firstTick(ward.readings$)).toBe('1s (a|)', { a: expected });
      expectObservable(timer(400).pipe(switchMap(() => firstTick(ward.readings$)))).toBe('1400ms (a|)', {
        a: expected,
      });
    });
  });

  it('errors with config/invalid when the clock returns a time that is not epoch ms', () => {
    for (const bad of [Number.NaN, -1]) {
      const scheduler = new VirtualTimeScheduler();
      const ward = createWardSimulator({ patients: 1, seed: 5, clock: { now: () => bad }, scheduler });
      let error: unknown;
      const seen: Reading[] = [];
      ward.readings$.subscribe({ next: (r) => seen.push(r), error: (e) => (error = e) });
      scheduler.flush();
      expect(seen).toEqual([]);
      expect(isHealthItError(error, 'config/invalid')).toBe(true);
      expect((error as Error).message).toContain(`clock of the ward simulator returned ${bad}`);
    }
  });

  it('stops emitting mid-tick when unsubscribed', () => {
    const readings = collect({ patients: 3, seed: 1 }, 1).slice(0, 4);
    const scheduler = new VirtualTimeScheduler();
    const out: Reading[] = [];
    createWardSimulator({ patients: 3, seed: 1, scheduler })
      .readings$.pipe(take(4))
      .subscribe((r) => out.push(r));
    scheduler.flush();
    expect(out).toEqual(readings);
  });
});

describe('createWardSimulator: determinism', () => {
  it('gives identical readings for the same seed and options', () => {
    const options = { patients: 5, seed: 2024, startTs: 1_000 };
    expect(collect(options, 50)).toEqual(collect(options, 50));
  });

  it('gives different values for a different seed', () => {
    const values = (seed: number) => collect({ patients: 5, seed, startTs: 0 }, 20).map((r) => r.value);
    expect(values(1)).not.toEqual(values(2));
    expect(values(2024)).not.toEqual(values(2025));
  });

  it("keeps a patient's readings independent of how many other patients there are", () => {
    const scenarios = ['deteriorating', 'stable', 'hypoxic', 'stable', 'stable'] as const;
    const few = collect({ patients: 2, seed: 77, startTs: 0, scenarios: scenarios.slice(0, 2) }, 30);
    const many = collect({ patients: 5, seed: 77, startTs: 0, scenarios }, 30);
    const of = (rs: Reading[], device: string) => rs.filter((r) => r.deviceId === device);
    expect(of(many, 'monitor-001')).toEqual(of(few, 'monitor-001'));
    expect(of(many, 'monitor-002')).toEqual(of(few, 'monitor-002'));
  });

  it('is deterministic over arbitrary seeds and ward sizes (property)', () => {
    fc.assert(
      fc.property(fc.integer(), fc.integer({ min: 1, max: 6 }), (seed, patients) => {
        const options = { patients, seed, startTs: 0 };
        expect(collect(options, 5)).toEqual(collect(options, 5));
      }),
      { numRuns: 30 },
    );
  });
});

describe('createWardSimulator: plausibility (properties)', () => {
  it('emits valid Readings within the plausibility range, diastolic below systolic, for any seed and ward', () => {
    const scenarioArb = fc.constantFrom('stable', 'deteriorating', 'hypoxic' as const);
    fc.assert(
      fc.property(
        fc.integer({ min: -(2 ** 53) + 1, max: 2 ** 53 - 1 }),
        fc.integer({ min: 1, max: 8 }),
        fc.constantFrom(1_000, 60_000, 600_000),
        fc.array(scenarioArb, { minLength: 8, maxLength: 8 }),
        (seed, patients, periodMs, names) => {
          const scenarios = names
            .slice(0, patients)
            .map((name) => ({ name, startAfterMs: 0, rampMs: periodMs * 5 }));
          const readings = collect({ patients, seed, periodMs, scenarios, startTs: 0 }, 12);
          expect(readings).toHaveLength(12 * patients * 6);
          const bp = new Map<string, { s?: number; d?: number }>();
          for (const r of readings) {
            expect(Reading.safeParse(r).success).toBe(true);
            expect(isPlausible(r.metric, r.value)).toBe(true);
            expect(r.unit).toBe(METRICS[r.metric].unit);
            const scale = r.metric === 'body-temperature' ? 10 : 1;
            expect(Math.abs(Math.round(r.value * scale) - r.value * scale)).toBeLessThan(1e-9);
            if (r.metric === 'bp-systolic' || r.metric === 'bp-diastolic') {
              const key = `${r.deviceId}@${r.ts}`;
              const pair = bp.get(key) ?? {};
              if (r.metric === 'bp-systolic') pair.s = r.value;
              else pair.d = r.value;
              bp.set(key, pair);
            }
          }
          expect(bp.size).toBe(12 * patients);
          for (const { s, d } of bp.values()) expect(d).toBeLessThan(s as number);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('keeps seq strictly increasing from 1 per device and ids deviceId:seq (property)', () => {
    fc.assert(
      fc.property(
        fc.integer(),
        fc.integer({ min: 1, max: 5 }),
        fc.integer({ min: 1, max: 20 }),
        (seed, patients, ticks) => {
          const readings = collect({ patients, seed, startTs: 0 }, ticks);
          const last = new Map<string, number>();
          for (const r of readings) {
            expect(r.seq).toBe((last.get(r.deviceId) ?? 0) + 1);
            expect(r.id).toBe(`${r.deviceId}:${r.seq}`);
            last.set(r.deviceId, r.seq);
          }
          expect([...last.values()]).toEqual(Array.from({ length: patients }, () => ticks * 6));
        },
      ),
      { numRuns: 40 },
    );
  });
});

describe('createWardSimulator: scenarios over a long run (fixed seeds)', () => {
  const periodMs = 5_000;
  const hours = 3;
  const ticks = (hours * 3_600_000) / periodMs;

  /** Mean reported value per device and metric over readings with `ts` in [fromMs, toMs). */
  function means(readings: Reading[], fromMs: number, toMs: number): Map<string, number> {
    const sums = new Map<string, { sum: number; n: number }>();
    for (const r of readings) {
      if (r.ts < fromMs || r.ts >= toMs) continue;
      const key = `${r.deviceId} ${r.metric}`;
      const s = sums.get(key) ?? { sum: 0, n: 0 };
      s.sum += r.value;
      s.n += 1;
      sums.set(key, s);
    }
    return new Map([...sums].map(([k, { sum, n }]) => [k, sum / n]));
  }

  /** Mean circadian offset of `metric` over the ticks with `ts` in [fromMs, toMs) (startTs 0, UTC). */
  function meanCircadian(metric: VitalMetric, fromMs: number, toMs: number): number {
    let sum = 0;
    let n = 0;
    for (
      let ts = Math.ceil(fromMs / periodMs) * periodMs;
      ts < toMs && ts <= hours * 3_600_000;
      ts += periodMs
    ) {
      sum += circadianOffset(metric, ts);
      n += 1;
    }
    return sum / n;
  }

  /** NEWS2 points (Royal College of Physicians, 2017) for the five simulated parameters, on air, alert. */
  function news2(v: Record<VitalMetric, number>): number {
    const rr = v['respiratory-rate'];
    const spo2 = v.spo2;
    const sbp = v['bp-systolic'];
    const hr = v['heart-rate'];
    const t = v['body-temperature'];
    return (
      (rr <= 8 ? 3 : rr <= 11 ? 1 : rr <= 20 ? 0 : rr <= 24 ? 2 : 3) +
      (spo2 <= 91 ? 3 : spo2 <= 93 ? 2 : spo2 <= 95 ? 1 : 0) +
      (sbp <= 90 ? 3 : sbp <= 100 ? 2 : sbp <= 110 ? 1 : sbp <= 219 ? 0 : 3) +
      (hr <= 40 ? 3 : hr <= 50 ? 1 : hr <= 90 ? 0 : hr <= 110 ? 1 : hr <= 130 ? 2 : 3) +
      (t <= 35 ? 3 : t <= 36 ? 1 : t <= 38 ? 0 : t <= 39 ? 1 : 2)
    );
  }

  /** Mean NEWS2 of one device over readings with `ts` in [fromMs, toMs). */
  function meanNews2(readings: Reading[], device: string, fromMs: number, toMs: number): number {
    const byTs = new Map<number, Record<string, number>>();
    for (const r of readings) {
      if (r.deviceId !== device || r.ts < fromMs || r.ts >= toMs) continue;
      const v = byTs.get(r.ts) ?? {};
      v[r.metric] = r.value;
      byTs.set(r.ts, v);
    }
    const scores = [...byTs.values()].map((v) => news2(v as Record<VitalMetric, number>));
    return scores.reduce((a, b) => a + b, 0) / scores.length;
  }

  for (const seed of [1, 42, 2024, 31337, 987654321]) {
    it(`seed ${seed}: deteriorating patients' HR/RR rise, SBP falls, NEWS2 climbs; stable ones stay at baseline`, () => {
      const ward = createWardSimulator({
        patients: 4,
        seed,
        periodMs,
        scenarios: ['deteriorating', 'stable', 'deteriorating', 'stable'],
      });
      const readings = collect(
        {
          patients: 4,
          seed,
          periodMs,
          scenarios: ['deteriorating', 'stable', 'deteriorating', 'stable'],
          startTs: 0,
        },
        ticks,
      );
      const end = hours * 3_600_000 + 1;
      const onsetDone = 20 * 60_000; // default 1 min start + 15 min ramp, plus margin
      const after = means(readings, onsetDone, end);
      for (const p of ward.patients) {
        // The circadian rhythm (00:00–03:00 UTC here: heart rate and blood pressure near their
        // nocturnal low) is taken out, so what remains is the scenario.
        const mean = (metric: VitalMetric) =>
          (after.get(`${p.deviceId} ${metric}`) as number) - meanCircadian(metric, onsetDone, end);
        if (p.scenario.name === 'deteriorating') {
          expect(mean('heart-rate')).toBeGreaterThan(p.baseline['heart-rate']);
          expect(mean('respiratory-rate')).toBeGreaterThan(p.baseline['respiratory-rate']);
          expect(mean('bp-systolic')).toBeLessThan(p.baseline['bp-systolic']);
          expect(mean('body-temperature')).toBeGreaterThan(p.baseline['body-temperature']);
          expect(mean('spo2')).toBeLessThan(p.baseline.spo2);
          // …and close to the scenario's end point (mean-reverting noise averages out).
          const target = (metric: VitalMetric) =>
            scenarioMean('deteriorating', metric, p.baseline[metric], 1);
          expect(Math.abs(mean('heart-rate') - target('heart-rate'))).toBeLessThan(2);
          expect(Math.abs(mean('respiratory-rate') - target('respiratory-rate'))).toBeLessThan(1);
          expect(Math.abs(mean('bp-systolic') - target('bp-systolic'))).toBeLessThan(5);
          const before = meanNews2(readings, p.deviceId, 0, 60_001);
          const later = meanNews2(readings, p.deviceId, onsetDone, end);
          expect(later).toBeGreaterThanOrEqual(7);
          expect(later - before).toBeGreaterThanOrEqual(4);
        } else {
          expect(Math.abs(mean('heart-rate') - p.baseline['heart-rate'])).toBeLessThan(2);
          expect(Math.abs(mean('respiratory-rate') - p.baseline['respiratory-rate'])).toBeLessThan(1);
          expect(Math.abs(mean('bp-systolic') - p.baseline['bp-systolic'])).toBeLessThan(5);
        }
      }
    });
  }

  it('hypoxic patients settle in the high 80s of SpO2', () => {
    for (const seed of [3, 4, 5]) {
      const readings = collect({ patients: 2, seed, periodMs, scenarioMix: { hypoxic: 1 }, startTs: 0 }, 720);
      const after = means(readings, 10 * 60_000, Number.MAX_SAFE_INTEGER);
      for (const device of ['monitor-001', 'monitor-002']) {
        const spo2 = after.get(`${device} spo2`) as number;
        expect(spo2).toBeGreaterThan(86.5);
        expect(spo2).toBeLessThan(89.5);
      }
    }
  });
});
