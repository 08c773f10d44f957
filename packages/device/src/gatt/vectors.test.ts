/**
 * The shared GATT vectors (copied into test/vectors/gatt/): every valid frame decodes to its
 * expected fields, every invalid one is refused with a GattDecodeError, and the vectors whose
 * source decodes SFLOAT/FLOAT wrongly decode the standard's way.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isHealthItError } from '@healthit/core';
import { describe, expect, it } from 'vitest';
import { GattDecodeError } from './errors.js';
import { decodeGatt } from './gatt-codec.js';
import { rrIntervalMs } from './heart-rate.js';
import { decodeFloat, decodeSfloat, type Ieee11073Value } from './ieee11073.js';

interface Vector {
  readonly id: string;
  readonly characteristic: string;
  readonly hex: string;
  readonly valid: boolean;
  readonly spec_mandated?: boolean;
  readonly expected: Record<string, unknown>;
  readonly tolerance?: number;
}
interface NonconformantVector {
  readonly characteristic: string;
  readonly hex: string;
  readonly source_claims: Record<string, unknown>;
  readonly conformant_decoding: Record<string, unknown>;
}
const file = JSON.parse(
  readFileSync(join(import.meta.dirname, '../../test/vectors/gatt/gatt-vectors.json'), 'utf8'),
) as { count: number; vectors: Vector[]; nonconformant_source_vectors: { vectors: NonconformantVector[] } };

function bytesOf(hex: string): Uint8Array {
  return Uint8Array.from(hex.match(/../g) ?? [], (h) => Number.parseInt(h, 16));
}

/** `0x2A37 Heart Rate Measurement` → 0x2a37; the SFLOAT/FLOAT rows → the format. */
function kindOf(characteristic: string): number | 'SFLOAT' | 'FLOAT' {
  if (characteristic.includes('SFLOAT')) return 'SFLOAT';
  if (characteristic.includes('FLOAT')) return 'FLOAT';
  return Number.parseInt(characteristic.slice(2, 6), 16);
}

/** Keys of `expected` that document rather than specify, or that name a source's wrong answer. */
const COMMENT_KEYS = new Set(['note']);

/** Asserts that `actual` has every field of `expected` (numbers within `tolerance`). */
function expectFields(actual: unknown, expected: unknown, tolerance: number, path: string): void {
  if (expected === null) {
    expect(actual, path).toBeNull();
  } else if (typeof expected === 'number') {
    expect(typeof actual, `${path} is a number`).toBe('number');
    expect(Math.abs((actual as number) - expected), `${path}: ${actual} vs ${expected}`).toBeLessThanOrEqual(
      tolerance,
    );
  } else if (Array.isArray(expected)) {
    expect(Array.isArray(actual), `${path} is an array`).toBe(true);
    expect((actual as unknown[]).length, `${path}.length`).toBe(expected.length);
    expected.forEach((e, i) => {
      expectFields((actual as unknown[])[i], e, tolerance, `${path}[${i}]`);
    });
  } else if (typeof expected === 'object') {
    expect(typeof actual, `${path} is an object`).toBe('object');
    for (const [key, value] of Object.entries(expected as Record<string, unknown>)) {
      if (COMMENT_KEYS.has(key)) continue;
      expectFields((actual as Record<string, unknown>)[key], value, tolerance, `${path}.${key}`);
    }
  } else {
    expect(actual, path).toBe(expected);
  }
}

/** Checks a decoded measurement against a vector's expectation, deriving the convenience keys. */
function expectMeasurement(
  m: Record<string, unknown>,
  expected: Record<string, unknown>,
  tolerance: number,
): void {
  const { rrIntervalsMsFloor, rrIntervalsSeconds, ...rest } = expected;
  const fields = Object.fromEntries(Object.entries(rest).filter(([k]) => !k.startsWith('library_asserted_')));
  expectFields(m, fields, tolerance, 'measurement');
  const rr = (m.rrIntervalsRaw1024 ?? []) as number[];
  if (rrIntervalsMsFloor !== undefined)
    expect(rr.map((r) => Math.floor(rrIntervalMs(r)))).toEqual(rrIntervalsMsFloor);
  if (rrIntervalsSeconds !== undefined) expect(rr.map((r) => r / 1024)).toEqual(rrIntervalsSeconds);
  // Where a library asserted a non-standard value, the standard's decoding differs from it.
  if (expected.library_asserted_concentration !== undefined) {
    expect(m.glucoseConcentration).not.toBe(expected.library_asserted_concentration);
  }
  if (expected.library_asserted_weight !== undefined) {
    expect(m.weight).toBeNull();
    expect(m.measurementUnsuccessful).toBe(true);
  }
}

const SPECIAL_NAMES: Record<string, string> = {
  NaN: 'NaN',
  NRes: 'NRes',
  'Reserved for future use': 'reserved',
  '+INFINITY': '+INFINITY',
  '-INFINITY': '-INFINITY',
};

function expectFloat(v: Ieee11073Value, expected: Record<string, unknown>, tolerance: number): void {
  if (expected.special !== undefined) {
    expect(v).toEqual({ type: 'special', special: SPECIAL_NAMES[expected.special as string] });
    return;
  }
  expect(v.type).toBe('number');
  const { raw: _raw, ...fields } = expected;
  expectFields(v, fields, tolerance, 'value');
}

function decodeRaw(kind: 'SFLOAT' | 'FLOAT', bytes: Uint8Array): Ieee11073Value {
  const view = new DataView(bytes.buffer);
  return kind === 'SFLOAT' ? decodeSfloat(view.getUint16(0, true)) : decodeFloat(view.getUint32(0, true));
}

describe('the shared GATT vectors', () => {
  it('holds 78 vectors, 9 of them marked invalid', () => {
    expect(file.vectors).toHaveLength(78);
    expect(file.count).toBe(78);
    expect(file.vectors.filter((v) => !v.valid)).toHaveLength(9);
  });

  const valid = file.vectors.filter((v) => v.valid);
  it.each(valid.map((v) => [v.id, v.characteristic, v] as const))(
    '%s %s decodes as expected',
    (_id, _c, v) => {
      const kind = kindOf(v.characteristic);
      const bytes = bytesOf(v.hex);
      const tolerance = v.tolerance ?? 1e-9;
      if (kind === 'SFLOAT' || kind === 'FLOAT') {
        const value = decodeRaw(kind, bytes);
        expectFloat(value, v.expected, tolerance);
        expect(
          `0x${new DataView(bytes.buffer)
            [kind === 'SFLOAT' ? 'getUint16' : 'getUint32'](0, true)
            .toString(16)
            .toUpperCase()
            .padStart(kind === 'SFLOAT' ? 4 : 8, '0')}`,
        ).toBe(v.expected.raw);
        return;
      }
      // The same frame decodes identically whichever way the characteristic is named.
      const m = decodeGatt(kind, bytes) as unknown as Record<string, unknown>;
      expect(decodeGatt(`0x${kind.toString(16).toUpperCase()}`, bytes)).toEqual(m);
      expect(decodeGatt(kind.toString(16), new DataView(bytes.buffer))).toEqual(m);
      expect(m.characteristic).toBe(kind);
      expectMeasurement(m, v.expected, tolerance);
    },
  );

  const invalid = file.vectors.filter((v) => !v.valid && v.spec_mandated !== false);
  it('has 8 invalid vectors the standard itself rejects', () => {
    expect(invalid).toHaveLength(8);
  });
  it.each(invalid.map((v) => [v.id, v.expected.error, v] as const))('%s is rejected (%s)', (_id, _e, v) => {
    const kind = kindOf(v.characteristic) as number;
    const bytes = bytesOf(v.hex);
    let error: unknown;
    try {
      decodeGatt(kind, bytes);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(GattDecodeError);
    const e = error as GattDecodeError;
    expect(isHealthItError(e, 'codec/decode')).toBe(true);
    expect(e.retryable).toBe(false);
    expect(e.characteristic).toBe(kind);
    expect(e.offset).toBeGreaterThanOrEqual(0);
    expect(e.offset).toBeLessThanOrEqual(bytes.length);
    expect(e.frameLength).toBe(bytes.length);
    expect(e.reason.length).toBeGreaterThan(10);
    expect(e.message).toContain(e.reason);
  });

  it('gatt-020 (a 21-byte heart-rate frame) is valid per the Heart Rate Service, too long only for ATT_MTU 23', () => {
    const v = file.vectors.find((x) => x.id === 'gatt-020');
    expect(v?.valid).toBe(false);
    expect(v?.spec_mandated).toBe(false);
    const bytes = bytesOf(v?.hex ?? '');
    expect(bytes).toHaveLength(21);
    expect(decodeGatt(0x2a37, bytes)).toMatchObject({
      heartRate: 426,
      energyExpended: 443,
      rrIntervalsRaw1024: [417, 418, 419, 420, 421, 422, 423, 424],
    });
    expect(() => decodeGatt(0x2a37, bytes, { attMtu: 23 })).toThrow(GattDecodeError);
    expect(() => decodeGatt(0x2a37, bytes, { attMtu: 24 })).not.toThrow();
  });
});

describe('the nonconformant source vectors', () => {
  const vectors = file.nonconformant_source_vectors.vectors;
  it.each(vectors.map((v) => [v.hex, v.characteristic, v] as const))(
    '%s (%s) decodes with a two-s-complement exponent, not the source-s biased one',
    (_hex, _c, v) => {
      const kind = kindOf(v.characteristic);
      const bytes = bytesOf(v.hex);
      const tolerance = 1e-9;
      if (kind === 'SFLOAT' || kind === 'FLOAT') {
        const value = decodeRaw(kind, bytes);
        expectFloat(value, v.conformant_decoding, tolerance);
        expect(value.type === 'number' && value.value).not.toBe(v.source_claims.value);
        return;
      }
      const m = decodeGatt(kind, bytes) as unknown as Record<string, unknown>;
      // Relative comparison: these values span 1e-7 … 1e129.
      for (const [key, expected] of Object.entries(v.conformant_decoding)) {
        if (typeof expected === 'number') {
          expect((m[key] as number) / expected).toBeCloseTo(1, 12);
        } else expectFields(m[key], expected, tolerance, key);
      }
      for (const [key, claimed] of Object.entries(v.source_claims)) {
        if (typeof claimed === 'number') expect(m[key]).not.toBe(claimed);
      }
    },
  );
});
