import { describe, expect, it } from 'vitest';
import { expectRejected } from '../../test/expect-invalid.js';
import { isKnownUnit } from '../units/ucum.js';
import { parse } from '../validate.js';
import {
  BLOOD_PRESSURE_PANEL,
  isPlausible,
  METRIC_IDS,
  METRICS,
  MetricId,
  metricDefinition,
} from './catalogue.js';

/** A LOINC code: digits, a dash and the mod-10 check digit. */
function loincCheckDigitOk(code: string): boolean {
  const match = /^(\d+)-(\d)$/.exec(code);
  if (match === null) return false;
  const digits = match[1] as string;
  // LOINC's Mod 10: double every other digit from the right, starting with the last one.
  let sum = 0;
  [...digits].reverse().forEach((d, i) => {
    const n = Number(d) * (i % 2 === 0 ? 2 : 1);
    sum += Math.floor(n / 10) + (n % 10);
  });
  return (10 - (sum % 10)) % 10 === Number(match[2]);
}

describe('the metric catalogue', () => {
  it('lists every metric once, keyed by its id, in METRIC_IDS', () => {
    expect(METRIC_IDS).toEqual(Object.keys(METRICS));
    for (const id of METRIC_IDS) expect(METRICS[id].id).toBe(id);
    expect(MetricId.options).toEqual(METRIC_IDS);
  });

  it('gives every metric a canonical unit the converter knows, and a non-empty plausibility range', () => {
    for (const id of METRIC_IDS) {
      const m = metricDefinition(id);
      expect(m).toBe(METRICS[id]);
      expect(isKnownUnit(m.unit)).toBe(true);
      expect(m.plausible.min).toBeLessThan(m.plausible.max);
      expect(m.display.length).toBeGreaterThan(0);
    }
  });

  it('uses well-formed LOINC codes with valid check digits', () => {
    const codes = [
      ...METRIC_IDS.flatMap((id) => METRICS[id].loinc.map((c) => c.code)),
      BLOOD_PRESSURE_PANEL.loinc.code,
    ];
    for (const code of codes) expect(loincCheckDigitOk(code), code).toBe(true);
    // The check itself rejects a wrong check digit.
    expect(loincCheckDigitOk('8867-5')).toBe(false);
  });

  it.each([
    ['heart-rate', ['8867-4'], '/min'],
    ['pulse-rate', ['8889-8'], '/min'],
    ['respiratory-rate', ['9279-1'], '/min'],
    ['spo2', ['2708-6', '59408-5'], '%'],
    ['body-temperature', ['8310-5'], 'Cel'],
    ['bp-systolic', ['8480-6'], 'mm[Hg]'],
    ['bp-diastolic', ['8462-4'], 'mm[Hg]'],
    ['bp-mean', ['8478-0'], 'mm[Hg]'],
    ['body-weight', ['29463-7'], 'kg'],
    ['glucose', ['2339-0'], 'mg/dL'],
    ['device-temperature', [], 'Cel'],
  ] as const)('%s has LOINC %j and canonical unit %s', (id, loinc, unit) => {
    expect(METRICS[id].loinc.map((c) => c.code)).toEqual(loinc);
    expect(METRICS[id].unit).toBe(unit);
  });

  it('carries the molar mass of glucose (C6H12O6, 180.156 g/mol) and of nothing else', () => {
    expect(METRICS.glucose.molarMassGPerMol).toBe(180.156);
    const withMolarMass = METRIC_IDS.filter((id) => 'molarMassGPerMol' in METRICS[id]);
    expect(withMolarMass).toEqual(['glucose']);
  });

  it('describes the blood pressure panel 85354-9 as systolic and diastolic', () => {
    expect(BLOOD_PRESSURE_PANEL.loinc.code).toBe('85354-9');
    expect(BLOOD_PRESSURE_PANEL.components).toEqual(['bp-systolic', 'bp-diastolic']);
  });

  it('MetricId accepts catalogue ids only', () => {
    for (const id of METRIC_IDS) expect(parse(MetricId, 'MetricId', id)).toBe(id);
    for (const bad of ['Heart-Rate', 'hr', '', 'toString']) expectRejected(MetricId, 'MetricId', bad, '');
  });
});

describe('isPlausible', () => {
  it('includes both ends of the range and excludes just outside', () => {
    for (const id of METRIC_IDS) {
      const { min, max } = METRICS[id].plausible;
      expect(isPlausible(id, min)).toBe(true);
      expect(isPlausible(id, max)).toBe(true);
      expect(isPlausible(id, (min + max) / 2)).toBe(true);
      expect(isPlausible(id, min - 1e-9)).toBe(false);
      expect(isPlausible(id, max + 1e-9)).toBe(false);
    }
  });

  it('rejects NaN and infinities', () => {
    for (const v of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) {
      expect(isPlausible('heart-rate', v)).toBe(false);
    }
  });

  it.each([
    ['heart-rate', 72, true],
    ['heart-rate', 0, false],
    ['spo2', 97, true],
    ['spo2', 101, false],
    ['body-temperature', 37, true],
    ['body-temperature', 98.6, false],
    ['device-temperature', -80, true],
    ['glucose', 99, true],
  ] as const)('%s %d is plausible: %s', (id, value, plausible) => {
    expect(isPlausible(id, value)).toBe(plausible);
  });
});
