import { type Hl7Delimiters, sameDelimiters } from './delimiters.js';
import { escapeHl7, unescapeHl7 } from './escape.js';

/** Escapes each component and joins them, dropping trailing empty components. */
export function components(parts: readonly string[], d: Hl7Delimiters): string {
  let end = parts.length;
  while (end > 0 && parts[end - 1] === '') end--;
  let out = '';
  for (let i = 0; i < end; i++) out += (i === 0 ? '' : d.component) + escapeHl7(parts[i] as string, d);
  return out;
}

/** A field given as text (one component) or as components. */
export function fieldText(value: string | readonly string[] | undefined, d: Hl7Delimiters): string {
  if (value === undefined) return '';
  return typeof value === 'string' ? escapeHl7(value, d) : components(value, d);
}

/** Joins fields into a segment, dropping trailing empty fields. */
export function segment(id: string, fields: readonly string[], d: Hl7Delimiters): string {
  let end = fields.length;
  while (end > 0 && fields[end - 1] === '') end--;
  return end === 0 ? id : `${id}${d.field}${fields.slice(0, end).join(d.field)}`;
}

/**
 * Re-encodes a raw field written with delimiters `from` for delimiters `to`, keeping its
 * repetitions, components and sub-components.
 */
export function recodeField(raw: string, from: Hl7Delimiters, to: Hl7Delimiters, charset: string): string {
  if (raw === '' || sameDelimiters(from, to)) return raw;
  return raw
    .split(from.repetition)
    .map((rep) =>
      rep
        .split(from.component)
        .map((comp) =>
          comp
            .split(from.subComponent)
            .map((sub) => escapeHl7(unescapeHl7(sub, from, charset), to))
            .join(to.subComponent),
        )
        .join(to.component),
    )
    .join(to.repetition);
}

/**
 * Formats a finite number as an HL7 NM: digits, an optional sign and decimal point, never an
 * exponent; the shortest text that reads back as exactly the same number.
 *
 * @throws {RangeError} when `value` is not finite.
 */
export function formatNm(value: number): string {
  if (!Number.isFinite(value)) throw new RangeError(`an HL7 NM must be a finite number, got ${value}`);
  if (Object.is(value, -0)) return '-0';
  const s = String(value);
  const e = s.indexOf('e');
  if (e === -1) return s;
  const exponent = Number(s.slice(e + 1));
  let mantissa = s.slice(0, e);
  const negative = mantissa.startsWith('-');
  if (negative) mantissa = mantissa.slice(1);
  const dot = mantissa.indexOf('.');
  const digits = dot === -1 ? mantissa : mantissa.slice(0, dot) + mantissa.slice(dot + 1);
  const point = (dot === -1 ? mantissa.length : dot) + exponent;
  let plain: string;
  if (point <= 0) plain = `0.${'0'.repeat(-point)}${digits}`;
  else if (point >= digits.length) plain = digits + '0'.repeat(point - digits.length);
  else plain = `${digits.slice(0, point)}.${digits.slice(point)}`;
  return negative ? `-${plain}` : plain;
}
