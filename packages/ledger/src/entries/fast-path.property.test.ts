/**
 * The codec's memo of validated texts and its native `JSON.stringify` path give exactly what the
 * reference path gives (the schema on every call, the `canonicalize` package, a byte comparison):
 * the same bytes, hashes and signing messages, the same error reasons, with the memo cold or warm,
 * and after a caller changes an entry it got back.
 */
import { utf8Decode, utf8Encode } from '@healthit/core';
import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ORIGIN, signer } from '../../test/entries-fixtures.js';
import { canonicalJsonReference } from '../canonical-json.js';
import { toHex } from '../hex.js';
import { leafHash } from '../merkle/index.js';
import { decodeEntry, encodeEntry, entryHash } from './codec.js';
import { Entry, MAX_ENTRY_BYTES, ZERO_HASH } from './entry.js';
import { EntryError } from './errors.js';
import { ENTRY_SIGNING_DOMAIN, entrySigningMessage, signEntry } from './signatures.js';

const ALICE = signer(1);
const idArb = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._:/+@-]{0,12}$/);
const textArb = (max: number) => fc.string({ unit: 'binary', maxLength: max });
const digestArb = fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => toHex(b));

const bodyArb = fc.oneof(
  fc.record({
    kind: fc.constant('model.approve' as const),
    body: fc.record(
      {
        modelId: idArb,
        version: textArb(8).filter((v) => v.length > 0),
        digest: digestArb,
        metrics: fc.dictionary(
          fc
            .oneof(textArb(6), fc.constantFrom('10', '9', '__proto__', 'signatures'))
            .filter((k) => k.length > 0),
          fc.double({ noNaN: true, noDefaultInfinity: true }),
          { maxKeys: 5 },
        ),
        intendedUse: textArb(20),
      },
      { requiredKeys: ['modelId', 'version', 'digest', 'metrics'] },
    ),
  }),
  fc.record({
    kind: fc.constant('config.change' as const),
    body: fc.record(
      { target: idArb, version: fc.nat(), digest: digestArb, previousDigest: digestArb, reason: textArb(30) },
      { requiredKeys: ['target', 'version', 'digest', 'reason'] },
    ),
  }),
);

/** Signed entries, built fresh for every run (so the memo has not seen most of them). */
const entryArb = fc
  .record({ kb: bodyArb, seq: fc.nat(1000), prev: digestArb, ts: fc.nat(4e12), stream: idArb })
  .map(({ kb, seq, prev, ts, stream }) =>
    signEntry(
      {
        origin: ORIGIN,
        kind: kb.kind,
        stream: `device:${stream}`,
        seq,
        prev: seq === 0 ? ZERO_HASH : prev,
        ts,
        body: kb.body,
      } as never,
      ALICE,
    ),
  );

/** The pre-memo reference: schema on every call, canonicalize, byte comparison. */
function refParse(input: unknown): Entry {
  const result = Entry.safeParse(input);
  if (!result.success) throw new EntryError('invalid', 'invalid');
  return result.data as Entry;
}
function refText(entry: Entry): string {
  return canonicalJsonReference(refParse(entry)) as string;
}
function refEncode(entry: Entry): Uint8Array {
  const bytes = utf8Encode(refText(entry));
  if (bytes.length > MAX_ENTRY_BYTES) throw new EntryError('oversized', 'oversized');
  return bytes;
}
function refDecode(bytes: Uint8Array): Entry {
  if (bytes.length > MAX_ENTRY_BYTES) throw new EntryError('oversized', 'oversized');
  let value: unknown;
  try {
    value = JSON.parse(utf8Decode(bytes));
  } catch {
    throw new EntryError('malformed', 'malformed');
  }
  const entry = refParse(value);
  const again = utf8Encode(canonicalJsonReference(entry) as string);
  if (again.length !== bytes.length || again.some((b, i) => b !== bytes[i])) {
    throw new EntryError('non-canonical', 'non-canonical');
  }
  return entry;
}
function refMessage(entry: Entry): Uint8Array {
  const { signatures: _s, ...unsigned } = refParse({ ...entry, signatures: [] });
  return utf8Encode(ENTRY_SIGNING_DOMAIN + canonicalJsonReference(unsigned));
}

/**
 * What a call gave: its result (bytes as hex, values as canonical JSON: member order is not part
 * of an entry), or its error's reason (or class for non-entry errors).
 */
function outcome(f: () => unknown): string {
  try {
    const value = f();
    return `ok ${value instanceof Uint8Array ? toHex(value) : canonicalJsonReference(value)}`;
  } catch (error) {
    return error instanceof EntryError ? `error ${error.reason}` : `throws ${(error as Error).name}`;
  }
}

/** Ways to damage canonical bytes: each must get the reference verdict. */
const damage = fc.oneof(
  fc.constant({ type: 'none' as const }),
  fc.record({ type: fc.constant('byte' as const), at: fc.nat(), delta: fc.integer({ min: 1, max: 255 }) }),
  fc.constant({ type: 'bom' as const }),
  fc.constant({ type: 'spaces' as const }),
  fc.constant({ type: 'reorder' as const }),
  fc.constant({ type: 'duplicate' as const }),
  fc.constant({ type: 'escape' as const }),
);

function damaged(bytes: Uint8Array, d: { type: string; at?: number; delta?: number }): Uint8Array {
  const text = utf8Decode(bytes);
  switch (d.type) {
    case 'byte': {
      const out = Uint8Array.from(bytes);
      const i = (d.at as number) % out.length;
      out[i] = ((out[i] as number) + (d.delta as number)) & 0xff;
      return out;
    }
    case 'bom':
      return Uint8Array.from([0xef, 0xbb, 0xbf, ...bytes]);
    case 'spaces':
      return utf8Encode(JSON.stringify(JSON.parse(text), null, 1));
    case 'reorder': {
      const value = JSON.parse(text) as Record<string, unknown>;
      const reversed = Object.fromEntries(Object.entries(value).reverse());
      return utf8Encode(JSON.stringify(reversed));
    }
    case 'duplicate':
      return utf8Encode(`{"kind":"x",${text.slice(1)}`);
    case 'escape':
      return utf8Encode(text.replace('"origin"', '"\\u006frigin"'));
    default:
      return bytes;
  }
}

describe('entries codec fast paths equal the reference path (fast-check)', () => {
  it('decodeEntry: same entry or same error reason, cold and warm memo, for canonical and damaged bytes', () => {
    fc.assert(
      fc.property(entryArb, damage, fc.boolean(), (entry, d, warm) => {
        const good = refEncode(entry);
        if (warm) decodeEntry(good); // the memo now holds the canonical text
        const bytes = damaged(good, d);
        const expected = outcome(() => refDecode(bytes));
        expect(outcome(() => decodeEntry(bytes))).toBe(expected);
        expect(outcome(() => decodeEntry(bytes))).toBe(expected); // and again, memo warm
      }),
      { numRuns: 600 },
    );
  });

  it('encodeEntry, entryHash, entrySigningMessage: same result or error on valid and altered objects', () => {
    const alter = fc.oneof(
      fc.constant((e: Record<string, unknown>) => e),
      fc.constant((e: Record<string, unknown>) => ({ ...e, extra: 1 })),
      fc.constant((e: Record<string, unknown>) => ({ ...e, extra: undefined })),
      fc.constant((e: Record<string, unknown>) => ({ ...e, seq: -1 })),
      fc.constant((e: Record<string, unknown>) => ({ ...e, body: { ...(e.body as object), digest: 'x' } })),
      fc.constant((e: Record<string, unknown>) => ({ ...e, signatures: 'none' })),
      fc.constant((e: Record<string, unknown>) => ({ ...e, ts: { toJSON: () => e.ts } })),
      fc.constant((e: Record<string, unknown>) => Object.fromEntries(Object.entries(e).reverse())),
      fc.constant((e: Record<string, unknown>) => ({
        ...e,
        body: { ...(e.body as object), __proto__: null },
      })),
    );
    fc.assert(
      fc.property(entryArb, alter, fc.boolean(), (entry, change, warm) => {
        if (warm) decodeEntry(encodeEntry(entry));
        const altered = change(entry as never) as unknown as Entry;
        expect(outcome(() => encodeEntry(altered))).toBe(outcome(() => refEncode(altered)));
        expect(outcome(() => entryHash(altered))).toBe(outcome(() => toHex(leafHash(refEncode(altered)))));
        expect(outcome(() => entrySigningMessage(altered))).toBe(outcome(() => refMessage(altered)));
      }),
      { numRuns: 600 },
    );
  });

  it('a decoded entry changed by its caller is hashed, encoded and signed as changed (no identity cache)', () => {
    fc.assert(
      fc.property(entryArb, fc.nat(5), (entry, which) => {
        const decoded = decodeEntry(encodeEntry(entry)) as unknown as Record<string, unknown>;
        entryHash(decoded as unknown as Entry); // warm every memo with the unchanged entry
        entrySigningMessage(decoded as unknown as Entry);
        const body = decoded.body as Record<string, unknown>;
        if (which === 0) decoded.seq = (decoded.seq as number) + 1;
        else if (which === 1) decoded.ts = -5;
        else if (which === 2) body.digest = 'f'.repeat(64);
        else if (which === 3) body.unknown = true;
        else if (which === 4) decoded.signatures = [];
        else decoded.origin = 'not an origin';
        const changed = decoded as unknown as Entry;
        expect(outcome(() => entryHash(changed))).toBe(outcome(() => toHex(leafHash(refEncode(changed)))));
        expect(outcome(() => encodeEntry(changed))).toBe(outcome(() => refEncode(changed)));
        expect(outcome(() => entrySigningMessage(changed))).toBe(outcome(() => refMessage(changed)));
      }),
      { numRuns: 300 },
    );
  });
});
