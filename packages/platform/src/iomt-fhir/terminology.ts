import { BLOOD_PRESSURE_PANEL, METRIC_IDS, METRICS, type MetricId } from '@healthit/core';

/** LOINC code system URI. */
export const LOINC_SYSTEM = 'http://loinc.org';
/** UCUM code system URI. */
export const UCUM_SYSTEM = 'http://unitsofmeasure.org';
/** The system iomt-fhir uses for its own coding and for Observation identifiers. */
export const IOMT_SERVICE_SYSTEM = 'https://azure.microsoft.com/en-us/services/iomt-fhir-connector/';

/** A metric of the core catalogue, or the blood-pressure panel. */
export type Concept = MetricId | 'bp-panel';

const LOINC_TO_CONCEPT = new Map<string, Concept>([
  ...METRIC_IDS.flatMap((id) => METRICS[id].loinc.map((c): [string, Concept] => [c.code, id])),
  [BLOOD_PRESSURE_PANEL.loinc.code, 'bp-panel'],
]);

/** The catalogue concept a LOINC code stands for, if the catalogue knows it. */
export function conceptOfLoinc(code: string): Concept | undefined {
  return LOINC_TO_CONCEPT.get(code.trim());
}

/** The primary LOINC coding of a concept (the one the FHIR R4 vital-signs profile requires). */
export function primaryLoinc(
  concept: Concept,
): { readonly code: string; readonly display: string } | undefined {
  return concept === 'bp-panel' ? BLOOD_PRESSURE_PANEL.loinc : METRICS[concept].loinc[0];
}

const NAMES: readonly [RegExp, readonly Concept[]][] = [
  [/diastolic/, ['bp-diastolic']],
  [/systolic/, ['bp-systolic']],
  [/mean (arterial )?(blood )?pressure|\bmap\b/, ['bp-mean']],
  [/blood ?pressure|\bbp\b/, ['bp-panel']],
  [/variability|\bhrv\b/, []],
  [/pulse ?rate|\bpulse\b/, ['pulse-rate', 'heart-rate']],
  [/heart ?rate|\bhr\b|beats ?per ?minute/, ['heart-rate', 'pulse-rate']],
  [/respirat|breath/, ['respiratory-rate']],
  [/oxygen|spo2|\bo2 ?sat/, ['spo2']],
  [/glucose/, ['glucose']],
  [/weight/, ['body-weight']],
  [/body ?temp|temperature/, ['body-temperature']],
];

/**
 * The concepts a human-readable name (a coding display, a valueName, a typeName) refers to:
 * `Diastolic blood pressure` → `bp-diastolic`; `heartrate`, `beatsPerMinute` → heart rate; empty when
 * the name is recognised but has no catalogue concept (heart rate variability), undefined when unknown.
 */
export function conceptsNamedBy(name: string | undefined): readonly Concept[] | undefined {
  if (name === undefined) return undefined;
  const text = name.replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase();
  for (const [re, concepts] of NAMES) if (re.test(text)) return concepts;
  return undefined;
}

/**
 * Unit spellings that are not UCUM (or not what the FHIR R4 vital-signs profiles fix), with the UCUM
 * code to use instead. Keys are matched exactly, then case-insensitively.
 */
export const UCUM_CORRECTIONS: Readonly<Record<string, string>> = Object.freeze({
  mmHg: 'mm[Hg]',
  'mm Hg': 'mm[Hg]',
  'mm/Hg': 'mm[Hg]',
  'count/min': '/min',
  'counts/min': '/min',
  'beats/min': '/min',
  'beat/min': '/min',
  bpm: '/min',
  'breaths/min': '/min',
  'breath/min': '/min',
  'resp/min': '/min',
  degC: 'Cel',
  '°C': 'Cel',
  celsius: 'Cel',
  degF: '[degF]',
  '°F': '[degF]',
  fahrenheit: '[degF]',
  lb: '[lb_av]',
  lbs: '[lb_av]',
  kgs: 'kg',
  percent: '%',
  'mg/dl': 'mg/dL',
  'mmol/l': 'mmol/L',
});

const CORRECTIONS_LOWER = new Map(Object.entries(UCUM_CORRECTIONS).map(([k, v]) => [k.toLowerCase(), v]));

/** The UCUM code to use for a non-UCUM unit spelling, or undefined when `unit` needs no correction. */
export function ucumCorrection(unit: string | undefined): string | undefined {
  if (unit === undefined) return undefined;
  const u = unit.trim();
  if (Object.hasOwn(UCUM_CORRECTIONS, u)) return UCUM_CORRECTIONS[u];
  const fixed = CORRECTIONS_LOWER.get(u.toLowerCase());
  return fixed === u ? undefined : fixed;
}
