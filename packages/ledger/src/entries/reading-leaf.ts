/**
 * The per-reading work of a reading batch without zod on the common path: a check that never
 * accepts what the `Reading` schema rejects, and the RFC 8785 text of a reading written directly.
 * Anything the fast check does not accept goes to the schema, for its verdict and its error.
 * @internal
 */
import { isUnitForMetric, type JsonValue, Reading } from '@healthit/core';
import { canonicalJson, jsonString } from '../canonical-json.js';

/** The fields of a reading: every member the schema knows, in no particular order. */
const FIELDS = ['id', 'deviceId', 'patientId', 'metric', 'value', 'unit', 'ts', 'seq', 'quality'] as const;

/**
 * The fast check is used only while the schema has exactly these fields: a field added to (or
 * removed from) `Reading` turns it off, so every reading goes through the schema until this
 * module learns the field.
 */
const SHAPE_MATCHES = (() => {
  const shape = Object.keys(Reading.shape).sort();
  const known = [...FIELDS].sort();
  return shape.length === known.length && shape.every((k, i) => k === known[i]);
})();

/** The longest reading id the schema allows. */
const MAX_ID_LENGTH = 300;

/**
 * Validity of the string members that repeat across a batch (device, patient, metric, unit and
 * quality), decided by the schema's own member schemas and remembered for one batch, so the
 * identifier patterns and the unit table are consulted once per distinct value.
 */
export interface ReadingCheckMemo {
  readonly deviceIds: Map<string, boolean>;
  readonly patientIds: Map<string, boolean>;
  readonly metrics: Map<string, boolean>;
  /** `metric` + "\n" + `unit` → the unit expresses the metric. */
  readonly units: Map<string, boolean>;
  readonly qualities: Map<string, boolean>;
}

/** A new memo for one batch. */
export function createReadingCheckMemo(): ReadingCheckMemo {
  return {
    deviceIds: new Map(),
    patientIds: new Map(),
    metrics: new Map(),
    units: new Map(),
    qualities: new Map(),
  };
}

function remembered(memo: Map<string, boolean>, value: string, check: (value: string) => boolean): boolean {
  let ok = memo.get(value);
  if (ok === undefined) {
    ok = check(value);
    memo.set(value, ok);
  }
  return ok;
}

const isDeviceId = (v: string): boolean => Reading.shape.deviceId.safeParse(v).success;
const isPatientId = (v: string): boolean => Reading.shape.patientId.safeParse(v).success;
const isMetric = (v: string): boolean => Reading.shape.metric.safeParse(v).success;
const isQuality = (v: string): boolean => Reading.shape.quality.safeParse(v).success;

function isCount(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

/**
 * True only when `value` certainly matches the `Reading` schema, and so equals its parse (the
 * schema copies but does not transform): a plain object with exactly the schema's members, no
 * optional member present as `undefined`, every member valid, the unit one of the metric's.
 * False says nothing: let the schema decide. Never throws on any input... except a getter that does.
 */
export function isCertainlyReading(value: unknown, memo: ReadingCheckMemo): value is Reading {
  if (!SHAPE_MATCHES || typeof value !== 'object' || value === null) return false;
  if (Object.getPrototypeOf(value) !== Object.prototype) return false;
  const r = value as { readonly [key: string]: unknown };
  let members = 0;
  for (const key in r) {
    if (!Object.hasOwn(r, key)) return false;
    members++;
  }
  const { id, deviceId, patientId, metric, value: v, unit, ts, seq, quality } = r;
  let expected = 7;
  if (patientId !== undefined) {
    if (typeof patientId !== 'string' || !remembered(memo.patientIds, patientId, isPatientId)) return false;
    expected++;
  }
  if (quality !== undefined) {
    if (typeof quality !== 'string' || !remembered(memo.qualities, quality, isQuality)) return false;
    expected++;
  }
  return (
    members === expected &&
    typeof id === 'string' &&
    id.length >= 1 &&
    id.length <= MAX_ID_LENGTH &&
    typeof deviceId === 'string' &&
    remembered(memo.deviceIds, deviceId, isDeviceId) &&
    typeof metric === 'string' &&
    remembered(memo.metrics, metric, isMetric) &&
    typeof v === 'number' &&
    Number.isFinite(v) &&
    typeof unit === 'string' &&
    unit.length >= 1 &&
    remembered(memo.units, `${metric}\n${unit}`, () => isUnitForMetric(metric as Reading['metric'], unit)) &&
    isCount(ts) &&
    isCount(seq)
  );
}

/** A reading as plain JSON: exactly its defined fields (the reference the fast text must equal). */
export function readingJson(r: Reading): JsonValue {
  const out: { [key: string]: JsonValue } = {
    id: r.id,
    deviceId: r.deviceId,
    metric: r.metric,
    value: r.value,
    unit: r.unit,
    ts: r.ts,
    seq: r.seq,
  };
  if (r.patientId !== undefined) out.patientId = r.patientId;
  if (r.quality !== undefined) out.quality = r.quality;
  return out;
}

/**
 * The RFC 8785 text of a reading's defined fields, `canonicalJson(readingJson(reading))`, written
 * directly in the members' code-unit order (deviceId, id, metric, patientId, quality, seq, ts,
 * unit, value) when every field has its schema type; through `canonicalJson` otherwise (a property
 * test checks both agree).
 */
export function readingText(r: Reading): string {
  const { id, deviceId, patientId, metric, value, unit, ts, seq, quality } = r;
  if (
    typeof id !== 'string' ||
    typeof deviceId !== 'string' ||
    typeof metric !== 'string' ||
    typeof unit !== 'string' ||
    typeof value !== 'number' ||
    !Number.isFinite(value) ||
    typeof ts !== 'number' ||
    !Number.isFinite(ts) ||
    typeof seq !== 'number' ||
    !Number.isFinite(seq) ||
    (patientId !== undefined && typeof patientId !== 'string') ||
    (quality !== undefined && typeof quality !== 'string')
  ) {
    return canonicalJson(readingJson(r));
  }
  return (
    `{"deviceId":${jsonString(deviceId)},"id":${jsonString(id)},"metric":${jsonString(metric)}` +
    (patientId === undefined ? '' : `,"patientId":${jsonString(patientId)}`) +
    (quality === undefined ? '' : `,"quality":${jsonString(quality)}`) +
    `,"seq":${seq},"ts":${ts},"unit":${jsonString(unit)},"value":${value}}`
  );
}
