import { utf8Decode, utf8Encode } from '@healthit/core';
import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ORIGIN, signer } from '../../test/entries-fixtures.js';
import { decodeEntry, encodeEntry, entryHash } from './codec.js';
import { type Entry, ZERO_HASH } from './entry.js';
import { EntryError } from './errors.js';
import { signEntry } from './signatures.js';

const ALICE = signer(1);
const idArb = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._:/+@-]{0,20}$/);
const textArb = (max: number) => fc.string({ unit: 'binary', maxLength: max });
const digestArb = fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => Buffer.from(b).toString('hex'));
const metricsArb = fc.dictionary(
  textArb(12).filter((k) => k.length > 0),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  {
    maxKeys: 8,
  },
);

/** Random valid bodies of a few kinds: unicode text, doubles (incl. -0), optional members. */
const bodyArb = fc.oneof(
  fc.record({
    kind: fc.constant('model.approve' as const),
    body: fc.record(
      {
        modelId: idArb,
        version: textArb(10).filter((v) => v.length > 0),
        digest: digestArb,
        metrics: metricsArb,
        intendedUse: textArb(40),
      },
      { requiredKeys: ['modelId', 'version', 'digest', 'metrics'] },
    ),
  }),
  fc.record({
    kind: fc.constant('security.event' as const),
    body: fc.record(
      {
        severity: fc.constantFrom('info', 'low', 'medium', 'high', 'critical'),
        category: idArb,
        subject: idArb,
        description: textArb(80),
        evidenceDigest: digestArb,
      },
      { requiredKeys: ['severity', 'category', 'subject', 'description'] },
    ),
  }),
  fc.record({
    kind: fc.constant('custody.transfer' as const),
    body: fc.record(
      {
        from: idArb,
        to: idArb,
        shipment: idArb,
        lots: fc.array(idArb, { minLength: 1, maxLength: 4 }),
        quantity: fc.integer({ min: 1, max: 1e9 }),
        conditions: fc.record(
          {
            tempMinMilliCelsius: fc.integer({ min: -80_000, max: 80_000 }),
            tempMaxMilliCelsius: fc.integer({ min: -80_000, max: 80_000 }),
            excursions: fc.nat(),
            sealIntact: fc.boolean(),
            notes: textArb(40),
          },
          { requiredKeys: ['excursions', 'sealIntact'] },
        ),
      },
      { requiredKeys: ['from', 'to', 'shipment', 'conditions'] },
    ),
  }),
);

const entryArb = fc
  .record({
    kb: bodyArb,
    seq: fc.nat({ max: 1e6 }),
    prev: digestArb,
    ts: fc.nat({ max: 4e12 }),
    stream: fc.tuple(fc.constantFrom('device', 'shipment', 'lot'), idArb).map(([t, id]) => `${t}:${id}`),
  })
  .map(({ kb, seq, prev, ts, stream }) =>
    signEntry(
      {
        origin: ORIGIN,
        kind: kb.kind,
        stream,
        seq,
        prev: seq === 0 ? ZERO_HASH : prev,
        ts,
        body: kb.body,
      } as never,
      ALICE,
    ),
  );

describe('canonical encoding (fast-check)', () => {
  it('decode(encode(e)) = e and encode(decode(bytes)) = bytes', () => {
    fc.assert(
      fc.property(entryArb, (e: Entry) => {
        const bytes = encodeEntry(e);
        const back = decodeEntry(bytes);
        expect(encodeEntry(back)).toEqual(bytes);
        // -0 is written as 0, so compare with JSON semantics:
        expect(JSON.parse(JSON.stringify(back))).toEqual(JSON.parse(JSON.stringify(e)));
      }),
      { numRuns: 300 },
    );
  });

  it('the JSON.stringify text of a decoded entry is accepted only when it is the canonical one', () => {
    fc.assert(
      fc.property(entryArb, (e) => {
        const canonical = utf8Decode(encodeEntry(e));
        const spaced = JSON.stringify(JSON.parse(canonical), null, 1);
        expect(() => decodeEntry(utf8Encode(spaced))).toThrow(EntryError);
      }),
      { numRuns: 100 },
    );
  });

  it('changing any one byte of an encoding is rejected or yields another entry hash', () => {
    fc.assert(
      fc.property(entryArb, fc.nat(), fc.integer({ min: 1, max: 255 }), (e, at, delta) => {
        const bytes = encodeEntry(e);
        const i = at % bytes.length;
        const tampered = Uint8Array.from(bytes);
        tampered[i] = ((tampered[i] as number) + delta) & 0xff;
        let decoded: Entry;
        try {
          decoded = decodeEntry(tampered);
        } catch (error) {
          expect(error).toBeInstanceOf(EntryError);
          return;
        }
        expect(entryHash(decoded)).not.toBe(entryHash(e));
      }),
      { numRuns: 500 },
    );
  });
});
