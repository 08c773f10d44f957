/**
 * The per-reading work of a reading batch without zod on the common path: a check that never
 * accepts what the `Reading` schema rejects, and the RFC 8785 text of a reading written directly.
 * Anything the fast check does not accept goes to the schema, for its verdict and its error.
 * @internal
 */
import { isReading, type JsonValue, parse, Reading } from '@healthit/core';
import { z } from 'zod';
import { canonicalJson, jsonString } from '../canonical-json.js';

/**
 * True only when `value` certainly matches the `Reading` schema, and so equals its parse: core's
 * `isReading` (never accepts what the schema refuses, does not copy), for plain objects only.
 * False says nothing: let the schema decide.
 */
export function isCertainlyReading(value: unknown): value is Reading {
  return (
    typeof value === 'object' &&
    value !== null &&
    Object.getPrototypeOf(value) === Object.prototype &&
    isReading(value)
  );
}

/**
 * The readings of a batch validated: the input itself when every reading passes
 * {@link isCertainlyReading} (the batch functions only read it), the schema's parse of at most
 * `max` readings otherwise (the same verdict and error as the schema alone).
 */
export function validReadings(input: readonly Reading[], max: number): readonly Reading[] {
  if (Array.isArray(input) && input.length >= 1 && input.length <= max && input.every(isCertainlyReading)) {
    return input;
  }
  return parse(z.array(Reading).min(1).max(max), 'Reading[]', input, 'reading batch');
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

/**
 * The RFC 8785 text of a salted reading leaf, `canonicalJson({ reading, salt })`:
 * `{"reading":<readingText>,"salt":"<64 hex>"}` (`reading` sorts before `salt`). The salt must be
 * 64 lowercase hex characters.
 */
export function saltedReadingText(r: Reading, salt: string): string {
  return `{"reading":${readingText(r)},"salt":"${salt}"}`;
}
