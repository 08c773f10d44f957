import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type HealthItError, isHealthItError } from '../errors/health-it-error.js';
import { METRIC_IDS, METRICS, type MetricId } from '../metrics/catalogue.js';
import {
  canConvert,
  convertUnit,
  isKnownUnit,
  isUnitForMetric,
  KNOWN_UNITS,
  toCanonicalUnit,
} from './ucum.js';

const GLUCOSE = { molarMassGPerMol: 180.156 } as const;
/** 1 mm[Hg] in Pa, by UCUM's definition (13.5951 g/cm3 × 9.80665 m/s2 × 1 mm). */
const PA_PER_MMHG = 133.322387415;
const KG_PER_LB = 0.45359237;

/** |actual − expected| within `rel` of the larger magnitude (and of 1e-300, so 0 compares to 0). */
function expectClose(actual: number, expected: number, rel = 1e-12): void {
  const scale = Math.max(Math.abs(actual), Math.abs(expected), 1e-300);
  expect(Math.abs(actual - expected), `${actual} ≈ ${expected}`).toBeLessThanOrEqual(rel * scale);
}

/** Runs `fn`, expecting a HealthItError `units/unsupported`, and returns it. */
function unsupported(fn: () => unknown): HealthItError {
  try {
    fn();
  } catch (e) {
    expect(isHealthItError(e, 'units/unsupported')).toBe(true);
    return e as HealthItError;
  }
  throw new Error('expected units/unsupported');
}

/** The dimension groups, as UCUM defines commensurability; glucose joins the two concentrations. */
const GROUPS = {
  rate: ['/min', '{beats}/min', '{breaths}/min', '/s', '/h'],
  fraction: ['%', '1'],
  temperature: ['Cel', '[degF]', 'K'],
  pressure: ['mm[Hg]', 'Pa', 'kPa'],
  mass: ['kg', 'g', '[lb_av]'],
  massConcentration: ['mg/dL', 'g/L', 'mg/L', 'kg/L'],
  substanceConcentration: ['mmol/L', 'mol/L'],
} as const;
const TEMPERATURE: readonly string[] = GROUPS.temperature;

describe('KNOWN_UNITS and isKnownUnit', () => {
  it('knows exactly the units of the dimension groups', () => {
    expect([...KNOWN_UNITS].sort()).toEqual(Object.values(GROUPS).flat().sort());
    for (const unit of KNOWN_UNITS) expect(isKnownUnit(unit)).toBe(true);
  });

  it.each(['', 'bpm', 'mmHg', 'degF', 'lb', 'mg/dl', 'CEL', 'toString', '__proto__', 'constructor'])(
    'does not know %j',
    (unit) => {
      expect(isKnownUnit(unit)).toBe(false);
    },
  );
});

describe('convertUnit: known values', () => {
  it.each([
    // Temperature: [degF] = 5/9 K, 32 [degF] = 0 Cel; Cel = K − 273.15.
    [98.6, '[degF]', 'Cel', 37],
    [212, '[degF]', 'Cel', 100],
    [32, '[degF]', 'Cel', 0],
    [-40, '[degF]', 'Cel', -40],
    [37, 'Cel', '[degF]', 98.6],
    [100, 'Cel', '[degF]', 212],
    [310.15, 'K', 'Cel', 37],
    [0, 'K', 'Cel', -273.15],
    [0, 'Cel', 'K', 273.15],
    [32, '[degF]', 'K', 273.15],
    [0, 'K', '[degF]', -459.67],
    // Pressure: 1 mm[Hg] = 133.322387415 Pa.
    [1, 'mm[Hg]', 'Pa', PA_PER_MMHG],
    [PA_PER_MMHG, 'Pa', 'mm[Hg]', 1],
    [1, 'kPa', 'mm[Hg]', 1000 / PA_PER_MMHG],
    [16, 'kPa', 'mm[Hg]', 120.00985213531062],
    [120, 'mm[Hg]', 'kPa', 15.9986864898],
    [13.3322387415, 'kPa', 'mm[Hg]', 100],
    [1500, 'Pa', 'kPa', 1.5],
    // Mass: 1 [lb_av] = 0.45359237 kg exactly.
    [185, '[lb_av]', 'kg', 83.91458845],
    [1, '[lb_av]', 'kg', KG_PER_LB],
    [1, 'kg', '[lb_av]', 1 / KG_PER_LB],
    [3500, 'g', 'kg', 3.5],
    [0.2, 'kg', 'g', 200],
    [453.59237, 'g', '[lb_av]', 1],
    // Mass concentration: 1 g/L = 100 mg/dL; 1 kg/L = 100 000 mg/dL.
    [0.00099, 'kg/L', 'mg/dL', 99],
    [0.99, 'g/L', 'mg/dL', 99],
    [990, 'mg/L', 'mg/dL', 99],
    [99, 'mg/dL', 'kg/L', 0.00099],
    [1, 'kg/L', 'g/L', 1000],
    // Substance concentration.
    [0.0055, 'mol/L', 'mmol/L', 5.5],
    [5.5, 'mmol/L', 'mol/L', 0.0055],
    // Rates.
    [1.2, '/s', '/min', 72],
    [72, '/min', '/s', 1.2],
    [60, '/h', '/min', 1],
    [1, '/s', '/h', 3600],
    [72, '{beats}/min', '/min', 72],
    [16, '/min', '{breaths}/min', 16],
    // Fractions: 1 = 100 %.
    [0.97, '1', '%', 97],
    [97, '%', '1', 0.97],
    [1, '1', '%', 100],
  ] as const)('%d %s = %d %s', (value, from, to, expected) => {
    expectClose(convertUnit(value, from, to), expected);
  });

  it('converts glucose between mass and substance concentration with its molar mass 180.156 g/mol', () => {
    // 1 mmol/L × 180.156 mg/mmol = 180.156 mg/L = 18.0156 mg/dL.
    expectClose(convertUnit(1, 'mmol/L', 'mg/dL', GLUCOSE), 18.0156);
    expectClose(convertUnit(5.5, 'mmol/L', 'mg/dL', GLUCOSE), 99.0858);
    expectClose(convertUnit(99.0858, 'mg/dL', 'mmol/L', GLUCOSE), 5.5);
    expectClose(convertUnit(6.3, 'mmol/L', 'mg/dL', GLUCOSE), 113.49828);
    expectClose(convertUnit(180.156, 'mg/dL', 'mmol/L', GLUCOSE), 10);
    // GATT glucose (0x2A18) reports kg/L or mol/L: 0.00099 kg/L = 99 mg/dL = 990 mg/L = 990/180.156 mmol/L.
    expectClose(convertUnit(0.00099, 'kg/L', 'mmol/L', GLUCOSE), 990 / 180.156);
    expectClose(convertUnit(0.0055, 'mol/L', 'mg/dL', GLUCOSE), 99.0858);
    expectClose(convertUnit(0.0055, 'mol/L', 'kg/L', GLUCOSE), 0.000990858);
    expectClose(convertUnit(0.0055, 'mol/L', 'g/L', GLUCOSE), 0.990858);
  });

  it('returns the value unchanged (bit for bit) when the units are the same', () => {
    for (const unit of KNOWN_UNITS) {
      for (const v of [0, -0, 98.6, -273.15, 1e-300, Number.MAX_VALUE])
        expect(convertUnit(v, unit, unit)).toBe(v);
    }
  });

  it('is exact for the integer temperatures clinicians read off a chart', () => {
    expect(convertUnit(98.6, '[degF]', 'Cel')).toBe(37);
    expect(convertUnit(212, '[degF]', 'Cel')).toBe(100);
    expect(convertUnit(32, '[degF]', 'Cel')).toBe(0);
  });
});

describe('convertUnit: properties', () => {
  const pairs = Object.values(GROUPS)
    .flatMap((group) => group.flatMap((a) => group.map((b) => [a, b] as const)))
    .concat(
      GROUPS.massConcentration.flatMap((a) =>
        GROUPS.substanceConcentration.flatMap((b) => [[a, b] as const, [b, a] as const]),
      ),
    );
  const value = fc.double({ min: -1e9, max: 1e9, noNaN: true });

  it('covers every convertible pair of known units', () => {
    const convertible = KNOWN_UNITS.flatMap((a) =>
      KNOWN_UNITS.filter((b) => canConvert(a, b, GLUCOSE)).map((b) => `${a}→${b}`),
    );
    expect(pairs.map(([a, b]) => `${a}→${b}`).sort()).toEqual(convertible.sort());
  });

  it('round-trips a → b → a to the identity within 1e-9 relative, for every convertible pair', () => {
    fc.assert(
      fc.property(fc.constantFrom(...pairs), value, ([a, b], v) => {
        const there = convertUnit(v, a, b, GLUCOSE);
        const back = convertUnit(there, b, a, GLUCOSE);
        // Temperatures have an offset: their error scales with the offset (≈ 460), not with v.
        const scale = Math.max(Math.abs(v), TEMPERATURE.includes(a) ? 500 : 0, 1e-300);
        expect(Math.abs(back - v)).toBeLessThanOrEqual(1e-9 * scale);
      }),
      { numRuns: 2000 },
    );
  });

  it('composes: a → b → c equals a → c', () => {
    const triples = Object.values(GROUPS).flatMap((g) =>
      g.flatMap((a) => g.flatMap((b) => g.map((c) => [a, b, c]))),
    );
    fc.assert(
      fc.property(fc.constantFrom(...triples), value, ([a, b, c], v) => {
        const direct = convertUnit(v, a as string, c as string);
        const viaB = convertUnit(convertUnit(v, a as string, b as string), b as string, c as string);
        const scale = Math.max(
          Math.abs(direct),
          Math.abs(v),
          TEMPERATURE.includes(a as string) ? 500 : 0,
          1e-300,
        );
        expect(Math.abs(viaB - direct)).toBeLessThanOrEqual(1e-9 * scale);
      }),
    );
  });

  it('is strictly increasing in the value (no unit flips the order of readings)', () => {
    fc.assert(
      fc.property(fc.constantFrom(...pairs), value, value, ([a, b], x, y) => {
        fc.pre(Math.abs(x - y) > 1e-3 * Math.max(1, Math.abs(x), Math.abs(y)));
        const [lo, hi] = x < y ? [x, y] : [y, x];
        expect(convertUnit(lo, a, b, GLUCOSE)).toBeLessThan(convertUnit(hi, a, b, GLUCOSE));
      }),
    );
  });
});

describe('convertUnit: unsupported conversions', () => {
  it.each([
    ['Cel', '/min'],
    ['%', 'mm[Hg]'],
    ['kg', 'mg/dL'],
    ['mmol/L', 'kg'],
    ['/s', '1'],
  ])('refuses %s → %s (different dimensions), naming both units', (from, to) => {
    const e = unsupported(() => convertUnit(1, from, to, GLUCOSE));
    expect(e.message).toMatch(
      new RegExp(`^Cannot convert ${escapeRegExp(from)} \\(\\w[\\w-]*\\) to ${escapeRegExp(to)} \\(`),
    );
    expect(e.retryable).toBe(false);
    expect(e.detail).toEqual({ from, to });
  });

  it('refuses mass ↔ substance concentration without a molar mass, saying one is required', () => {
    for (const [from, to] of [
      ['mmol/L', 'mg/dL'],
      ['kg/L', 'mol/L'],
    ]) {
      const e = unsupported(() => convertUnit(5.5, from as string, to as string));
      expect(e.message).toContain(`Cannot convert ${from} (`);
      expect(e.message).toContain(` to ${to} (`);
      expect(e.message).toContain('a molar mass is required');
    }
  });

  it.each([
    ['bpm', '/min'],
    ['/min', 'bpm'],
    ['mmHg', 'mm[Hg]'],
    ['degF', 'Cel'],
    ['foo', 'foo'],
    ['toString', 'valueOf'],
    ['__proto__', 'kg'],
  ])('refuses the unknown unit in %s → %s, naming both units and listing the known ones', (from, to) => {
    const e = unsupported(() => convertUnit(1, from, to));
    expect(e.message).toContain(`Cannot convert ${from} to ${to}: unknown UCUM unit`);
    expect(e.message).toContain('mm[Hg]');
    expect(e.detail).toMatchObject({ from, to });
  });

  it.each([0, -180.156, Number.NaN, Number.POSITIVE_INFINITY])(
    'refuses a molar mass of %d with a RangeError',
    (molarMassGPerMol) => {
      expect(() => convertUnit(5.5, 'mmol/L', 'mg/dL', { molarMassGPerMol })).toThrow(RangeError);
      // A molar mass that is not needed is not checked.
      expect(convertUnit(5.5, 'mmol/L', 'mol/L', { molarMassGPerMol })).toBeCloseTo(0.0055, 15);
    },
  );
});

describe('canConvert', () => {
  it('agrees with convertUnit for every pair of known units', () => {
    for (const a of KNOWN_UNITS) {
      for (const b of KNOWN_UNITS) {
        for (const options of [{}, GLUCOSE]) {
          let converts = true;
          try {
            convertUnit(1, a, b, options);
          } catch {
            converts = false;
          }
          expect(canConvert(a, b, options), `${a}→${b}`).toBe(converts);
        }
      }
    }
  });

  it('needs a molar mass for mass ↔ substance concentration only', () => {
    expect(canConvert('mmol/L', 'mg/dL')).toBe(false);
    expect(canConvert('mmol/L', 'mg/dL', GLUCOSE)).toBe(true);
    expect(canConvert('mg/dL', 'g/L')).toBe(true);
    expect(canConvert('Cel', 'kg', GLUCOSE)).toBe(false);
  });

  it('is false for unknown units, even to themselves', () => {
    expect(canConvert('bpm', 'bpm')).toBe(false);
    expect(canConvert('toString', 'valueOf')).toBe(false);
    expect(canConvert('/min', 'constructor')).toBe(false);
  });
});

describe('isUnitForMetric', () => {
  const accepted: Record<MetricId, readonly string[]> = {
    'heart-rate': GROUPS.rate,
    'pulse-rate': GROUPS.rate,
    'respiratory-rate': GROUPS.rate,
    spo2: GROUPS.fraction,
    'body-temperature': GROUPS.temperature,
    'device-temperature': GROUPS.temperature,
    'bp-systolic': GROUPS.pressure,
    'bp-diastolic': GROUPS.pressure,
    'bp-mean': GROUPS.pressure,
    'body-weight': GROUPS.mass,
    glucose: [...GROUPS.massConcentration, ...GROUPS.substanceConcentration],
  };

  it.each(METRIC_IDS)('accepts exactly the units that can express %s', (metric) => {
    expect(KNOWN_UNITS.filter((u) => isUnitForMetric(metric, u)).sort()).toEqual(
      [...accepted[metric]].sort(),
    );
  });

  it('rejects unknown units', () => {
    for (const metric of METRIC_IDS) {
      for (const unit of ['', 'bpm', 'mmHg', 'toString']) expect(isUnitForMetric(metric, unit)).toBe(false);
    }
  });
});

describe('toCanonicalUnit', () => {
  it.each([
    ['body-temperature', 98.6, '[degF]', 37],
    ['body-temperature', 310.15, 'K', 37],
    ['device-temperature', 39.2, '[degF]', 4],
    ['glucose', 5.5, 'mmol/L', 99.0858],
    ['glucose', 0.00099, 'kg/L', 99],
    ['glucose', 0.0055, 'mol/L', 99.0858],
    ['body-weight', 185, '[lb_av]', 83.91458845],
    ['bp-systolic', 16, 'kPa', 120.00985213531062],
    ['spo2', 0.97, '1', 97],
    ['heart-rate', 1.2, '/s', 72],
    ['respiratory-rate', 16, '{breaths}/min', 16],
  ] as const)('converts %s %d %s to %d in its canonical unit', (metric, value, unit, expected) => {
    expectClose(toCanonicalUnit(metric, value, unit), expected);
  });

  it('leaves a value in the canonical unit unchanged', () => {
    for (const metric of METRIC_IDS) expect(toCanonicalUnit(metric, 42.5, METRICS[metric].unit)).toBe(42.5);
  });

  it('refuses a unit that cannot express the metric', () => {
    expect(unsupported(() => toCanonicalUnit('heart-rate', 37, 'Cel')).message).toContain(
      'Cannot convert Cel',
    );
    expect(unsupported(() => toCanonicalUnit('spo2', 97, 'percent')).message).toContain('"percent"');
  });
});

/** Escapes a string for use inside a RegExp. */
function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}
