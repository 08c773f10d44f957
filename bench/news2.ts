/**
 * NEWS2 at the edge: observation sets scored per second by the gateway's `news2` (validation with
 * the `News2Input` schema, then the chart as data) and by `scoreValidNews2` (the chart alone, for
 * inputs already validated), on a realistic mix of sets — every parameter, SpO2 Scale 1 and Scale 2,
 * on air or on oxygen, consciousness alert or new confusion / V / P / U, mostly in normal ranges
 * and a share in every band of the chart — each beside its same-run ceiling: a hand-written lookup
 * of the RCP NEWS2 (2017) chart, if/else on the band limits, of the same inputs (total and clinical
 * risk, no validation, no result object). Then readings per second through the `news2Scores`
 * operator (five vital signs per patient, values changing so that patients are rescored) beside
 * the ceiling of one RxJS `Subject` emission per reading. Each figure is the median of interleaved
 * rounds, its ratio the median of the per-round ratios. Run alone with
 * `node --conditions=@healthit/source --import tsx bench/news2.ts`.
 */
import { pathToFileURL } from 'node:url';
import type { Reading } from '@healthit/core';
import {
  NEWS2_CLINICAL_RISKS,
  type News2Input,
  news2,
  news2Scores,
  scoreValidNews2,
} from '@healthit/gateway';
import { Subject } from 'rxjs';
import { against, type Figure, interleavedRates, printFigures } from './measure.js';

const SETS = 4_096;
/** Passes over the sets per measured run: SETS × PASSES scores. */
const PASSES = 40;
const ROUNDS = 7;
const PATIENTS = 1_000;
/** Readings per patient and run: 5 vital signs × 40. */
const READINGS_PER_PATIENT = 200;
const T0 = Date.UTC(2025, 0, 1);

/** A small deterministic generator, so every run scores the same sets. */
function lcg(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1_664_525) + 1_013_904_223) >>> 0;
    return state / 2 ** 32;
  };
}

/**
 * A value of a parameter: 75 % of the time in the normal range, else anywhere in the chart's range
 * of the parameter (so every band is hit), within the metric catalogue's plausibility range.
 */
function vital(
  random: () => number,
  normal: readonly [number, number],
  any: readonly [number, number],
  step = 1,
): number {
  const [min, max] = random() < 0.75 ? normal : any;
  const n = Math.floor(random() * (Math.round((max - min) / step) + 1));
  return Math.round((min + n * step) * 10) / 10;
}

/**
 * The observation sets: SpO2 Scale 2 for 15 % of patients, supplemental oxygen for 25 %, a
 * consciousness other than alert for 10 % (C, V, P, U alike).
 */
function observationSets(): News2Input[] {
  const random = lcg(2017);
  return Array.from({ length: SETS }, () => {
    const spo2Scale = random() < 0.15 ? 2 : 1;
    return {
      rr: vital(random, [12, 20], [5, 35]),
      spo2: vital(random, spo2Scale === 2 ? [88, 92] : [94, 100], [78, 100]),
      spo2Scale,
      onOxygen: random() < 0.25,
      sbp: vital(random, [105, 150], [75, 235]),
      pulse: vital(random, [55, 100], [32, 150]),
      consciousness: random() < 0.9 ? 'A' : (['C', 'V', 'P', 'U'] as const)[Math.floor(random() * 4)],
      temp: vital(random, [36.2, 37.8], [34.5, 40.5], 0.1),
    } as News2Input;
  });
}

/**
 * The ceiling: the RCP NEWS2 (2017) Chart 1 and Chart 3 written out by hand, if/else on the band
 * limits, no validation. Returns total × 4 + the index of the clinical risk (low, low-medium,
 * medium, high).
 */
export function bareNews2(o: News2Input): number {
  const { rr, spo2, sbp, pulse } = o;
  const rrScore = rr <= 8 ? 3 : rr <= 11 ? 1 : rr <= 20 ? 0 : rr <= 24 ? 2 : 3;
  let spo2Score: number;
  if (o.spo2Scale === 1) spo2Score = spo2 <= 91 ? 3 : spo2 <= 93 ? 2 : spo2 <= 95 ? 1 : 0;
  else if (spo2 <= 83) spo2Score = 3;
  else if (spo2 <= 85) spo2Score = 2;
  else if (spo2 <= 87) spo2Score = 1;
  else if (spo2 <= 92 || !o.onOxygen) spo2Score = 0;
  else spo2Score = spo2 <= 94 ? 1 : spo2 <= 96 ? 2 : 3;
  const oxygenScore = o.onOxygen ? 2 : 0;
  const sbpScore = sbp <= 90 ? 3 : sbp <= 100 ? 2 : sbp <= 110 ? 1 : sbp <= 219 ? 0 : 3;
  const pulseScore =
    pulse <= 40 ? 3 : pulse <= 50 ? 1 : pulse <= 90 ? 0 : pulse <= 110 ? 1 : pulse <= 130 ? 2 : 3;
  const consciousnessScore = o.consciousness === 'A' ? 0 : 3;
  const tenths = Math.round(o.temp * 10);
  const tempScore = tenths <= 350 ? 3 : tenths <= 360 ? 1 : tenths <= 380 ? 0 : tenths <= 390 ? 1 : 2;
  const total = rrScore + spo2Score + oxygenScore + sbpScore + pulseScore + consciousnessScore + tempScore;
  const red =
    rrScore === 3 ||
    spo2Score === 3 ||
    sbpScore === 3 ||
    pulseScore === 3 ||
    consciousnessScore === 3 ||
    tempScore === 3;
  const risk = total >= 7 ? 3 : total >= 5 ? 2 : red ? 1 : 0;
  return total * 4 + risk;
}

/** The readings a ward's monitors send for `PATIENTS` patients: five NEWS2 vital signs in turn. */
function wardReadings(): Reading[] {
  const random = lcg(4242);
  const vitals = [
    ['respiratory-rate', '/min', [12, 20], [8, 30], 1],
    ['spo2', '%', [94, 100], [85, 100], 1],
    ['bp-systolic', 'mm[Hg]', [105, 150], [85, 225], 1],
    ['heart-rate', '/min', [55, 100], [38, 140], 1],
    ['body-temperature', 'Cel', [36.2, 37.8], [35, 40], 0.1],
  ] as const;
  const out: Reading[] = [];
  for (let n = 0; n < READINGS_PER_PATIENT; n++) {
    for (let p = 0; p < PATIENTS; p++) {
      const [metric, unit, normal, any, step] = vitals[n % vitals.length] as (typeof vitals)[number];
      const deviceId = `monitor-${p}`;
      out.push({
        id: `${deviceId}:${n}`,
        deviceId,
        patientId: `patient-${p}`,
        metric,
        value: vital(random, normal, any, step),
        unit,
        ts: T0 + n * 200,
        seq: n,
      } as Reading);
    }
  }
  return out;
}

/** NEWS2 scores/s (`news2`, `scoreValidNews2`) and readings/s through `news2Scores`, with their ceilings. */
export async function benchNews2(): Promise<Figure[]> {
  const sets = observationSets();
  let sink = 0;
  // The ceiling is the same chart: check it agrees with the gateway's scorer on every set.
  for (const o of sets) {
    const r = news2(o);
    if (bareNews2(o) !== r.total * 4 + NEWS2_CLINICAL_RISKS.indexOf(r.clinicalRisk)) {
      throw new Error(`bench: the hand-written chart disagrees with news2 on ${JSON.stringify(o)}`);
    }
  }
  const items = SETS * PASSES;
  const scoring = await interleavedRates(
    ROUNDS,
    items,
    () => {
      for (let p = 0; p < PASSES; p++)
        for (let i = 0; i < SETS; i++) sink += bareNews2(sets[i] as News2Input);
    },
    {
      news2: () => {
        for (let p = 0; p < PASSES; p++) for (let i = 0; i < SETS; i++) sink += news2(sets[i]).total;
      },
      scoreValid: () => {
        for (let p = 0; p < PASSES; p++)
          for (let i = 0; i < SETS; i++) sink += scoreValidNews2(sets[i] as News2Input).total;
      },
    },
  );

  const readings = wardReadings();
  const now = T0 + READINGS_PER_PATIENT * 200;
  let scores = 0;
  let alerts = 0;
  const operator = await interleavedRates(
    ROUNDS,
    readings.length,
    () => {
      const subject = new Subject<Reading>();
      subject.subscribe((r) => {
        sink += r.seq;
      });
      for (const r of readings) subject.next(r);
      subject.complete();
    },
    {
      news2Scores: () => {
        // A new subscription each run: every patient starts unscored.
        const subject = new Subject<Reading>();
        subject
          .pipe(
            news2Scores({
              assume: { consciousness: 'A', onOxygen: false },
              maxPatients: PATIENTS * 2,
              clock: { now: () => now },
            }),
          )
          .subscribe((u) => {
            if (u.type === 'news2-score') scores++;
            else if (u.type === 'news2-alert') alerts++;
          });
        for (const r of readings) subject.next(r);
        subject.complete();
      },
    },
  );
  if (sink === 0 || scores === 0 || alerts === 0) throw new Error('bench: NEWS2 scored nothing');
  const scoresPerRun = Math.round(scores / (ROUNDS + 1)); // the warm-up round included
  const chart = 'hand-written RCP NEWS2 chart: if/else on the band limits, total + clinical risk';
  return [
    {
      name: 'news2: validate (News2Input) + score one observation set',
      value: scoring.news2.median,
      unit: 'scores/s',
      note: `${SETS.toLocaleString('en-US')} sets: Scale 1/2, air/oxygen, ACVPU`,
      runs: ROUNDS,
      ...against(scoring.news2.median, 'scores/s', chart, scoring.ceiling.median, scoring.news2.ratio),
    },
    {
      name: 'scoreValidNews2: score an already validated set (chart as data)',
      value: scoring.scoreValid.median,
      unit: 'scores/s',
      runs: ROUNDS,
      ...against(
        scoring.scoreValid.median,
        'scores/s',
        chart,
        scoring.ceiling.median,
        scoring.scoreValid.ratio,
      ),
    },
    {
      name: `news2Scores operator, ${PATIENTS.toLocaleString('en-US')} patients × 5 vital signs`,
      value: operator.news2Scores.median,
      unit: 'readings/s',
      note: `~${scoresPerRun.toLocaleString('en-US')} rescored of ${readings.length.toLocaleString('en-US')} per run`,
      runs: ROUNDS,
      ...against(
        operator.news2Scores.median,
        'readings/s',
        'one RxJS Subject emission per reading, to a bare subscriber',
        operator.ceiling.median,
        operator.news2Scores.ratio,
      ),
    },
  ];
}

// `node --conditions=@healthit/source --import tsx bench/news2.ts` runs this file alone
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  printFigures('Gateway NEWS2 scoring (one core)', await benchNews2());
}
