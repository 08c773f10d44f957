import { isKnownUnit, METRICS, type MetricId, toCanonicalUnit } from '@healthit/core';

/**
 * Open mHealth units (the "common synonyms (non-UCUM)" column of the UCUM table the schemas cite)
 * → UCUM codes. Exact: `beats/min` is `{beats}/min` and `breaths/min` is `{breaths}/min` (UCUM
 * annotations, equal to `/min`), `C` is `Cel`, `F` is `[degF]`, `mmHg` is `mm[Hg]`, `lb` is
 * `[lb_av]`, `oz` is `[oz_av]`, `gr` is `[gr]`, `Ton` is the short ton `[ston_av]`, `Metric Ton`
 * is `t`; durations `sec` → `s`, `Mo` → `mo`, `yr` → `a`.
 */
export const OMH_UNIT_TO_UCUM = {
  'beats/min': '{beats}/min',
  'breaths/min': '{breaths}/min',
  mmHg: 'mm[Hg]',
  '%': '%',
  K: 'K',
  C: 'Cel',
  F: '[degF]',
  fg: 'fg',
  pg: 'pg',
  ng: 'ng',
  ug: 'ug',
  mg: 'mg',
  g: 'g',
  kg: 'kg',
  'Metric Ton': 't',
  gr: '[gr]',
  oz: '[oz_av]',
  lb: '[lb_av]',
  Ton: '[ston_av]',
  'mg/dL': 'mg/dL',
  'mmol/L': 'mmol/L',
  'L/min': 'L/min',
  ps: 'ps',
  ns: 'ns',
  us: 'us',
  ms: 'ms',
  sec: 's',
  min: 'min',
  h: 'h',
  d: 'd',
  wk: 'wk',
  Mo: 'mo',
  yr: 'a',
} as const;
/** An Open mHealth unit this SDK maps. */
export type OmhUnit = keyof typeof OMH_UNIT_TO_UCUM;

/**
 * Masses in kilograms of the UCUM mass units that core's converter does not know (it knows `g`,
 * `kg`, `[lb_av]`): exact by definition (1 grain = 64.79891 mg; 1 oz = 28.349523125 g;
 * 1 short ton = 2000 lb = 907.18474 kg).
 */
const EXTRA_MASS_KG: Readonly<Record<string, number>> = {
  fg: 1e-18,
  pg: 1e-15,
  ng: 1e-12,
  ug: 1e-9,
  mg: 1e-6,
  t: 1000,
  '[gr]': 64.79891e-6,
  '[oz_av]': 0.028349523125,
  '[ston_av]': 907.18474,
};

/**
 * Converts a value of `metric` in an Open mHealth unit to the metric's canonical UCUM unit.
 * @throws {HealthItError} `units/unsupported` when the unit cannot express the metric.
 */
export function omhValueToCanonical(metric: MetricId, value: number, omhUnit: OmhUnit): number {
  const ucum = OMH_UNIT_TO_UCUM[omhUnit];
  if (!isKnownUnit(ucum) && Object.hasOwn(EXTRA_MASS_KG, ucum) && METRICS[metric].unit === 'kg') {
    return value * EXTRA_MASS_KG[ucum]!;
  }
  return toCanonicalUnit(metric, value, ucum);
}

/** Milliseconds in each `duration-unit-value` unit; `Mo` and `yr` are UCUM's mean Julian month and year. */
export const DURATION_MS = {
  ps: 1e-9,
  ns: 1e-6,
  us: 1e-3,
  ms: 1,
  sec: 1000,
  min: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  wk: 604_800_000,
  Mo: 2_629_800_000,
  yr: 31_557_600_000,
} as const;
