/**
 * The Masimo "ASCII 1" serial trend line (Radical-7, Rad-7, Rad-8 pulse oximeters): one line of
 * text per second on the RS-232 port, e.g.
 *
 * ```text
 * 03/17/16 19:19:36 SN=---------- SPO2=098% BPM=123 PI=00.55 SPCO=--% ... ALARM=000000 EXC=0000C00 EXC1=00000000
 * ```
 *
 * Date `MM/DD/YY` and time `HH:MM:SS` of the device's clock (no zone), then `KEY=VALUE` fields
 * separated by one space. Dashes mean "no value". This module decodes the line strictly into a
 * plain {@link MasimoAsciiFrame} (field names from the manual) and encodes one back, so tests and
 * simulators can produce lines; the mapping to `Reading`s is in `masimo-readings.ts`.
 * @packageDocumentation
 */
import { HealthItError } from '@healthit/core';

/** The bits of the `EXC` (exception) field, from the Rad-8 operator's manual ("Trend Data format"). */
export const MASIMO_EXCEPTIONS = {
  noSensor: 0x001,
  defectiveSensor: 0x002,
  lowPerfusion: 0x004,
  pulseSearch: 0x008,
  interference: 0x010,
  sensorOff: 0x020,
  ambientLight: 0x040,
  unrecognizedSensor: 0x080,
  lowSignalIq: 0x400,
  /** The algorithm runs in full SET mode: normal operation, not a problem. */
  masimoSet: 0x800,
} as const;
/** The name of one exception bit. */
export type MasimoException = keyof typeof MASIMO_EXCEPTIONS;

/** The longest line accepted, in bytes (a full Rad-7 line is about 180). */
export const MASIMO_MAX_LINE_BYTES = 512;

/** One decoded ASCII 1 line. `undefined` where the device sent dashes. */
export interface MasimoAsciiFrame {
  /** The device clock's date and time, as printed (no time zone). */
  readonly year: number;
  readonly month: number;
  readonly day: number;
  readonly hour: number;
  readonly minute: number;
  readonly second: number;
  /** `SN`: the device's serial number (10 digits), when configured. */
  readonly serialNumber: string | undefined;
  /** `SPO2`: functional oxygen saturation, % (0–100). */
  readonly spo2Percent: number | undefined;
  /** `BPM`: pulse rate, beats per minute. */
  readonly pulseRatePerMin: number | undefined;
  /** `PI`: perfusion index, % (0–99.99). */
  readonly perfusionIndexPercent: number | undefined;
  /** `ALARM`: the alarm bits as a number (their meaning is not published by Masimo). */
  readonly alarm: number;
  /** `EXC`: the exception bits as a number; see {@link MASIMO_EXCEPTIONS}. */
  readonly exceptions: number;
  /** `EXC1`: the second exception word of newer devices, when sent. */
  readonly exceptions1: number | undefined;
  /**
   * Every other parameter exactly as sent (`SPCO`, `SPMET`, `SPHB`, `DESAT`, `PIDELTA`, `PVI`, ...),
   * in the order sent.
   */
  readonly other: Readonly<Record<string, string>>;
}

/**
 * An ASCII 1 line could not be decoded. A permanent `codec/decode` {@link HealthItError}: the same
 * bytes always fail the same way.
 *
 * @example
 * ```ts
 * try { decodeMasimoAscii(bytes) } catch (e) {
 *   if (e instanceof MasimoAsciiDecodeError) log(e.offset, e.reason);
 * }
 * ```
 */
export class MasimoAsciiDecodeError extends HealthItError {
  override readonly name = 'MasimoAsciiDecodeError';
  /** The byte offset in the line where decoding failed. */
  readonly offset: number;
  /** Why, e.g. `SPO2 must be three digits or "---" followed by "%", got "98%"`. */
  readonly reason: string;
  /** The line's length in bytes. */
  readonly lineLength: number;

  constructor(offset: number, reason: string, lineLength: number) {
    super(
      'codec/decode',
      `Cannot decode Masimo ASCII 1 line of ${lineLength} byte(s) at offset ${offset}: ${reason}. ` +
        'Check that the oximeter is set to serial mode ASCII 1 and that each message is one whole line.',
      { detail: { offset, reason, lineLength } },
    );
    this.offset = offset;
    this.reason = reason;
    this.lineLength = lineLength;
  }
}

/** True when `bit` is set in the frame's `EXC` field. */
export function hasException(frame: MasimoAsciiFrame, bit: MasimoException): boolean {
  return (frame.exceptions & MASIMO_EXCEPTIONS[bit]) !== 0;
}

/** The names of the exception bits set in `exceptions`, in bit order. */
export function exceptionNames(exceptions: number): MasimoException[] {
  return (Object.keys(MASIMO_EXCEPTIONS) as MasimoException[]).filter(
    (name) => (exceptions & MASIMO_EXCEPTIONS[name]) !== 0,
  );
}

const KNOWN = new Set(['SN', 'SPO2', 'BPM', 'PI', 'ALARM', 'EXC', 'EXC1']);
const KEY = /^[A-Z][A-Z0-9]{0,15}$/;
const RAW_VALUE = /^[-+.%0-9A-Za-z]{1,16}$/;
const HEX = /^[0-9A-Fa-f]{1,8}$/;
const DAYS_IN_MONTH = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function twoDigits(text: string, at: number, what: string, min: number, max: number, len: number): number {
  const s = text.slice(at, at + 2);
  if (!/^[0-9]{2}$/.test(s)) {
    throw new MasimoAsciiDecodeError(at, `${what} must be two digits, got "${s}"`, len);
  }
  const v = Number(s);
  if (v < min || v > max) throw new MasimoAsciiDecodeError(at, `${what} ${v} is outside ${min}–${max}`, len);
  return v;
}

function expectChar(text: string, at: number, ch: string, len: number): void {
  if (text[at] !== ch) {
    throw new MasimoAsciiDecodeError(
      at,
      `expected "${ch}", got ${text[at] === undefined ? 'the end of the line' : `"${text[at]}"`}`,
      len,
    );
  }
}

/** `---` (any number of dashes, with `.`) → undefined; otherwise the text. */
function isDashes(value: string): boolean {
  return /^[-.]+$/.test(value);
}

/**
 * Decodes one ASCII 1 line (with or without its CR LF).
 * @throws {MasimoAsciiDecodeError} on a byte outside printable ASCII, a line longer than
 *   {@link MASIMO_MAX_LINE_BYTES}, a malformed date, time or field, a repeated key, a missing
 *   `SPO2`, `BPM`, `ALARM` or `EXC` field, or a value outside its range.
 */
export function decodeMasimoAscii(bytes: Uint8Array): MasimoAsciiFrame {
  let end = bytes.byteLength;
  if (end > 0 && bytes[end - 1] === 0x0a) end -= 1;
  if (end > 0 && bytes[end - 1] === 0x0d) end -= 1;
  const len = bytes.byteLength;
  if (end > MASIMO_MAX_LINE_BYTES) {
    throw new MasimoAsciiDecodeError(
      MASIMO_MAX_LINE_BYTES,
      `longer than ${MASIMO_MAX_LINE_BYTES} bytes`,
      len,
    );
  }
  let text = '';
  for (let i = 0; i < end; i++) {
    const b = bytes[i] as number;
    if (b < 0x20 || b > 0x7e) {
      throw new MasimoAsciiDecodeError(
        i,
        `byte 0x${b.toString(16).padStart(2, '0')} is not printable ASCII`,
        len,
      );
    }
    text += String.fromCharCode(b);
  }

  // MM/DD/YY HH:MM:SS
  const month = twoDigits(text, 0, 'month', 1, 12, len);
  expectChar(text, 2, '/', len);
  const day = twoDigits(text, 3, 'day', 1, 31, len);
  expectChar(text, 5, '/', len);
  const year = 2000 + twoDigits(text, 6, 'year', 0, 99, len);
  const leap = year % 4 === 0; // 2000–2099: every fourth year
  if (day > (month === 2 && !leap ? 28 : (DAYS_IN_MONTH[month - 1] as number))) {
    throw new MasimoAsciiDecodeError(3, `${text.slice(0, 8)} is not a date`, len);
  }
  expectChar(text, 8, ' ', len);
  const hour = twoDigits(text, 9, 'hour', 0, 23, len);
  expectChar(text, 11, ':', len);
  const minute = twoDigits(text, 12, 'minute', 0, 59, len);
  expectChar(text, 14, ':', len);
  const second = twoDigits(text, 15, 'second', 0, 59, len);

  const fields = new Map<string, { value: string; at: number }>();
  const other: Record<string, string> = {};
  let at = 17;
  while (at < text.length) {
    expectChar(text, at, ' ', len);
    at += 1;
    const next = text.indexOf(' ', at);
    const token = text.slice(at, next === -1 ? text.length : next);
    const eq = token.indexOf('=');
    const key = eq === -1 ? token : token.slice(0, eq);
    const value = eq === -1 ? '' : token.slice(eq + 1);
    if (eq === -1 || !KEY.test(key)) {
      throw new MasimoAsciiDecodeError(at, `expected a KEY=VALUE field, got "${token}"`, len);
    }
    if (!RAW_VALUE.test(value)) {
      throw new MasimoAsciiDecodeError(at + eq + 1, `${key} has no value or an invalid one: "${value}"`, len);
    }
    if (fields.has(key)) throw new MasimoAsciiDecodeError(at, `${key} appears twice`, len);
    fields.set(key, { value, at: at + eq + 1 });
    if (!KNOWN.has(key)) other[key] = value;
    at += token.length;
  }

  const field = (key: string, required: boolean): { value: string; at: number } | undefined => {
    const f = fields.get(key);
    if (f === undefined && required) throw new MasimoAsciiDecodeError(text.length, `no ${key} field`, len);
    return f;
  };
  const spo2 = field('SPO2', true) as { value: string; at: number };
  const bpm = field('BPM', true) as { value: string; at: number };
  const alarm = field('ALARM', true) as { value: string; at: number };
  const exc = field('EXC', true) as { value: string; at: number };
  const exc1 = field('EXC1', false);
  const sn = field('SN', false);
  const pi = field('PI', false);

  if (!/^([0-9]{3}|---)%$/.test(spo2.value)) {
    throw new MasimoAsciiDecodeError(
      spo2.at,
      `SPO2 must be three digits or "---" followed by "%", got "${spo2.value}"`,
      len,
    );
  }
  const spo2Percent = spo2.value.startsWith('-') ? undefined : Number(spo2.value.slice(0, 3));
  if (spo2Percent !== undefined && spo2Percent > 100) {
    throw new MasimoAsciiDecodeError(spo2.at, `SPO2 ${spo2Percent} % is above 100 %`, len);
  }
  if (!/^([0-9]{3}|---)$/.test(bpm.value)) {
    throw new MasimoAsciiDecodeError(bpm.at, `BPM must be three digits or "---", got "${bpm.value}"`, len);
  }
  const pulseRatePerMin = bpm.value.startsWith('-') ? undefined : Number(bpm.value);

  let perfusionIndexPercent: number | undefined;
  if (pi !== undefined) {
    if (!/^([0-9]{2}\.[0-9]{2}|--\.--)%?$/.test(pi.value)) {
      throw new MasimoAsciiDecodeError(
        pi.at,
        `PI must be "NN.NN" or "--.--" (optionally "%"), got "${pi.value}"`,
        len,
      );
    }
    perfusionIndexPercent = pi.value.startsWith('-') ? undefined : Number(pi.value.slice(0, 5));
  }

  let serialNumber: string | undefined;
  if (sn !== undefined && !isDashes(sn.value)) {
    if (!/^[0-9]{10}$/.test(sn.value)) {
      throw new MasimoAsciiDecodeError(sn.at, `SN must be ten digits or dashes, got "${sn.value}"`, len);
    }
    serialNumber = sn.value;
  }

  const hex = (f: { value: string; at: number }, key: string): number => {
    if (!HEX.test(f.value)) {
      throw new MasimoAsciiDecodeError(f.at, `${key} must be 1–8 hexadecimal digits, got "${f.value}"`, len);
    }
    return Number.parseInt(f.value, 16);
  };

  return {
    year,
    month,
    day,
    hour,
    minute,
    second,
    serialNumber,
    spo2Percent,
    pulseRatePerMin,
    perfusionIndexPercent,
    alarm: hex(alarm, 'ALARM'),
    exceptions: hex(exc, 'EXC'),
    exceptions1: exc1 === undefined ? undefined : hex(exc1, 'EXC1'),
    other,
  };
}

const pad = (n: number, width: number): string => String(n).padStart(width, '0');

/**
 * Encodes a frame as the device prints it (fields in the Radical-7's order: `SN SPO2 BPM PI`, the
 * other parameters, `ALARM EXC EXC1`), with CR LF.
 * @throws {HealthItError} `codec/encode` when a value cannot be printed in its field's width.
 */
export function encodeMasimoAscii(frame: MasimoAsciiFrame): Uint8Array {
  const fail = (why: string): never => {
    throw new HealthItError('codec/encode', `Cannot encode a Masimo ASCII 1 line: ${why}`);
  };
  const int = (v: number, min: number, max: number, what: string): void => {
    if (!Number.isInteger(v) || v < min || v > max) fail(`${what} ${v} is not an integer in ${min}–${max}`);
  };
  int(frame.year, 2000, 2099, 'year');
  int(frame.month, 1, 12, 'month');
  int(frame.day, 1, 31, 'day');
  int(frame.hour, 0, 23, 'hour');
  int(frame.minute, 0, 59, 'minute');
  int(frame.second, 0, 59, 'second');
  if (frame.spo2Percent !== undefined) int(frame.spo2Percent, 0, 100, 'SPO2');
  if (frame.pulseRatePerMin !== undefined) int(frame.pulseRatePerMin, 0, 999, 'BPM');
  const pi = frame.perfusionIndexPercent;
  if (pi !== undefined && !(Math.abs(pi * 100 - Math.round(pi * 100)) < 1e-6 && pi >= 0 && pi <= 99.99)) {
    fail(`PI ${pi} is not a number of hundredths in 0–99.99`);
  }
  for (const [k, v] of [
    ['ALARM', frame.alarm],
    ['EXC', frame.exceptions],
    ['EXC1', frame.exceptions1 ?? 0],
  ] as const) {
    int(v, 0, 0xffff_ffff, k);
  }
  if (frame.serialNumber !== undefined && !/^[0-9]{10}$/.test(frame.serialNumber)) {
    fail(`SN "${frame.serialNumber}" is not ten digits`);
  }
  const parts = [
    `${pad(frame.month, 2)}/${pad(frame.day, 2)}/${pad(frame.year - 2000, 2)}`,
    `${pad(frame.hour, 2)}:${pad(frame.minute, 2)}:${pad(frame.second, 2)}`,
    `SN=${frame.serialNumber ?? '----------'}`,
    `SPO2=${frame.spo2Percent === undefined ? '---' : pad(frame.spo2Percent, 3)}%`,
    `BPM=${frame.pulseRatePerMin === undefined ? '---' : pad(frame.pulseRatePerMin, 3)}`,
    `PI=${pi === undefined ? '--.--' : pi.toFixed(2).padStart(5, '0')}`,
  ];
  for (const [k, v] of Object.entries(frame.other)) {
    if (KNOWN.has(k) || !KEY.test(k) || !RAW_VALUE.test(v))
      fail(`other parameter ${k}=${v} cannot be printed`);
    parts.push(`${k}=${v}`);
  }
  parts.push(`ALARM=${frame.alarm.toString(16).toUpperCase().padStart(6, '0')}`);
  parts.push(`EXC=${frame.exceptions.toString(16).toUpperCase().padStart(6, '0')}`);
  if (frame.exceptions1 !== undefined) {
    parts.push(`EXC1=${frame.exceptions1.toString(16).toUpperCase().padStart(8, '0')}`);
  }
  const line = `${parts.join(' ')}\r\n`;
  const out = new Uint8Array(line.length);
  for (let i = 0; i < line.length; i++) out[i] = line.charCodeAt(i);
  return out;
}
