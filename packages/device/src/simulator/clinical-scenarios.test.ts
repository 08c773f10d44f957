import { describe, expect, it } from 'vitest';
import { CIRCADIAN_RHYTHMS } from './circadian.js';
import type { DeviceSample } from './device-process.js';
import type { OxygenSetting, SimulationTick } from './engine.js';
import type { PatientTruth } from './patient-model.js';
import { FEVER_RESPONSE } from './physiology.js';
import type { Consciousness, Spo2Scale } from './scenarios.js';
import type { SimulatedMetric } from './vital-signs.js';
import { createWardSimulator } from './ward-simulator.js';

const START = Date.UTC(2025, 0, 1); // midnight UTC
const MINUTE = 60_000;
const HOUR = 3_600_000;

/**
 * NEWS2 (Royal College of Physicians, National Early Warning Score 2, 2017, chart 1), for the
 * tests only (the NEWS2 library arrives with the gateway). Values as charted: integers, temperature
 * to 0.1 °C.
 */
function news2(
  v: Partial<Record<SimulatedMetric, number>>,
  context: {
    readonly spo2Scale: Spo2Scale;
    readonly onOxygen: boolean;
    readonly consciousness: Consciousness;
  },
): number {
  const rr = v['respiratory-rate'] as number;
  const spo2 = v.spo2 as number;
  const sbp = v['bp-systolic'] as number;
  const hr = v['heart-rate'] as number;
  const t = v['body-temperature'] as number;
  const { onOxygen } = context;
  const respiration = rr <= 8 ? 3 : rr <= 11 ? 1 : rr <= 20 ? 0 : rr <= 24 ? 2 : 3;
  const saturation =
    context.spo2Scale === 1
      ? spo2 <= 91
        ? 3
        : spo2 <= 93
          ? 2
          : spo2 <= 95
            ? 1
            : 0
      : spo2 <= 83
        ? 3
        : spo2 <= 85
          ? 2
          : spo2 <= 87
            ? 1
            : spo2 <= 92 || !onOxygen
              ? 0
              : spo2 <= 94
                ? 1
                : spo2 <= 96
                  ? 2
                  : 3;
  const air = onOxygen ? 2 : 0;
  const systolic = sbp <= 90 ? 3 : sbp <= 100 ? 2 : sbp <= 110 ? 1 : sbp <= 219 ? 0 : 3;
  const pulse = hr <= 40 ? 3 : hr <= 50 ? 1 : hr <= 90 ? 0 : hr <= 110 ? 1 : hr <= 130 ? 2 : 3;
  const consciousness = context.consciousness === 'A' ? 0 : 3;
  const temperature = t <= 35 ? 3 : t <= 36 ? 1 : t <= 38 ? 0 : t <= 39 ? 1 : 2;
  return respiration + saturation + air + systolic + pulse + consciousness + temperature;
}

describe('NEWS2 test helper (control)', () => {
  const alert = { spo2Scale: 1, onOxygen: false, consciousness: 'A' } as const;
  const normal = {
    'respiratory-rate': 16,
    spo2: 97,
    'bp-systolic': 120,
    'heart-rate': 70,
    'body-temperature': 37,
  };
  it('scores the RCP chart', () => {
    expect(news2(normal, alert)).toBe(0);
    expect(
      news2(
        { 'respiratory-rate': 25, spo2: 91, 'bp-systolic': 90, 'heart-rate': 131, 'body-temperature': 39.1 },
        {
          ...alert,
          onOxygen: true,
          consciousness: 'C',
        },
      ),
    ).toBe(3 + 3 + 2 + 3 + 3 + 3 + 2);
    // Scale 2: 88–92 scores 0; on oxygen, 93+ scores; on air 93+ scores 0.
    const scale2 = { ...alert, spo2Scale: 2 } as const;
    expect([83, 85, 87, 90, 95].map((spo2) => news2({ ...normal, spo2 }, scale2))).toEqual([3, 2, 1, 0, 0]);
    expect([90, 93, 95, 97].map((spo2) => news2({ ...normal, spo2 }, { ...scale2, onOxygen: true }))).toEqual(
      [2, 3, 4, 5],
    );
  });
});

/** The monitor's values plus the truth's context at each tick where the monitor measured. */
function monitorScores(
  ticks: readonly SimulationTick[],
  patient = 0,
): { elapsedMs: number; score: number }[] {
  return ticks.flatMap((t) => {
    const truth = t.patients[patient] as PatientTruth;
    const sample = t.samples.find((s) => s.patientId === truth.patientId && s.kind === 'monitor');
    return sample === undefined ? [] : [{ elapsedMs: t.elapsedMs, score: news2(sample.values, truth) }];
  });
}

function mean(xs: readonly number[]): number {
  return xs.reduce((a, b) => a + b, 0) / xs.length;
}

function sd(xs: readonly number[]): number {
  const m = mean(xs);
  return Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / xs.length);
}

describe('scenario signatures', () => {
  for (const seed of [1, 2, 3, 4, 5]) {
    it(`sepsis (seed ${seed}): stable for an hour, then NEWS2 climbs to >= 7 within the 6 h ramp and stays`, () => {
      const ward = createWardSimulator({
        patients: 1,
        seed,
        periodMs: 5 * MINUTE,
        startTs: START,
        scenarios: [{ timeline: [{ name: 'deteriorating', atMs: 1 * HOUR, rampMs: 6 * HOUR }] }],
      });
      const ticks = [...ward.simulate({ toMs: 9 * HOUR })];
      const scores = monitorScores(ticks);
      const during = (from: number, to: number) =>
        scores.filter((s) => s.elapsedMs > from * HOUR && s.elapsedMs <= to * HOUR).map((s) => s.score);
      expect(mean(during(0, 1))).toBeLessThanOrEqual(3);
      expect(mean(during(6, 7))).toBeGreaterThanOrEqual(7);
      expect(Math.min(...during(7, 9))).toBeGreaterThanOrEqual(7);
      // The truth labels the phase and its progress.
      const at = (hours: number) => ticks.find((t) => t.elapsedMs === hours * HOUR)?.patients[0];
      expect(at(0.5)).toMatchObject({ phase: 'stable', phaseIndex: -1 });
      expect(at(4)).toMatchObject({ phase: 'deteriorating', phaseIndex: 0, phaseProgress: 0.5 });
      expect(at(8)).toMatchObject({
        phase: 'deteriorating',
        phaseProgress: 1,
        consciousness: 'A',
        onOxygen: false,
      });
    });
  }

  it('sepsis then recovery: NEWS2 returns to the low band, and the truth says so', () => {
    const ward = createWardSimulator({
      patients: 1,
      seed: 8,
      periodMs: 5 * MINUTE,
      startTs: START,
      scenarios: [
        {
          timeline: [
            { name: 'deteriorating', atMs: 1 * HOUR, rampMs: 4 * HOUR, consciousness: 'C' },
            { name: 'recovery', atMs: 6 * HOUR, rampMs: 3 * HOUR },
          ],
        },
      ],
    });
    const ticks = [...ward.simulate({ toMs: 11 * HOUR })];
    const scores = monitorScores(ticks);
    const window = (from: number, to: number) =>
      mean(scores.filter((s) => s.elapsedMs > from * HOUR && s.elapsedMs <= to * HOUR).map((s) => s.score));
    expect(window(5, 6)).toBeGreaterThanOrEqual(10); // + 3 for new confusion
    expect(window(10, 11)).toBeLessThanOrEqual(3);
    const at = (hours: number) => ticks.find((t) => t.elapsedMs === hours * HOUR)?.patients[0];
    expect(at(5.5)).toMatchObject({ phase: 'deteriorating', consciousness: 'C' });
    expect(at(7)).toMatchObject({ phase: 'recovery', phaseIndex: 1, consciousness: 'C' });
    expect(at(10)).toMatchObject({ phase: 'recovery', phaseProgress: 1, consciousness: 'A' });
  });

  it('atrial fibrillation: RR intervals irregularly irregular (CV and successive differences far above sinus), HR variable', () => {
    const ward = createWardSimulator({
      patients: 6,
      seed: 21,
      periodMs: 1_000,
      startTs: START,
      scenarios: [
        'stable',
        'stable',
        'stable',
        'atrial-fibrillation',
        'atrial-fibrillation',
        'atrial-fibrillation',
      ],
      devices: [{ kind: 'heart-rate-sensor' }],
    });
    const samples = [...ward.simulate({ toMs: 10 * MINUTE })].flatMap((t) => t.samples);
    for (const p of ward.patients) {
      const own = samples.filter((s) => s.patientId === p.patientId);
      const rr = own.flatMap((s) => s.rrIntervalsMs ?? []);
      const hr = own.map((s) => s.values['heart-rate'] as number);
      const cv = sd(rr) / mean(rr);
      const successive = rr.slice(1).map((x, i) => x - (rr[i] as number));
      const rmssdRatio = Math.sqrt(mean(successive.map((d) => d * d))) / mean(rr);
      // The intervals agree with the heart rate the device reports.
      expect(Math.abs(60_000 / mean(rr) - mean(hr))).toBeLessThan(3);
      if (p.scenario.name === 'atrial-fibrillation') {
        expect(cv).toBeGreaterThan(0.2);
        expect(rmssdRatio).toBeGreaterThan(0.25);
        expect(sd(hr)).toBeGreaterThan(4);
        expect(own.every((s) => ward.patients[0] !== undefined && s.kind === 'heart-rate-sensor')).toBe(true);
      } else {
        expect(cv).toBeLessThan(0.08);
        expect(rmssdRatio).toBeLessThan(0.08);
      }
    }
    const truth = [...ward.simulate({ toMs: 2_000 })].at(-1)?.patients;
    expect(truth?.map((p) => p.rhythm)).toEqual(['sinus', 'sinus', 'sinus', 'af', 'af', 'af']);
    expect(truth?.[3]?.conditions).toEqual(['atrial-fibrillation']);
  });

  it('paroxysmal AF starts at its onset', () => {
    const ward = createWardSimulator({
      patients: 1,
      seed: 2,
      startTs: START,
      heartbeats: true, // in the truth, though the monitor does not report beats
      scenarios: [{ timeline: [{ name: 'atrial-fibrillation', atMs: 5 * MINUTE }] }],
    });
    const ticks = [...ward.simulate({ toMs: 10 * MINUTE })];
    const rr = (from: number, to: number) =>
      ticks
        .filter((t) => t.elapsedMs > from && t.elapsedMs <= to)
        .flatMap((t) => t.patients[0]?.rrIntervalsMs ?? []);
    expect(sd(rr(0, 5 * MINUTE)) / mean(rr(0, 5 * MINUTE))).toBeLessThan(0.08);
    expect(sd(rr(5 * MINUTE, 10 * MINUTE)) / mean(rr(5 * MINUTE, 10 * MINUTE))).toBeGreaterThan(0.2);
  });

  it('COPD: SpO2 held in 88–92 % on air, NEWS2 scale 2 in the truth, so a stable COPD patient scores low', () => {
    const ward = createWardSimulator({
      patients: 8,
      seed: 9,
      periodMs: 5 * MINUTE,
      startTs: START,
      scenarioMix: { copd: 1 },
    });
    const ticks = [...ward.simulate({ toMs: 24 * HOUR })];
    const spo2 = ticks.flatMap((t) => t.samples.map((s) => s.values.spo2 as number));
    const inTarget = spo2.filter((v) => v >= 88 && v <= 92).length / spo2.length;
    expect(inTarget).toBeGreaterThan(0.97);
    expect(ticks.every((t) => t.patients.every((p) => p.spo2Scale === 2 && p.conditions[0] === 'copd'))).toBe(
      true,
    );
    for (const i of ward.patients.map((p) => p.index)) {
      expect(mean(monitorScores(ticks, i).map((s) => s.score))).toBeLessThan(3);
    }
  });

  it('hypoxia episode: SpO2 dips; with oxygen it recovers and falls back when oxygen stops, without it stays low', () => {
    const options = {
      patients: 1,
      seed: 4,
      periodMs: 10_000,
      startTs: START,
      scenarios: [{ timeline: [{ name: 'hypoxic', atMs: 10 * MINUTE, rampMs: 5 * MINUTE }] }],
    } as const;
    const oxygen: OxygenSetting[] = [
      { patientId: 'patient-001', flowLpm: 3, ts: START + 30 * MINUTE },
      { patientId: 'patient-001', flowLpm: 0, ts: START + 60 * MINUTE },
    ];
    const spo2 = (ticks: SimulationTick[], from: number, to: number) =>
      mean(
        ticks
          .filter((t) => t.elapsedMs > from * MINUTE && t.elapsedMs <= to * MINUTE)
          .map((t) => t.samples[0]?.values.spo2 as number),
      );
    const without = [...createWardSimulator(options).simulate({ toMs: 90 * MINUTE })];
    const treated = [...createWardSimulator(options).simulate({ toMs: 90 * MINUTE, oxygen })];
    // Same patient, same dip before the intervention.
    expect(treated.slice(0, 179)).toEqual(without.slice(0, 179));
    expect(spo2(without, 0, 10)).toBeGreaterThan(94);
    expect(spo2(without, 20, 30)).toBeLessThan(90);
    expect(spo2(without, 45, 60)).toBeLessThan(90); // no recovery on air
    expect(spo2(treated, 45, 60)).toBeGreaterThan(94); // 88 + 3 L/min × 3 points, wash-in 1.5 min
    expect(spo2(treated, 75, 90)).toBeLessThan(90); // back down when oxygen stops
    // The response follows the documented first-order model: 63 % of the way after one wash-in.
    const truthAt = (minute: number) =>
      treated.find((t) => t.elapsedMs === minute * MINUTE)?.patients[0] as PatientTruth;
    expect(truthAt(45)).toMatchObject({ onOxygen: true, oxygenFlowLpm: 3 });
    expect(truthAt(75)).toMatchObject({ onOxygen: false, oxygenFlowLpm: 0 });
    // NEWS2 on oxygen includes the 2 points for supplemental oxygen.
    const scores = monitorScores(treated);
    expect(
      mean(scores.filter((s) => s.elapsedMs > 45 * MINUTE && s.elapsedMs <= 60 * MINUTE).map((s) => s.score)),
    ).toBeGreaterThanOrEqual(2);
  });

  it('fever raises heart and respiratory rate by the fever response per °C (correlation measurable)', () => {
    const ward = createWardSimulator({
      patients: 20,
      seed: 11,
      periodMs: MINUTE,
      startTs: START,
      circadian: false,
      scenarioMix: { fever: 1 },
    });
    const late = [...ward.simulate({ toMs: 6 * HOUR })].filter((t) => t.elapsedMs > 2 * HOUR);
    const hrPerDeg: number[] = [];
    const rrPerDeg: number[] = [];
    for (const p of ward.patients) {
      const vitals = late.map((t) => t.patients[p.index]?.vitals as PatientTruth['vitals']);
      const fever = mean(vitals.map((v) => v['body-temperature'])) - p.baseline['body-temperature'];
      expect(fever).toBeGreaterThan(1.4);
      hrPerDeg.push((mean(vitals.map((v) => v['heart-rate'])) - p.baseline['heart-rate']) / fever);
      rrPerDeg.push(
        (mean(vitals.map((v) => v['respiratory-rate'])) - p.baseline['respiratory-rate']) / fever,
      );
    }
    expect(Math.abs(mean(hrPerDeg) - FEVER_RESPONSE.heartRatePerDegC)).toBeLessThan(0.5);
    expect(Math.abs(mean(rrPerDeg) - FEVER_RESPONSE.respiratoryRatePerDegC)).toBeLessThan(0.3);
    // Across patients, a higher fever goes with a higher heart rate.
    expect(Math.min(...hrPerDeg)).toBeGreaterThan(6);
  });

  it('circadian rhythm: temperature lowest early in the morning, heart rate and blood pressure lower at night', () => {
    const ward = createWardSimulator({ patients: 30, seed: 13, periodMs: 10 * MINUTE, startTs: START });
    const ticks = [...ward.simulate({ toMs: 48 * HOUR })];
    const byHour = (metric: 'heart-rate' | 'body-temperature' | 'bp-systolic') => {
      const sums = Array.from({ length: 24 }, () => [] as number[]);
      for (const t of ticks) {
        const hour = new Date(t.ts).getUTCHours();
        for (const s of t.samples) (sums[hour] as number[]).push(s.values[metric] as number);
      }
      return sums.map(mean);
    };
    const temperature = byHour('body-temperature');
    const coldest = temperature.indexOf(Math.min(...temperature));
    expect(coldest).toBeGreaterThanOrEqual(4);
    expect(coldest).toBeLessThanOrEqual(8);
    // Peak to trough of the hourly means: about twice the amplitude.
    const swing = Math.max(...temperature) - Math.min(...temperature);
    const amplitude = CIRCADIAN_RHYTHMS['body-temperature']?.amplitude as number;
    expect(swing).toBeGreaterThan(1.6 * amplitude);
    expect(swing).toBeLessThan(2.6 * amplitude);
    const hr = byHour('heart-rate');
    const sbp = byHour('bp-systolic');
    const night = (xs: number[]) => mean(xs.slice(1, 6)); // 01:00–05:59
    const day = (xs: number[]) => mean(xs.slice(13, 18)); // 13:00–17:59
    expect(day(hr) - night(hr)).toBeGreaterThan(5);
    expect(day(sbp) - night(sbp)).toBeGreaterThan(6);
    // Off, there is no rhythm.
    const flat = createWardSimulator({
      patients: 30,
      seed: 13,
      periodMs: 10 * MINUTE,
      startTs: START,
      circadian: false,
    });
    const flatTemps = Array.from({ length: 24 }, () => [] as number[]);
    for (const t of flat.simulate({ toMs: 48 * HOUR })) {
      for (const s of t.samples)
        (flatTemps[new Date(t.ts).getUTCHours()] as number[]).push(s.values['body-temperature'] as number);
    }
    const flatMeans = flatTemps.map(mean);
    expect(Math.max(...flatMeans) - Math.min(...flatMeans)).toBeLessThan(0.15);
  });

  it('honours the ward time zone: utcOffsetMinutes moves the nadir', () => {
    const coldestHour = (utcOffsetMinutes: number) => {
      const ward = createWardSimulator({
        patients: 20,
        seed: 3,
        periodMs: 30 * MINUTE,
        startTs: START,
        circadian: { utcOffsetMinutes },
      });
      const sums = Array.from({ length: 24 }, () => [] as number[]);
      for (const t of ward.simulate({ toMs: 48 * HOUR })) {
        for (const p of t.patients)
          (sums[new Date(t.ts).getUTCHours()] as number[]).push(p.vitals['body-temperature']);
      }
      const means = sums.map(mean);
      return means.indexOf(Math.min(...means));
    };
    expect(Math.abs(coldestHour(0) - 6)).toBeLessThanOrEqual(1);
    // UTC+5: 06:00 local is 01:00 UTC.
    expect(Math.abs(coldestHour(300) - 1)).toBeLessThanOrEqual(1);
  });
});

describe('ground truth', () => {
  it('gives per patient per tick the phase, the true vitals, NEWS2 context and the device samples', () => {
    const ward = createWardSimulator({
      patients: 2,
      seed: 6,
      startTs: START,
      scenarios: ['copd', { timeline: [{ name: 'fever', atMs: 0, rampMs: 0 }] }],
      devices: [{ kind: 'monitor' }, { kind: 'pulse-oximeter' }],
    });
    const [tick] = ward.simulate({ toMs: 1_000 });
    expect(
      tick?.patients.map((p) => [p.patientId, p.index, p.phase, p.conditions, p.spo2Scale, p.consciousness]),
    ).toEqual([
      ['patient-001', 0, 'stable', ['copd'], 2, 'A'],
      ['patient-002', 1, 'fever', [], 1, 'A'],
    ]);
    for (const p of tick?.patients ?? []) {
      const own = tick?.samples.filter((s) => s.patientId === p.patientId) as DeviceSample[];
      expect(own.map((s) => s.kind)).toEqual(['monitor', 'pulse-oximeter']);
      expect(own[0]?.values['heart-rate']).toBe(Math.round(p.vitals['heart-rate']));
      expect(own[1]?.values['pulse-rate']).toBe(Math.round(p.vitals['heart-rate']));
      expect(own[1]?.values.spo2).toBe(Math.round(p.vitals.spo2));
      expect(p.vitals['bp-diastolic']).toBeLessThanOrEqual(p.vitals['bp-systolic'] - 10);
    }
  });
});
