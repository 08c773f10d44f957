import { HealthItError } from '../errors/health-it-error.js';
import { METRICS, type MetricId } from '../metrics/catalogue.js';

/**
 * The physical dimensions the SDK converts within. Each unit maps linearly to its dimension's base
 * unit: `base = value * factor + offset`.
 */
type Dimension =
  | 'rate'
  | 'fraction'
  | 'temperature'
  | 'pressure'
  | 'mass'
  | 'mass-concentration'
  | 'substance-concentration';

interface UnitDef {
  readonly dimension: Dimension;
  readonly factor: number;
  readonly offset?: number;
}

/** 1 mm[Hg] in pascal, as UCUM defines it (13.5951 g/cm3 × 9.80665 m/s2 × 1 mm). */
const PA_PER_MMHG = 133.322387415;

/**
 * UCUM units devices really send, with their conversion to the base unit of their dimension.
 * Bases: `/min`, `%`, `Cel`, `mm[Hg]`, `kg`, `mg/dL`, `mmol/L`.
 * Annotations (`{beats}/min`) are equal to the unit without them, as UCUM defines.
 */
const UNITS: Readonly<Record<string, UnitDef>> = {
  '/min': { dimension: 'rate', factor: 1 },
  '{beats}/min': { dimension: 'rate', factor: 1 },
  '{breaths}/min': { dimension: 'rate', factor: 1 },
  '/s': { dimension: 'rate', factor: 60 },
  '/h': { dimension: 'rate', factor: 1 / 60 },
  '%': { dimension: 'fraction', factor: 1 },
  '1': { dimension: 'fraction', factor: 100 },
  Cel: { dimension: 'temperature', factor: 1 },
  '[degF]': { dimension: 'temperature', factor: 5 / 9, offset: -32 * (5 / 9) },
  K: { dimension: 'temperature', factor: 1, offset: -273.15 },
  'mm[Hg]': { dimension: 'pressure', factor: 1 },
  Pa: { dimension: 'pressure', factor: 1 / PA_PER_MMHG },
  kPa: { dimension: 'pressure', factor: 1000 / PA_PER_MMHG },
  kg: { dimension: 'mass', factor: 1 },
  g: { dimension: 'mass', factor: 1e-3 },
  '[lb_av]': { dimension: 'mass', factor: 0.45359237 },
  'mg/dL': { dimension: 'mass-concentration', factor: 1 },
  'g/L': { dimension: 'mass-concentration', factor: 100 },
  'mg/L': { dimension: 'mass-concentration', factor: 0.1 },
  'kg/L': { dimension: 'mass-concentration', factor: 1e5 },
  'mmol/L': { dimension: 'substance-concentration', factor: 1 },
  'mol/L': { dimension: 'substance-concentration', factor: 1e3 },
};

/** Every UCUM unit code the converter knows. */
export const KNOWN_UNITS: readonly string[] = Object.keys(UNITS);

/** Options for {@link convertUnit}. */
export interface ConvertOptions {
  /** Molar mass in g/mol: needed to convert between mass and substance concentration. */
  readonly molarMassGPerMol?: number;
}

/** The definition of `unit`, or undefined; own keys only, so `toString` or `__proto__` are not units. */
function lookup(unit: string): UnitDef | undefined {
  return Object.hasOwn(UNITS, unit) ? UNITS[unit] : undefined;
}

function unitDef(unit: string, from: string, to: string): UnitDef {
  const def = lookup(unit);
  if (def === undefined) {
    throw new HealthItError(
      'units/unsupported',
      `Cannot convert ${from} to ${to}: unknown UCUM unit "${unit}"; known units: ${KNOWN_UNITS.join(', ')}`,
      { detail: { from, to, unit } },
    );
  }
  return def;
}

/** True when `unit` is a UCUM code the converter knows. */
export function isKnownUnit(unit: string): boolean {
  return Object.hasOwn(UNITS, unit);
}

/** True when a value in `from` can be converted to `to` (with a molar mass for mass↔substance). */
export function canConvert(from: string, to: string, options: ConvertOptions = {}): boolean {
  const a = lookup(from);
  const b = lookup(to);
  if (a === undefined || b === undefined) return false;
  if (a.dimension === b.dimension) return true;
  return options.molarMassGPerMol !== undefined && isConcentrationPair(a.dimension, b.dimension);
}

function isConcentrationPair(a: Dimension, b: Dimension): boolean {
  return (
    (a === 'mass-concentration' && b === 'substance-concentration') ||
    (a === 'substance-concentration' && b === 'mass-concentration')
  );
}

/**
 * Converts `value` from UCUM unit `from` to UCUM unit `to`.
 *
 * @throws {HealthItError} `units/unsupported` when a unit is unknown or the dimensions differ
 *   (mass ↔ substance concentration needs `molarMassGPerMol`).
 * @throws {RangeError} when a needed `molarMassGPerMol` is not a positive finite number.
 * @example
 * ```ts
 * convertUnit(98.6, '[degF]', 'Cel'); // 37
 * convertUnit(5.5, 'mmol/L', 'mg/dL', { molarMassGPerMol: 180.156 }); // 99.0858
 * ```
 */
export function convertUnit(value: number, from: string, to: string, options: ConvertOptions = {}): number {
  const a = unitDef(from, from, to);
  const b = unitDef(to, from, to);
  if (from === to) return value;
  let base = value * a.factor + (a.offset ?? 0);
  if (a.dimension !== b.dimension) {
    const molarMass = options.molarMassGPerMol;
    if (molarMass === undefined || !isConcentrationPair(a.dimension, b.dimension)) {
      throw new HealthItError(
        'units/unsupported',
        `Cannot convert ${from} (${a.dimension}) to ${to} (${b.dimension})` +
          (isConcentrationPair(a.dimension, b.dimension) ? ': a molar mass is required' : ''),
        { detail: { from, to } },
      );
    }
    if (!(molarMass > 0 && Number.isFinite(molarMass))) {
      throw new RangeError(`molarMassGPerMol must be a positive finite number (g/mol), got ${molarMass}`);
    }
    // 1 mmol/L = molarMass mg/L = molarMass / 10 mg/dL.
    base = a.dimension === 'substance-concentration' ? (base * molarMass) / 10 : (base * 10) / molarMass;
  }
  return (base - (b.offset ?? 0)) / b.factor;
}

/**
 * Converts a value of `metric` given in `unit` to the metric's canonical unit.
 *
 * @throws {HealthItError} `units/unsupported` when the unit cannot express the metric.
 */
export function toCanonicalUnit(metric: MetricId, value: number, unit: string): number {
  const def = METRICS[metric];
  if (unit === def.unit) return value; // every canonical unit is in the table (a test checks)
  const molar = 'molarMassGPerMol' in def ? { molarMassGPerMol: def.molarMassGPerMol } : {};
  return convertUnit(value, unit, def.unit, molar);
}

/** True when `unit` can express `metric` (it converts to the metric's canonical unit). */
export function isUnitForMetric(metric: MetricId, unit: string): boolean {
  const def = METRICS[metric];
  const molar = 'molarMassGPerMol' in def ? { molarMassGPerMol: def.molarMassGPerMol } : {};
  return canConvert(unit, def.unit, molar);
}
