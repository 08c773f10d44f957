import { METRICS, type MetricId, parse, Reading, toCanonicalUnit } from '@healthit/core';
import type { OmhDataPointJson, OmhHeader } from './data-point.js';
import { formatOmhDateTime, MAX_OMH_EPOCH_MS } from './date-time.js';
import { OMH_WRITE_VERSIONS, type OmhMeasureName } from './measure-schemas.js';
import type { OmhUnit } from './units.js';

/** How a single-valued metric is written in Open mHealth: schema, body field and unit per UCUM unit. */
interface SingleMapping {
  readonly name: Exclude<OmhMeasureName, 'blood-pressure'>;
  readonly field: string;
  /** Reading units written as they are; any other unit is converted to the canonical one first. */
  readonly units: Readonly<Record<string, OmhUnit>>;
  /** Fixed body fields that hold for every reading of the metric. */
  readonly extra?: Readonly<Record<string, string>>;
}

const SINGLE: Partial<Record<MetricId, SingleMapping>> = {
  'heart-rate': {
    name: 'heart-rate',
    field: 'heart_rate',
    units: { '/min': 'beats/min', '{beats}/min': 'beats/min' },
  },
  'respiratory-rate': {
    name: 'respiratory-rate',
    field: 'respiratory_rate',
    units: { '/min': 'breaths/min', '{breaths}/min': 'breaths/min' },
  },
  spo2: {
    name: 'oxygen-saturation',
    field: 'oxygen_saturation',
    units: { '%': '%' },
    // The core `spo2` metric is SpO2: peripheral saturation by pulse oximetry.
    extra: { system: 'peripheral capillary', measurement_method: 'pulse oximetry' },
  },
  'body-temperature': {
    name: 'body-temperature',
    field: 'body_temperature',
    units: { Cel: 'C', '[degF]': 'F', K: 'K' },
  },
  'body-weight': { name: 'body-weight', field: 'body_weight', units: { kg: 'kg', g: 'g', '[lb_av]': 'lb' } },
  glucose: { name: 'blood-glucose', field: 'blood_glucose', units: { 'mg/dL': 'mg/dL', 'mmol/L': 'mmol/L' } },
};

/** Why a reading was not written as Open mHealth. */
export const OMH_UNMAPPED_REASONS = {
  /** The metric has no Open mHealth measure schema here (pulse-rate, bp-mean, device-temperature). */
  'no-omh-schema': 'the metric has no supported Open mHealth schema',
  /** A systolic without its diastolic (same device, patient and ts), or the reverse: OMH needs both. */
  'unpaired-blood-pressure':
    'blood pressure needs a systolic and a diastolic reading with the same device, patient and ts',
  /** The reading's quality is `bad` (an artefact); Open mHealth cannot say so. See `includeBadQuality`. */
  'bad-quality': 'the reading is of bad quality and Open mHealth has no way to say so',
  /** The time is after 9999-12-31 or the converted value is not finite. */
  'not-representable': 'the time or the converted value cannot be written in Open mHealth',
} as const;
/** A key of {@link OMH_UNMAPPED_REASONS}. */
export type OmhUnmappedReason = keyof typeof OMH_UNMAPPED_REASONS;

/** Options of {@link readingsToOmh}. */
export interface ReadingsToOmhOptions {
  /** `header.creation_date_time` of every data point, epoch ms; default each measurement's time. */
  readonly createdAt?: number;
  /** `acquisition_provenance.modality`; default `sensed`. */
  readonly modality?: 'sensed' | 'self-reported';
  /** Write readings of `bad` quality too (they are then indistinguishable from good ones). Default false. */
  readonly includeBadQuality?: boolean;
}

/** One written data point and the readings it holds. */
export interface OmhExport {
  /** `omh:<name>:<version>`, e.g. `omh:blood-pressure:4.0`. */
  readonly schema: string;
  /** The readings in the data point: one, or systolic then diastolic. */
  readonly readings: readonly Reading[];
  /** The data point as JSON, ready to serialise: header (id, times, schema id, provenance, user) and body. */
  readonly dataPoint: OmhDataPointJson;
}

/** What {@link readingsToOmh} wrote, and what it could not. */
export interface ReadingsToOmhResult {
  /** The data points written, one per reading (one per systolic–diastolic pair for blood pressure). */
  readonly exported: OmhExport[];
  /** Each reading that was not written, with why (see {@link OMH_UNMAPPED_REASONS}). */
  readonly unmapped: { readonly reading: Reading; readonly reason: OmhUnmappedReason }[];
}

function omhValue(
  reading: Reading,
  units: Readonly<Record<string, OmhUnit>>,
): { value: number; unit: OmhUnit } | undefined {
  const written = Object.hasOwn(units, reading.unit);
  const value = written ? reading.value : toCanonicalUnit(reading.metric, reading.value, reading.unit);
  const unit = units[written ? reading.unit : METRICS[reading.metric].unit]!;
  return Number.isFinite(value) ? { value, unit } : undefined;
}

/**
 * Writes readings as Open mHealth data points of the latest schema versions (heart-rate 2.0,
 * blood-pressure 4.0, body-temperature 4.0, oxygen-saturation 2.0, respiratory-rate 2.0,
 * body-weight 3.0, blood-glucose 4.0). A `bp-systolic` and a `bp-diastolic` reading with the same
 * device, patient and ts make one blood-pressure data point.
 *
 * Header: `id` is the (first) reading's id, so writing the same readings twice gives the same data
 * points; `schema_id`; `creation_date_time` (`createdAt`, else the measurement time);
 * `acquisition_provenance` = `{ source_name: deviceId, source_creation_date_time: measurement
 * time, modality }`; `user_id` = the patient id, when there is one. Body: the value in the reading's
 * unit when Open mHealth has it (`Cel` → `C`, `[lb_av]` → `lb`, `mmol/L` ...), else converted to
 * the metric's canonical unit; `effective_time_frame.date_time` in UTC. Quality is lost.
 *
 * @throws {ValidationError} when a reading is not a valid core `Reading`.
 * @throws {RangeError} when `createdAt` is not an epoch ms from 0 to year 9999.
 * @example
 * ```ts
 * const { exported, unmapped } = readingsToOmh(readings);
 * await fetch(omhEndpoint, { method: 'POST', body: JSON.stringify(exported.map((e) => e.dataPoint)) });
 * ```
 */
export function readingsToOmh(
  readings: readonly Reading[],
  options: ReadingsToOmhOptions = {},
): ReadingsToOmhResult {
  const created = options.createdAt === undefined ? undefined : formatOmhDateTime(options.createdAt);
  const modality = options.modality ?? 'sensed';
  const pieces: { index: number; export: OmhExport }[] = [];
  const unmapped: { index: number; reading: Reading; reason: OmhUnmappedReason }[] = [];
  const pending = new Map<string, { systolic: [number, Reading][]; diastolic: [number, Reading][] }>();

  const header = (first: Reading, name: OmhMeasureName): OmhHeader => {
    const measured = formatOmhDateTime(first.ts);
    return {
      id: first.id,
      creation_date_time: created ?? measured,
      schema_id: { namespace: 'omh', name, version: OMH_WRITE_VERSIONS[name] },
      acquisition_provenance: { source_name: first.deviceId, source_creation_date_time: measured, modality },
      ...(first.patientId === undefined ? {} : { user_id: first.patientId }),
    };
  };

  readings.forEach((input, index) => {
    const reading = parse(Reading, 'Reading', input, `readings[${index}]`);
    if (reading.quality === 'bad' && options.includeBadQuality !== true) {
      unmapped.push({ index, reading, reason: 'bad-quality' });
      return;
    }
    if (reading.ts > MAX_OMH_EPOCH_MS) {
      unmapped.push({ index, reading, reason: 'not-representable' });
      return;
    }
    if (reading.metric === 'bp-systolic' || reading.metric === 'bp-diastolic') {
      const key = `${reading.deviceId}\u0000${reading.patientId ?? ''}\u0000${reading.ts}`;
      let slot = pending.get(key);
      if (slot === undefined) {
        slot = { systolic: [], diastolic: [] };
        pending.set(key, slot);
      }
      (reading.metric === 'bp-systolic' ? slot.systolic : slot.diastolic).push([index, reading]);
      return;
    }
    const mapping = SINGLE[reading.metric];
    if (mapping === undefined) {
      unmapped.push({ index, reading, reason: 'no-omh-schema' });
      return;
    }
    const value = omhValue(reading, mapping.units);
    if (value === undefined) {
      unmapped.push({ index, reading, reason: 'not-representable' });
      return;
    }
    pieces.push({
      index,
      export: {
        schema: `omh:${mapping.name}:${OMH_WRITE_VERSIONS[mapping.name]}`,
        readings: [reading],
        dataPoint: {
          header: header(reading, mapping.name),
          body: {
            [mapping.field]: value,
            effective_time_frame: { date_time: formatOmhDateTime(reading.ts) },
            ...mapping.extra,
          },
        },
      },
    });
  });

  const mmHg = { 'mm[Hg]': 'mmHg' } as const;
  for (const { systolic, diastolic } of pending.values()) {
    const pairs = Math.min(systolic.length, diastolic.length);
    for (let i = 0; i < pairs; i++) {
      const [si, sys] = systolic[i]!;
      const [di, dia] = diastolic[i]!;
      const sysValue = omhValue(sys, mmHg);
      const diaValue = omhValue(dia, mmHg);
      if (sysValue === undefined || diaValue === undefined) {
        unmapped.push({ index: si, reading: sys, reason: 'not-representable' });
        unmapped.push({ index: di, reading: dia, reason: 'not-representable' });
        continue;
      }
      pieces.push({
        index: Math.min(si, di),
        export: {
          schema: `omh:blood-pressure:${OMH_WRITE_VERSIONS['blood-pressure']}`,
          readings: [sys, dia],
          dataPoint: {
            header: header(sys, 'blood-pressure'),
            body: {
              systolic_blood_pressure: sysValue,
              diastolic_blood_pressure: diaValue,
              effective_time_frame: { date_time: formatOmhDateTime(sys.ts) },
            },
          },
        },
      });
    }
    for (const [index, reading] of [...systolic.slice(pairs), ...diastolic.slice(pairs)]) {
      unmapped.push({ index, reading, reason: 'unpaired-blood-pressure' });
    }
  }

  pieces.sort((a, b) => a.index - b.index);
  unmapped.sort((a, b) => a.index - b.index);
  return {
    exported: pieces.map((p) => p.export),
    unmapped: unmapped.map(({ reading, reason }) => ({ reading, reason })),
  };
}
