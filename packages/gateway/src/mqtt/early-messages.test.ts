import type { TransportMessage } from '@healthit/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createEarlyMessages } from './early-messages.js';

const message = (topic: string, n: number): TransportMessage => ({
  topic,
  payload: Uint8Array.of(n),
  retained: false,
});

describe('createEarlyMessages', () => {
  it('hands held messages to the first subscription that matches, in arrival order, once', () => {
    const early = createEarlyMessages();
    early.hold(message('devices/a/readings', 1));
    early.hold(message('devices/b/status', 2));
    early.hold(message('devices/c/readings', 3));
    const claimed = early.claim('devices/+/readings');
    expect(claimed.map((m) => m.payload[0])).toEqual([1, 3]);
    expect(early.claim('devices/+/readings')).toEqual([]);
    expect(early.counts()).toEqual({ held: 1, delivered: 2, dropped: 0 });
  });

  it('drops the oldest when full and what waited past the grace period, counting both', () => {
    let now = 0;
    const early = createEarlyMessages({ maxMessages: 2, graceMs: 1_000 }, () => now);
    early.hold(message('t/1', 1));
    early.hold(message('t/2', 2));
    early.hold(message('t/3', 3)); // the first goes
    expect(early.counts()).toEqual({ held: 2, delivered: 0, dropped: 1 });
    now = 1_001;
    expect(early.claim('#')).toEqual([]);
    expect(early.counts()).toEqual({ held: 0, delivered: 0, dropped: 3 });
  });

  it('never holds more than maxMessages, and every message is held, delivered or dropped', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 20 }),
        fc.array(
          fc.oneof(
            fc.constantFrom('a', 'b', 'c').map((t) => ({ hold: t })),
            fc.constantFrom('a', '#').map((f) => ({ claim: f })),
          ),
          {
            maxLength: 200,
          },
        ),
        (max, ops) => {
          const early = createEarlyMessages({ maxMessages: max, graceMs: 60_000 }, () => 0);
          let holds = 0;
          for (const op of ops) {
            if ('hold' in op) {
              early.hold(message(op.hold, holds++ % 256));
              expect(early.counts().held).toBeLessThanOrEqual(max);
            } else early.claim(op.claim);
          }
          const c = early.counts();
          expect(c.held + c.delivered + c.dropped).toBe(holds);
        },
      ),
    );
  });

  it('refuses bounds that make no sense', () => {
    expect(() => createEarlyMessages({ maxMessages: -1 })).toThrow(RangeError);
    expect(() => createEarlyMessages({ graceMs: Number.NaN })).toThrow(RangeError);
  });
});
