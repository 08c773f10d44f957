import { HealthItError } from '@healthit/core';
import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InputBuffer } from './input-buffer.js';

type Op = { kind: 'push'; refused: boolean } | { kind: 'shift' } | { kind: 'take' };

describe('InputBuffer', () => {
  it.each([
    ['', 0],
    [' and, in row mode, their rows', 3],
  ])('behaves as a bounded FIFO of inputs%s, taken maxBatch at a time (model-based)', (_, width) => {
    const op: fc.Arbitrary<Op> = fc.oneof(
      { weight: 6, arbitrary: fc.record({ kind: fc.constant('push' as const), refused: fc.boolean() }) },
      { weight: 1, arbitrary: fc.constant({ kind: 'shift' as const }) },
      { weight: 2, arbitrary: fc.constant({ kind: 'take' as const }) },
    );
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 300 }),
        fc.integer({ min: 1, max: 70 }),
        fc.array(op, { maxLength: 2000 }),
        (capacity, maxBatch, ops) => {
          const buffer = new InputBuffer<number, string>(capacity, maxBatch, width);
          /** The row of input i in row mode: i, i + 0.25, i + 0.5 ... */
          const rowOf = (i: number) => Array.from({ length: width }, (_, j) => i + j / 4);
          const model: { input: number; refused: boolean }[] = [];
          let next = 0;
          let shifted = false;
          for (const o of ops) {
            if (o.kind === 'push') {
              if (buffer.full) {
                expect(model.length).toBe(capacity);
                expect(() => buffer.push(0, '', undefined, 0)).toThrow(/full/);
                continue;
              }
              // The arrival time of an input is its number: times only grow.
              if (width > 0) {
                const target = buffer.rowTarget(next);
                // A refused input's row may be written too: it must not show up in a batch.
                target.set(o.refused ? rowOf(-1) : rowOf(next), buffer.rowOffset);
              }
              buffer.push(
                next,
                width > 0 ? (undefined as unknown as string) : `p${next}`,
                o.refused ? new HealthItError('validation/invalid', `r${next}`) : undefined,
                next,
              );
              model.push({ input: next, refused: o.refused });
              next++;
            } else if (o.kind === 'shift') {
              const got = buffer.shift();
              const want = model.shift();
              expect(got).toBe(want?.input);
              if (want !== undefined) shifted = true;
            } else {
              const batch = buffer.take();
              const want = model.splice(0, maxBatch);
              expect(batch.inputs).toEqual(want.map((w) => w.input));
              if (width === 0) expect(batch.prepared).toEqual(want.map((w) => `p${w.input}`));
              else {
                const rows = want.filter((w) => !w.refused);
                expect(batch.rows).toBe(rows.length);
                expect(Array.from(batch.data?.subarray(0, rows.length * width) ?? [])).toEqual(
                  rows.flatMap((w) => rowOf(w.input)),
                );
                buffer.recycle(batch.data);
              }
              if (want.some((w) => w.refused)) {
                expect(batch.failures?.map((f) => f?.message)).toEqual(
                  want.map((w) => (w.refused ? `r${w.input}` : undefined)),
                );
              } else expect(batch.failures).toBeUndefined();
            }
            expect(buffer.length).toBe(model.length);
            const head = model[0];
            if (head === undefined) expect(buffer.oldestArrival()).toBeNaN();
            // Never later than the oldest input's arrival (a batch may run early, never late); exact
            // as long as nothing was dropped.
            else if (shifted) expect(buffer.oldestArrival()).toBeLessThanOrEqual(head.input);
            else expect(buffer.oldestArrival()).toBe(head.input);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('records the time of the inputs that start a batch only', () => {
    const buffer = new InputBuffer<number, number>(10, 2);
    expect(buffer.startsChunk).toBe(true);
    buffer.push(1, 1, undefined, 100);
    expect(buffer.startsChunk).toBe(false);
    buffer.push(2, 2, undefined, Number.NaN);
    expect(buffer.startsChunk).toBe(true);
    buffer.push(3, 3, undefined, 300);
    expect(buffer.oldestArrival()).toBe(100);
    expect(buffer.take().inputs).toEqual([1, 2]);
    expect(buffer.oldestArrival()).toBe(300);
  });

  it('refuses a capacity or batch size that is not a positive integer', () => {
    expect(() => new InputBuffer(0, 1)).toThrow(RangeError);
    expect(() => new InputBuffer(1.5, 1)).toThrow(RangeError);
    expect(() => new InputBuffer(1, 0)).toThrow(RangeError);
  });
});
