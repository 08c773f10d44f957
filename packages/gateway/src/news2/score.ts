import { parse } from '@healthit/core';
import {
  NEWS2_BANDS,
  NEWS2_CONSCIOUSNESS_SCORE,
  NEWS2_OXYGEN_SCORE,
  NEWS2_RESPONSES,
  type News2Band,
  type News2ClinicalRisk,
  type News2Response,
  type News2Subscore,
} from './chart.js';
import { NEWS2_INPUT_SCHEMA_NAME, News2Input } from './input.js';

/** The subscore of each NEWS2 parameter (Chart 1). */
export interface News2Subscores {
  /** Respiration rate (breaths/min): 0–3 by {@link NEWS2_BANDS} `rr`. */
  readonly rr: News2Subscore;
  /** SpO2 (%): 0–3 on Scale 1, or on Scale 2 when the input's `spo2Scale` is 2. */
  readonly spo2: News2Subscore;
  /** Air or oxygen: 2 on supplemental oxygen, 0 on air ({@link NEWS2_OXYGEN_SCORE}). */
  readonly airOrOxygen: News2Subscore;
  /** Systolic blood pressure (mmHg): 0–3 by {@link NEWS2_BANDS} `sbp`. */
  readonly sbp: News2Subscore;
  /** Pulse (beats/min): 0–3 by {@link NEWS2_BANDS} `pulse`. */
  readonly pulse: News2Subscore;
  /** Consciousness (ACVPU): 0 for alert, 3 for new confusion, voice, pain or unresponsive. */
  readonly consciousness: News2Subscore;
  /** Temperature (°C, 0.1 °C resolution): 0–3 by {@link NEWS2_BANDS} `temp`. */
  readonly temp: News2Subscore;
}

/** A NEWS2 score: subscores, aggregate, red score and clinical risk (Chart 3). */
export interface News2Result {
  /** The score of each of the seven parameters on Chart 1. */
  readonly subscores: News2Subscores;
  /** The aggregate score, 0–20. */
  readonly total: number;
  /** True when any single parameter scores 3. */
  readonly redScore: boolean;
  /**
   * Chart 3's clinical risk: `high` for an aggregate of 7 or more, `medium` for 5–6, else
   * `low-medium` with a red score, else `low`.
   */
  readonly clinicalRisk: News2ClinicalRisk;
}

/**
 * Scores an observation set on the Royal College of Physicians NEWS2 (2017) chart.
 *
 * SpO2 is scored on Scale 1, or on Scale 2 when `spo2Scale` is 2, where 93 % or more scores only on
 * supplemental oxygen. Clinical risk (Chart 3): aggregate ≥ 7 high, 5–6 medium, otherwise
 * low-medium when a single parameter scores 3 (red score), otherwise low.
 *
 * @throws {ValidationError} (`validation/invalid`, schema `News2Input`) naming every offending field
 *   when a value is missing, of the wrong type, outside the chart's resolution (a non-integer rate,
 *   SpO2 or pressure; a temperature with more than one decimal) or physiologically implausible.
 * @example
 * ```ts
 * const r = news2({ rr: 21, spo2: 93, spo2Scale: 1, onOxygen: false, sbp: 120, pulse: 95,
 *   consciousness: 'A', temp: 37.5 });
 * // r.total === 5, r.clinicalRisk === 'medium'
 * ```
 */
export function news2(input: unknown): News2Result {
  return scoreValidNews2(parse(News2Input, NEWS2_INPUT_SCHEMA_NAME, input));
}

/**
 * Scores an input already known to match {@link News2Input} (for hot paths that validated it
 * earlier). Use {@link news2} for anything else.
 *
 * @throws {Error} when a value falls between the chart's bands, i.e. the input was not valid.
 */
export function scoreValidNews2(input: News2Input): News2Result {
  const spo2Bands = input.spo2Scale === 2 ? NEWS2_BANDS.spo2Scale2 : NEWS2_BANDS.spo2Scale1;
  const on = input.onOxygen ? 'oxygen' : 'air';
  const subscores: News2Subscores = {
    rr: bandScore(NEWS2_BANDS.rr, input.rr, on, 'rr'),
    spo2: bandScore(spo2Bands, input.spo2, on, 'spo2'),
    airOrOxygen: NEWS2_OXYGEN_SCORE[on],
    sbp: bandScore(NEWS2_BANDS.sbp, input.sbp, on, 'sbp'),
    pulse: bandScore(NEWS2_BANDS.pulse, input.pulse, on, 'pulse'),
    consciousness: NEWS2_CONSCIOUSNESS_SCORE[input.consciousness],
    // Compared in tenths of a degree so that 35.1 is exactly 351, not 35.100000000000001.
    temp: bandScore(NEWS2_BANDS.temp, Math.round(input.temp * 10), on, 'temp', 10),
  };
  const total =
    subscores.rr +
    subscores.spo2 +
    subscores.airOrOxygen +
    subscores.sbp +
    subscores.pulse +
    subscores.consciousness +
    subscores.temp;
  const redScore =
    subscores.rr === 3 ||
    subscores.spo2 === 3 ||
    subscores.sbp === 3 ||
    subscores.pulse === 3 ||
    subscores.consciousness === 3 ||
    subscores.temp === 3;
  return { subscores, total, redScore, clinicalRisk: news2ClinicalRisk(total, redScore) };
}

/**
 * Chart 3: the clinical risk of an aggregate score and red-score flag.
 * @throws {RangeError} when `total` is not an integer in 0–20.
 */
export function news2ClinicalRisk(total: number, redScore: boolean): News2ClinicalRisk {
  if (!Number.isInteger(total) || total < 0 || total > 20) {
    throw new RangeError(`NEWS2 total must be an integer in 0-20, got ${total}`);
  }
  if (total >= 7) return 'high';
  if (total >= 5) return 'medium';
  return redScore ? 'low-medium' : 'low';
}

/**
 * The RCP's response to a score (Chart 3 and Chart 4): a total of 0 gets the 12-hourly row, any
 * other low score the 4–6-hourly row, and each higher risk level its own row.
 *
 * @example
 * ```ts
 * news2Response(news2(obs)).clinicalResponse // 'RN to immediately inform medical team; ...'
 * ```
 */
export function news2Response(result: Pick<News2Result, 'total' | 'clinicalRisk'>): News2Response {
  if (result.clinicalRisk === 'low') return result.total === 0 ? NEWS2_RESPONSES.zero : NEWS2_RESPONSES.low;
  return NEWS2_RESPONSES[result.clinicalRisk];
}

/**
 * The SpO2 subscore alone (RCP 2017, Chart 1) of a whole-percent `spo2` on the patient's scale: on
 * Scale 2, 93 % or more scores only on oxygen. For a rule that needs one parameter's score, such as
 * the SpO2 red score on each patient's own scale.
 * @throws {Error} for a value outside the chart (not a whole percent in 0–100).
 */
export function news2Spo2Subscore(
  spo2: number,
  context: { readonly spo2Scale: 1 | 2; readonly onOxygen: boolean },
): News2Subscore {
  const bands = context.spo2Scale === 2 ? NEWS2_BANDS.spo2Scale2 : NEWS2_BANDS.spo2Scale1;
  return bandScore(bands, spo2, context.onOxygen ? 'oxygen' : 'air', 'spo2');
}

function bandScore(
  bands: readonly News2Band[],
  value: number,
  on: 'air' | 'oxygen',
  field: string,
  scale = 1,
): News2Subscore {
  for (const band of bands) {
    if (band.on !== undefined && band.on !== on) continue;
    if (band.min !== undefined && value < Math.round(band.min * scale)) continue;
    if (band.max !== undefined && value > Math.round(band.max * scale)) continue;
    return band.score;
  }
  throw new Error(
    `NEWS2 ${field} ${value / scale} falls between the chart's bands; validate it with news2()`,
  );
}
