import { isHealthItError } from '@healthit/core';
import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { signer, T0, unsigned } from '../../test/entries-fixtures.js';
import { toHex } from '../hex.js';
import { leafHash } from '../merkle/index.js';
import { encodeEntry, entryHash } from './codec.js';
import { type Entry, ZERO_HASH } from './entry.js';
import { StreamOrderError, type StreamOrderReason } from './errors.js';
import { checkStreamOrder, createStreamSequencer, type StreamHead } from './sequencer.js';
import { signEntry } from './signatures.js';

const ALICE = signer(1);

/** `n` correctly linked entries of one stream. */
function chain(n: number, stream = 'shipment:SHP-1'): Entry[] {
  const out: Entry[] = [];
  let prev = ZERO_HASH;
  for (let seq = 0; seq < n; seq++) {
    const e = signEntry(unsigned('custody.transfer', { stream, seq, prev, ts: T0 + seq }), ALICE);
    out.push(e);
    prev = entryHash(e);
  }
  return out;
}

function rejection(fn: () => unknown): StreamOrderError {
  try {
    fn();
  } catch (e) {
    if (e instanceof StreamOrderError) return e;
    throw e;
  }
  throw new Error('expected a StreamOrderError');
}

const at = (entries: Entry[], i: number): Entry => entries[i] as Entry;

describe('checkStreamOrder', () => {
  const c = chain(4);
  it('accepts seq 0 with the zero hash on a new stream, then each next entry', () => {
    let head: StreamHead | undefined;
    for (const e of c) head = checkStreamOrder(head, e);
    expect(head).toEqual({ seq: 3, hash: entryHash(at(c, 3)) });
  });

  const attacks: [string, StreamOrderReason, () => unknown, number, number][] = [
    [
      'gap: seq 2 right after 0',
      'gap',
      () => checkStreamOrder({ seq: 0, hash: entryHash(at(c, 0)) }, at(c, 2)),
      1,
      2,
    ],
    ['gap: a new stream starting at 1', 'gap', () => checkStreamOrder(undefined, at(c, 1)), 0, 1],
    [
      'replay of the last entry',
      'replay',
      () => checkStreamOrder({ seq: 1, hash: entryHash(at(c, 1)) }, at(c, 1)),
      2,
      1,
    ],
    [
      'replay of an older entry',
      'stale',
      () => checkStreamOrder({ seq: 2, hash: entryHash(at(c, 2)) }, at(c, 0)),
      3,
      0,
    ],
    [
      'another entry with the last seq',
      'stale',
      () => checkStreamOrder({ seq: 1, hash: 'f'.repeat(64) }, at(c, 1)),
      2,
      1,
    ],
    ['wrong prev (fork)', 'prev', () => checkStreamOrder({ seq: 0, hash: 'f'.repeat(64) }, at(c, 1)), 1, 1],
  ];
  it.each(attacks)('%s -> %s, naming stream, expected and got', (_name, reason, fn, expectedSeq, gotSeq) => {
    const e = rejection(fn);
    expect(e.reason).toBe(reason);
    expect(e.stream).toBe('shipment:SHP-1');
    expect(e.expectedSeq).toBe(expectedSeq);
    expect(e.gotSeq).toBe(gotSeq);
    expect(e.code).toBe('ledger/integrity');
    expect(e.message).toContain('shipment:SHP-1');
  });

  it('wrong prev reports the expected and received hashes', () => {
    const e = rejection(() => checkStreamOrder({ seq: 0, hash: 'f'.repeat(64) }, at(c, 1)));
    expect(e.expectedPrev).toBe('f'.repeat(64));
    expect(e.gotPrev).toBe(entryHash(at(c, 0)));
  });
});

describe('createStreamSequencer', () => {
  it('orders streams independently', () => {
    const s = createStreamSequencer({ maxStreams: 10 });
    const a = chain(3, 'device:a');
    const b = chain(3, 'lot:b');
    for (const e of [at(a, 0), at(b, 0), at(b, 1), at(a, 1), at(a, 2), at(b, 2)]) s.accept(e);
    expect(s.head('device:a')?.seq).toBe(2);
    expect(s.head('lot:b')?.seq).toBe(2);
    expect(s.head('device:c')).toBeUndefined();
  });

  it('reorder: 1 before 0 is a gap, and after 0,1 a late 0 is stale; state unchanged by rejections', () => {
    const s = createStreamSequencer({ maxStreams: 10 });
    const c = chain(3);
    expect(rejection(() => s.accept(at(c, 1))).reason).toBe('gap');
    expect(s.head('shipment:SHP-1')).toBeUndefined();
    s.accept(at(c, 0));
    s.accept(at(c, 1));
    expect(rejection(() => s.accept(at(c, 0))).reason).toBe('stale');
    expect(rejection(() => s.accept(at(c, 1))).reason).toBe('replay');
    expect(s.accept(at(c, 2)).seq).toBe(2);
  });

  it('check() validates without accepting', () => {
    const s = createStreamSequencer({ maxStreams: 10 });
    const c = chain(1);
    expect(s.check(at(c, 0)).seq).toBe(0);
    expect(s.head('shipment:SHP-1')).toBeUndefined();
    expect(s.size).toBe(0);
  });

  it('rejects entries for another log origin', () => {
    const s = createStreamSequencer({ maxStreams: 10, origin: 'other.example/log' });
    const e = rejection(() => s.accept(at(chain(1), 0)));
    expect(e.reason).toBe('origin');
    expect(e.expectedPrev).toBe('other.example/log');
  });

  it('bounded without lookup: a new stream beyond maxStreams is refused (buffer/overflow), known streams go on', () => {
    const s = createStreamSequencer({ maxStreams: 2 });
    const a = chain(2, 'device:a');
    s.accept(at(a, 0));
    s.accept(at(chain(1, 'device:b'), 0));
    let error: unknown;
    try {
      s.accept(at(chain(1, 'device:c'), 0));
    } catch (e) {
      error = e;
    }
    expect(isHealthItError(error, 'buffer/overflow')).toBe(true);
    expect(s.size).toBe(2);
    expect(s.accept(at(a, 1)).seq).toBe(1);
  });

  it('bounded with lookup: evicts the least recently used head and restores it from the lookup', () => {
    const durable = new Map<string, StreamHead>();
    const lookups: string[] = [];
    const s = createStreamSequencer({
      maxStreams: 2,
      lookup: (stream) => {
        lookups.push(stream);
        return durable.get(stream);
      },
    });
    const accept = (e: Entry) => durable.set(e.stream, s.accept(e));
    const a = chain(3, 'device:a');
    accept(at(a, 0));
    accept(at(chain(1, 'device:b'), 0));
    accept(at(chain(1, 'device:c'), 0)); // evicts device:a
    expect(s.size).toBe(2);
    lookups.length = 0;
    expect(rejection(() => s.accept(at(a, 0))).reason).toBe('replay');
    expect(lookups).toContain('device:a');
    accept(at(a, 1));
    expect(s.size).toBe(2);
  });

  it('accept(entry, hash) with the hash a log already has gives the same heads as accept(entry)', () => {
    const c = chain(4);
    const given = createStreamSequencer({ maxStreams: 4 });
    const computed = createStreamSequencer({ maxStreams: 4 });
    for (let i = 0; i < 4; i++) {
      const e = at(c, i);
      const hash = toHex(leafHash(encodeEntry(e)));
      expect(given.accept(e, hash)).toEqual(computed.accept(e));
    }
    expect(rejection(() => given.accept(at(c, 1), entryHash(at(c, 1)))).reason).toBe('stale');
  });

  it('rejects a non-positive maxStreams', () => {
    expect(() => createStreamSequencer({ maxStreams: 0 })).toThrow(RangeError);
  });

  it('property: whatever the delivery order, accepted entries are the chain in order, each once', () => {
    const c = chain(8);
    fc.assert(
      fc.property(fc.array(fc.nat({ max: 7 }), { maxLength: 40 }), (deliveries) => {
        const s = createStreamSequencer({ maxStreams: 1 });
        const accepted: number[] = [];
        for (const i of deliveries) {
          try {
            accepted.push(s.accept(at(c, i)).seq);
          } catch (e) {
            expect(e).toBeInstanceOf(StreamOrderError);
          }
        }
        expect(accepted).toEqual(accepted.map((_, k) => k));
      }),
      { numRuns: 300 },
    );
  });
});
