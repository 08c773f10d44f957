import { createHash } from 'node:crypto';
import { HealthItError, isKnownUnit } from '@healthit/core';
import type {
  CodeableConcept,
  Coding,
  Observation,
  ObservationComponent,
  ObservationValue,
  Quantity,
  SampledData,
} from './fhir-types.js';
import type { JsonValue } from './json.js';
import { isStandardCorrection, type LintFinding, lintFhirTemplate } from './lint.js';
import { type FhirTemplateSet, join, type LoadedFhirTemplate } from './load.js';
import type { NormalizedMeasurement } from './normalize.js';
import type { CodeValueFhirTemplate, FhirCode, FhirValue } from './schemas.js';
import { IOMT_SERVICE_SYSTEM, UCUM_SYSTEM } from './terminology.js';
import {
  formatIdToken,
  formatTicks,
  parseIsoTicks,
  TICKS_PER_DAY,
  TICKS_PER_HOUR,
  TICKS_PER_MS,
  type Ticks,
} from './time.js';

/**
 * `standard` (default): iomt-fhir's output with the template errors the FHIR R4 standard disagrees
 * with corrected (wrong LOINC codes, non-UCUM unit codes, missing UCUM code) — each correction is
 * reported. `faithful`: exactly what iomt-fhir writes, errors included.
 */
export type CorrectionMode = 'standard' | 'faithful';

/** Options for {@link createObservations}. */
export interface ObservationOptions {
  /**
   * Whether to correct template errors the FHIR R4 standard disagrees with (`standard`, the
   * default) or reproduce iomt-fhir exactly (`faithful`).
   */
  readonly corrections?: CorrectionMode;
  /** Clock for `Observation.issued`; defaults to the system clock. */
  readonly now?: () => Date;
}

/** An observation group that could not become an Observation (iomt-fhir would fail the batch). */
export interface ObservationError {
  /** The measurement type (the FHIR template's `typeName`) of the group. */
  readonly typeName: string;
  /** The device id of the group's measurements. */
  readonly deviceId: string;
  /** The patient id of the group's measurements, when they have one. */
  readonly patientId?: string;
  /**
   * Why (code `validation/invalid`): no template for the type, a time that is not ISO 8601, no
   * correlation id for `periodInterval` -1, or a value that does not fit its value type.
   */
  readonly error: HealthItError;
}

/** What {@link createObservations} produced. */
export interface ObservationResult {
  /** The Observations made, one per measurement group. */
  readonly observations: readonly Observation[];
  /** The groups (or single measurements) that could not be mapped; the rest are still in `observations`. */
  readonly errors: readonly ObservationError[];
  /** The template corrections applied (`standard` mode), one finding per corrected field. */
  readonly corrections: readonly LintFinding[];
}

type PathKey = string | number;

function parsePath(path: string): PathKey[] {
  return [...path.matchAll(/([^.[\]]+)|\[(\d+)\]/g)].map((m) =>
    m[2] !== undefined ? Number(m[2]) : (m[1] as string),
  );
}

function setPath(root: Record<string, unknown>, path: readonly PathKey[], value: JsonValue): void {
  let node: unknown = root;
  for (const key of path.slice(0, -1)) node = (node as Record<PathKey, unknown>)[key];
  (node as Record<PathKey, unknown>)[path.at(-1) as PathKey] = value;
}

const corrected = new WeakMap<
  LoadedFhirTemplate,
  { template: CodeValueFhirTemplate; findings: LintFinding[] }
>();

/**
 * The template with the standard corrections applied (see {@link CorrectionMode}), and the findings
 * that caused them.
 */
export function correctFhirTemplate(t: LoadedFhirTemplate): {
  template: CodeValueFhirTemplate;
  findings: LintFinding[];
} {
  const cached = corrected.get(t);
  if (cached !== undefined) return cached;
  const findings = lintFhirTemplate(t).filter(isStandardCorrection);
  const template = structuredClone(t.template);
  const base = `${join(t.prefix, 'template')}.`;
  for (const f of findings) {
    for (const change of f.fix?.changes ?? []) {
      if (change.path.startsWith(base))
        setPath(template as Record<string, unknown>, parsePath(change.path.slice(base.length)), change.value);
    }
  }
  const result = { template, findings };
  corrected.set(t, result);
  return result;
}

interface TimeValue {
  readonly t: Ticks;
  readonly v: string;
}

interface ObservationGroup {
  start: Ticks;
  end: Ticks;
  readonly idSegment: (g: ObservationGroup) => string;
  readonly values: Map<string, TimeValue[]>;
}

function addMeasurement(g: ObservationGroup, m: NormalizedMeasurement, t: Ticks): void {
  for (const p of m.properties) {
    const list = g.values.get(p.name) ?? [];
    // iomt-fhir keeps a SortedSet ordered by time only: a second value at the same instant is dropped.
    if (!list.some((x) => x.t === t)) {
      list.push({ t, v: p.value });
      list.sort((a, b) => (a.t < b.t ? -1 : a.t > b.t ? 1 : 0));
    }
    g.values.set(p.name, list);
  }
}

const timeSegment = (g: ObservationGroup): string => `${formatIdToken(g.start)}.${formatIdToken(g.end)}`;

function boundary(t: Ticks, periodInterval: 0 | 60 | 1440): [Ticks, Ticks] {
  if (periodInterval === 0) return [t, t];
  const size = periodInterval === 60 ? TICKS_PER_HOUR : TICKS_PER_DAY;
  const start = t - (((t % size) + size) % size);
  return [start, start + size - 1n];
}

function buildGroups(
  measurements: readonly { m: NormalizedMeasurement; t: Ticks }[],
  periodInterval: CodeValueFhirTemplate['periodInterval'],
): ObservationGroup[] {
  const groups = new Map<string, ObservationGroup>();
  for (const { m, t } of measurements) {
    let key: string;
    let make: () => ObservationGroup;
    if (periodInterval === -1) {
      const correlationId = m.correlationId;
      if (correlationId === undefined || correlationId.trim() === '') {
        throw new HealthItError(
          'validation/invalid',
          `periodInterval -1 groups by correlation id, but a "${m.type}" measurement of ${m.occurrenceTimeUtc} has none; set correlationIdExpression in the device-content template`,
        );
      }
      key = correlationId;
      make = () => ({ start: t, end: t, idSegment: () => correlationId, values: new Map() });
    } else {
      const [start, end] = boundary(t, periodInterval);
      key = start.toString();
      make = () => ({ start, end, idSegment: timeSegment, values: new Map() });
    }
    const g = groups.get(key) ?? make();
    if (t < g.start) g.start = t;
    if (t > g.end) g.end = t;
    addMeasurement(g, m, t);
    groups.set(key, g);
  }
  return [...groups.values()];
}

const DECIMAL = /^\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*$/;

function coding(c: FhirCode): Coding {
  return {
    ...(c.system === undefined ? {} : { system: c.system }),
    code: c.code,
    ...(c.display === undefined ? {} : { display: c.display }),
  };
}

function resolveCode(type: string, codes: readonly FhirCode[]): CodeableConcept {
  return {
    coding: [...codes.map(coding), { system: IOMT_SERVICE_SYSTEM, code: type, display: type }],
    text: type,
  };
}

function single(values: readonly TimeValue[], what: string, valueType: string): string {
  if (values.length !== 1) {
    throw new HealthItError(
      'validation/invalid',
      `${what}: a ${valueType} value takes exactly one measurement per Observation, got ${values.length} (use periodInterval 0 or SampledData)`,
      { detail: { count: values.length } },
    );
  }
  return (values[0] as TimeValue).v;
}

function sampledData(
  values: readonly TimeValue[],
  g: ObservationGroup,
  periodMs: number,
  standard: boolean,
): string {
  const step = BigInt(Math.max(1, Math.round(periodMs * Number(TICKS_PER_MS))));
  const slots = Number((g.end - g.start) / step) + 1;
  const data: string[] = new Array<string>(slots).fill('E');
  for (const { t, v } of values) {
    const i = Number((t - g.start) / step);
    if (i >= 0 && i < slots) data[i] = standard && !DECIMAL.test(v) ? 'E' : v.trim();
  }
  return data.join(' ');
}

function fhirValueOf(
  v: FhirValue,
  values: readonly TimeValue[],
  g: ObservationGroup,
  standard: boolean,
  what: string,
): ObservationValue {
  switch (v.valueType) {
    case 'Quantity': {
      const text = single(values, what, 'Quantity');
      if (!DECIMAL.test(text)) {
        throw new HealthItError(
          'validation/invalid',
          `${what}: "${text}" is not a decimal number for a Quantity value`,
          {
            detail: { value: text },
          },
        );
      }
      const q: Quantity = {
        value: Number(text),
        ...(v.unit === undefined ? {} : { unit: v.unit }),
        ...(v.system === undefined ? {} : { system: v.system }),
        ...(v.code === undefined ? {} : { code: v.code }),
      };
      return { valueQuantity: q };
    }
    case 'SampledData': {
      const ucum = standard && v.unit !== undefined && isKnownUnit(v.unit);
      const s: SampledData = {
        origin: {
          value: 0,
          ...(v.unit === undefined ? {} : { unit: v.unit }),
          ...(ucum && v.unit !== undefined ? { system: UCUM_SYSTEM, code: v.unit } : {}),
        },
        period: v.defaultPeriod,
        dimensions: 1,
        data: sampledData(values, g, v.defaultPeriod, standard),
      };
      return { valueSampledData: s };
    }
    case 'String':
      return { valueString: single(values, what, 'String') };
    case 'CodeableConcept':
      // As in iomt-fhir, the measurement's value has no meaning: its presence means the code applies.
      return {
        valueCodeableConcept: {
          ...(v.text === undefined ? {} : { text: v.text }),
          coding: v.codes.map(coding),
        },
      };
  }
}

function observationId(identifierValue: string): string {
  return createHash('sha256').update(`${IOMT_SERVICE_SYSTEM}_${identifierValue}`, 'utf8').digest('hex');
}

/**
 * Maps normalised measurements to FHIR R4 Observations with a FHIR mapping template set, as
 * iomt-fhir's FHIR conversion stage does: measurements are grouped by type, device, patient,
 * encounter and correlation id, then by `periodInterval` (0 one Observation per instant, 60 per UTC
 * hour, 1440 per UTC day, -1 per correlation id); each group becomes one Observation with
 * `status: final`, the template codes plus iomt-fhir's own coding, `effectivePeriod` = the group
 * boundary, `subject` Patient/{patientId}, `device` Device/{deviceId}, and the identifier
 * `{patientId}.{deviceId}.{typeName}.{start}.{end}` (id = SHA-256 of it, as iomt-fhir).
 *
 * Measurements whose type has no template, and groups that cannot be mapped (two values for a
 * Quantity, a non-numeric Quantity), are reported in `errors`; the rest are still mapped.
 */
export function createObservations(
  measurements: readonly NormalizedMeasurement[],
  fhir: FhirTemplateSet,
  options: ObservationOptions = {},
): ObservationResult {
  const standard = (options.corrections ?? 'standard') === 'standard';
  const now = options.now ?? (() => new Date());
  const observations: Observation[] = [];
  const errors: ObservationError[] = [];
  const corrections = new Map<LoadedFhirTemplate, LintFinding[]>();

  const partitions = new Map<string, { m: NormalizedMeasurement; t: Ticks }[]>();
  for (const m of measurements) {
    const t = parseIsoTicks(m.occurrenceTimeUtc);
    const who = {
      typeName: m.type,
      deviceId: m.deviceId,
      ...(m.patientId === undefined ? {} : { patientId: m.patientId }),
    };
    if (t === undefined) {
      errors.push({
        ...who,
        error: new HealthItError(
          'validation/invalid',
          `occurrenceTimeUtc "${m.occurrenceTimeUtc}" is not ISO 8601`,
        ),
      });
      continue;
    }
    const key = JSON.stringify([
      m.type,
      m.deviceId,
      m.patientId ?? null,
      m.encounterId ?? null,
      m.correlationId ?? null,
    ]);
    const list = partitions.get(key) ?? [];
    list.push({ m, t });
    partitions.set(key, list);
  }

  for (const list of partitions.values()) {
    const first = (list[0] as { m: NormalizedMeasurement }).m;
    const who = {
      typeName: first.type,
      deviceId: first.deviceId,
      ...(first.patientId === undefined ? {} : { patientId: first.patientId }),
    };
    const loaded = fhir.byType(first.type);
    if (loaded === undefined) {
      errors.push({
        ...who,
        error: new HealthItError(
          'validation/invalid',
          `no FHIR mapping template for measurement type "${first.type}"`,
          {
            detail: { typeName: first.type },
          },
        ),
      });
      continue;
    }
    let template = loaded.template;
    if (standard) {
      const c = correctFhirTemplate(loaded);
      template = c.template;
      if (c.findings.length > 0) corrections.set(loaded, c.findings);
    }
    let groups: ObservationGroup[];
    try {
      groups = buildGroups(list, template.periodInterval);
    } catch (e) {
      errors.push({ ...who, error: e as HealthItError });
      continue;
    }
    for (const g of groups) {
      try {
        observations.push(observationOf(template, g, first, standard, now));
      } catch (e) {
        errors.push({ ...who, error: e as HealthItError });
      }
    }
  }
  return { observations, errors, corrections: [...corrections.values()].flat() };
}

function observationOf(
  template: CodeValueFhirTemplate,
  g: ObservationGroup,
  m: NormalizedMeasurement,
  standard: boolean,
  now: () => Date,
): Observation {
  const type = m.type;
  const identifierValue = `${m.patientId ?? ''}.${m.deviceId}.${type}.${g.idSegment(g)}`;
  const what = `"${type}" Observation ${identifierValue}`;
  const obs: Observation = {
    resourceType: 'Observation',
    id: observationId(identifierValue),
    identifier: [{ system: IOMT_SERVICE_SYSTEM, value: identifierValue }],
    status: 'final',
    ...(template.category === undefined || template.category.length === 0
      ? {}
      : {
          category: template.category.map((c) => ({
            ...(c.codes === undefined ? {} : { coding: c.codes.map(coding) }),
            ...(c.text === undefined ? {} : { text: c.text }),
          })),
        }),
    code: resolveCode(type, template.codes),
    ...(m.patientId === undefined ? {} : { subject: { reference: `Patient/${m.patientId}` } }),
    ...(m.encounterId === undefined ? {} : { encounter: { reference: `Encounter/${m.encounterId}` } }),
    effectivePeriod: { start: formatTicks(g.start), end: formatTicks(g.end) },
    issued: now().toISOString(),
    device: { reference: `Device/${m.deviceId}` },
  };
  const v = template.value;
  const own = v === undefined ? undefined : g.values.get(v.valueName);
  if (v !== undefined && own !== undefined)
    Object.assign(obs, fhirValueOf(v, own, g, standard, `${what} value "${v.valueName}"`));
  if (template.components !== undefined && template.components.length > 0) {
    const components: ObservationComponent[] = [];
    for (const c of template.components) {
      const values = g.values.get(c.value.valueName);
      if (values === undefined) continue;
      components.push({
        code: resolveCode(c.value.valueName, c.codes),
        ...fhirValueOf(c.value, values, g, standard, `${what} component "${c.value.valueName}"`),
      });
    }
    if (components.length > 0) obs.component = components;
  }
  return obs;
}
