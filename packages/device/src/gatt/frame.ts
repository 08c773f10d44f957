/**
 * Byte-level helpers shared by the characteristic codecs: bounds checks that throw
 * {@link GattDecodeError}, and a small frame builder for the encoders.
 *
 * @module
 */
import { dateTimeProblem, type GattDateTime, writeDateTime } from './date-time.js';
import { GattDecodeError, GattEncodeError } from './errors.js';
import { floatBits, type Ieee11073Value, type MeasuredValue, sfloatBits } from './ieee11073.js';

/** Options of the GATT decoders. */
export interface GattDecodeOptions {
  /**
   * What to do with bytes after the last field the flags announce. Each characteristic's layout is
   * fully determined by its flags, so by default (`'reject'`) they are an error; `'ignore'`
   * accepts them (e.g. for a device that appends fields of a newer specification revision).
   */
  readonly trailingBytes?: 'reject' | 'ignore';
  /**
   * The connection's ATT_MTU (23…517). A notification carries at most ATT_MTU − 3 bytes, so a
   * longer frame is rejected. Default: no limit (the frame may come from a read or a log).
   */
  readonly attMtu?: number;
}

/** Throws unless `options` are valid, and applies the ATT_MTU limit. */
export function checkFrame(uuid: number, bytes: Uint8Array, options: GattDecodeOptions | undefined): void {
  if (options === undefined) return;
  const { attMtu, trailingBytes } = options;
  if (trailingBytes !== undefined && trailingBytes !== 'reject' && trailingBytes !== 'ignore') {
    throw new RangeError(`trailingBytes must be 'reject' or 'ignore', got ${String(trailingBytes)}`);
  }
  if (attMtu === undefined) return;
  if (!Number.isInteger(attMtu) || attMtu < 23 || attMtu > 517) {
    throw new RangeError(`attMtu must be an integer 23…517, got ${attMtu}`);
  }
  if (bytes.length > attMtu - 3) {
    throw new GattDecodeError(
      uuid,
      attMtu - 3,
      `a notification carries at most ATT_MTU - 3 = ${attMtu - 3} bytes with ATT_MTU ${attMtu}`,
      bytes.length,
    );
  }
}

/** Throws a truncation error unless `size` bytes of `field` start at `offset`. */
export function need(uuid: number, bytes: Uint8Array, offset: number, size: number, field: string): void {
  if (offset + size > bytes.length) {
    throw new GattDecodeError(
      uuid,
      offset,
      `truncated: ${field} needs ${size} byte(s) but the frame ends after ${bytes.length - offset}`,
      bytes.length,
    );
  }
}

/** Throws unless the frame ends at `offset` (or trailing bytes are ignored). */
export function end(
  uuid: number,
  bytes: Uint8Array,
  offset: number,
  options: GattDecodeOptions | undefined,
): void {
  if (offset !== bytes.length && options?.trailingBytes !== 'ignore') {
    throw new GattDecodeError(
      uuid,
      offset,
      `${bytes.length - offset} trailing byte(s) after the last field the flags announce`,
      bytes.length,
    );
  }
}

/** The bytes of a Uint8Array or a DataView (what Web Bluetooth delivers), without copying. */
export function asBytes(bytes: Uint8Array | DataView): Uint8Array {
  if (bytes instanceof Uint8Array) return bytes;
  if (bytes instanceof DataView) return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  throw new TypeError(`GATT frame bytes must be a Uint8Array or a DataView, got ${describe(bytes)}`);
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'object') return (value as object).constructor?.name ?? 'object';
  return typeof value;
}

/** Little-endian uint16 at `offset`. */
export function u16(bytes: Uint8Array, offset: number): number {
  return (bytes[offset] as number) | ((bytes[offset + 1] as number) << 8);
}

/** Builds a frame for one characteristic, validating each field as it is written. */
export class FrameWriter {
  private readonly bytes: number[] = [];

  constructor(private readonly uuid: number) {}

  /** An encode error for `field`. */
  fail(field: string, reason: string): never {
    throw new GattEncodeError(this.uuid, field, reason);
  }

  private uint(field: string, value: unknown, max: number): number {
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > max) {
      this.fail(field, `must be an integer 0…${max}, got ${String(value)}`);
    }
    return value;
  }

  u8(field: string, value: unknown): this {
    this.bytes.push(this.uint(field, value, 0xff));
    return this;
  }

  u16(field: string, value: unknown): this {
    const v = this.uint(field, value, 0xffff);
    this.bytes.push(v & 0xff, v >> 8);
    return this;
  }

  s16(field: string, value: unknown): this {
    if (typeof value !== 'number' || !Number.isInteger(value) || value < -0x8000 || value > 0x7fff) {
      this.fail(field, `must be an integer -32768…32767, got ${String(value)}`);
    }
    const v = value & 0xffff;
    this.bytes.push(v & 0xff, v >> 8);
    return this;
  }

  u24(field: string, value: unknown): this {
    const v = this.uint(field, value, 0xffffff);
    this.bytes.push(v & 0xff, (v >> 8) & 0xff, v >> 16);
    return this;
  }

  sfloat(field: string, value: MeasuredValue | Ieee11073Value): this {
    const bits = sfloatBits(value);
    if (typeof bits === 'string') this.fail(field, bits);
    this.bytes.push(bits & 0xff, bits >> 8);
    return this;
  }

  float(field: string, value: MeasuredValue | Ieee11073Value): this {
    const bits = floatBits(value);
    if (typeof bits === 'string') this.fail(field, bits);
    this.bytes.push(bits & 0xff, (bits >> 8) & 0xff, (bits >> 16) & 0xff, bits >>> 24);
    return this;
  }

  dateTime(field: string, value: GattDateTime): this {
    const problem = dateTimeProblem(value);
    if (problem !== undefined) this.fail(field, problem);
    const out = new Uint8Array(7);
    writeDateTime(out, 0, value);
    this.bytes.push(...out);
    return this;
  }

  /** The frame, with `flags` as its first byte. */
  finish(flags: number): Uint8Array {
    const out = new Uint8Array(this.bytes.length + 1);
    out[0] = flags;
    out.set(this.bytes, 1);
    return out;
  }
}

/** True when an optional field of an encoder input is present (not undefined and not null). */
export function present<T>(value: T | null | undefined): value is T {
  return value !== undefined && value !== null;
}
