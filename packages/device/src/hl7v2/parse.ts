import { rawPiece } from './access.js';
import { type Hl7Encoding, hl7Encoding } from './charset.js';
import { DEFAULT_HL7_DELIMITERS, delimiterProblem, type Hl7Delimiters } from './delimiters.js';
import { type Hl7ErrorCode, Hl7ParseError } from './errors.js';
import { findEscapeProblem, unescapeHl7 } from './escape.js';
import type { Hl7Header, Hl7Message, Hl7Segment } from './message.js';
import { ParsedSegment } from './segment.js';

/** Segment ids that start a message or a batch: only the first segment of a message may be one. */
const MESSAGE_OR_BATCH = new Set(['MSH', 'BHS', 'BTS', 'FHS', 'FTS']);

/** The parsed MSH segment and what it declares. */
export interface Hl7MshParse {
  /** The separators and escape character the message declares in MSH-1 and MSH-2. */
  readonly delimiters: Hl7Delimiters;
  /** MSH-18 (first repetition, first component), e.g. `UNICODE UTF-8`; empty when absent. */
  readonly charset: string;
  /** The MSH values every consumer needs, decoded. */
  readonly header: Hl7Header;
  /** The MSH segment itself, with its raw fields. */
  readonly segment: Hl7Segment;
}

/*
 * What the parser returns is built with classes and the array `split` returns, not with object or
 * array literals: V8 allocates the objects of a literal in the old generation from the moment
 * most of them outlive a few collections ("allocation-site pretenuring"). A caller that keeps
 * parsed messages for a while (a queue, a batch) then turned every later message into old
 * garbage, and parse + map ran 2-3 times slower (measured with bench/hl7.ts). V8 tracks
 * allocation sites only for literals, so class instances stay young. The classes are internal:
 * callers see the interfaces of message.ts (segments: see segment.ts).
 */

class ParsedHeader implements Hl7Header {
  readonly sendingApplication: string;
  readonly sendingFacility: string;
  readonly receivingApplication: string;
  readonly receivingFacility: string;
  readonly dateTime: string;
  readonly messageCode: string;
  readonly triggerEvent: string;
  readonly messageStructure: string;
  readonly messageType: string;
  readonly controlId: string;
  readonly processingId: string;
  readonly version: string;

  /** MSH-3 … MSH-12 (decoded) from the split MSH fields. */
  constructor(fields: readonly string[], d: Hl7Delimiters, charset: string) {
    this.sendingApplication = mshValue(fields, 3, 1, d, charset);
    this.sendingFacility = mshValue(fields, 4, 1, d, charset);
    this.receivingApplication = mshValue(fields, 5, 1, d, charset);
    this.receivingFacility = mshValue(fields, 6, 1, d, charset);
    this.dateTime = mshValue(fields, 7, 1, d, charset);
    this.messageCode = mshValue(fields, 9, 1, d, charset);
    this.triggerEvent = mshValue(fields, 9, 2, d, charset);
    this.messageStructure = mshValue(fields, 9, 3, d, charset);
    this.messageType =
      this.triggerEvent === '' ? this.messageCode : `${this.messageCode}^${this.triggerEvent}`;
    this.controlId = unescapeHl7(fields[10] ?? '', d, charset);
    this.processingId = mshValue(fields, 11, 1, d, charset);
    this.version = mshValue(fields, 12, 1, d, charset);
  }
}

class MshParse implements Hl7MshParse {
  constructor(
    readonly delimiters: Hl7Delimiters,
    readonly charset: string,
    readonly header: Hl7Header,
    readonly segment: Hl7Segment,
  ) {}
}

class ParsedMessage implements Hl7Message {
  constructor(
    readonly delimiters: Hl7Delimiters,
    readonly charset: string,
    readonly header: Hl7Header,
    readonly segments: readonly Hl7Segment[],
  ) {}
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

/** 1-based occurrence of segment id `id` if it followed `segments[0 … before - 1]`. */
function sequenceOf(segments: readonly Hl7Segment[], before: number, id: string): number {
  let k = 1;
  for (let i = 0; i < before; i++) if ((segments[i] as Hl7Segment).id === id) k++;
  return k;
}

function checkEscapes(
  fields: readonly string[],
  from: number,
  d: Hl7Delimiters,
  encoding: Hl7Encoding | undefined,
  segmentIndex: number,
  segmentId: string,
  segments: readonly Hl7Segment[],
): void {
  for (let f = from; f < fields.length; f++) {
    const text = fields[f] as string;
    if (text.indexOf(d.escape) === -1) continue;
    const problem = findEscapeProblem(text, d, encoding);
    if (problem !== undefined)
      fail(problem.reason, segmentIndex, segmentId, f, 102, sequenceOf(segments, segmentIndex, segmentId));
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
  const d = delimitersOf(fs, enc);
  // `line.split` gives ['MSH', MSH-2, MSH-3, …]: insert MSH-1 (the separator itself).
  const fields = line.split(fs);
  fields.splice(1, 0, fs);
  const charset = rawPiece(fields[18] ?? '', d, 1, 1, 1);
  const encoding = hl7Encoding(charset);
  checkEscapes(fields, 3, d, encoding, 0, 'MSH', []);
  const header = new ParsedHeader(fields, d, charset);
  return new MshParse(d, charset, header, new ParsedSegment('MSH', 0, line, fs, fields));
}

/** The delimiters of MSH-1 and MSH-2 (checked); the shared default object for `|^~\&`. */
function delimitersOf(fs: string, enc: string): Hl7Delimiters {
  if (fs === '|' && enc === '^~\\&') return DEFAULT_HL7_DELIMITERS;
  return enc.length === 5
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
 * The lines of `text`: segments end at CR (the standard), LF or CRLF. May contain blank lines
 * (e.g. after a trailing CR), which the parser skips. The common case (CR only) is one native split.
 */
function lines(text: string): string[] {
  return text.indexOf('\n') === -1 ? text.split('\r') : text.split(LINE_END);
}

const LINE_END = /\r\n|\r|\n/;

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
 * Fields keep their raw text (`segment.fields`); a segment's line is split into fields on first
 * access (then cached), and splitting into repetitions, components and sub-components and
 * decoding escapes happens on access too.
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
  // The split lines are replaced in place by their segments (no second array), blank lines dropped.
  const parts = lines(text);
  const segments = parts as unknown as Hl7Segment[];
  let count = 0;
  let msh: Hl7MshParse | undefined;
  let encoding: Hl7Encoding | undefined;
  for (let i = 0; i < parts.length; i++) {
    const line = parts[i] as string;
    if (line === '') continue;
    if (msh === undefined) {
      msh = parseMsh(line);
      requireHeaderFields(msh.header);
      encoding = hl7Encoding(msh.charset);
      segments[count++] = msh.segment;
      continue;
    }
    segments[count] = parseSegment(line, count, segments, msh.delimiters, encoding);
    count++;
  }
  if (msh === undefined) return fail('empty message: expected an MSH segment', 0, '', 0, 100);
  segments.length = count;
  return new ParsedMessage(msh.delimiters, msh.charset, msh.header, segments);
}

/**
 * The 3-character id a line starts with. The ids of ORU^R01 and ACK are the literal (interned)
 * strings, so no string is allocated for them and `segment.id === 'OBX'` is a pointer comparison.
 */
function segmentId(line: string): string {
  const c0 = line.charCodeAt(0);
  const c1 = line.charCodeAt(1);
  const c2 = line.charCodeAt(2);
  if (c0 === 0x4f /* O */ && c1 === 0x42 /* B */) {
    if (c2 === 0x58 /* X */) return 'OBX';
    if (c2 === 0x52 /* R */) return 'OBR';
  } else if (c0 === 0x50 /* P */) {
    if (c1 === 0x49 /* I */ && c2 === 0x44 /* D */) return 'PID';
    if (c1 === 0x56 /* V */ && c2 === 0x31 /* 1 */) return 'PV1';
  } else if (c0 === 0x4e /* N */ && c1 === 0x54 /* T */ && c2 === 0x45 /* E */) return 'NTE';
  else if (c0 === 0x4d /* M */ && c1 === 0x53 /* S */ && c2 === 0x41 /* A */) return 'MSA';
  else if (c0 === 0x45 /* E */ && c1 === 0x52 /* R */ && c2 === 0x52 /* R */) return 'ERR';
  return line.slice(0, 3);
}

/** Parses segment number `index`; `segments[0 … index - 1]` are the segments before it. */
function parseSegment(
  line: string,
  index: number,
  segments: readonly Hl7Segment[],
  d: Hl7Delimiters,
  encoding: Hl7Encoding | undefined,
): Hl7Segment {
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
  const id = segmentId(line);
  if (line.length > 3 && line.charAt(3) !== d.field) {
    fail(
      `segment id ${id} must be followed by the field separator "${d.field}"`,
      index,
      id,
      0,
      100,
      sequenceOf(segments, index, id),
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
      sequenceOf(segments, index, id),
    );
  }
  // Fields are split on first access, except when there is an escape sequence to check.
  if (line.indexOf(d.escape, 4) === -1) return new ParsedSegment(id, index, line, d.field);
  const fields = line.split(d.field);
  checkEscapes(fields, 1, d, encoding, index, id, segments);
  return new ParsedSegment(id, index, line, d.field, fields);
}
