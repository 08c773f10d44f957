import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { OXYGEN_RESPONSE, oxygenBenefitStep } from './physiology.js';

describe('oxygenBenefitStep', () => {
  it('relaxes exactly: two steps of Δ equal one of 2Δ while the target holds (property)', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0, max: 15, noNaN: true }),
        fc.double({ min: 70, max: 99, noNaN: true }),
        fc.double({ min: 0, max: 30, noNaN: true }),
        fc.integer({ min: 1, max: 600_000 }),
        (flow, roomAir, start, stepMs) => {
          const target = Math.min(3 * flow, Math.max(0, 98 - roomAir));
          // Stay on one side of the target so one time constant applies throughout.
          const from = target + (start - 15);
          const twice = oxygenBenefitStep(
            OXYGEN_RESPONSE,
            oxygenBenefitStep(OXYGEN_RESPONSE, from, flow, roomAir, stepMs),
            flow,
            roomAir,
            stepMs,
          );
          const once = oxygenBenefitStep(OXYGEN_RESPONSE, from, flow, roomAir, 2 * stepMs);
          expect(twice).toBeCloseTo(once, 9);
        },
      ),
    );
  });

  it('rises with the wash-in and falls with the wash-out time constant, capped', () => {
    const up = oxygenBenefitStep(OXYGEN_RESPONSE, 0, 2, 88, OXYGEN_RESPONSE.washInMs);
    expect(up).toBeCloseTo(6 * (1 - Math.exp(-1)), 12);
    const down = oxygenBenefitStep(OXYGEN_RESPONSE, 6, 0, 88, OXYGEN_RESPONSE.washOutMs);
    expect(down).toBeCloseTo(6 * Math.exp(-1), 12);
    // 10 L/min could add 30 points, but never past the cap of 98 %.
    expect(oxygenBenefitStep(OXYGEN_RESPONSE, 0, 10, 88, 1e9)).toBeCloseTo(10, 12);
    // Nothing to gain above the cap.
    expect(oxygenBenefitStep(OXYGEN_RESPONSE, 0, 4, 99, 1e9)).toBe(0);
  });
});
