import { z } from 'zod';
import { parseOmhDateTime } from './date-time.js';

/*
 * zod mirrors of the Open mHealth (openmhealth/schemas @36078a8) and IEEE 1752.1 building blocks
 * that the supported measure schemas reference. They follow JSON Schema semantics: properties not
 * listed are allowed (and dropped from the parsed value), listed ones are checked when present,
 * and `oneOf` means exactly one branch matches.
 */

/** `date-time-1.0`: an RFC 3339 date-time; without an offset it is UTC. */
export const OmhDateTime = z.string().refine((text) => parseOmhDateTime(text) !== undefined, {
  message: 'must be an RFC 3339 date-time, e.g. 2020-02-05T07:25:00-08:00',
});

/** `descriptive-statistic-1.2` (and IEEE 1752.1 `descriptive-statistic-1.0`, the same values). */
export const DescriptiveStatistic = z.enum([
  'average',
  'count',
  'maximum',
  'median',
  'minimum',
  'standard deviation',
  'sum',
  'variance',
  '20th percentile',
  '80th percentile',
  'lower quartile',
  'upper quartile',
  'quartile deviation',
  '1st quintile',
  '2nd quintile',
  '3rd quintile',
  '4th quintile',
]);
export type DescriptiveStatistic = z.infer<typeof DescriptiveStatistic>;

/** `temporal-relationship-to-physical-activity-1.0`. */
export const TemporalRelationshipToPhysicalActivity = z.enum([
  'at rest',
  'active',
  'before exercise',
  'after exercise',
  'during exercise',
]);

/** `temporal-relationship-to-sleep-1.0`. */
export const TemporalRelationshipToSleep = z.enum(['before sleeping', 'during sleep', 'on waking']);

/** `temporal-relationship-to-meal-1.2`. */
export const TemporalRelationshipToMeal = z.enum([
  'fasting',
  'not fasting',
  'before meal',
  'after meal',
  'before breakfast',
  'after breakfast',
  'before lunch',
  'after lunch',
  'before dinner',
  'after dinner',
  '2 hours postprandial',
  'with meal',
  'with food',
]);

/** `body-posture-1.0` (the IEEE 1752.1 `body-posture-1.0` that blood-pressure 4.0 uses is assumed equal). */
export const BodyPosture = z.enum(['sitting', 'lying down', 'standing', 'semi-recumbent']);

/** `body-location-1.1`. */
export const BodyLocation = z.enum([
  'left ankle',
  'right ankle',
  'left hip',
  'right hip',
  'left thigh',
  'right thigh',
  'left thorax',
  'middle left thorax',
  'left upper arm',
  'right upper arm',
  'left wrist',
  'right wrist',
]);

/** `specimen-source-2.1`. */
export const SpecimenSource = z.enum([
  'breath',
  'capillary blood',
  'interstitial fluid',
  'saliva',
  'sweat',
  'tears',
  'urine',
]);

/** `part-of-day-1.0`. */
export const PartOfDay = z.enum(['morning', 'afternoon', 'evening', 'night']);

/** The `measurement_location` values of body-temperature 3.0 / 4.0. */
export const TemperatureMeasurementLocation = z.enum([
  'axillary',
  'finger',
  'forehead',
  'oral',
  'rectal',
  'temporal artery',
  'toe',
  'tympanic',
  'wrist',
  'vagina',
]);

/** The units of `duration-unit-value-1.0`. */
export const DURATION_UNITS = ['ps', 'ns', 'us', 'ms', 'sec', 'min', 'h', 'd', 'wk', 'Mo', 'yr'] as const;
/** The units of `mass-unit-value-1.0`. */
export const MASS_UNITS = [
  'fg',
  'pg',
  'ng',
  'ug',
  'mg',
  'g',
  'kg',
  'Metric Ton',
  'gr',
  'oz',
  'lb',
  'Ton',
] as const;
/** The units of `temperature-unit-value-1.0` (and IEEE 1752.1 `temperature-unit-value-1.0`). */
export const TEMPERATURE_UNITS = ['K', 'F', 'C'] as const;

/**
 * `unit-value-1.0` (and IEEE 1752.1 `unit-value-1.0`) with the unit restricted to `units`, as the
 * measure schemas do with `allOf`. `value` is a JSON number; non-finite numbers (which JSON cannot
 * write but `JSON.parse('1e999')` makes) are rejected.
 */
export function unitValue<const U extends readonly [string, ...string[]]>(units: U) {
  return z.object({ value: z.number(), unit: z.enum(units) });
}

/** `duration-unit-value-1.0`. */
export const DurationUnitValue = unitValue(DURATION_UNITS);
export type DurationUnitValue = z.infer<typeof DurationUnitValue>;

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * JSON Schema `oneOf` over object branches: the value must be an object and exactly one branch
 * must accept it; the parsed value is that branch's output. When none matches, the issues of the
 * branches whose required properties are all present are reported (else the list of forms).
 */
function oneOf<const B extends readonly [z.ZodObject, ...z.ZodObject[]]>(what: string, branches: B) {
  return z.unknown().transform((input, ctx): z.output<B[number]> => {
    if (!isObject(input)) {
      const kind = input === null ? 'null' : Array.isArray(input) ? 'an array' : typeof input;
      const message =
        input === undefined ? `${what} is required` : `${what} must be a JSON object, got ${kind}`;
      ctx.issues.push({ code: 'custom', message, input });
      return z.NEVER;
    }
    const matched: z.output<B[number]>[] = [];
    const candidates: z.core.$ZodIssue[][] = [];
    for (const branch of branches) {
      // Every property of a branch is required: a branch missing one cannot match (and is not parsed).
      if (!Object.keys(branch.shape).every((key) => Object.hasOwn(input, key))) continue;
      const result = branch.safeParse(input);
      if (result.success) matched.push(result.data as z.output<B[number]>);
      else candidates.push(result.error.issues);
    }
    const forms = branches.map((b) => `{${Object.keys(b.shape).join(', ')}}`).join(' | ');
    if (matched.length === 1) return matched[0]!;
    if (matched.length > 1) {
      ctx.issues.push({
        code: 'custom',
        message: `${what} matches more than one of ${forms}; give exactly one`,
        input,
      });
      return z.NEVER;
    }
    if (candidates.length === 0) {
      ctx.issues.push({ code: 'custom', message: `${what} must be one of ${forms}`, input });
      return z.NEVER;
    }
    for (const issue of candidates.flat()) {
      ctx.issues.push({ code: 'custom', message: issue.message, path: issue.path as PropertyKey[], input });
    }
    return z.NEVER;
  });
}

const startAndDuration = z.object({ start_date_time: OmhDateTime, duration: DurationUnitValue });
const endAndDuration = z.object({ end_date_time: OmhDateTime, duration: DurationUnitValue });
const startAndEnd = z.object({ start_date_time: OmhDateTime, end_date_time: OmhDateTime });
const dateAndPartOfDay = z.object({
  date: z.string().regex(/^[0-9]{4}-[0-9]{2}-[0-9]{2}$/, 'must be a full-date YYYY-MM-DD'),
  part_of_day: PartOfDay,
});

/** `time-interval-1.0` of Open mHealth: start + duration, end + duration, start + end, or date + part of day. */
export const OmhTimeInterval = oneOf('time_interval', [
  startAndDuration,
  endAndDuration,
  startAndEnd,
  dateAndPartOfDay,
]);
/**
 * IEEE 1752.1 `time-interval-1.0` (used by the 4.0 measure schemas): start + duration, end +
 * duration or start + end; a date with a part of the day is no longer allowed.
 */
export const IeeeTimeInterval = oneOf('time_interval', [startAndDuration, endAndDuration, startAndEnd]);
/** A parsed time interval (the keys of the one form that matched). */
export type OmhTimeInterval = z.output<typeof OmhTimeInterval>;

/** `time-frame-1.0` of Open mHealth: a `date_time` or a `time_interval`. */
export const OmhTimeFrame = oneOf('effective_time_frame', [
  z.object({ date_time: OmhDateTime }),
  z.object({ time_interval: OmhTimeInterval }),
]);
/** IEEE 1752.1 `time-frame-1.0`: a `date_time` or an IEEE `time_interval`. */
export const IeeeTimeFrame = oneOf('effective_time_frame', [
  z.object({ date_time: OmhDateTime }),
  z.object({ time_interval: IeeeTimeInterval }),
]);
/** A parsed time frame. */
export type OmhTimeFrame = z.output<typeof OmhTimeFrame>;
