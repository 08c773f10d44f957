import { base64urlnopad } from '@scure/base';
import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fromBase64Url, toBase64Url, utf8Decode, utf8Encode } from './bytes.js';

const ascii = (text: string) => new Uint8Array([...text].map((c) => c.charCodeAt(0)));

describe('base64url without padding', () => {
  // RFC 4648 §10 test vectors, with the padding of §5 removed.
  it.each([
    ['', ''],
    ['f', 'Zg'],
    ['fo', 'Zm8'],
    ['foo', 'Zm9v'],
    ['foob', 'Zm9vYg'],
    ['fooba', 'Zm9vYmE'],
    ['foobar', 'Zm9vYmFy'],
  ])('RFC 4648: %j ↔ %j', (text, encoded) => {
    expect(toBase64Url(ascii(text))).toBe(encoded);
    expect(fromBase64Url(encoded)).toEqual(ascii(text));
  });

  it('uses the URL- and filename-safe alphabet (- and _ for 62 and 63)', () => {
    expect(toBase64Url(new Uint8Array([0xfb, 0xff]))).toBe('-_8');
    expect(toBase64Url(new Uint8Array([0xfb, 0xef, 0xbe]))).toBe('----');
    expect(toBase64Url(new Uint8Array([0xff, 0xff, 0xff]))).toBe('____');
    expect(fromBase64Url('-_8')).toEqual(new Uint8Array([0xfb, 0xff]));
  });

  it('agrees with Node’s base64url and round-trips any bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        const encoded = toBase64Url(bytes);
        expect(encoded).toBe(Buffer.from(bytes).toString('base64url'));
        expect(encoded).toMatch(/^[A-Za-z0-9_-]*$/);
        expect(fromBase64Url(encoded)).toEqual(bytes);
      }),
    );
  });

  it('accepts and refuses exactly what the portable @scure/base decoder does (Node fast path)', () => {
    const outcome = (decode: (t: string) => Uint8Array, text: string) => {
      try {
        return Array.from(decode(text));
      } catch {
        return 'refused';
      }
    };
    const chars = fc.constantFrom(
      ...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_=+/ .'.split(''),
    );
    fc.assert(
      fc.property(fc.string({ unit: chars, maxLength: 24 }), (text) => {
        expect(outcome(fromBase64Url, text)).toEqual(outcome((t) => base64urlnopad.decode(t), text));
      }),
      { numRuns: 2000 },
    );
  });

  it.each([
    ['padding', 'Zg=='],
    ['the standard alphabet', '+/8'],
    ['whitespace', 'Zm9v Zg'],
    ['a length of 4n+1', 'Zm9vZ'],
    ['non-zero padding bits (non-canonical)', 'Zh'],
  ])('rejects %s', (_why, text) => {
    expect(() => fromBase64Url(text)).toThrow(Error);
  });
});

describe('UTF-8', () => {
  it('encodes exactly as TextEncoder does, lone surrogates included (Node fast path)', () => {
    const reference = new TextEncoder();
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 300 }), (text) => {
        const bytes = utf8Encode(text);
        expect(bytes).toBeInstanceOf(Uint8Array);
        expect(Array.from(bytes)).toEqual(Array.from(reference.encode(text)));
      }),
      { numRuns: 2000 },
    );
  });

  it('gives disjoint results that stay intact across slab rollovers, short and long strings alike', () => {
    const reference = new TextEncoder();
    fc.assert(
      fc.property(
        fc.array(fc.string({ unit: 'binary', maxLength: 3000 }), { minLength: 1, maxLength: 60 }),
        (texts) => {
          const encoded = texts.map((t) => utf8Encode(t));
          for (const bytes of encoded) bytes.fill(0x2a); // writing one result must not touch another ...
          const again = texts.map((t) => utf8Encode(t));
          texts.forEach((t, i) => {
            expect(encoded[i]?.every((b) => b === 0x2a)).toBe(true);
            expect(Array.from(again[i] ?? [])).toEqual(Array.from(reference.encode(t))); // ... or a later one
          });
        },
      ),
      { numRuns: 200 },
    );
  });

  it('encodes and decodes known strings', () => {
    expect(utf8Encode('€')).toEqual(new Uint8Array([0xe2, 0x82, 0xac]));
    expect(utf8Encode('°C')).toEqual(new Uint8Array([0xc2, 0xb0, 0x43]));
    expect(utf8Decode(new Uint8Array([0xf0, 0x9f, 0xab, 0x80]))).toBe('🫀');
  });

  it('round-trips any well-formed string', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 50 }), (text) => {
        expect(utf8Decode(utf8Encode(text))).toBe(text);
      }),
    );
  });

  it.each([
    ['a byte that never occurs in UTF-8', [0xff]],
    ['a truncated sequence', [0xc3]],
    ['an overlong encoding of "/"', [0xc0, 0xaf]],
    ['an encoded surrogate', [0xed, 0xa0, 0x80]],
    ['a stray continuation byte', [0x41, 0x80]],
  ])('rejects %s with a TypeError', (_why, bytes) => {
    expect(() => utf8Decode(new Uint8Array(bytes))).toThrow(TypeError);
  });
});
