import { HealthItError } from '@healthit/core';
import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InputBuffer } from './input-buffer.js';

type Op =
  | { kind: 'push'; refused: boolean; timed: boolean }
  | { kind: 'shift' }
  | { kind: 'take'; n: number };

describe('InputBuffer', () => {
  it('behaves as a bounded FIFO of (input, prepared, refusal), across growth and wrap-around (model-based)', () => {
    const op: fc.Arbitrary<Op> = fc.oneof(
      fc.record({ kind: fc.constant('push' as const), refused: fc.boolean(), timed: fc.boolean() }),
      fc.constant({ kind: 'shift' as const }),
      fc.record({ kind: fc.constant('take' as const), n: fc.integer({ min: 1, max: 700 }) }),
    );
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1200 }), fc.array(op, { maxLength: 3000 }), (capacity, ops) => {
        const buffer = new InputBuffer<number, string>(capacity);
        const model: { input: number; refused: boolean; at: number }[] = [];
        let next = 0;
        let lastRemovedAt = Number.NaN;
        const removed = (items: { at: number }[]) => {
          for (const item of items) if (!Number.isNaN(item.at)) lastRemovedAt = item.at;
        };
        for (const o of ops) {
          if (o.kind === 'push') {
            if (buffer.full) {
              expect(model.length).toBe(capacity);
              expect(() => buffer.push(0, '', undefined, 0)).toThrow(/full/);
              continue;
            }
            const at = o.timed || model.length === 0 ? next : Number.NaN;
            buffer.push(
              next,
              `p${next}`,
              o.refused ? new HealthItError('validation/invalid', `r${next}`) : undefined,
              at,
            );
            model.push({ input: next, refused: o.refused, at });
            next++;
          } else if (o.kind === 'shift') {
            const got = buffer.shift();
            const want = model.shift();
            expect(got).toBe(want?.input);
            if (want) removed([want]);
          } else {
            const batch = buffer.take(o.n);
            const want = model.splice(0, o.n);
            removed(want);
            expect(batch.inputs).toEqual(want.map((w) => w.input));
            expect(batch.prepared).toEqual(want.map((w) => `p${w.input}`));
            if (want.some((w) => w.refused)) {
              expect(batch.failures?.map((f) => f?.message)).toEqual(
                want.map((w) => (w.refused ? `r${w.input}` : undefined)),
              );
            } else {
              expect(batch.failures === undefined || batch.failures.every((f) => f === undefined)).toBe(true);
            }
          }
          expect(buffer.length).toBe(model.length);
          if (model.length > 0) {
            // The oldest arrival, or the lower bound of the last removed time when it was not recorded.
            const head = model[0] as { input: number; at: number };
            const expected = Number.isNaN(head.at)
              ? Number.isNaN(lastRemovedAt)
                ? Number.NEGATIVE_INFINITY
                : lastRemovedAt
              : head.at;
            expect(buffer.oldestArrival()).toBe(expected);
            expect(buffer.oldestArrival()).toBeLessThanOrEqual(head.input);
          } else expect(buffer.oldestArrival()).toBeNaN();
        }
      }),
      { numRuns: 200 },
    );
  });

  it('refuses a capacity that is not a positive integer', () => {
    expect(() => new InputBuffer(0)).toThrow(RangeError);
    expect(() => new InputBuffer(1.5)).toThrow(RangeError);
  });
});
