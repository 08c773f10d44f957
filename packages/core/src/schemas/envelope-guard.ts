import { isBase64UrlText } from '../encoding/bytes.js';
import type { Envelope } from './envelope.js';

function hasExactly(r: object, count: number): boolean {
  let fields = 0;
  for (const key in r) {
    if (!Object.hasOwn(r, key)) return false;
    fields++;
  }
  return fields === count;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isCount(v: unknown): boolean {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

function isText(v: unknown, max: number): v is string {
  return typeof v === 'string' && v.length >= 1 && v.length <= max;
}

function isSignature(value: unknown): boolean {
  if (!isPlainObject(value) || !hasExactly(value, 3)) return false;
  return (
    value.alg === 'Ed25519' &&
    isText(value.kid, Number.POSITIVE_INFINITY) &&
    isText(value.value, Number.POSITIVE_INFINITY)
  );
}

/**
 * True when `value` certainly matches the `Envelope` schema (exactly its fields, `v` 1, ids and
 * lengths, integer `seq`/`ts`, base64url payload without padding, an optional Ed25519 signature).
 * The decoders' fast path, like `isReading`: never accepts what the schema rejects, does not copy.
 */
export function isEnvelope(value: unknown): value is Envelope {
  if (!isPlainObject(value)) return false;
  const { sig, payload } = value;
  if (sig !== undefined) {
    if (!isSignature(sig)) return false;
  } else if (Object.hasOwn(value, 'sig')) return false;
  return (
    hasExactly(value, sig === undefined ? 7 : 8) &&
    value.v === 1 &&
    isText(value.id, 300) &&
    isText(value.source, 128) &&
    isCount(value.seq) &&
    isCount(value.ts) &&
    isText(value.contentType, Number.POSITIVE_INFINITY) &&
    typeof payload === 'string' &&
    isBase64UrlText(payload)
  );
}
