import { decodeBytes, type Hl7Encoding, hl7Encoding } from './charset.js';
import type { Hl7Delimiters } from './delimiters.js';
import { Hl7ParseError } from './errors.js';

/** A malformed escape sequence: where it starts (offset in the text) and what is wrong. */
export interface EscapeProblem {
  /** 0-based offset in the text of the escape character that starts the malformed sequence. */
  readonly offset: number;
  /** What is wrong, with a preview of the text there, e.g. `unterminated escape sequence at …`. */
  readonly reason: string;
}

/** Formatting escapes (\H\ \N\ \.br\ \.sp\ …), kept verbatim: they only mean something in FT/TX/CF. */
const FORMATTING = /^(?:H|N|\.br|\.fi|\.nf|\.ce|\.sp[+-]?\d*|\.sk[+-]?\d*|\.in[+-]?\d*|\.ti[+-]?\d*)$/;
/** Character-set switches (\Cxxyy\ \Mxxyyzz\) and locally defined escapes (\Z…\), kept verbatim. */
const KEPT = /^(?:C[0-9A-Fa-f]{4}|M[0-9A-Fa-f]{4}(?:[0-9A-Fa-f]{2})?|Z.+)$/;
const HEX = /^(?:[0-9A-Fa-f]{2})+$/;

function hexBytes(hex: string): Uint8Array {
  const bytes = new Uint8Array(hex.length / 2);
  for (let k = 0; k < bytes.length; k++) bytes[k] = Number.parseInt(hex.slice(2 * k, 2 * k + 2), 16);
  return bytes;
}

function preview(text: string, offset: number): string {
  const s = text.slice(offset, offset + 12);
  return JSON.stringify(text.length > offset + 12 ? `${s}…` : s);
}

/**
 * Checks one escape sequence `seq` (the text between two escape characters); returns what is
 * wrong with it or undefined.
 */
function sequenceProblem(
  seq: string,
  d: Hl7Delimiters,
  encoding: Hl7Encoding | undefined,
): string | undefined {
  if (seq.length === 0) return 'empty escape sequence';
  if (
    seq.includes(d.component) ||
    seq.includes(d.repetition) ||
    seq.includes(d.subComponent) ||
    seq.includes(d.field)
  ) {
    return 'escape sequence contains a delimiter (unterminated escape sequence?)';
  }
  if (seq.length === 1) {
    if ('FSTRE'.includes(seq)) return undefined;
    if (seq === 'P')
      return d.truncation === undefined
        ? 'escape \\P\\ but MSH-2 declares no truncation character'
        : undefined;
  }
  if (seq.charCodeAt(0) === 0x58 /* X */) {
    const hex = seq.slice(1);
    if (!HEX.test(hex)) return 'hexadecimal escape \\X..\\ needs pairs of hex digits';
    if (encoding === undefined) return 'hexadecimal escape \\X..\\ in an unsupported character set (MSH-18)';
    try {
      decodeBytes(hexBytes(hex), encoding);
    } catch {
      return 'hexadecimal escape \\X..\\ is not valid UTF-8';
    }
    return undefined;
  }
  if (FORMATTING.test(seq) || KEPT.test(seq)) return undefined;
  return `unknown escape sequence "${seq}"`;
}

/**
 * Finds the first malformed escape sequence in raw (still escaped) field text, or undefined.
 *
 * Valid: `\F\ \S\ \T\ \R\ \E\`, `\P\` (when MSH-2 declares a truncation character), `\Xhh..\`
 * (pairs of hex digits, valid in the message's character set), the formatting escapes
 * `\H\ \N\ \.br\ \.sp\ \.fi\ \.nf\ \.in\ \.ti\ \.sk\ \.ce\`, and `\Cxxyy\ \Mxxyy[zz]\ \Z..\`.
 * Unterminated, empty or unknown sequences, and sequences containing a delimiter, are malformed.
 */
export function findEscapeProblem(
  text: string,
  d: Hl7Delimiters,
  encoding: Hl7Encoding | undefined,
): EscapeProblem | undefined {
  const esc = d.escape;
  let i = text.indexOf(esc);
  while (i !== -1) {
    const j = text.indexOf(esc, i + 1);
    if (j === -1) {
      return {
        offset: i,
        reason: `unterminated escape sequence at ${preview(text, i)}; a literal "${esc}" must be sent as ${esc}E${esc}`,
      };
    }
    const problem = sequenceProblem(text.slice(i + 1, j), d, encoding);
    if (problem !== undefined) return { offset: i, reason: `${problem} at ${preview(text, i)}` };
    i = text.indexOf(esc, j + 1);
  }
  return undefined;
}

/**
 * Replaces the escape sequences of raw HL7 text by what they stand for: `\F\ \S\ \T\ \R\ \E\ \P\`
 * by the delimiters, `\Xhh..\` by the characters those bytes encode in `charset` (MSH-18).
 * Formatting (`\.br\` …), character-set (`\C..\ \M..\`) and local (`\Z..\`) escapes are kept
 * verbatim. The explicit HL7 null `""` is returned as the two characters `""`.
 *
 * @throws {Hl7ParseError} on a malformed escape sequence (see {@link findEscapeProblem}).
 * @example
 * ```ts
 * unescapeHl7('Smith\\S\\Jr \\T\\ Co', DEFAULT_HL7_DELIMITERS); // 'Smith^Jr & Co'
 * ```
 */
export function unescapeHl7(text: string, d: Hl7Delimiters, charset = ''): string {
  const esc = d.escape;
  let i = text.indexOf(esc);
  if (i === -1) return text;
  const encoding = hl7Encoding(charset);
  let out = '';
  let last = 0;
  while (i !== -1) {
    const j = text.indexOf(esc, i + 1);
    const seq = j === -1 ? '' : text.slice(i + 1, j);
    const problem = j === -1 ? 'unterminated escape sequence' : sequenceProblem(seq, d, encoding);
    if (problem !== undefined) throw new Hl7ParseError(`${problem} at ${preview(text, i)}`);
    out += text.slice(last, i);
    switch (seq) {
      case 'F':
        out += d.field;
        break;
      case 'S':
        out += d.component;
        break;
      case 'T':
        out += d.subComponent;
        break;
      case 'R':
        out += d.repetition;
        break;
      case 'E':
        out += esc;
        break;
      case 'P':
        out += d.truncation ?? '';
        break;
      default:
        out +=
          seq.charCodeAt(0) === 0x58 && encoding !== undefined
            ? decodeBytes(hexBytes(seq.slice(1)), encoding)
            : `${esc}${seq}${esc}`;
    }
    last = j + 1;
    i = text.indexOf(esc, last);
  }
  return out + text.slice(last);
}

/**
 * Escapes text for an HL7 field, component or sub-component: the delimiters and the escape
 * character become `\F\ \S\ \T\ \R\ \E\ (\P\)`, CR and LF become `\X0D\` and `\X0A\` (a segment
 * terminator cannot appear in data).
 *
 * @example
 * ```ts
 * escapeHl7('Smith^Jr & Co', DEFAULT_HL7_DELIMITERS); // 'Smith\\S\\Jr \\T\\ Co'
 * ```
 */
export function escapeHl7(text: string, d: Hl7Delimiters): string {
  let out = '';
  let last = 0;
  const esc = d.escape;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i] as string;
    let replacement: string | undefined;
    if (ch === esc) replacement = 'E';
    else if (ch === d.field) replacement = 'F';
    else if (ch === d.component) replacement = 'S';
    else if (ch === d.subComponent) replacement = 'T';
    else if (ch === d.repetition) replacement = 'R';
    else if (ch === d.truncation) replacement = 'P';
    else if (ch === '\r') replacement = 'X0D';
    else if (ch === '\n') replacement = 'X0A';
    if (replacement !== undefined) {
      out += `${text.slice(last, i)}${esc}${replacement}${esc}`;
      last = i + 1;
    }
  }
  return last === 0 ? text : out + text.slice(last);
}
