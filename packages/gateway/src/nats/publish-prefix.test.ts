import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type PublishOutcome, publishPrefix } from './publish-prefix.js';

const outcome = fc.constantFrom<PublishOutcome['type']>(
  'acknowledged',
  'acknowledged',
  'acknowledged',
  'unavailable',
  'permanent',
);

/** Publishes that settle in a scripted order (a permutation of start order), one per macrotask. */
async function simulate(
  types: readonly PublishOutcome['type'][],
  maxInFlight: number,
  settleOrder: readonly number[],
) {
  const started: number[] = [];
  let inFlight = 0;
  let maxSeen = 0;
  let failureSettled = false;
  let startsAfterFailure = 0;
  const pending = new Map<number, () => void>();
  const result = publishPrefix(types.length, maxInFlight, (i) => {
    started.push(i);
    if (failureSettled) startsAfterFailure += 1;
    inFlight += 1;
    maxSeen = Math.max(maxSeen, inFlight);
    return new Promise<PublishOutcome>((resolve) => {
      pending.set(i, () => {
        inFlight -= 1;
        const type = types[i] as PublishOutcome['type'];
        if (type !== 'acknowledged') failureSettled = true;
        resolve(type === 'acknowledged' ? { type } : { type, error: new Error(`#${i}`) });
      });
    });
  });
  let done = false;
  void result.then(() => {
    done = true;
  });
  // Settle the started publishes, preferring the scripted order, until the result is in.
  for (let step = 0; !done && step < 10 * types.length + 10; step++) {
    await new Promise((r) => setTimeout(r, 0));
    const waiting = [...pending.keys()];
    if (waiting.length === 0) continue;
    const pick = waiting[(settleOrder[step % settleOrder.length] ?? 0) % waiting.length] as number;
    const settle = pending.get(pick) as () => void;
    pending.delete(pick);
    settle();
  }
  return { result: await result, started, maxSeen, startsAfterFailure };
}

describe('publishPrefix', () => {
  it('acknowledges the leading run, starts in order, stops after a failure, never exceeds maxInFlight', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(outcome, { maxLength: 40 }),
        fc.integer({ min: 1, max: 8 }),
        fc.array(fc.nat(20), { minLength: 1, maxLength: 10 }),
        async (types, maxInFlight, settleOrder) => {
          const { result, started, maxSeen, startsAfterFailure } = await simulate(
            types,
            maxInFlight,
            settleOrder,
          );
          const firstFailure = types.findIndex((t) => t !== 'acknowledged');
          // Every item up to the first failure is eventually started and acknowledged.
          expect(result.acknowledged).toBe(firstFailure === -1 ? types.length : firstFailure);
          expect(started).toEqual(started.map((_, i) => i)); // started strictly in order
          expect(maxSeen).toBeLessThanOrEqual(maxInFlight);
          // Nothing is started once a failure came back.
          expect(startsAfterFailure).toBe(0);
          // `permanent` is reported only for the item right after the prefix.
          if (result.permanent !== undefined) {
            expect(result.permanent.index).toBe(result.acknowledged);
            expect(types[result.permanent.index]).toBe('permanent');
          } else if (firstFailure !== -1) {
            expect(types[firstFailure]).toBe('unavailable');
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  it('resolves at once with the prefix so far when the signal aborts, and ignores late outcomes', async () => {
    const controller = new AbortController();
    const resolvers: ((o: PublishOutcome) => void)[] = [];
    const result = publishPrefix(
      10,
      4,
      () => new Promise((resolve) => resolvers.push(resolve)),
      controller.signal,
    );
    await Promise.resolve();
    expect(resolvers).toHaveLength(4);
    resolvers[0]?.({ type: 'acknowledged' });
    await new Promise((r) => setTimeout(r, 0));
    controller.abort();
    expect(await result).toEqual({ acknowledged: 1 });
    for (const r of resolvers) r({ type: 'acknowledged' });
  });

  it('counts a rejected or throwing publish as unavailable', async () => {
    expect(
      await publishPrefix(3, 2, (i) =>
        i === 1 ? Promise.reject(new Error('x')) : Promise.resolve({ type: 'acknowledged' }),
      ),
    ).toEqual({ acknowledged: 1 });
    expect(
      await publishPrefix(3, 2, (i) => {
        if (i === 0) throw new Error('sync');
        return Promise.resolve({ type: 'acknowledged' });
      }),
    ).toEqual({ acknowledged: 0 });
  });

  it('resolves 0 for no items or an already aborted signal, and rejects bad bounds', async () => {
    expect(await publishPrefix(0, 1, () => Promise.resolve({ type: 'acknowledged' }))).toEqual({
      acknowledged: 0,
    });
    let calls = 0;
    const aborted = AbortSignal.abort();
    expect(
      await publishPrefix(
        5,
        1,
        () => {
          calls += 1;
          return Promise.resolve({ type: 'acknowledged' });
        },
        aborted,
      ),
    ).toEqual({ acknowledged: 0 });
    expect(calls).toBe(0);
    expect(() => publishPrefix(1, 0, () => Promise.resolve({ type: 'acknowledged' }))).toThrow(RangeError);
    expect(() => publishPrefix(-1, 1, () => Promise.resolve({ type: 'acknowledged' }))).toThrow(RangeError);
  });
});
