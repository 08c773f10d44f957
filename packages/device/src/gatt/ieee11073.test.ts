import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decodeFloat,
  decodeSfloat,
  encodeFloat,
  encodeSfloat,
  type Ieee11073Value,
  isSpecialValue,
  readFloat,
  readSfloat,
  SPECIAL_VALUES,
} from './ieee11073.js';

const formats = JSON.parse(
  readFileSync(join(import.meta.dirname, '../../test/vectors/gatt/gatt-formats.json'), 'utf8'),
) as {
  SFLOAT: { special_values: Record<string, string>; examples: Record<string, number> };
  FLOAT: { special_values: Record<string, string>; examples: Record<string, number> };
};

/** The special-value names of gatt-formats.json → ours. */
function specialName(description: string): string {
  if (description.startsWith('NRes')) return 'NRes';
  if (description.startsWith('Reserved')) return 'reserved';
  return description;
}

/** An independent reference: sign-extend by arithmetic, then let the decimal parser round. */
function reference(bits: number, mantissaBits: number, exponentBits: number): number {
  const mantissaRaw = bits % 2 ** mantissaBits;
  const exponentRaw = Math.floor(bits / 2 ** mantissaBits);
  const mantissa = mantissaRaw >= 2 ** (mantissaBits - 1) ? mantissaRaw - 2 ** mantissaBits : mantissaRaw;
  const exponent = exponentRaw >= 2 ** (exponentBits - 1) ? exponentRaw - 2 ** exponentBits : exponentRaw;
  return Number(`${mantissa}e${exponent}`);
}

function le(bits: number, size: 2 | 4): Uint8Array {
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  if (size === 2) view.setUint16(0, bits, true);
  else view.setUint32(0, bits, true);
  return out;
}

const value = (v: Ieee11073Value): number => (v.type === 'number' ? v.value : Number.NaN);

describe('SFLOAT', () => {
  it('decodes the examples and special values of the format table', () => {
    for (const [hex, expected] of Object.entries(formats.SFLOAT.examples)) {
      expect(value(decodeSfloat(Number(hex))), hex).toBe(expected);
    }
    for (const [hex, description] of Object.entries(formats.SFLOAT.special_values)) {
      expect(decodeSfloat(Number(hex)), hex).toEqual({ type: 'special', special: specialName(description) });
    }
  });

  it('decodes every one of the 65 536 codes: specials only at exponent 0, numbers correctly rounded', () => {
    const specials: number[] = [];
    const failures: number[] = [];
    for (let bits = 0; bits <= 0xffff; bits++) {
      const v = decodeSfloat(bits);
      const fast = readSfloat(le(bits, 2), 0);
      if (v.type === 'special') {
        specials.push(bits);
        if (fast !== v || encodeSfloat(v) !== bits) failures.push(bits);
        continue;
      }
      const ok =
        v.value === reference(bits, 12, 4) &&
        fast === v.value &&
        // Bit-exact round trip through the decoded form, and value round trip through the number.
        encodeSfloat(v) === bits &&
        value(decodeSfloat(encodeSfloat(v.value))) === v.value;
      if (!ok) failures.push(bits);
    }
    expect(specials).toEqual([0x07fe, 0x07ff, 0x0800, 0x0801, 0x0802]);
    expect(failures).toEqual([]);
  });

  it('encodes numbers to the shortest exponent keeping their precision (Nordic and format-table examples)', () => {
    expect(encodeSfloat(10.1)).toBe(0xf065);
    expect(encodeSfloat(114)).toBe(0x0072);
    expect(encodeSfloat(120)).toBe(0x0078);
    expect(encodeSfloat(18.9)).toBe(0xf0bd);
    expect(encodeSfloat(8.9)).toBe(0xf059);
    expect(encodeSfloat(0)).toBe(0);
    expect(encodeSfloat(-0)).toBe(0);
    expect(encodeSfloat(-1)).toBe(0x0fff);
    expect(encodeSfloat(98.6)).toBe(0xf3da);
  });

  it('rounds to the nearest SFLOAT, never onto a special code', () => {
    expect(value(decodeSfloat(encodeSfloat(36.6666)))).toBe(36.7);
    expect(value(decodeSfloat(encodeSfloat(1.23456)))).toBe(1.235);
    expect(value(decodeSfloat(encodeSfloat(123456)))).toBe(123500);
    expect(value(decodeSfloat(encodeSfloat(2046)))).toBe(2045);
    expect(value(decodeSfloat(encodeSfloat(2047.6)))).toBe(2050);
    expect(value(decodeSfloat(encodeSfloat(-2048)))).toBe(-2050);
    expect(value(decodeSfloat(encodeSfloat(-2046.2)))).toBe(-2045);
    expect(value(decodeSfloat(encodeSfloat(1e-12)))).toBe(0);
    expect(value(decodeSfloat(encodeSfloat(2047e7)))).toBe(2047e7);
  });

  it('encoding any number in range gives the nearest value at the chosen exponent', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.double({ min: -2e10, max: 2e10, noNaN: true }),
          fc.double({ min: 2040, max: 2055, noNaN: true }),
          fc.double({ min: -2055, max: -2040, noNaN: true }),
        ),
        (x) => {
          const decoded = decodeSfloat(encodeSfloat(x));
          if (decoded.type !== 'number') return false;
          const error = Math.abs(decoded.value - x);
          // Mantissas ±2046, 2047, -2047, -2048 at exponent 0 are special codes: between 2045 and
          // 2050 the nearest number is ±2045 (exponent 0) or ±2050 (exponent 1), whichever is nearer.
          const ax = Math.abs(x);
          if (ax > 2045.5 && ax < 2050) return error <= Math.min(ax - 2045, 2050 - ax) * (1 + 1e-12);
          return error <= 0.5 * 10 ** decoded.exponent * (1 + 1e-9) + 1e-300;
        },
      ),
      { numRuns: 20_000 },
    );
  });

  it('encodes special values to their codes', () => {
    expect(encodeSfloat(SPECIAL_VALUES.NaN)).toBe(0x07ff);
    expect(encodeSfloat(SPECIAL_VALUES.NRes)).toBe(0x0800);
    expect(encodeSfloat(SPECIAL_VALUES.reserved)).toBe(0x0801);
    expect(encodeSfloat(SPECIAL_VALUES['+INFINITY'])).toBe(0x07fe);
    expect(encodeSfloat(SPECIAL_VALUES['-INFINITY'])).toBe(0x0802);
  });

  it('refuses non-finite numbers, out-of-range values and inconsistent parts', () => {
    for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 2.1e10, -2.1e10]) {
      expect(() => encodeSfloat(bad), String(bad)).toThrow(RangeError);
    }
    expect(() => encodeSfloat(Number.NaN)).toThrow(/special value/);
    expect(() => encodeSfloat({ type: 'number', value: 1, mantissa: 2, exponent: 0 })).toThrow(RangeError);
    expect(() => encodeSfloat({ type: 'number', value: 2047, mantissa: 2047, exponent: 0 })).toThrow(
      /not a SFLOAT/,
    );
    expect(() => encodeSfloat({ type: 'number', value: 10, mantissa: 1, exponent: 8 })).toThrow(RangeError);
  });

  it('refuses bits that are not a 16-bit unsigned integer', () => {
    for (const bad of [-1, 0x10000, 1.5, Number.NaN])
      expect(() => decodeSfloat(bad), String(bad)).toThrow(RangeError);
    expect(() => decodeSfloat('7' as unknown as number)).toThrow(TypeError);
  });
});

describe('FLOAT', () => {
  it('decodes the examples and special values of the format table', () => {
    for (const [hex, expected] of Object.entries(formats.FLOAT.examples)) {
      expect(value(decodeFloat(Number(hex))), hex).toBe(expected);
    }
    for (const [hex, description] of Object.entries(formats.FLOAT.special_values)) {
      expect(decodeFloat(Number(hex)), hex).toEqual({ type: 'special', special: specialName(description) });
    }
    expect(decodeFloat(0xfe000eb0)).toEqual({ type: 'number', value: 37.6, mantissa: 3760, exponent: -2 });
  });

  it('treats the special mantissas as numbers at other exponents', () => {
    expect(decodeFloat(0x017fffff)).toEqual({
      type: 'number',
      value: 83886070,
      mantissa: 8388607,
      exponent: 1,
    });
    expect(value(decodeFloat(0xff800000))).toBe(-838860.8);
  });

  it('decodes any 32 bits correctly rounded, and round-trips them bit-exactly', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffffffff }), (bits) => {
        const v = decodeFloat(bits);
        const fast = readFloat(le(bits, 4), 0);
        if (v.type === 'special') return bits >= 0x007ffffe && bits <= 0x00800002 && fast === v;
        return (
          v.value === reference(bits, 24, 8) &&
          fast === v.value &&
          encodeFloat(v) === bits &&
          value(decodeFloat(encodeFloat(v.value))) === v.value
        );
      }),
      { numRuns: 50_000 },
    );
  });

  it('encodes numbers like the Nordic library (shortest exponent keeping the precision)', () => {
    expect(encodeFloat(12345.67)).toBe(0xfe12d687);
    expect(encodeFloat(1)).toBe(0x00000001);
    expect(encodeFloat(37.6)).toBe(0xff000178);
    expect(encodeFloat(1971210000)).toBe(0x031e140a);
    expect(value(decodeFloat(encodeFloat(1971210000)))).toBe(1971210000);
    expect(value(decodeFloat(encodeFloat(3.7e129)))).toBe(3.7e129);
    expect(value(decodeFloat(encodeFloat(1.23456789)))).toBe(1.234568);
  });

  it('encodes special values and refuses what it cannot represent', () => {
    expect(encodeFloat(SPECIAL_VALUES.NaN)).toBe(0x007fffff);
    expect(encodeFloat(SPECIAL_VALUES.NRes)).toBe(0x00800000);
    expect(encodeFloat(SPECIAL_VALUES.reserved)).toBe(0x00800001);
    expect(encodeFloat(SPECIAL_VALUES['+INFINITY'])).toBe(0x007ffffe);
    expect(encodeFloat(SPECIAL_VALUES['-INFINITY'])).toBe(0x00800002);
    expect(() => encodeFloat(Number.NaN)).toThrow(RangeError);
    expect(() => encodeFloat(1e300)).toThrow(/out of the FLOAT range/);
    expect(() => decodeFloat(2 ** 32)).toThrow(RangeError);
  });
});

describe('special values', () => {
  it('are frozen singletons that are not numbers', () => {
    for (const s of Object.values(SPECIAL_VALUES)) {
      expect(Object.isFrozen(s)).toBe(true);
      expect(isSpecialValue(s)).toBe(true);
      expect(typeof s).not.toBe('number');
    }
    expect(decodeSfloat(0x07ff)).toBe(SPECIAL_VALUES.NaN);
    expect(decodeFloat(0x00800000)).toBe(SPECIAL_VALUES.NRes);
    expect(isSpecialValue(37)).toBe(false);
    expect(isSpecialValue(decodeSfloat(0x0072))).toBe(false);
  });
});
