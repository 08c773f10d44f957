/**
 * The Royal College of Physicians NEWS2 chart (National Early Warning Score 2, 2017) as data:
 * Chart 1 (scoring bands), Chart 3 (thresholds and triggers) and Chart 4 (clinical response),
 * transcribed from the RCP report (see `test/vectors/news2/news2-official-table.json`, which the
 * tests compare this module with).
 */

/** A parameter's score on the chart. */
export type News2Subscore = 0 | 1 | 2 | 3;

/** The four NEWS2 clinical-risk levels of Chart 3, in increasing order. */
export const NEWS2_CLINICAL_RISKS = ['low', 'low-medium', 'medium', 'high'] as const;
/** A NEWS2 clinical-risk level. */
export type News2ClinicalRisk = (typeof NEWS2_CLINICAL_RISKS)[number];

/**
 * One band of a parameter on Chart 1: `min` and `max` are inclusive and in the chart's unit; a
 * missing bound is open. `on` restricts a band to patients on air or on oxygen (SpO2 Scale 2 only).
 */
export interface News2Band {
  /** The lowest value in the band, inclusive, in the chart's unit; absent: no lower bound. */
  readonly min?: number;
  /** The highest value in the band, inclusive, in the chart's unit; absent: no upper bound. */
  readonly max?: number;
  /**
   * The band applies only to patients breathing air (`air`) or on supplemental oxygen (`oxygen`);
   * absent: to both. Used by SpO2 Scale 2 only.
   */
  readonly on?: 'air' | 'oxygen';
  /** The subscore a value in the band gets on Chart 1 (0–3). */
  readonly score: News2Subscore;
}

/**
 * Chart 1, the scoring bands of each measured parameter (units: breaths/min, %, mmHg, beats/min,
 * °C). Bands are published at whole-number resolution, temperature at 0.1 °C; `news2` rejects
 * values between bands, so every accepted value falls in exactly one band.
 */
export const NEWS2_BANDS = {
  /** Respiration rate, breaths per minute. */
  rr: [
    { max: 8, score: 3 },
    { min: 9, max: 11, score: 1 },
    { min: 12, max: 20, score: 0 },
    { min: 21, max: 24, score: 2 },
    { min: 25, score: 3 },
  ],
  /** SpO2 Scale 1 (the default), %. */
  spo2Scale1: [
    { max: 91, score: 3 },
    { min: 92, max: 93, score: 2 },
    { min: 94, max: 95, score: 1 },
    { min: 96, score: 0 },
  ],
  /**
   * SpO2 Scale 2, %: for patients with a prescribed target of 88–92 % (e.g. hypercapnic respiratory
   * failure), on the decision of a competent clinician. At 93 % or more it scores only on oxygen.
   */
  spo2Scale2: [
    { max: 83, score: 3 },
    { min: 84, max: 85, score: 2 },
    { min: 86, max: 87, score: 1 },
    { min: 88, max: 92, score: 0 },
    { min: 93, on: 'air', score: 0 },
    { min: 93, max: 94, on: 'oxygen', score: 1 },
    { min: 95, max: 96, on: 'oxygen', score: 2 },
    { min: 97, on: 'oxygen', score: 3 },
  ],
  /** Systolic blood pressure, mmHg. */
  sbp: [
    { max: 90, score: 3 },
    { min: 91, max: 100, score: 2 },
    { min: 101, max: 110, score: 1 },
    { min: 111, max: 219, score: 0 },
    { min: 220, score: 3 },
  ],
  /** Pulse, beats per minute. */
  pulse: [
    { max: 40, score: 3 },
    { min: 41, max: 50, score: 1 },
    { min: 51, max: 90, score: 0 },
    { min: 91, max: 110, score: 1 },
    { min: 111, max: 130, score: 2 },
    { min: 131, score: 3 },
  ],
  /** Temperature, °C (resolution 0.1 °C). */
  temp: [
    { max: 35.0, score: 3 },
    { min: 35.1, max: 36.0, score: 1 },
    { min: 36.1, max: 38.0, score: 0 },
    { min: 38.1, max: 39.0, score: 1 },
    { min: 39.1, score: 2 },
  ],
} as const satisfies Record<string, readonly News2Band[]>;

/** Chart 1, air or oxygen: supplemental oxygen scores 2. */
export const NEWS2_OXYGEN_SCORE = { air: 0, oxygen: 2 } as const satisfies Record<string, News2Subscore>;

/** Chart 1, consciousness (ACVPU): alert scores 0; new confusion, voice, pain or unresponsive 3. */
export const NEWS2_CONSCIOUSNESS_SCORE = {
  A: 0,
  C: 3,
  V: 3,
  P: 3,
  U: 3,
} as const satisfies Record<string, News2Subscore>;

/** The RCP's text for one clinical-risk level (Chart 3) and its clinical response (Chart 4). */
export interface News2Response {
  /** Which score triggers it, as Chart 4 words it. */
  readonly trigger: string;
  /** Chart 3's clinical-risk level for the trigger. */
  readonly clinicalRisk: News2ClinicalRisk;
  /** Chart 3's response for the risk level. */
  readonly response: string;
  /** Chart 4's minimum frequency of monitoring. */
  readonly monitoring: string;
  /** Chart 4's clinical response. */
  readonly clinicalResponse: string;
}

/**
 * Chart 3 and Chart 4 of the RCP NEWS2 report, row by row. Aggregate 0 and aggregate 1–4 are both
 * low risk but differ in monitoring frequency, so there are five rows for four risk levels.
 */
export const NEWS2_RESPONSES = {
  zero: {
    trigger: '0',
    clinicalRisk: 'low',
    response: 'ward-based response',
    monitoring: 'minimum 12-hourly',
    clinicalResponse: 'continue routine NEWS monitoring',
  },
  low: {
    trigger: 'total 1-4',
    clinicalRisk: 'low',
    response: 'ward-based response',
    monitoring: 'minimum 4-6-hourly',
    clinicalResponse:
      'inform registered nurse, who must assess the patient; RN decides on increased monitoring/escalation',
  },
  'low-medium': {
    trigger: '3 in single parameter',
    clinicalRisk: 'low-medium',
    response: 'urgent ward-based response',
    monitoring: 'minimum 1-hourly',
    clinicalResponse: 'RN to inform medical team, who will review and decide whether escalation is necessary',
  },
  medium: {
    trigger: 'total 5 or more (urgent response threshold)',
    clinicalRisk: 'medium',
    response: 'key threshold for urgent response',
    monitoring: 'minimum 1-hourly',
    clinicalResponse:
      'RN to immediately inform medical team; urgent assessment by clinician/team with core competencies in acute illness',
  },
  high: {
    trigger: 'total 7 or more (emergency response threshold)',
    clinicalRisk: 'high',
    response: 'urgent or emergency response',
    monitoring: 'continuous monitoring of vital signs',
    clinicalResponse:
      'emergency assessment by team with critical-care competencies incl. advanced airway skills; consider transfer to level 2/3 care',
  },
} as const satisfies Record<string, News2Response>;
