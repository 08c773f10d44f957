import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hl7Value } from './access.js';
import { decodeHl7Bytes, encodeHl7Text, hl7Encoding } from './charset.js';
import { DEFAULT_HL7_DELIMITERS as D, type Hl7Delimiters } from './delimiters.js';
import { Hl7ParseError } from './errors.js';
import { escapeHl7, findEscapeProblem, unescapeHl7 } from './escape.js';
import type { Hl7Segment } from './message.js';
import { parseHl7 } from './parse.js';

describe('unescapeHl7', () => {
  it.each([
    ['plain', 'plain'],
    ['a\\F\\b', 'a|b'],
    ['a\\S\\b', 'a^b'],
    ['a\\T\\b', 'a&b'],
    ['a\\R\\b', 'a~b'],
    ['a\\E\\b', 'a\\b'],
    ['\\E\\\\E\\', '\\\\'],
    ['line1\\X0D\\line2', 'line1\rline2'],
    ['\\X41424344\\', 'ABCD'],
    ['\\Xc3a9\\', 'é'],
    ['Temp \\XE28483\\', 'Temp \u2103'],
    ['""', '""'],
  ])('%j → %j (UTF-8)', (raw, text) => {
    expect(unescapeHl7(raw, D, 'UNICODE UTF-8')).toBe(text);
  });

  it('decodes \\X..\\ bytes in the declared character set', () => {
    expect(unescapeHl7('\\XE9\\', D, '8859/1')).toBe('é');
    expect(unescapeHl7('\\Xc3a9\\', D, '')).toBe('é');
    expect(() => unescapeHl7('\\XE9\\', D, 'UNICODE UTF-8')).toThrow(/not valid UTF-8/);
    expect(() => unescapeHl7('\\X41\\', D, '8859/15')).toThrow(/unsupported character set/);
    // Each \X..\ sequence is decoded on its own: a character split across two is malformed.
    expect(() => unescapeHl7('\\XE2\\\\X8483\\', D, 'UNICODE UTF-8')).toThrow(/not valid UTF-8/);
  });

  it('keeps formatting, character-set and local escapes verbatim', () => {
    for (const seq of [
      '\\H\\',
      '\\N\\',
      '\\.br\\',
      '\\.sp2\\',
      '\\.in+4\\',
      '\\.ti-2\\',
      '\\.ce\\',
      '\\.fi\\',
      '\\.nf\\',
      '\\.sk3\\',
      '\\C2842\\',
      '\\M244041\\',
      '\\Zlocal\\',
    ]) {
      expect(findEscapeProblem(`x${seq}y`, D, 'utf-8')).toBeUndefined();
      expect(unescapeHl7(`x${seq}y`, D)).toBe(`x${seq}y`);
    }
  });

  it('rejects unknown and unterminated escapes with an Hl7ParseError', () => {
    for (const raw of ['\\Q\\', 'a\\', '\\\\', '\\X1\\', '\\.xx\\', '\\C12\\']) {
      expect(() => unescapeHl7(raw, D)).toThrow(Hl7ParseError);
      expect(findEscapeProblem(raw, D, 'utf-8')).toBeDefined();
    }
  });
});

describe('escapeHl7', () => {
  it('escapes delimiters, the escape character, CR and LF', () => {
    expect(escapeHl7('Smith^Jr & Co|~\\', D)).toBe('Smith\\S\\Jr \\T\\ Co\\F\\\\R\\\\E\\');
    expect(escapeHl7('a\r\nb', D)).toBe('a\\X0D\\\\X0A\\b');
    expect(escapeHl7('plain', D)).toBe('plain');
  });

  it('escapes the truncation character when there is one', () => {
    const d: Hl7Delimiters = { ...D, truncation: '#' };
    expect(escapeHl7('#1', d)).toBe('\\P\\1');
    expect(unescapeHl7('\\P\\1', d)).toBe('#1');
  });

  it('round-trips any text, and so does a message field carrying it (property)', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'grapheme', maxLength: 40 }),
        fc.stringMatching(/^[|^~\\&\r\nA-Za-z0-9 ]{0,20}$/),
        (a, b) => {
          const text = a + b;
          const escaped = escapeHl7(text, D);
          expect(findEscapeProblem(escaped, D, 'utf-8')).toBeUndefined();
          expect(unescapeHl7(escaped, D, 'UNICODE UTF-8')).toBe(text);
          const m = parseHl7(`MSH|^~\\&|A||||||ORU^R01|1|P|2.6||||||UNICODE UTF-8\rNTE|1||${escaped}`);
          expect(m.segments).toHaveLength(2);
          expect(hl7Value(m, m.segments[1] as Hl7Segment, 3)).toBe(text);
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe('character sets', () => {
  it('maps MSH-18 to an encoding', () => {
    expect(hl7Encoding('')).toBe('utf-8');
    expect(hl7Encoding('ASCII')).toBe('utf-8');
    expect(hl7Encoding('UNICODE UTF-8')).toBe('utf-8');
    expect(hl7Encoding('8859/1')).toBe('latin1');
    expect(hl7Encoding('UNICODE UTF-16')).toBeUndefined();
  });

  it('decodes and encodes message bytes in the declared character set', () => {
    const latin = 'MSH|^~\\&|MÜNCHEN||||||ORU^R01|1|P|2.6||||||8859/1\r';
    const bytes = encodeHl7Text(latin);
    expect(bytes.length).toBe(latin.length);
    expect(bytes[10]).toBe(0xdc);
    expect(decodeHl7Bytes(bytes)).toBe(latin);
    const utf = 'MSH|^~\\&|MÜNCHEN||||||ORU^R01|1|P|2.6||||||UNICODE UTF-8\r';
    expect(encodeHl7Text(utf).length).toBe(utf.length + 1);
    expect(decodeHl7Bytes(encodeHl7Text(utf))).toBe(utf);
  });

  it('rejects undecodable bytes and unsupported character sets with codec errors', () => {
    const bad = new Uint8Array([...new TextEncoder().encode('MSH|^~\\&|'), 0xff, 0x0d]);
    expect(() => decodeHl7Bytes(bad)).toThrow(expect.objectContaining({ code: 'codec/decode' }));
    const utf16 = new TextEncoder().encode('MSH|^~\\&|A||||||ORU^R01|1|P|2.6||||||UNICODE UTF-16\r');
    expect(() => decodeHl7Bytes(utf16)).toThrow(/UNICODE UTF-16/);
    expect(() => encodeHl7Text('MSH|^~\\&|€||||||ORU^R01|1|P|2.6||||||8859/1')).toThrow(
      expect.objectContaining({ code: 'codec/encode' }),
    );
  });
});
