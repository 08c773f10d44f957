import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeBase64 } from './base64.js';
import { formatCheckpoint, parseCheckpoint } from './checkpoint.js';
import { isNoteError } from './errors.js';
import { hasControlCharacter } from './text.js';

const ROOT = new Uint8Array(32).fill(0xab);
const R64 = encodeBase64(ROOT);

function rejects(text: string): boolean {
  try {
    parseCheckpoint(text);
    return false;
  } catch (e) {
    return isNoteError(e, 'checkpoint');
  }
}

describe('C2SP tlog-checkpoint text', () => {
  it('formats the three lines and extension lines, each ending in a newline', () => {
    expect(formatCheckpoint({ origin: 'example.com/log', size: 20852163, rootHash: ROOT })).toBe(
      `example.com/log\n20852163\n${R64}\n`,
    );
    expect(formatCheckpoint({ origin: 'o', size: 0, rootHash: ROOT, extensions: ['x y', 'z'] })).toBe(
      `o\n0\n${R64}\nx y\nz\n`,
    );
  });

  it('property: parse(format(c)) gives c back', () => {
    const line = fc.string({ minLength: 1, maxLength: 30 }).filter((s) => !hasControlCharacter(s, false));
    fc.assert(
      fc.property(
        line,
        fc.nat(),
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.array(line, { maxLength: 3 }),
        (origin, size, rootHash, extensions) => {
          const cp = parseCheckpoint(formatCheckpoint({ origin, size, rootHash, extensions }));
          expect(cp).toEqual({ origin, size, rootHash, extensions });
        },
      ),
    );
  });

  it('strict parsing: size, root, lines', () => {
    expect(rejects(`o\n0\n${R64}\n`)).toBe(false);
    const bad = [
      `o\n007\n${R64}\n`, // leading zeros
      `o\n+7\n${R64}\n`,
      `o\n 7\n${R64}\n`,
      `o\n7.0\n${R64}\n`,
      `o\n-1\n${R64}\n`,
      `o\n\n${R64}\n`,
      `o\n9007199254740992\n${R64}\n`, // above Number.MAX_SAFE_INTEGER
      `o\n7\n${encodeBase64(new Uint8Array(31))}\n`, // 31-byte root
      `o\n7\n${encodeBase64(new Uint8Array(33))}\n`,
      `o\n7\n${R64.replace('=', '')}\n`, // unpadded
      `o\n7\n${R64.slice(0, -2)}t=\n`, // non-zero trailing bits: non-canonical base64
      `o\n7\n${R64}`, // no final newline
      `o\n7\n`, // two lines
      `\n7\n${R64}\n`, // empty origin
      `o\n7\n${R64}\n\n`, // empty extension line
      `o\n7\n${R64}\next\n\nx\n`,
      `o\t\n7\n${R64}\n`, // control character
    ];
    for (const text of bad) expect(rejects(text), JSON.stringify(text)).toBe(true);
  });

  it('formatCheckpoint refuses values it could not round-trip (RangeError)', () => {
    expect(() => formatCheckpoint({ origin: '', size: 1, rootHash: ROOT })).toThrow(RangeError);
    expect(() => formatCheckpoint({ origin: 'a\nb', size: 1, rootHash: ROOT })).toThrow(RangeError);
    expect(() => formatCheckpoint({ origin: 'o', size: -1, rootHash: ROOT })).toThrow(RangeError);
    expect(() => formatCheckpoint({ origin: 'o', size: 1.5, rootHash: ROOT })).toThrow(RangeError);
    expect(() => formatCheckpoint({ origin: 'o', size: 1, rootHash: new Uint8Array(31) })).toThrow(
      RangeError,
    );
    expect(() => formatCheckpoint({ origin: 'o', size: 1, rootHash: ROOT, extensions: [''] })).toThrow(
      RangeError,
    );
  });
});
