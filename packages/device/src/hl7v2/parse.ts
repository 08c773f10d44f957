import { rawPiece } from './access.js';
import { type Hl7Encoding, hl7Encoding } from './charset.js';
import { delimiterProblem, type Hl7Delimiters } from './delimiters.js';
import { type Hl7ErrorCode, Hl7ParseError } from './errors.js';
import { findEscapeProblem, unescapeHl7 } from './escape.js';
import type { Hl7Header, Hl7Message, Hl7Segment } from './message.js';

/** Segment ids that start a message or a batch: only the first segment of a message may be one. */
const MESSAGE_OR_BATCH = new Set(['MSH', 'BHS', 'BTS', 'FHS', 'FTS']);

/** The parsed MSH segment and what it declares. */
export interface Hl7MshParse {
  readonly delimiters: Hl7Delimiters;
  readonly charset: string;
  readonly header: Hl7Header;
  readonly segment: Hl7Segment;
}

function fail(
  reason: string,
  segmentIndex: number,
  segmentId: string,
  field: number,
  hl7ErrorCode: Hl7ErrorCode,
  segmentSequence = 1,
): never {
  throw new Hl7ParseError(reason, { segmentIndex, segmentId, segmentSequence, field, hl7ErrorCode });
}

/** 1-based occurrence of segment id `id` if it were appended after `previous`. */
function sequenceOf(previous: readonly Hl7Segment[], id: string): number {
  let k = 1;
  for (const s of previous) if (s.id === id) k++;
  return k;
}

function checkEscapes(
  fields: readonly string[],
  from: number,
  d: Hl7Delimiters,
  encoding: Hl7Encoding | undefined,
  segmentIndex: number,
  segmentId: string,
  previous: readonly Hl7Segment[],
): void {
  for (let f = from; f < fields.length; f++) {
    const text = fields[f] as string;
    if (text.indexOf(d.escape) === -1) continue;
    const problem = findEscapeProblem(text, d, encoding);
    if (problem !== undefined)
      fail(problem.reason, segmentIndex, segmentId, f, 102, sequenceOf(previous, segmentId));
  }
}

/** Parses the MSH line (the first non-blank line of a message). */
function parseMsh(line: string): Hl7MshParse {
  if (!line.startsWith('MSH')) {
    fail(
      `a message must start with an MSH segment, found ${JSON.stringify(line.slice(0, 8))}`,
      0,
      line.slice(0, 3),
      0,
      100,
    );
  }
  const fs = line.charAt(3);
  const fsProblem = fs === '' ? 'missing' : delimiterProblem(fs);
  if (fsProblem !== undefined) fail(`field separator (MSH-1) ${fsProblem}`, 0, 'MSH', 1, 102);
  let encEnd = line.indexOf(fs, 4);
  if (encEnd === -1) encEnd = line.length;
  const enc = line.slice(4, encEnd);
  if (enc.length !== 4 && enc.length !== 5) {
    fail(
      `encoding characters (MSH-2) must be 4 characters (component, repetition, escape, sub-component) or 5 with the v2.7 truncation character, got ${JSON.stringify(enc)}`,
      0,
      'MSH',
      2,
      102,
    );
  }
  for (let k = 0; k < enc.length; k++) {
    const ch = enc.charAt(k);
    const problem = delimiterProblem(ch);
    if (problem !== undefined) fail(`encoding character ${problem}`, 0, 'MSH', 2, 102);
    if (ch === fs || enc.indexOf(ch) !== k)
      fail(`delimiter "${ch}" is declared twice in MSH-1/MSH-2`, 0, 'MSH', 2, 102);
  }
  const d: Hl7Delimiters =
    enc.length === 5
      ? {
          field: fs,
          component: enc.charAt(0),
          repetition: enc.charAt(1),
          escape: enc.charAt(2),
          subComponent: enc.charAt(3),
          truncation: enc.charAt(4),
        }
      : {
          field: fs,
          component: enc.charAt(0),
          repetition: enc.charAt(1),
          escape: enc.charAt(2),
          subComponent: enc.charAt(3),
        };
  const fields =
    encEnd < line.length ? ['MSH', fs, enc, ...line.slice(encEnd + 1).split(fs)] : ['MSH', fs, enc];
  const charset = rawPiece(fields[18] ?? '', d, 1, 1, 1);
  const encoding = hl7Encoding(charset);
  checkEscapes(fields, 3, d, encoding, 0, 'MSH', []);
  const messageCode = mshValue(fields, 9, 1, d, charset);
  const triggerEvent = mshValue(fields, 9, 2, d, charset);
  const header: Hl7Header = {
    sendingApplication: mshValue(fields, 3, 1, d, charset),
    sendingFacility: mshValue(fields, 4, 1, d, charset),
    receivingApplication: mshValue(fields, 5, 1, d, charset),
    receivingFacility: mshValue(fields, 6, 1, d, charset),
    dateTime: mshValue(fields, 7, 1, d, charset),
    messageCode,
    triggerEvent,
    messageStructure: mshValue(fields, 9, 3, d, charset),
    messageType: triggerEvent === '' ? messageCode : `${messageCode}^${triggerEvent}`,
    controlId: unescapeHl7(fields[10] ?? '', d, charset),
    processingId: mshValue(fields, 11, 1, d, charset),
    version: mshValue(fields, 12, 1, d, charset),
  };
  return { delimiters: d, charset, header, segment: { id: 'MSH', index: 0, fields } };
}

function mshValue(
  fields: readonly string[],
  field: number,
  comp: number,
  d: Hl7Delimiters,
  charset: string,
): string {
  return unescapeHl7(rawPiece(fields[field] ?? '', d, 1, comp, 1), d, charset);
}

function requireHeaderFields(h: Hl7Header): void {
  const missing: [number, string][] = [];
  if (h.messageCode === '') missing.push([9, 'MSH-9 message type']);
  if (h.controlId === '') missing.push([10, 'MSH-10 message control id']);
  if (h.processingId === '') missing.push([11, 'MSH-11 processing id']);
  if (h.version === '') missing.push([12, 'MSH-12 version id']);
  const first = missing[0];
  if (first !== undefined) {
    fail(`required field missing: ${missing.map(([, name]) => name).join(', ')}`, 0, 'MSH', first[0], 101);
  }
}

function isIdChar(c: number, first: boolean): boolean {
  return (c >= 0x41 && c <= 0x5a) || (!first && c >= 0x30 && c <= 0x39);
}

/**
 * The non-blank lines of `text`: segments end at CR, LF or CRLF, and blank lines (e.g. a trailing
 * newline) are skipped. Linear in the text length.
 */
function lines(text: string): string[] {
  const out: string[] = [];
  const n = text.length;
  let pos = 0;
  let nextCr = text.indexOf('\r');
  let nextLf = text.indexOf('\n');
  while (pos < n) {
    if (nextCr !== -1 && nextCr < pos) nextCr = text.indexOf('\r', pos);
    if (nextLf !== -1 && nextLf < pos) nextLf = text.indexOf('\n', pos);
    let end = nextCr === -1 ? nextLf : nextLf === -1 ? nextCr : Math.min(nextCr, nextLf);
    if (end === -1) end = n;
    if (end > pos) out.push(text.slice(pos, end));
    pos = end + (end === nextCr && nextLf === end + 1 ? 2 : 1);
  }
  return out;
}

/**
 * Parses only the MSH segment of a message (its first non-blank line): delimiters, character
 * set and header. It checks MSH's syntax (delimiters, escape sequences) but not that MSH-9 …
 * MSH-12 are present, so it can read what an acknowledgement should echo from a message that
 * {@link parseHl7} rejects.
 *
 * @throws {Hl7ParseError} when there is no well-formed MSH segment.
 */
export function parseHl7Header(text: string): Hl7MshParse {
  if (typeof text !== 'string') throw new TypeError(`HL7 message must be a string, got ${typeof text}`);
  let start = 0;
  while (start < text.length && (text.charCodeAt(start) === 13 || text.charCodeAt(start) === 10)) start++;
  if (start === text.length) return fail('empty message: expected an MSH segment', 0, '', 0, 100);
  let end = start;
  while (end < text.length && text.charCodeAt(end) !== 13 && text.charCodeAt(end) !== 10) end++;
  return parseMsh(text.slice(start, end));
}

/**
 * Parses one HL7 v2.x message (ER7, the pipe-and-hat encoding), strictly.
 *
 * - Delimiters come from MSH-1 and MSH-2 (4 characters, or 5 with the v2.7 truncation
 *   character); each must be printable ASCII, not a letter or digit, and all must differ.
 * - Segments end at CR (the standard), LF or CRLF; blank lines are skipped. A segment id is three
 *   upper-case letters or digits starting with a letter, followed by the field separator or the
 *   end of the segment.
 * - MSH-9, MSH-10, MSH-11 and MSH-12 are required. A second MSH or a batch segment
 *   (FHS/BHS/BTS/FTS) is rejected: one message per call.
 * - Every escape sequence is checked (see `findEscapeProblem`): unknown or unterminated escapes
 *   are rejected, not passed through. Values are decoded lazily by `hl7Value`.
 *
 * Fields keep their raw text (`segment.fields`); splitting into repetitions, components and
 * sub-components and decoding escapes happens on access.
 *
 * @throws {Hl7ParseError} (`codec/decode`) naming the segment index, field and reason.
 * @throws {TypeError} when `text` is not a string.
 * @example
 * ```ts
 * const message = parseHl7('MSH|^~\\&|MON|WARD|||20250101120000+0000||ORU^R01^ORU_R01|1|P|2.6\rPID|||p-1\r');
 * message.header.messageType; // 'ORU^R01'
 * ```
 */
export function parseHl7(text: string): Hl7Message {
  if (typeof text !== 'string') throw new TypeError(`HL7 message must be a string, got ${typeof text}`);
  const segments: Hl7Segment[] = [];
  let msh: Hl7MshParse | undefined;
  let encoding: Hl7Encoding | undefined;
  for (const line of lines(text)) {
    if (msh === undefined) {
      msh = parseMsh(line);
      requireHeaderFields(msh.header);
      encoding = hl7Encoding(msh.charset);
      segments.push(msh.segment);
      continue;
    }
    segments.push(parseSegment(line, segments, msh.delimiters, encoding));
  }
  if (msh === undefined) return fail('empty message: expected an MSH segment', 0, '', 0, 100);
  return { delimiters: msh.delimiters, charset: msh.charset, header: msh.header, segments };
}

function parseSegment(
  line: string,
  previous: readonly Hl7Segment[],
  d: Hl7Delimiters,
  encoding: Hl7Encoding | undefined,
): Hl7Segment {
  const index = previous.length;
  if (
    line.length < 3 ||
    !isIdChar(line.charCodeAt(0), true) ||
    !isIdChar(line.charCodeAt(1), false) ||
    !isIdChar(line.charCodeAt(2), false)
  ) {
    fail(
      `a segment must start with a 3-character id (upper-case letters and digits), found ${JSON.stringify(line.slice(0, 8))}`,
      index,
      '',
      0,
      100,
    );
  }
  const fields = line.split(d.field);
  const id = fields[0] as string;
  if (id.length !== 3) {
    const head = line.slice(0, 3);
    fail(
      `segment id ${head} must be followed by the field separator "${d.field}"`,
      index,
      head,
      0,
      100,
      sequenceOf(previous, head),
    );
  }
  const c = id.charCodeAt(0);
  if ((c === 0x4d || c === 0x42 || c === 0x46) && MESSAGE_OR_BATCH.has(id)) {
    fail(
      `${id} inside a message: parse one message at a time (batches are not supported)`,
      index,
      id,
      0,
      100,
      sequenceOf(previous, id),
    );
  }
  if (line.indexOf(d.escape) !== -1) checkEscapes(fields, 1, d, encoding, index, id, previous);
  return { id, index, fields };
}
