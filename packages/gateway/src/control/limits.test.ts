import { describe, expect, it } from 'vitest';
import { limitChange, MAX_RATE_ENTRIES, type RecordedChange } from './limits.js';

const limits = { min: 0, max: 6, maxChangePerMinute: 3, maxStepPerCommand: 2 };

describe('limitChange', () => {
  it('clamps into [min, max], then to the step, then to the rate budget', () => {
    expect(limitChange(limits, 5, 9, [], 0)).toEqual({
      kind: 'send',
      value: 6,
      applied: [{ limit: 'max', from: 9, to: 6 }],
    });
    expect(limitChange(limits, 1, -3, [], 0)).toEqual({
      kind: 'send',
      value: 0,
      applied: [{ limit: 'min', from: -3, to: 0 }],
    });
    expect(limitChange(limits, 0, 5, [], 0)).toEqual({
      kind: 'send',
      value: 2,
      applied: [{ limit: 'step', from: 5, to: 2 }],
    });
    const changes: RecordedChange[] = [{ ts: 0, delta: 2 }];
    expect(limitChange(limits, 2, 4, changes, 59_999)).toEqual({
      kind: 'send',
      value: 3,
      applied: [{ limit: 'rate', from: 4, to: 3 }],
    });
    expect(limitChange(limits, 2, 4, changes, 60_000)).toEqual({ kind: 'send', value: 4, applied: [] });
    expect(changes).toEqual([]); // pruned
  });

  it('holds when the minute is used up, at a limit, or when the output is outside the limits', () => {
    expect(limitChange(limits, 2, 4, [{ ts: 0, delta: 3 }], 1)).toEqual({ kind: 'hold', reason: 'rate' });
    const many = Array.from({ length: MAX_RATE_ENTRIES }, (_, i) => ({ ts: i, delta: 0.001 }));
    expect(limitChange(limits, 2, 4, many, 100)).toEqual({ kind: 'hold', reason: 'rate' });
    expect(limitChange(limits, 6, 8, [], 0)).toEqual({ kind: 'hold', reason: 'at-limit' });
    // A clinician left it at 9 (above max): stepping down to 8 would still be outside; raising
    // towards 10 would lower it to 6. Neither is sent.
    expect(limitChange(limits, 9, 8, [], 0)).toEqual({ kind: 'hold', reason: 'at-limit' });
    expect(limitChange(limits, 9, 10, [], 0)).toEqual({ kind: 'hold', reason: 'at-limit' });
    // Back into the limits is allowed, within the step and the rate.
    expect(limitChange({ ...limits, maxStepPerCommand: 4 }, 9, 5, [], 0)).toEqual({
      kind: 'send',
      value: 6,
      applied: [{ limit: 'rate', from: 5, to: 6 }],
    });
    // The rate would leave it outside the limits (9 → 7): left to the clinician.
    expect(limitChange({ min: 0, max: 6, maxChangePerMinute: 2 }, 9, 5, [], 0)).toEqual({
      kind: 'hold',
      reason: 'at-limit',
    });
  });
});
