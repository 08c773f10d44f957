import { z } from 'zod';

/** A coding in LOINC (http://loinc.org). */
export interface LoincCoding {
  /** The LOINC code, e.g. `8867-4`. */
  readonly code: string;
  /** The LOINC display name, e.g. `Heart rate`. */
  readonly display: string;
}

/** What the SDK knows about one kind of measurement. */
export interface MetricDefinition {
  /** The metric's id in the catalogue, a {@link MetricId} such as `heart-rate`. */
  readonly id: string;
  /** Human-readable name. */
  readonly display: string;
  /**
   * LOINC codings, the primary (the one FHIR R4 vital-signs profiles require) first. Empty for
   * non-clinical metrics such as a cold-chain logger's temperature, which have no LOINC code.
   */
  readonly loinc: readonly LoincCoding[];
  /** The canonical UCUM unit: readings are normalised to it. */
  readonly unit: string;
  /** Physiological (or physical) plausibility range in the canonical unit, inclusive. */
  readonly plausible: { readonly min: number; readonly max: number };
  /** Molar mass in g/mol, for substance-concentration ↔ mass-concentration conversion. */
  readonly molarMassGPerMol?: number;
}

/**
 * The metric catalogue: `MetricId` → LOINC codes, canonical UCUM unit and plausibility range.
 *
 * LOINC codes and UCUM units follow the FHIR R4 vital-signs profiles (hl7.org/fhir/R4/observation-vitalsigns):
 * the oxygen-saturation profile fixes 2708-6 and the pulse-oximetry code 59408-5 is carried beside it.
 * Plausibility ranges bound what a living patient (or a cold-chain logger) can produce; values outside
 * are artefacts, not clinical states.
 */
export const METRICS = {
  'heart-rate': {
    id: 'heart-rate',
    display: 'Heart rate',
    loinc: [{ code: '8867-4', display: 'Heart rate' }],
    unit: '/min',
    plausible: { min: 20, max: 300 },
  },
  'pulse-rate': {
    id: 'pulse-rate',
    display: 'Pulse rate (pulse oximetry)',
    loinc: [{ code: '8889-8', display: 'Heart rate by Pulse oximetry' }],
    unit: '/min',
    plausible: { min: 20, max: 300 },
  },
  'respiratory-rate': {
    id: 'respiratory-rate',
    display: 'Respiratory rate',
    loinc: [{ code: '9279-1', display: 'Respiratory rate' }],
    unit: '/min',
    plausible: { min: 0, max: 100 },
  },
  spo2: {
    id: 'spo2',
    display: 'Oxygen saturation (SpO2)',
    loinc: [
      { code: '2708-6', display: 'Oxygen saturation in Arterial blood' },
      { code: '59408-5', display: 'Oxygen saturation in Arterial blood by Pulse oximetry' },
    ],
    unit: '%',
    plausible: { min: 50, max: 100 },
  },
  'body-temperature': {
    id: 'body-temperature',
    display: 'Body temperature',
    loinc: [{ code: '8310-5', display: 'Body temperature' }],
    unit: 'Cel',
    plausible: { min: 25, max: 45 },
  },
  'bp-systolic': {
    id: 'bp-systolic',
    display: 'Systolic blood pressure',
    loinc: [{ code: '8480-6', display: 'Systolic blood pressure' }],
    unit: 'mm[Hg]',
    plausible: { min: 40, max: 300 },
  },
  'bp-diastolic': {
    id: 'bp-diastolic',
    display: 'Diastolic blood pressure',
    loinc: [{ code: '8462-4', display: 'Diastolic blood pressure' }],
    unit: 'mm[Hg]',
    plausible: { min: 10, max: 200 },
  },
  'bp-mean': {
    id: 'bp-mean',
    display: 'Mean blood pressure',
    loinc: [{ code: '8478-0', display: 'Mean blood pressure' }],
    unit: 'mm[Hg]',
    plausible: { min: 20, max: 250 },
  },
  'body-weight': {
    id: 'body-weight',
    display: 'Body weight',
    loinc: [{ code: '29463-7', display: 'Body weight' }],
    unit: 'kg',
    plausible: { min: 0.2, max: 650 },
  },
  glucose: {
    id: 'glucose',
    display: 'Glucose in blood',
    loinc: [{ code: '2339-0', display: 'Glucose [Mass/volume] in Blood' }],
    unit: 'mg/dL',
    plausible: { min: 10, max: 2000 },
    molarMassGPerMol: 180.156,
  },
  'device-temperature': {
    id: 'device-temperature',
    display: 'Device (cold-chain) temperature',
    loinc: [],
    unit: 'Cel',
    plausible: { min: -200, max: 100 },
  },
} as const satisfies Record<string, MetricDefinition>;

/** The id of a metric in the {@link METRICS} catalogue. */
export type MetricId = keyof typeof METRICS;

/** Every metric id, in catalogue order. */
export const METRIC_IDS = Object.keys(METRICS) as [MetricId, ...MetricId[]];

/** zod schema of a {@link MetricId}. */
export const MetricId = z.enum(METRIC_IDS);

/** The blood pressure panel (LOINC 85354-9), whose components are systolic and diastolic. */
export const BLOOD_PRESSURE_PANEL = {
  loinc: { code: '85354-9', display: 'Blood pressure panel with all children optional' },
  components: ['bp-systolic', 'bp-diastolic'],
} as const;

/** The definition of a metric. */
export function metricDefinition(id: MetricId): MetricDefinition {
  return METRICS[id];
}

/** True when `value` (in the metric's canonical unit) lies in the metric's plausibility range. */
export function isPlausible(id: MetricId, value: number): boolean {
  const { min, max } = METRICS[id].plausible;
  return value >= min && value <= max;
}
