/**
 * IEEE 11073-20601 FLOAT-Type (32-bit) and SFLOAT-Type (16-bit): `value = mantissa × 10^exponent`
 * with a two's-complement exponent (8 bits in FLOAT, 4 in SFLOAT) and a two's-complement mantissa
 * (24 bits, 12 bits). With exponent 0, the five largest mantissas are special values:
 *
 * | special | SFLOAT | FLOAT |
 * | --- | --- | --- |
 * | `+INFINITY` | 0x07FE | 0x007FFFFE |
 * | `NaN` (not a number) | 0x07FF | 0x007FFFFF |
 * | `NRes` (not at this resolution) | 0x0800 | 0x00800000 |
 * | `reserved` (reserved for future use) | 0x0801 | 0x00800001 |
 * | `-INFINITY` | 0x0802 | 0x00800002 |
 *
 * @module
 */

/** The name of an IEEE 11073-20601 special value. */
export type Ieee11073Special = 'NaN' | 'NRes' | '+INFINITY' | '-INFINITY' | 'reserved';

/** A special value: not a number, never to be used as one. */
export interface Ieee11073SpecialValue {
  /** Always `special`: tells it apart from an {@link Ieee11073Number}. */
  readonly type: 'special';
  /** Which special value the reserved mantissa stands for, e.g. `NaN` or `NRes`. */
  readonly special: Ieee11073Special;
}

/** A finite FLOAT/SFLOAT value with the mantissa and exponent it was sent with. */
export interface Ieee11073Number {
  /** Always `number`: tells it apart from an {@link Ieee11073SpecialValue}. */
  readonly type: 'number';
  /** `mantissa × 10^exponent`, the nearest double. */
  readonly value: number;
  /** The two's-complement mantissa as sent: 12 bits in SFLOAT (-2048…2047), 24 bits in FLOAT. */
  readonly mantissa: number;
  /** The base-10 exponent as sent, two's complement: 4 bits in SFLOAT (-8…7), 8 bits in FLOAT (-128…127). */
  readonly exponent: number;
}

/** What {@link decodeSfloat} and {@link decodeFloat} return: a number or a special value. */
export type Ieee11073Value = Ieee11073Number | Ieee11073SpecialValue;

/**
 * A FLOAT/SFLOAT field of a decoded measurement: a plain number, or a special value object. The
 * type forces callers to narrow (`typeof v === 'number'`) before doing arithmetic.
 */
export type MeasuredValue = number | Ieee11073SpecialValue;

function special(name: Ieee11073Special): Ieee11073SpecialValue {
  return Object.freeze({ type: 'special', special: name });
}

/**
 * The special values, one frozen object each. Decoders return these very objects, so a special
 * can also be recognised by identity.
 */
export const SPECIAL_VALUES: Readonly<Record<Ieee11073Special, Ieee11073SpecialValue>> = Object.freeze({
  NaN: special('NaN'),
  NRes: special('NRes'),
  '+INFINITY': special('+INFINITY'),
  '-INFINITY': special('-INFINITY'),
  reserved: special('reserved'),
});

/** True when `value` is a special value (not a number). */
export function isSpecialValue(value: MeasuredValue | Ieee11073Value): value is Ieee11073SpecialValue {
  return typeof value === 'object' && value.type === 'special';
}

/** Special values indexed by `raw - 0x07FE` (SFLOAT) or `raw - 0x007FFFFE` (FLOAT). */
const SPECIAL_BY_OFFSET: readonly Ieee11073SpecialValue[] = [
  SPECIAL_VALUES['+INFINITY'],
  SPECIAL_VALUES.NaN,
  SPECIAL_VALUES.NRes,
  SPECIAL_VALUES.reserved,
  SPECIAL_VALUES['-INFINITY'],
];

const SFLOAT_SPECIAL_BITS: Readonly<Record<Ieee11073Special, number>> = {
  '+INFINITY': 0x07fe,
  NaN: 0x07ff,
  NRes: 0x0800,
  reserved: 0x0801,
  '-INFINITY': 0x0802,
};
const FLOAT_SPECIAL_BITS: Readonly<Record<Ieee11073Special, number>> = {
  '+INFINITY': 0x007ffffe,
  NaN: 0x007fffff,
  NRes: 0x00800000,
  reserved: 0x00800001,
  '-INFINITY': 0x00800002,
};

/** 10^0 … 10^22: every one is exactly representable as a double. */
const POW10: readonly number[] = Array.from({ length: 23 }, (_, k) => 10 ** k);

/**
 * `mantissa × 10^exponent` correctly rounded: one multiplication or division by an exact power of
 * ten when |exponent| ≤ 22, otherwise the (correctly rounded) decimal parser.
 */
function scaleDecimal(mantissa: number, exponent: number): number {
  if (exponent >= 0) {
    if (exponent <= 22) return mantissa * (POW10[exponent] as number);
  } else if (exponent >= -22) {
    return mantissa / (POW10[-exponent] as number);
  }
  return Number(`${mantissa}e${exponent}`);
}

// ---------------------------------------------------------------------------------------------
// Decoding

function checkBits(bits: number, max: number, what: string): void {
  if (typeof bits !== 'number') throw new TypeError(`${what} must be a number, got ${typeof bits}`);
  if (!Number.isInteger(bits) || bits < 0 || bits > max) {
    throw new RangeError(`${what} must be an integer 0…0x${max.toString(16).toUpperCase()}, got ${bits}`);
  }
}

/**
 * Decodes an IEEE 11073-20601 SFLOAT (16 bits, as an unsigned integer: read the two bytes
 * little-endian first).
 *
 * @throws {TypeError} when `bits` is not a number; {RangeError} when it is not an integer 0…0xFFFF.
 * @example
 * ```ts
 * decodeSfloat(0xf065); // { type: 'number', value: 10.1, mantissa: 101, exponent: -1 }
 * decodeSfloat(0x0800); // { type: 'special', special: 'NRes' }
 * ```
 */
export function decodeSfloat(bits: number): Ieee11073Value {
  checkBits(bits, 0xffff, 'An SFLOAT');
  if (bits >= 0x07fe && bits <= 0x0802) return SPECIAL_BY_OFFSET[bits - 0x07fe] as Ieee11073SpecialValue;
  const mantissa = ((bits & 0x0fff) << 20) >> 20;
  const exponent = (bits << 16) >> 28;
  return { type: 'number', value: scaleDecimal(mantissa, exponent), mantissa, exponent };
}

/**
 * Decodes an IEEE 11073-20601 FLOAT (32 bits, as an unsigned integer: read the four bytes
 * little-endian first).
 *
 * @throws {TypeError} when `bits` is not a number; {RangeError} when it is not an integer 0…0xFFFFFFFF.
 * @example
 * ```ts
 * decodeFloat(0xfe000eb0); // { type: 'number', value: 37.6, mantissa: 3760, exponent: -2 }
 * decodeFloat(0x007fffff); // { type: 'special', special: 'NaN' }
 * ```
 */
export function decodeFloat(bits: number): Ieee11073Value {
  checkBits(bits, 0xffffffff, 'A FLOAT');
  if (bits >= 0x007ffffe && bits <= 0x00800002)
    return SPECIAL_BY_OFFSET[bits - 0x007ffffe] as Ieee11073SpecialValue;
  const mantissa = ((bits & 0x00ffffff) << 8) >> 8;
  const exponent = bits >> 24; // ToInt32 makes the top byte a signed 8-bit value
  return { type: 'number', value: scaleDecimal(mantissa, exponent), mantissa, exponent };
}

/** The SFLOAT at `offset` of `bytes` (the caller has checked the length). No allocation. */
export function readSfloat(bytes: Uint8Array, offset: number): MeasuredValue {
  const bits = (bytes[offset] as number) | ((bytes[offset + 1] as number) << 8);
  if (bits >= 0x07fe && bits <= 0x0802) return SPECIAL_BY_OFFSET[bits - 0x07fe] as Ieee11073SpecialValue;
  const mantissa = ((bits & 0x0fff) << 20) >> 20;
  const exponent = (bits << 16) >> 28;
  return exponent >= 0 ? mantissa * (POW10[exponent] as number) : mantissa / (POW10[-exponent] as number);
}

/** The FLOAT at `offset` of `bytes` (the caller has checked the length). No allocation. */
export function readFloat(bytes: Uint8Array, offset: number): MeasuredValue {
  const low =
    (bytes[offset] as number) | ((bytes[offset + 1] as number) << 8) | ((bytes[offset + 2] as number) << 16);
  const exponent = ((bytes[offset + 3] as number) << 24) >> 24;
  if (exponent === 0 && low >= 0x7ffffe && low <= 0x800002) {
    return SPECIAL_BY_OFFSET[low - 0x7ffffe] as Ieee11073SpecialValue;
  }
  return scaleDecimal((low << 8) >> 8, exponent);
}

// ---------------------------------------------------------------------------------------------
// Encoding

interface FloatFormat {
  readonly name: string;
  readonly mantissaBits: number;
  readonly minExponent: number;
  readonly maxExponent: number;
  readonly specialBits: Readonly<Record<Ieee11073Special, number>>;
}

const SFLOAT: FloatFormat = {
  name: 'SFLOAT',
  mantissaBits: 12,
  minExponent: -8,
  maxExponent: 7,
  specialBits: SFLOAT_SPECIAL_BITS,
};
const FLOAT: FloatFormat = {
  name: 'FLOAT',
  mantissaBits: 24,
  minExponent: -128,
  maxExponent: 127,
  specialBits: FLOAT_SPECIAL_BITS,
};

function roundHalfAway(x: number): number {
  return x < 0 ? -Math.round(-x) : Math.round(x);
}

/** `value / 10^exponent`, close enough to round to the right integer mantissa. */
function unscale(value: number, exponent: number): number {
  if (exponent <= 0) return value * (-exponent <= 22 ? (POW10[-exponent] as number) : 10 ** -exponent);
  return value / (exponent <= 22 ? (POW10[exponent] as number) : 10 ** exponent);
}

/** True when (mantissa, exponent) is a number of the format, not a special value or out of range. */
function isNumberCode(format: FloatFormat, mantissa: number, exponent: number): boolean {
  const max = 2 ** (format.mantissaBits - 1) - 1;
  if (exponent === 0) return mantissa >= -(max - 2) && mantissa <= max - 2;
  return mantissa >= -(max + 1) && mantissa <= max;
}

function pack(format: FloatFormat, mantissa: number, exponent: number): number {
  const mantissaMask = 2 ** format.mantissaBits - 1;
  const exponentMask = format.mantissaBits === 12 ? 0xf : 0xff;
  return ((exponent & exponentMask) * (mantissaMask + 1) + (mantissa & mantissaMask)) >>> 0;
}

/**
 * The bits of `value` in `format`, or a reason it cannot be encoded. A number is rounded to the
 * nearest representable value with the most precision, then trailing zeros of a negative
 * exponent are dropped (10.1 → 101 × 10^-1, 120 → 120 × 10^0).
 */
function encodeBits(format: FloatFormat, value: number | Ieee11073Value): number | string {
  if (typeof value === 'object' && value !== null) {
    if (value.type === 'special') {
      const bits = format.specialBits[value.special];
      return bits === undefined ? `unknown special value "${String(value.special)}"` : bits;
    }
    if (value.type === 'number') {
      const { mantissa, exponent } = value;
      if (
        !Number.isInteger(mantissa) ||
        !Number.isInteger(exponent) ||
        exponent < format.minExponent ||
        exponent > format.maxExponent ||
        !isNumberCode(format, mantissa, exponent)
      ) {
        return `mantissa ${mantissa} × 10^${exponent} is not a ${format.name} number`;
      }
      if (scaleDecimal(mantissa, exponent) !== value.value) {
        return `value ${value.value} is not mantissa ${mantissa} × 10^${exponent}`;
      }
      return pack(format, mantissa, exponent);
    }
  }
  if (typeof value !== 'number') return `expected a number or a special value, got ${JSON.stringify(value)}`;
  if (!Number.isFinite(value)) {
    return `${value} is not finite: send a special value (SPECIAL_VALUES.NaN, ['+INFINITY'], ['-INFINITY']) instead`;
  }
  if (value === 0) return 0;
  const max = 2 ** (format.mantissaBits - 1) - 1;
  // The smallest exponent whose mantissa fits is the most precise; start just below log10's guess.
  const guess = Math.ceil(Math.log10(Math.abs(value) / max));
  let exponent = Math.max(format.minExponent, Math.min(format.maxExponent, guess - 1));
  let mantissa = roundHalfAway(unscale(value, exponent));
  while (mantissa > max || mantissa < -(max + 1)) {
    if (exponent === format.maxExponent) {
      return `${value} is out of the ${format.name} range (magnitude at most ${max} × 10^${format.maxExponent})`;
    }
    exponent += 1;
    mantissa = roundHalfAway(unscale(value, exponent));
  }
  if (exponent === 0 && !isNumberCode(format, mantissa, 0)) {
    // The mantissa would read as a special value: take the nearer of ±(max - 2) × 10^0 and the
    // rounding at exponent 1.
    const edge = Math.sign(mantissa) * (max - 2);
    const coarser = roundHalfAway(unscale(value, 1));
    if (Math.abs(value - edge) <= Math.abs(value - coarser * 10)) mantissa = edge;
    else {
      mantissa = coarser;
      exponent = 1;
    }
  }
  if (mantissa === 0) return 0;
  while (exponent < 0 && mantissa % 10 === 0) {
    mantissa /= 10;
    exponent += 1;
  }
  return pack(format, mantissa, exponent);
}

/** Like {@link encodeSfloat} but returns a reason string instead of throwing. For the codecs. */
export function sfloatBits(value: number | Ieee11073Value): number | string {
  return encodeBits(SFLOAT, value);
}

/** Like {@link encodeFloat} but returns a reason string instead of throwing. For the codecs. */
export function floatBits(value: number | Ieee11073Value): number | string {
  return encodeBits(FLOAT, value);
}

/**
 * Encodes a number or a special value as an IEEE 11073-20601 SFLOAT (returned as an unsigned
 * 16-bit integer; send it little-endian). A plain number is rounded to the nearest SFLOAT (four
 * significant digits at most) and written with the shortest exponent that keeps that precision
 * (10.1 → 0xF065, 120 → 0x0078); a decoded {@link Ieee11073Number} keeps its mantissa and
 * exponent, so `encodeSfloat(decodeSfloat(bits)) === bits` for every `bits`.
 *
 * @throws {RangeError} when the value is not finite (use {@link SPECIAL_VALUES}), out of range
 *   (|value| > 2047 × 10^7), or an inconsistent {@link Ieee11073Number}.
 * @example
 * ```ts
 * encodeSfloat(10.1); // 0xf065
 * encodeSfloat(SPECIAL_VALUES.NRes); // 0x0800
 * ```
 */
export function encodeSfloat(value: number | Ieee11073Value): number {
  const bits = encodeBits(SFLOAT, value);
  if (typeof bits === 'string') throw new RangeError(`Cannot encode as SFLOAT: ${bits}`);
  return bits;
}

/**
 * Encodes a number or a special value as an IEEE 11073-20601 FLOAT (returned as an unsigned
 * 32-bit integer; send it little-endian). Rounding and exponent choice as {@link encodeSfloat},
 * with up to seven significant digits; `encodeFloat(decodeFloat(bits)) === bits` for every `bits`.
 *
 * @throws {RangeError} when the value is not finite, out of range, or an inconsistent
 *   {@link Ieee11073Number}.
 * @example
 * ```ts
 * encodeFloat(12345.67); // 0xfe12d687
 * ```
 */
export function encodeFloat(value: number | Ieee11073Value): number {
  const bits = encodeBits(FLOAT, value);
  if (typeof bits === 'string') throw new RangeError(`Cannot encode as FLOAT: ${bits}`);
  return bits;
}
