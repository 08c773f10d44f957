import {
  DeviceId,
  METRICS,
  type MetricId,
  PatientId,
  type Reading,
  readingId,
  ValidationError,
  type ValidationIssue,
} from '@healthit/core';
import {
  type OmhHeader,
  type OmhMeasureBody,
  type OmhSchemaRef,
  validateOmhBody,
  validateOmhDataPoint,
} from './data-point.js';
import { parseOmhDateTime } from './date-time.js';
import { effectiveTimeMs } from './effective-time.js';
import { type OmhUnit, omhValueToCanonical } from './units.js';

/** The longest reading id core accepts. */
const MAX_READING_ID_LENGTH = 300;

/** Why a valid Open mHealth data point gave no readings. */
export const OMH_SKIP_REASONS = {
  /** The value is a descriptive statistic (average, maximum ...) over a period, not a measurement. */
  'descriptive-statistic': 'a descriptive statistic over a period, not a measurement',
  /** The time frame is a date and a part of the day: no instant to stamp a reading with. */
  'imprecise-time': 'the effective time frame is a date and a part of the day, not an instant',
  /** Neither an effective time frame nor an acquisition source creation time. */
  'no-effective-time': 'the data point says neither when it was measured nor when its source created it',
} as const;
/** A key of {@link OMH_SKIP_REASONS}. */
export type OmhSkipReason = keyof typeof OMH_SKIP_REASONS;

/** What {@link omhToReadings} made of one data point. */
export type OmhToReadingsResult =
  /** The readings: one per measure, two (systolic, diastolic) for blood pressure. */
  | {
      /** Discriminates the result. */
      readonly type: 'readings';
      /** The data point's schema as `omh:<name>:<version>`, e.g. `omh:heart-rate:2.0`. */
      readonly schema: string;
      /** The readings, in the metric's canonical UCUM unit, with seq from `context.seq` on. */
      readonly readings: Reading[];
    }
  /** A valid data point that is not a measurement (see {@link OMH_SKIP_REASONS}); no seq was used. */
  | {
      /** Discriminates the result. */
      readonly type: 'skipped';
      /** The data point's schema as `omh:<name>:<version>`, e.g. `omh:heart-rate:2.0`. */
      readonly schema: string;
      /** Why it gave no readings. */
      readonly reason: OmhSkipReason;
      /** The reason in words, for logs, e.g. `the average over a period`. */
      readonly message: string;
    };

/** What {@link omhToReadings} needs beyond the data point. */
export interface OmhReadingContext {
  /**
   * The sequence number of the first reading, a safe integer >= 0; a blood pressure's diastolic
   * reading gets `seq + 1`. The caller advances its counter by `readings.length`.
   */
  readonly seq: number;
  /** The device; default the header's `acquisition_provenance.source_name` (which must then be a valid device id). */
  readonly deviceId?: string;
  /** The patient; default the header's `user_id` (which must then be a valid patient id), else none. */
  readonly patientId?: string;
  /** The measure schema of a bare body (no header), e.g. `'omh:heart-rate:2.0'`; ignored for data points. */
  readonly schema?: OmhSchemaRef;
  /** Where the input came from, named in errors. */
  readonly source?: string;
}

/** One Open mHealth measure as a metric, value and unit, with the body path it came from. */
interface Measure {
  readonly metric: MetricId;
  readonly value: number;
  readonly unit: OmhUnit;
  readonly path: string;
}

function measuresOf(m: OmhMeasureBody): Measure[] {
  switch (m.name) {
    case 'heart-rate':
      return [{ metric: 'heart-rate', ...m.body.heart_rate, path: 'heart_rate' }];
    case 'blood-pressure':
      return [
        { metric: 'bp-systolic', ...m.body.systolic_blood_pressure, path: 'systolic_blood_pressure' },
        { metric: 'bp-diastolic', ...m.body.diastolic_blood_pressure, path: 'diastolic_blood_pressure' },
      ];
    case 'body-temperature':
      return [{ metric: 'body-temperature', ...m.body.body_temperature, path: 'body_temperature' }];
    case 'oxygen-saturation':
      return [{ metric: 'spo2', ...m.body.oxygen_saturation, path: 'oxygen_saturation' }];
    case 'respiratory-rate':
      return [{ metric: 'respiratory-rate', ...m.body.respiratory_rate, path: 'respiratory_rate' }];
    case 'body-weight':
      return [{ metric: 'body-weight', ...m.body.body_weight, path: 'body_weight' }];
    case 'blood-glucose':
      return [{ metric: 'glucose', ...m.body.blood_glucose, path: 'blood_glucose' }];
  }
}

/**
 * The id of a reading made from an Open mHealth data point with a header:
 * `${deviceId}:omh:${headerId}:${metric}`. The same data point always gives the same ids, whatever
 * `seq` it is imported with, so a store de-duplicates a data point delivered twice.
 */
export function omhReadingId(deviceId: string, headerId: string, metric: MetricId): string {
  return `${deviceId}:omh:${headerId}:${metric}`;
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

function checkContext(context: OmhReadingContext): void {
  if (typeof context !== 'object' || context === null) throw new TypeError('context must be an object');
  if (!Number.isSafeInteger(context.seq) || context.seq < 0) {
    throw new RangeError(`context.seq must be a safe integer >= 0, got ${context.seq}`);
  }
  if (context.deviceId !== undefined && !DeviceId.safeParse(context.deviceId).success) {
    throw new RangeError(`context.deviceId "${context.deviceId}" is not a valid device id`);
  }
  if (context.patientId !== undefined && !PatientId.safeParse(context.patientId).success) {
    throw new RangeError(`context.patientId "${context.patientId}" is not a valid patient id`);
  }
}

/**
 * Maps an Open mHealth data point (`{ header, body }`) or a bare body (with `context.schema`) of a
 * supported measure schema to core `Reading`s, after validating it against the schema's zod mirror.
 *
 * - Metrics: heart-rate → `heart-rate`; blood-pressure → `bp-systolic` (seq) and `bp-diastolic`
 *   (seq + 1); body-temperature → `body-temperature`; oxygen-saturation → `spo2`;
 *   respiratory-rate → `respiratory-rate`; body-weight → `body-weight`; blood-glucose → `glucose`.
 * - Values are converted from the OMH unit (mapped to UCUM exactly, see `OMH_UNIT_TO_UCUM`) to the
 *   metric's canonical UCUM unit. Plausibility is left to the gateway.
 * - Time: see `effectiveTimeMs` (a date-time, or the end of an interval); without an effective time
 *   frame, the header's `acquisition_provenance.source_creation_date_time`.
 * - Ids: `${deviceId}:omh:${header.id}:${metric}` with a header, `${deviceId}:${seq}` without.
 * - A descriptive statistic, a part-of-day time frame, or no time at all → `skipped`, no readings.
 * - Quality is not part of Open mHealth: the readings have none.
 *
 * @throws {UnsupportedVersionError} when the schema is not supported;
 * @throws {ValidationError} when the input does not match its schema, its time interval ends before
 *   it starts, a time is before 1970, a converted value is not finite, or the device (patient) taken
 *   from the header is not a valid id;
 * @throws {RangeError} when `context.seq`, `context.deviceId` or `context.patientId` is invalid.
 * @example
 * ```ts
 * const result = omhToReadings(dataPoint, { seq: nextSeq });
 * if (result.type === 'readings') nextSeq += result.readings.length;
 * else log.info(`skipped ${result.schema}: ${result.message}`);
 * ```
 */
export function omhToReadings(input: unknown, context: OmhReadingContext): OmhToReadingsResult {
  checkContext(context);
  const source = context.source;
  const isDataPoint = isObject(input) && 'header' in input && 'body' in input;
  if (!isDataPoint && context.schema === undefined) {
    throw new ValidationError(
      'OpenMHealthDataPoint',
      [
        {
          path: '',
          code: 'custom',
          message: 'is not a data point { header, body }; to map a bare body, give context.schema',
        },
      ],
      source === undefined ? {} : { source },
    );
  }
  let measure: OmhMeasureBody;
  let header: OmhHeader | undefined;
  if (isDataPoint) {
    const point = validateOmhDataPoint(input, source);
    measure = point;
    header = point.header;
  } else {
    measure = validateOmhBody(context.schema as OmhSchemaRef, input, source);
  }
  const schema = `omh:${measure.name}:${measure.version}`;
  const bodyPath = header === undefined ? '' : 'body.';
  const fail = (issues: ValidationIssue[]): never => {
    throw new ValidationError(schema, issues, source === undefined ? {} : { source });
  };

  const statistic = measure.body.descriptive_statistic;
  if (statistic !== undefined) {
    return {
      type: 'skipped',
      schema,
      reason: 'descriptive-statistic',
      message: `the ${statistic} over a period`,
    };
  }

  let ts: number;
  const frame = measure.body.effective_time_frame;
  const sourceCreated = header?.acquisition_provenance?.source_creation_date_time;
  if (frame !== undefined) {
    const time = effectiveTimeMs(frame, `${bodyPath}effective_time_frame`);
    if (typeof time !== 'number') {
      if (time.type === 'imprecise')
        return { type: 'skipped', schema, reason: 'imprecise-time', message: time.message };
      return fail([{ path: time.path, code: 'custom', message: time.message }]);
    }
    ts = time;
  } else if (sourceCreated !== undefined) {
    ts = parseOmhDateTime(sourceCreated)!;
  } else {
    return {
      type: 'skipped',
      schema,
      reason: 'no-effective-time',
      message: OMH_SKIP_REASONS['no-effective-time'],
    };
  }
  const timePath =
    frame === undefined
      ? 'header.acquisition_provenance.source_creation_date_time'
      : `${bodyPath}effective_time_frame`;
  if (!Number.isSafeInteger(ts) || ts < 0) {
    fail([
      {
        path: timePath,
        code: 'custom',
        message: 'is before 1970-01-01T00:00:00Z or too far in the future for a Reading',
      },
    ]);
  }

  const deviceId = context.deviceId ?? header?.acquisition_provenance?.source_name;
  if (deviceId === undefined) {
    fail([
      {
        path: 'header.acquisition_provenance.source_name',
        code: 'custom',
        message: 'no device: give context.deviceId',
      },
    ]);
  } else if (!DeviceId.safeParse(deviceId).success) {
    fail([
      {
        path: 'header.acquisition_provenance.source_name',
        code: 'custom',
        message: `"${deviceId}" is not a valid device id; give context.deviceId`,
      },
    ]);
  }
  const patientId = context.patientId ?? header?.user_id;
  if (patientId !== undefined && !PatientId.safeParse(patientId).success) {
    fail([
      {
        path: 'header.user_id',
        code: 'custom',
        message: `"${patientId}" is not a valid patient id; give context.patientId`,
      },
    ]);
  }

  const readings = measuresOf(measure).map((m, i): Reading => {
    const value = omhValueToCanonical(m.metric, m.value, m.unit);
    if (!Number.isFinite(value)) {
      fail([
        {
          path: `${bodyPath}${m.path}.value`,
          code: 'too_big',
          message: `${m.value} ${m.unit} is not finite in ${METRICS[m.metric].unit}`,
        },
      ]);
    }
    const seq = context.seq + i;
    const id =
      header === undefined ? readingId(deviceId!, seq) : omhReadingId(deviceId!, header.id, m.metric);
    if (id.length > MAX_READING_ID_LENGTH) {
      fail([
        {
          path: 'header.id',
          code: 'too_big',
          message: `makes a reading id of ${id.length} characters, more than ${MAX_READING_ID_LENGTH}`,
        },
      ]);
    }
    return {
      id,
      deviceId: deviceId as DeviceId,
      ...(patientId === undefined ? {} : { patientId: patientId as PatientId }),
      metric: m.metric,
      value,
      unit: METRICS[m.metric].unit,
      ts,
      seq,
    };
  });
  return { type: 'readings', schema, readings };
}
