import { METRICS, type MetricId } from '../metrics/catalogue.js';
import { isUnitForMetric } from '../units/ucum.js';
import { ID_PATTERN } from './ids.js';
import type { Reading } from './reading.js';

/** Per metric, the units already known to express it (bounded: units of the UCUM table). */
const unitsOk = new Map<string, Map<string, boolean>>();

function unitFits(metric: MetricId, unit: string): boolean {
  let known = unitsOk.get(metric);
  if (known === undefined) {
    known = new Map();
    unitsOk.set(metric, known);
  }
  let ok = known.get(unit);
  if (ok === undefined) {
    ok = isUnitForMetric(metric, unit);
    // Only units the table knows can be true; cache those, and a bounded number of misses.
    if (ok || known.size < 256) known.set(unit, ok);
  }
  return ok;
}

/** The last two ids {@link isId} accepted: a batch repeats its device and patient ids. */
let lastId1: string | undefined;
let lastId2: string | undefined;

/** True when `v` is a string matching `ID_PATTERN` (a repeat of a recent id is one comparison). */
function isId(v: unknown): boolean {
  if (typeof v !== 'string') return false;
  if (v === lastId1 || v === lastId2) return true;
  if (!ID_PATTERN.test(v)) return false;
  lastId2 = lastId1;
  lastId1 = v;
  return true;
}

function isCount(v: unknown): boolean {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

/**
 * True when `value` certainly matches the `Reading` schema: exactly its fields, each valid
 * (ids, metric, UCUM unit for the metric, finite value, integer time and sequence). A fast path
 * for decoders: it never accepts what the zod schema rejects (a property test checks), so a
 * decoder may return the value itself when this holds and call the schema, for the precise
 * error, when it does not. Unlike the schema it does not copy: the value must be owned by the
 * caller (e.g. just parsed from JSON).
 */
export function isReading(value: unknown): value is Reading {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const r = value as Record<string, unknown>;
  let fields = 0;
  for (const key in r) {
    if (!Object.hasOwn(r, key)) return false;
    fields++;
  }
  const { id, deviceId, patientId, metric, value: v, unit, ts, seq, quality } = r;
  let expected = 7;
  if (patientId !== undefined) {
    if (!isId(patientId)) return false;
    expected++;
  } else if (Object.hasOwn(r, 'patientId')) return false;
  if (quality !== undefined) {
    if (quality !== 'good' && quality !== 'questionable' && quality !== 'bad') return false;
    expected++;
  } else if (Object.hasOwn(r, 'quality')) return false;
  return (
    fields === expected &&
    typeof id === 'string' &&
    id.length >= 1 &&
    id.length <= 300 &&
    isId(deviceId) &&
    typeof metric === 'string' &&
    Object.hasOwn(METRICS, metric) &&
    typeof v === 'number' &&
    Number.isFinite(v) &&
    typeof unit === 'string' &&
    unit.length >= 1 &&
    isCount(ts) &&
    isCount(seq) &&
    unitFits(metric as MetricId, unit)
  );
}
