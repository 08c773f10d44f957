import { ValidationError } from '@healthit/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isNews2Input, News2Input } from './input.js';
import { news2, news2Spo2Subscore } from './score.js';

/** Any input at the chart's resolution within the plausibility ranges. */
const validInput: fc.Arbitrary<News2Input> = fc.record({
  rr: fc.integer({ min: 0, max: 100 }),
  spo2: fc.integer({ min: 50, max: 100 }),
  spo2Scale: fc.constantFrom(1 as const, 2 as const),
  onOxygen: fc.boolean(),
  sbp: fc.integer({ min: 40, max: 300 }),
  pulse: fc.integer({ min: 20, max: 300 }),
  consciousness: fc.constantFrom('A' as const, 'C' as const, 'V' as const, 'P' as const, 'U' as const),
  temp: fc.integer({ min: 250, max: 450 }).map((t) => t / 10),
});

/** U-shaped parameters: the score never falls moving away from the normal (score-0) band. */
const U_SHAPED = [
  { field: 'rr', min: 0, max: 100, normalLo: 12, normalHi: 20, scale: 1 },
  { field: 'sbp', min: 40, max: 300, normalLo: 111, normalHi: 219, scale: 1 },
  { field: 'pulse', min: 20, max: 300, normalLo: 51, normalHi: 90, scale: 1 },
  { field: 'temp', min: 250, max: 450, normalLo: 361, normalHi: 380, scale: 10 },
] as const;

describe('news2 properties', () => {
  it('total is the sum of the subscores, in 0-20', () => {
    fc.assert(
      fc.property(validInput, (input) => {
        const r = news2(input);
        const sum = Object.values(r.subscores).reduce((a, b) => a + b, 0);
        expect(r.total).toBe(sum);
        expect(r.total).toBeGreaterThanOrEqual(0);
        expect(r.total).toBeLessThanOrEqual(20);
      }),
    );
  });

  it('redScore is "some parameter scores 3" and clinicalRisk follows Chart 3', () => {
    fc.assert(
      fc.property(validInput, (input) => {
        const r = news2(input);
        expect(r.redScore).toBe(Object.values(r.subscores).includes(3));
        const expected = r.total >= 7 ? 'high' : r.total >= 5 ? 'medium' : r.redScore ? 'low-medium' : 'low';
        expect(r.clinicalRisk).toBe(expected);
      }),
    );
  });

  it('SpO2 Scale 1 and Scale 2 on air never score more as SpO2 rises', () => {
    fc.assert(
      fc.property(
        validInput,
        fc.integer({ min: 50, max: 100 }),
        fc.integer({ min: 50, max: 100 }),
        (base, a, b) => {
          const [lo, hi] = a <= b ? [a, b] : [b, a];
          const onAir = base.spo2Scale === 2 ? { ...base, onOxygen: false } : base;
          expect(news2({ ...onAir, spo2: hi }).subscores.spo2).toBeLessThanOrEqual(
            news2({ ...onAir, spo2: lo }).subscores.spo2,
          );
        },
      ),
    );
  });

  it('U-shaped parameters (and Scale 2 on oxygen) never score less moving away from normal', () => {
    const shapes = [
      ...U_SHAPED,
      { field: 'spo2', min: 50, max: 100, normalLo: 88, normalHi: 92, scale: 1 } as const,
    ];
    fc.assert(
      fc.property(
        validInput,
        fc.constantFrom(...shapes),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (base, shape, u, v) => {
          const at = (x: number) => Math.round(shape.min + x * (shape.max - shape.min));
          const [near, far] = [at(Math.min(u, v)), at(Math.max(u, v))];
          const input = shape.field === 'spo2' ? { ...base, spo2Scale: 2 as const, onOxygen: true } : base;
          const score = (raw: number) =>
            news2({ ...input, [shape.field]: raw / shape.scale }).subscores[shape.field];
          // Above normal: further up scores at least as much.
          if (near >= shape.normalLo) expect(score(far)).toBeGreaterThanOrEqual(score(near));
          // Below normal: further down scores at least as much.
          if (far <= shape.normalHi) expect(score(near)).toBeGreaterThanOrEqual(score(far));
        },
      ),
    );
  });

  it('supplemental oxygen and impaired consciousness never lower the total', () => {
    fc.assert(
      fc.property(
        validInput,
        fc.constantFrom('C' as const, 'V' as const, 'P' as const, 'U' as const),
        (base, c) => {
          const air = news2({ ...base, onOxygen: false });
          const oxygen = news2({ ...base, onOxygen: true });
          expect(oxygen.total).toBeGreaterThanOrEqual(air.total + 2);
          expect(news2({ ...base, consciousness: c }).total).toBe(
            news2({ ...base, consciousness: 'A' }).total + 3,
          );
        },
      ),
    );
  });

  it('a temperature with a second decimal is refused; one decimal is accepted', () => {
    fc.assert(
      fc.property(validInput, fc.integer({ min: 1, max: 9 }), (base, hundredths) => {
        const t = Math.round(base.temp * 10) / 10;
        expect(news2({ ...base, temp: t }).subscores.temp).toBeGreaterThanOrEqual(0);
        const off = (Math.round(t * 100) + hundredths) / 100;
        if (off <= 45) expect(() => news2({ ...base, temp: off })).toThrow(ValidationError);
      }),
    );
  });

  it('anything else either scores or throws a ValidationError, never another error', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.anything(),
          validInput.chain((v) =>
            fc
              .record({ key: fc.constantFrom(...Object.keys(v)), value: fc.anything() })
              .map(({ key, value }) => ({
                ...v,
                [key]: value,
              })),
          ),
        ),
        (input) => {
          try {
            news2(input);
          } catch (e) {
            expect(e).toBeInstanceOf(ValidationError);
          }
        },
      ),
    );
  });
});

describe('isNews2Input (the operator’s fast path)', () => {
  it('accepts every valid input', () => {
    fc.assert(
      fc.property(validInput, (input) => {
        expect(isNews2Input(input)).toBe(true);
      }),
    );
  });

  it('never accepts what the News2Input schema rejects', () => {
    const anyValue = fc.oneof(
      fc.integer({ min: -10, max: 400 }),
      fc.double({ min: -10, max: 400 }),
      fc.constantFrom(1, 2, 3, 0.5, 35.15, 37.1, Number.NaN, Number.POSITIVE_INFINITY, 'A', 'X', true, null),
    );
    const field = fc.constantFrom(
      'rr',
      'spo2',
      'spo2Scale',
      'onOxygen',
      'sbp',
      'pulse',
      'consciousness',
      'temp',
      'extra',
    );
    fc.assert(
      fc.property(validInput, field, anyValue, fc.boolean(), (input, key, value, remove) => {
        const copy: Record<string, unknown> = { ...input };
        if (remove) delete copy[key];
        else copy[key] = value;
        if (isNews2Input(copy)) expect(News2Input.safeParse(copy).success).toBe(true);
      }),
      { numRuns: 20_000 },
    );
  });
});

describe('news2Spo2Subscore', () => {
  it('property: equals the SpO2 subscore of the full score, on either scale, on air or oxygen', () => {
    fc.assert(
      fc.property(validInput, (input) => {
        expect(news2Spo2Subscore(input.spo2, input)).toBe(news2(input).subscores.spo2);
      }),
    );
  });
});
