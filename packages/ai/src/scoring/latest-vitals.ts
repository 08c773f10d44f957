import {
  HealthItError,
  isHealthItError,
  type PatientId,
  type Reading,
  toCanonicalUnit,
} from '@healthit/core';
import { isVitalsFeature, VITALS_FEATURES, type VitalsFeature } from '../features/vitals.js';
import type { ScoreEventError } from './events.js';

/** One patient's complete feature row, ready to be scored. */
export interface VitalsRow {
  readonly patientId: PatientId;
  /** Canonical values in `VITALS_FEATURES` order. */
  readonly values: readonly number[];
  /** Reading ids in `VITALS_FEATURES` order. */
  readonly readingIds: readonly string[];
  /** The newest measurement time among the values. */
  readonly ts: number;
}

/** What one reading produced: a row to score, an error, or nothing. */
export type VitalsUpdate = { readonly type: 'row'; readonly row: VitalsRow } | ScoreEventError;

/** Bounds of a {@link LatestVitals}. */
export interface LatestVitalsOptions {
  /** Patients tracked at most; past it the least recently updated patient is evicted. */
  readonly maxPatients: number;
  /** A row is complete only when its oldest and newest values are at most this far apart. */
  readonly maxFeatureAgeMs: number;
}

/** The latest value of each vitals feature per patient, bounded. */
export interface LatestVitals {
  /** Takes a reading; returns what it produced (usually zero or one item). */
  update(reading: Reading): VitalsUpdate[];
  /** Patients currently tracked. */
  readonly size: number;
}

interface FeatureValue {
  readonly value: number;
  readonly ts: number;
  readonly readingId: string;
}

function unusable(reading: Reading, error: HealthItError): ScoreEventError {
  return {
    type: 'error',
    error,
    patientIds: reading.patientId === undefined ? [] : [reading.patientId],
    readingIds: [reading.id],
  };
}

/**
 * Keeps the latest value of each {@link VITALS_FEATURES} metric per patient and yields a complete
 * row whenever a reading leaves its patient with all five.
 *
 * - Ignored: readings without `patientId`, of other metrics, of `quality: 'bad'`, older (by `ts`)
 *   than the value already held for that feature, and re-deliveries of the reading already held.
 * - Values are converted to canonical units; a value that cannot be is reported as an error.
 * - Bounded: at most `maxPatients` patients; when one more arrives, the least recently updated
 *   patient is evicted and a `buffer/overflow` error names it.
 */
export function createLatestVitals(options: LatestVitalsOptions): LatestVitals {
  const { maxPatients, maxFeatureAgeMs } = options;
  // Map order is update order: the first key is the least recently updated patient.
  const patients = new Map<PatientId, Map<VitalsFeature, FeatureValue>>();

  function completeRow(
    patientId: PatientId,
    features: Map<VitalsFeature, FeatureValue>,
  ): VitalsRow | undefined {
    const held = VITALS_FEATURES.map((f) => features.get(f));
    if (!held.every((v): v is FeatureValue => v !== undefined)) return undefined;
    const times = held.map((v) => v.ts);
    const newest = Math.max(...times);
    if (newest - Math.min(...times) > maxFeatureAgeMs) return undefined;
    return {
      patientId,
      values: held.map((v) => v.value),
      readingIds: held.map((v) => v.readingId),
      ts: newest,
    };
  }

  return {
    get size() {
      return patients.size;
    },
    update(reading: Reading): VitalsUpdate[] {
      const { patientId, metric } = reading;
      if (patientId === undefined || !isVitalsFeature(metric) || reading.quality === 'bad') return [];
      let value: number;
      try {
        value = toCanonicalUnit(metric, reading.value, reading.unit);
      } catch (e) {
        const error = isHealthItError(e)
          ? e
          : new HealthItError('units/unsupported', `Reading ${reading.id}: ${String(e)}`, { cause: e });
        return [unusable(reading, error)];
      }
      if (!Number.isFinite(value)) {
        return [
          unusable(
            reading,
            new HealthItError(
              'validation/invalid',
              `Reading ${reading.id}: ${metric} value ${reading.value} ${reading.unit} is not a finite number; ` +
                'validate readings with the core Reading schema before scoring',
              { detail: { readingId: reading.id, metric, value: String(reading.value) } },
            ),
          ),
        ];
      }
      const features = patients.get(patientId) ?? new Map<VitalsFeature, FeatureValue>();
      const previous = features.get(metric);
      if (previous !== undefined && (previous.ts > reading.ts || previous.readingId === reading.id))
        return [];
      features.set(metric, { value, ts: reading.ts, readingId: reading.id });
      patients.delete(patientId);
      patients.set(patientId, features);

      const out: VitalsUpdate[] = [];
      if (patients.size > maxPatients) {
        const [evicted] = patients.keys();
        if (evicted !== undefined) {
          const readingIds = [...(patients.get(evicted)?.values() ?? [])].map((v) => v.readingId);
          patients.delete(evicted);
          out.push({
            type: 'error',
            error: new HealthItError(
              'buffer/overflow',
              `scoreVitals tracks at most ${maxPatients} patients: evicted the least recently updated, ` +
                `${evicted}; raise maxPatients if this many patients are monitored at once`,
              { detail: { patientId: evicted, maxPatients } },
            ),
            patientIds: [evicted],
            readingIds,
          });
        }
      }
      const row = completeRow(patientId, features);
      if (row !== undefined) out.push({ type: 'row', row });
      return out;
    },
  };
}
