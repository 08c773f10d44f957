import { HealthItError } from '@healthit/core';

/** How the bytes of a message (and of its `\Xhh\` escapes) are read, chosen by MSH-18. */
export type Hl7Encoding = 'utf-8' | 'latin1';

const utf8 = new TextDecoder('utf-8', { fatal: true });
const utf8Encoder = new TextEncoder();

/**
 * The byte encoding of an MSH-18 character set (first repetition), or undefined when it is not
 * supported. Empty (HL7's default, 7-bit ASCII), `ASCII`, `ISO IR6` and `UNICODE UTF-8` are read
 * as UTF-8 (a superset of ASCII); `8859/1` and `ISO IR100` as ISO-8859-1. Others (`8859/2` …,
 * `UNICODE UTF-16`, the ISO 2022 sets) are not supported.
 */
export function hl7Encoding(charset: string): Hl7Encoding | undefined {
  switch (charset) {
    case '':
    case 'ASCII':
    case 'ISO IR6':
    case 'UNICODE UTF-8':
      return 'utf-8';
    case '8859/1':
    case 'ISO IR100':
      return 'latin1';
    default:
      return undefined;
  }
}

function latin1Decode(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length; i += 8192) {
    out += String.fromCharCode(...bytes.subarray(i, i + 8192));
  }
  return out;
}

/**
 * Decodes bytes in `encoding`.
 * @throws {TypeError} on malformed UTF-8.
 */
export function decodeBytes(bytes: Uint8Array, encoding: Hl7Encoding): string {
  return encoding === 'utf-8' ? utf8.decode(bytes) : latin1Decode(bytes);
}

/**
 * MSH-18 (first repetition, first component) read from the start of a message without decoding
 * it: the MSH segment is ASCII in every supported encoding. `at(i)` gives the code of byte or
 * character `i`. Empty when absent or when the input does not start with an MSH segment.
 */
function sniff(length: number, at: (i: number) => number): string {
  // Skip blank lines before MSH, as the parser does.
  let start = 0;
  while (start < length && (at(start) === 0x0d || at(start) === 0x0a)) start++;
  if (start + 4 > length || at(start) !== 0x4d || at(start + 1) !== 0x53 || at(start + 2) !== 0x48) return '';
  const fieldSep = at(start + 3);
  let field = 2; // the character at start + 3 is MSH-1; MSH-2 follows it
  const compSep = start + 4 < length ? at(start + 4) : -1;
  const repSep = start + 5 < length ? at(start + 5) : -1;
  let out = '';
  for (let i = start + 4; i < length; i++) {
    const c = at(i);
    if (c === 0x0d || c === 0x0a) break;
    if (c === fieldSep) {
      field++;
      if (field > 18) break;
      continue;
    }
    if (field === 18) {
      if (c === repSep || c === compSep) break;
      out += String.fromCharCode(c);
    }
  }
  return out;
}

/** MSH-18 (first repetition, first component) of raw message bytes; empty when absent. */
export function sniffCharset(bytes: Uint8Array): string {
  return sniff(bytes.length, (i) => bytes[i] as number);
}

/** MSH-18 (first repetition, first component) of message text; empty when absent. */
export function sniffCharsetText(text: string): string {
  return sniff(Math.min(text.length, 65_536), (i) => text.charCodeAt(i));
}

/**
 * Decodes the bytes of one HL7 v2 message (e.g. an MLLP frame) into text, in the character set
 * its MSH-18 declares (see {@link hl7Encoding}).
 *
 * @throws {HealthItError} `codec/decode` when MSH-18 names an unsupported character set or the
 *   bytes are not valid in the declared one.
 * @example
 * ```ts
 * const message = parseHl7(decodeHl7Bytes(frame));
 * ```
 */
export function decodeHl7Bytes(bytes: Uint8Array): string {
  const charset = sniffCharset(bytes);
  const encoding = hl7Encoding(charset);
  if (encoding === undefined) {
    throw new HealthItError(
      'codec/decode',
      `HL7 v2: MSH-18 declares character set "${charset}", which is not supported; send UNICODE UTF-8, ASCII or 8859/1`,
      { detail: { charset } },
    );
  }
  try {
    return decodeBytes(bytes, encoding);
  } catch (e) {
    throw new HealthItError(
      'codec/decode',
      `HL7 v2: the message bytes are not valid ${encoding === 'utf-8' ? 'UTF-8' : encoding} (MSH-18 "${charset}"); check the sender's character set`,
      { cause: e, detail: { charset } },
    );
  }
}

/**
 * Encodes message text into bytes in the character set its MSH-18 declares (UTF-8 unless it says
 * `8859/1`).
 *
 * @throws {HealthItError} `codec/encode` when MSH-18 names an unsupported character set, or the
 *   text has a character ISO-8859-1 cannot represent.
 */
export function encodeHl7Text(text: string): Uint8Array {
  const charset = sniffCharsetText(text);
  const encoding = hl7Encoding(charset);
  if (encoding === undefined) {
    throw new HealthItError('codec/encode', `HL7 v2: cannot encode in character set "${charset}" (MSH-18)`, {
      detail: { charset },
    });
  }
  if (encoding === 'utf-8') return utf8Encoder.encode(text);
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c > 0xff) {
      throw new HealthItError(
        'codec/encode',
        `HL7 v2: character U+${c.toString(16).toUpperCase().padStart(4, '0')} at offset ${i} cannot be sent in 8859/1 (MSH-18); escape it or send UNICODE UTF-8`,
        { detail: { charset, offset: i } },
      );
    }
    out[i] = c;
  }
  return out;
}
