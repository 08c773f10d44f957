import { describe, expect, it } from 'vitest';
import { seededRandom, seededStreams } from './random.js';
import { assignScenarios, DEFAULT_SCENARIO_MIX, scenarioCounts } from './scenario-mix.js';
import { resolveScenario, SCENARIO_NAMES, SCENARIOS, scenarioMean, scenarioProgress } from './scenarios.js';
import { VITAL_METRICS, VITAL_SIGN_MODELS } from './vital-signs.js';

describe('scenarios', () => {
  it('resolves timing: explicit, then the defaults given, then the scenario own', () => {
    expect(resolveScenario('deteriorating')).toEqual({
      name: 'deteriorating',
      startAfterMs: 60_000,
      rampMs: 900_000,
    });
    expect(resolveScenario('hypoxic', { rampMs: 10 })).toEqual({
      name: 'hypoxic',
      startAfterMs: 60_000,
      rampMs: 10,
    });
    expect(resolveScenario({ name: 'hypoxic', rampMs: 3 }, { rampMs: 10, startAfterMs: 4 })).toEqual({
      name: 'hypoxic',
      startAfterMs: 4,
      rampMs: 3,
    });
    expect(() => resolveScenario('septic' as never)).toThrow(/unknown scenario "septic"; use one of stable/);
    expect(() => resolveScenario({ name: 'stable', startAfterMs: Number.POSITIVE_INFINITY })).toThrow(
      RangeError,
    );
  });

  it('progresses 0 before the start, linearly over the ramp, then 1', () => {
    const s = { name: 'deteriorating', startAfterMs: 1_000, rampMs: 4_000 } as const;
    expect([0, 999, 1_000, 2_000, 3_000, 5_000, 1e9].map((t) => scenarioProgress(s, t))).toEqual([
      0, 0, 0, 0.25, 0.5, 1, 1,
    ]);
    expect(scenarioProgress({ name: 'hypoxic', startAfterMs: 10, rampMs: 0 }, 10)).toBe(1);
  });

  it('moves means by shift or towards a value', () => {
    expect(scenarioMean('stable', 'heart-rate', 70, 1)).toBe(70);
    expect(scenarioMean('hypoxic', 'heart-rate', 70, 0.5)).toBe(76);
    expect(scenarioMean('hypoxic', 'spo2', 98, 1)).toBe(88);
    expect(scenarioMean('hypoxic', 'spo2', 98, 0.5)).toBe(93);
    expect(scenarioMean('hypoxic', 'body-temperature', 37, 1)).toBe(37);
  });

  it('moves every vital sign of every possible baseline in the clinical direction when deteriorating', () => {
    const rising = ['heart-rate', 'respiratory-rate', 'body-temperature'] as const;
    for (const metric of VITAL_METRICS) {
      const { min, max } = VITAL_SIGN_MODELS[metric].baseline;
      for (const baseline of [min, max]) {
        const end = scenarioMean('deteriorating', metric, baseline, 1);
        if ((rising as readonly string[]).includes(metric)) expect(end).toBeGreaterThan(baseline);
        else expect(end).toBeLessThan(baseline);
      }
    }
    // Hypoxic SpO2 ends in the high 80s from any baseline.
    expect(scenarioMean('hypoxic', 'spo2', VITAL_SIGN_MODELS.spo2.baseline.max, 1)).toBe(88);
  });

  it('lists every scenario by name', () => {
    expect(SCENARIO_NAMES).toEqual([
      'stable',
      'deteriorating',
      'hypoxic',
      'fever',
      'recovery',
      'copd',
      'atrial-fibrillation',
    ]);
    for (const name of SCENARIO_NAMES) expect(SCENARIOS[name].name).toBe(name);
  });
});

describe('scenario mix', () => {
  it('rounds shares by largest remainder and always sums to the patient count', () => {
    // Scenarios without a weight count 0.
    const none = { fever: 0, recovery: 0, copd: 0, 'atrial-fibrillation': 0 };
    expect(scenarioCounts(DEFAULT_SCENARIO_MIX, 10)).toEqual({
      stable: 8,
      deteriorating: 1,
      hypoxic: 1,
      ...none,
    });
    expect(scenarioCounts(DEFAULT_SCENARIO_MIX, 5)).toEqual({
      stable: 4,
      deteriorating: 1,
      hypoxic: 0,
      ...none,
    });
    expect(scenarioCounts(DEFAULT_SCENARIO_MIX, 1)).toEqual({
      stable: 1,
      deteriorating: 0,
      hypoxic: 0,
      ...none,
    });
    expect(scenarioCounts({ deteriorating: 2, hypoxic: 1 }, 7)).toEqual({
      stable: 0,
      deteriorating: 5,
      hypoxic: 2,
      ...none,
    });
    for (let n = 1; n <= 300; n++) {
      const counts = scenarioCounts({ stable: 0.7, deteriorating: 0.2, hypoxic: 0.1 }, n);
      expect(counts.stable + counts.deteriorating + counts.hypoxic).toBe(n);
    }
  });

  it('shuffles deterministically from the random stream', () => {
    const assign = (seed: number) => {
      const [g] = seededStreams(seed, 1);
      return assignScenarios(DEFAULT_SCENARIO_MIX, 20, seededRandom(g as NonNullable<typeof g>));
    };
    expect(assign(9)).toEqual(assign(9));
    expect(assign(9).filter((s) => s === 'deteriorating')).toHaveLength(2);
    expect(new Set([1, 2, 3, 4, 5].map((seed) => assign(seed).join())).size).toBeGreaterThan(1);
  });

  it('rejects unknown scenarios and bad weights', () => {
    expect(() => scenarioCounts({ septic: 1 } as never, 3)).toThrow(/unknown scenario "septic"/);
    expect(() => scenarioCounts({ stable: -1 }, 3)).toThrow(/scenarioMix.stable must be a finite weight/);
    expect(() => scenarioCounts({ stable: Number.NaN }, 3)).toThrow(RangeError);
    expect(() => scenarioCounts({}, 3)).toThrow(/sum to 0/);
  });
});
