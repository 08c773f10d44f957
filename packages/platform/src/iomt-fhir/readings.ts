import { isUnitForMetric, METRIC_IDS, type MetricId, Reading, readingId, safeParse } from '@healthit/core';
import { type CorrectionMode, correctFhirTemplate } from './fhir.js';
import type { FhirTemplateSet } from './load.js';
import type { NormalizedMeasurement } from './normalize.js';
import type { FhirCode, FhirValue } from './schemas.js';
import { conceptOfLoinc, LOINC_SYSTEM } from './terminology.js';
import { parseIsoTicks, ticksToMs } from './time.js';

/** Options for {@link measurementsToReadings}. */
export interface ReadingOptions {
  /** Apply the standard template corrections first (default `standard`; see {@link CorrectionMode}). */
  readonly corrections?: CorrectionMode;
  /**
   * The per-device sequence number of a reading. Default: `tsMs * 64 + catalogue index of the
   * metric` — stable (the same measurement always gets the same reading id), increasing with time
   * per device, and distinct for the metrics of one measurement (systolic and diastolic).
   */
  readonly seq?: (measurement: NormalizedMeasurement, metric: MetricId, tsMs: number) => number;
}

/** A measurement value that did not become a Reading, and why. */
export interface SkippedValue {
  /** The measurement the value belongs to. */
  readonly measurement: NormalizedMeasurement;
  /** The value's name (a `MeasurementProperty.name`, the template's `valueName`). */
  readonly valueName: string;
  /** Why it made no Reading, in words, e.g. `no catalogue metric has LOINC 1234-5`. */
  readonly reason: string;
}

/** Slots per millisecond in the default sequence number (more than the catalogue has metrics). */
export const SEQ_SLOTS_PER_MS = 64;

function metricOf(codes: readonly FhirCode[]): MetricId | undefined {
  for (const c of codes) {
    if (c.system !== undefined && c.system !== LOINC_SYSTEM) continue;
    const concept = conceptOfLoinc(c.code);
    if (concept !== undefined && concept !== 'bp-panel') return concept;
  }
  return undefined;
}

/**
 * Maps normalised measurements to core {@link Reading}s where the FHIR mapping gives the value a
 * LOINC code the metric catalogue knows and a UCUM unit that can express that metric. Quantity and
 * SampledData values qualify; every other value is listed in `skipped` with the reason.
 *
 * @example
 * ```ts
 * const { readings } = measurementsToReadings(measurements, fhir);
 * // bloodpressure → bp-systolic and bp-diastolic readings in mm[Hg]
 * ```
 */
export function measurementsToReadings(
  measurements: readonly NormalizedMeasurement[],
  fhir: FhirTemplateSet,
  options: ReadingOptions = {},
): { readonly readings: Reading[]; readonly skipped: SkippedValue[] } {
  const readings: Reading[] = [];
  const skipped: SkippedValue[] = [];
  const standard = (options.corrections ?? 'standard') === 'standard';
  for (const m of measurements) {
    const loaded = fhir.byType(m.type);
    if (loaded === undefined) {
      for (const p of m.properties)
        skipped.push({
          measurement: m,
          valueName: p.name,
          reason: `no FHIR mapping template for "${m.type}"`,
        });
      continue;
    }
    const template = standard ? correctFhirTemplate(loaded).template : loaded.template;
    const slots: { value: FhirValue; codes: readonly FhirCode[] }[] = [
      ...(template.value === undefined ? [] : [{ value: template.value, codes: template.codes }]),
      ...(template.components ?? []).map((c) => ({ value: c.value, codes: c.codes })),
    ];
    const ticks = parseIsoTicks(m.occurrenceTimeUtc);
    for (const p of m.properties) {
      const slot = slots.find((s) => s.value.valueName === p.name);
      const skip = (reason: string) => skipped.push({ measurement: m, valueName: p.name, reason });
      if (slot === undefined) {
        skip(`the "${m.type}" FHIR mapping template does not map "${p.name}"`);
        continue;
      }
      const v = slot.value;
      if (v.valueType !== 'Quantity' && v.valueType !== 'SampledData') {
        skip(`a ${v.valueType} value is not a numeric reading`);
        continue;
      }
      const metric = metricOf(slot.codes);
      if (metric === undefined) {
        skip(`no catalogue metric has LOINC ${slot.codes.map((c) => c.code).join(' / ') || '(none)'}`);
        continue;
      }
      const unit = v.valueType === 'Quantity' ? (v.code ?? v.unit) : v.unit;
      if (unit === undefined || !isUnitForMetric(metric, unit)) {
        skip(`unit ${JSON.stringify(unit ?? null)} is not a UCUM unit for ${metric}`);
        continue;
      }
      const value = Number(p.value);
      if (p.value.trim() === '' || !Number.isFinite(value)) {
        skip(`"${p.value}" is not a number`);
        continue;
      }
      if (ticks === undefined) {
        skip(`occurrenceTimeUtc "${m.occurrenceTimeUtc}" is not ISO 8601`);
        continue;
      }
      const ts = ticksToMs(ticks);
      const seq = options.seq?.(m, metric, ts) ?? ts * SEQ_SLOTS_PER_MS + METRIC_IDS.indexOf(metric);
      const parsed = safeParse(Reading, 'Reading', {
        id: readingId(m.deviceId, seq),
        deviceId: m.deviceId,
        ...(m.patientId === undefined ? {} : { patientId: m.patientId }),
        metric,
        value,
        unit,
        ts,
        seq,
      });
      if (parsed.ok) readings.push(parsed.value);
      else skip(parsed.error.message);
    }
  }
  return { readings, skipped };
}
