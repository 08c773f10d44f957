import type { Hl7Delimiters } from './delimiters.js';
import { unescapeHl7 } from './escape.js';
import type { Hl7Message, Hl7Segment } from './message.js';
import { rawField } from './segment.js';

/**
 * The `k`-th (1-based) piece of `text` split at `sep`, without splitting the whole string; empty
 * when there are fewer pieces.
 */
export function nthPiece(text: string, sep: string, k: number): string {
  let start = 0;
  for (let i = 1; i < k; i++) {
    const next = text.indexOf(sep, start);
    if (next === -1) return '';
    start = next + 1;
  }
  const end = text.indexOf(sep, start);
  return end === -1 ? text.slice(start) : text.slice(start, end);
}

/**
 * The raw (still escaped) piece of a raw field at repetition `rep`, component `comp` and
 * sub-component `sub` (all 1-based).
 */
export function rawPiece(field: string, d: Hl7Delimiters, rep: number, comp: number, sub: number): string {
  if (field === '') return '';
  if (rep === 1 && comp === 1 && sub === 1) return firstRawPiece(field, d);
  let s = field;
  if (rep !== 1 || s.includes(d.repetition)) s = nthPiece(s, d.repetition, rep);
  if (comp !== 1 || s.includes(d.component)) s = nthPiece(s, d.component, comp);
  if (sub !== 1 || s.includes(d.subComponent)) s = nthPiece(s, d.subComponent, sub);
  return s;
}

/**
 * The raw (still escaped) first sub-component of the first component of the first repetition of
 * a raw field: the text before the first repetition, component or sub-component separator. One
 * scan, and no copy when the field is a single value (the common case).
 */
export function firstRawPiece(field: string, d: Hl7Delimiters): string {
  const r = d.repetition.charCodeAt(0);
  const c = d.component.charCodeAt(0);
  const s = d.subComponent.charCodeAt(0);
  for (let i = 0; i < field.length; i++) {
    const ch = field.charCodeAt(i);
    if (ch === c || ch === r || ch === s) return field.slice(0, i);
  }
  return field;
}

/**
 * The raw (still escaped) text of field `field` of a segment: HL7 numbering, so for MSH field 1
 * is the field separator and field 2 the encoding characters. Empty when the segment has fewer
 * fields.
 *
 * @example
 * ```ts
 * hl7Field(obx, 5); // '120'
 * ```
 */
export function hl7Field(segment: Hl7Segment, field: number): string {
  return rawField(segment, field);
}

/**
 * The decoded value at field / component / sub-component / repetition of a segment (all 1-based,
 * HL7 numbering: `hl7Value(m, pid, 3, 1)` is PID-3.1 of the first repetition). Escape sequences
 * are decoded in the message's character set. Empty when absent. MSH-1 and MSH-2 are returned
 * as they are.
 *
 * @example
 * ```ts
 * const pid = firstHl7Segment(message, 'PID');
 * if (pid) hl7Value(message, pid, 5, 2); // given name
 * ```
 */
export function hl7Value(
  message: Hl7Message,
  segment: Hl7Segment,
  field: number,
  component = 1,
  subComponent = 1,
  repetition = 1,
): string {
  const raw = rawField(segment, field);
  if (segment.id === 'MSH' && (field === 1 || field === 2)) return raw;
  const d = message.delimiters;
  return unescapeHl7(rawPiece(raw, d, repetition, component, subComponent), d, message.charset);
}

/**
 * A field decoded into repetitions × components × sub-components (`[rep][comp][sub]`, 0-based
 * arrays), escape sequences decoded. An empty field is `[]`.
 *
 * @example
 * ```ts
 * hl7Repetitions(message, obx, 8); // 'L~PM~SP' → [[['L']], [['PM']], [['SP']]]
 * ```
 */
export function hl7Repetitions(message: Hl7Message, segment: Hl7Segment, field: number): string[][][] {
  const raw = rawField(segment, field);
  if (raw === '') return [];
  const d = message.delimiters;
  if (segment.id === 'MSH' && (field === 1 || field === 2)) return [[[raw]]];
  return raw
    .split(d.repetition)
    .map((rep) =>
      rep
        .split(d.component)
        .map((comp) => comp.split(d.subComponent).map((s) => unescapeHl7(s, d, message.charset))),
    );
}

/** Every segment with id `id`, in message order. */
export function findHl7Segments(message: Hl7Message, id: string): Hl7Segment[] {
  return message.segments.filter((s) => s.id === id);
}

/** The first segment with id `id`, or undefined. */
export function firstHl7Segment(message: Hl7Message, id: string): Hl7Segment | undefined {
  return message.segments.find((s) => s.id === id);
}
