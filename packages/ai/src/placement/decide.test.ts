import { ValidationError } from '@healthit/core';
import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import {
  decidePlacement,
  type PlacementDecision,
  PlacementInfeasibleError,
  type PlacementReason,
} from './decide.js';
import { ModelProfile, PlacementConstraints } from './facts.js';

const MB = 1024 * 1024;

/** A small model a gateway runs easily. */
const SMALL: ModelProfile = { id: 'deterioration-risk', sizeBytes: 1_100, edgeMsPerInference: 0.02 };

/** A ward gateway on hospital Wi-Fi with a 4G fallback. */
const WARD: PlacementConstraints = {
  latencyBudgetMs: 1000,
  inferencesPerSecond: 30,
  dataBytesPerSecond: 30 * 5 * 120,
  privacy: { rawDataMustStayOnSite: false },
  gateway: { freeMemoryBytes: 256 * MB, load: 0.3, historyMs: 24 * 3_600_000, flopsPerSecond: 2e9 },
  uplink: { bandwidthBitsPerSecond: 2e6, rttMs: 80, availability: 0.99 },
};

const rules = (reasons: readonly PlacementReason[]) =>
  reasons.map((r) => `${r.rule}:${r.passed ? 'ok' : 'fail'}`);

/** Every path a reason may cite: the keys of the two schemas (nested objects included). */
function schemaPaths(shape: Record<string, z.ZodType>, prefix = ''): string[] {
  return Object.entries(shape).flatMap(([key, schema]) => {
    const inner = (schema as { unwrap?: () => z.ZodType }).unwrap?.() ?? schema;
    const nested = (inner as { shape?: Record<string, z.ZodType> }).shape;
    return [`${prefix}${key}`, ...(nested ? schemaPaths(nested, `${prefix}${key}.`) : [])];
  });
}
const KNOWN_FACTS = new Set([
  ...schemaPaths(ModelProfile.shape, 'model.'),
  ...schemaPaths(PlacementConstraints.shape),
  ...schemaPaths(ModelProfile.shape, 'split.screen.'),
]);

function expectCitedFacts(decision: PlacementDecision): void {
  for (const reason of decision.checks) {
    expect(reason.facts.length).toBeGreaterThan(0);
    for (const fact of reason.facts) expect(KNOWN_FACTS, `${reason.rule} cites ${fact}`).toContain(fact);
  }
}

describe('decidePlacement: the rules', () => {
  it('edge when every edge rule passes, each reason citing its facts', () => {
    const d = decidePlacement(SMALL, WARD);
    expect(d.placement).toBe('edge');
    expect(rules(d.reasons)).toEqual([
      'E1-fleet-data:ok',
      'E2-history:ok',
      'E3-memory:ok',
      'E4-compute:ok',
      'E5-latency:ok',
    ]);
    expect(d.reasons.find((r) => r.rule === 'E3-memory')).toMatchObject({
      facts: ['model.sizeBytes', 'gateway.freeMemoryBytes'],
      message: 'deterioration-risk needs 2.1 KB (2 × its size), the gateway has 256.0 MB free',
    });
    expect(d.reasons.find((r) => r.rule === 'E4-compute')?.message).toBe(
      '30/s × 0.02 ms uses 0.06 % of the gateway core, 49 % is available (load 30 %, headroom 70 %)',
    );
    expectCitedFacts(d);
  });

  it('cloud when the model does not fit in the gateway’s memory (E3), the reason first', () => {
    const big: ModelProfile = {
      id: 'big',
      sizeBytes: 200 * MB,
      memoryBytes: 400 * MB,
      edgeMsPerInference: 5,
    };
    const d = decidePlacement(big, WARD);
    expect(d.placement).toBe('cloud');
    expect(rules(d.reasons)).toEqual([
      'E3-memory:fail',
      'C1-privacy:ok',
      'C2-bandwidth:ok',
      'C3-latency:ok',
      'C4-availability:ok',
    ]);
    expect(d.reasons[0]?.message).toBe('big needs 400.0 MB, the gateway has 256.0 MB free');
    expect(d.reasons[0]?.facts).toEqual(['model.memoryBytes', 'gateway.freeMemoryBytes']);
  });

  it('cloud for fleet-wide models (E1) and for models reading more history than the gateway keeps (E2)', () => {
    expect(rules(decidePlacement({ ...SMALL, needsFleetData: true }, WARD).reasons)[0]).toBe(
      'E1-fleet-data:fail',
    );
    const d = decidePlacement({ ...SMALL, inputWindowMs: 30 * 86_400_000 }, WARD);
    expect(d.placement).toBe('cloud');
    expect(d.reasons[0]).toMatchObject({
      rule: 'E2-history',
      passed: false,
      message: 'the model reads 30 d of history, the gateway keeps 24 h',
    });
  });

  it('cloud when the gateway core cannot keep up (E4), estimating edge time from FLOPs', () => {
    const heavy: ModelProfile = { id: 'heavy', sizeBytes: 10 * MB, flopsPerInference: 1e8 }; // 50 ms on 2 GFLOP/s
    const d = decidePlacement(heavy, WARD); // 30/s × 50 ms = 150 % of a core
    expect(d.placement).toBe('cloud');
    expect(d.reasons[0]).toMatchObject({
      rule: 'E4-compute',
      facts: expect.arrayContaining(['model.flopsPerInference', 'gateway.flopsPerSecond']),
    });
    expect(d.estimates.edgeMsPerInference).toBeCloseTo(50, 9);
    expect(d.estimates.edgeCpuShare).toBeCloseTo(1.5, 9);
  });

  it('fails edge latency (E5) when a loaded gateway would be too slow for the budget', () => {
    const slow: ModelProfile = { id: 'slow', sizeBytes: MB, edgeMsPerInference: 400 };
    const d = decidePlacement(slow, {
      ...WARD,
      inferencesPerSecond: 0.5,
      gateway: { ...WARD.gateway, load: 0.7 },
    });
    expect(d.placement).toBe('cloud');
    expect(d.reasons[0]).toMatchObject({
      rule: 'E5-latency',
      message: '1333 ms per inference at load 70 %, budget 1000 ms',
    });
  });

  it('infeasible when raw data must stay on site and the model cannot run there', () => {
    const big: ModelProfile = { id: 'big', sizeBytes: 300 * MB, edgeMsPerInference: 5 };
    let error: unknown;
    try {
      decidePlacement(big, { ...WARD, privacy: { rawDataMustStayOnSite: true } });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(PlacementInfeasibleError);
    expect(error).toMatchObject({ code: 'config/invalid', modelId: 'big' });
    expect(rules((error as PlacementInfeasibleError).reasons)).toEqual(['E3-memory:fail', 'C1-privacy:fail']);
    expect((error as Error).message).toContain('cloud fails C1-privacy (raw data must stay on site');
  });

  it('refuses cloud when the uplink is less available than alerts must be (C4), or too narrow (C2)', () => {
    const big: ModelProfile = { id: 'big', sizeBytes: 300 * MB, edgeMsPerInference: 5 };
    const e1 = (() => {
      try {
        return decidePlacement(big, { ...WARD, requiredAvailability: 0.9999 });
      } catch (e) {
        return e as PlacementInfeasibleError;
      }
    })();
    expect(rules((e1 as PlacementInfeasibleError).reasons)).toEqual([
      'E3-memory:fail',
      'C4-availability:fail',
    ]);
    const e2 = (() => {
      try {
        return decidePlacement(big, { ...WARD, dataBytesPerSecond: 1e6 });
      } catch (e) {
        return e as PlacementInfeasibleError;
      }
    })();
    expect((e2 as PlacementInfeasibleError).reasons.find((r) => r.rule === 'C2-bandwidth')?.message).toBe(
      'uploads 8.00 Mbit/s, the uplink carries 1.40 Mbit/s with headroom',
    );
  });

  it('split when the model fits neither edge nor uplink but a screen fits the edge and its candidates the uplink', () => {
    const big: ModelProfile = {
      id: 'big',
      sizeBytes: 300 * MB,
      edgeMsPerInference: 5,
      cloudMsPerInference: 20,
    };
    const facts: PlacementConstraints = {
      ...WARD,
      dataBytesPerSecond: 250_000, // 2 Mbit/s > 1.4 Mbit/s usable
      split: { screen: SMALL, candidateFraction: 0.05 },
    };
    const d = decidePlacement(big, facts);
    expect(d.placement).toBe('split');
    expect(rules(d.reasons)).toEqual([
      'E3-memory:fail',
      'S1-privacy:ok',
      'S2-screen-memory:ok',
      'S3-screen-compute:ok',
      'S4-screen-latency:ok',
      'S5-bandwidth:ok',
      'S6-latency:ok',
      'S7-availability:ok',
    ]);
    expect(d.reasons.find((r) => r.rule === 'S5-bandwidth')?.message).toBe(
      'uploads 100.0 kbit/s (5 % of 2.00 Mbit/s), the uplink carries 1.40 Mbit/s with headroom',
    );
    // Without the screen, nothing fits.
    expect(() => decidePlacement(big, { ...facts, split: undefined } as PlacementConstraints)).toThrow(
      PlacementInfeasibleError,
    );
    expectCitedFacts(d);
  });

  it('prefers split over cloud when both fit (less upload, data mostly on site)', () => {
    const big: ModelProfile = { id: 'big', sizeBytes: 300 * MB, edgeMsPerInference: 5 };
    const d = decidePlacement(big, { ...WARD, split: { screen: SMALL, candidateFraction: 0.1 } });
    expect(d.placement).toBe('split');
    expect(d.checks.filter((r) => r.placement === 'cloud').every((r) => r.passed)).toBe(true);
  });
});

describe('decidePlacement: typed input errors', () => {
  const validationError = (f: () => unknown): ValidationError => {
    try {
      f();
    } catch (e) {
      expect(e).toBeInstanceOf(ValidationError);
      return e as ValidationError;
    }
    return expect.fail('expected a ValidationError');
  };

  it('names each malformed fact by its path', () => {
    const e = validationError(() =>
      decidePlacement(SMALL, { ...WARD, gateway: { ...WARD.gateway, load: 1.5, freeMemoryBytes: -1 } }),
    );
    expect(e.schema).toBe('PlacementConstraints');
    expect(e.issues.map((i) => i.path).sort()).toEqual(['gateway.freeMemoryBytes', 'gateway.load']);
    expect(validationError(() => decidePlacement({ ...SMALL, sizeBytes: 0 }, WARD)).issues[0]?.path).toBe(
      'sizeBytes',
    );
    expect(
      validationError(() => decidePlacement(SMALL, { ...WARD, bandwidth: 1 } as PlacementConstraints))
        .issues[0]?.code,
    ).toBe('unrecognized_keys');
  });

  it('asks for a measured edge time or FLOPs with the gateway’s FLOP rate', () => {
    const e = validationError(() =>
      decidePlacement(
        { id: 'x', sizeBytes: 10, flopsPerInference: 1e6 },
        { ...WARD, gateway: { freeMemoryBytes: MB, load: 0 } },
      ),
    );
    expect(e.issues[0]?.path).toBe('model.edgeMsPerInference');
  });
});

describe('decidePlacement: properties', () => {
  const profile = fc.record({
    id: fc.constant('m'),
    sizeBytes: fc.integer({ min: 1, max: 2_000 * MB }),
    edgeMsPerInference: fc.double({ min: 0.001, max: 5_000, noNaN: true }),
    needsFleetData: fc.boolean(),
  });
  const constraints = fc.record({
    latencyBudgetMs: fc.double({ min: 1, max: 60_000, noNaN: true }),
    inferencesPerSecond: fc.double({ min: 0, max: 1_000, noNaN: true }),
    dataBytesPerSecond: fc.double({ min: 0, max: 1e7, noNaN: true }),
    privacy: fc.record({ rawDataMustStayOnSite: fc.boolean() }),
    gateway: fc.record({
      freeMemoryBytes: fc.integer({ min: 0, max: 4_000 * MB }),
      load: fc.double({ min: 0, max: 0.99, noNaN: true }),
    }),
    uplink: fc.record({
      bandwidthBitsPerSecond: fc.double({ min: 1e3, max: 1e9, noNaN: true }),
      rttMs: fc.double({ min: 0, max: 2_000, noNaN: true }),
      availability: fc.double({ min: 0.5, max: 1, noNaN: true }),
    }),
    requiredAvailability: fc.double({ min: 0.5, max: 1, noNaN: true }),
  });
  const outcome = (m: ModelProfile, c: PlacementConstraints): string => {
    try {
      return decidePlacement(m, c).placement;
    } catch (e) {
      if (e instanceof PlacementInfeasibleError) return 'infeasible';
      throw e;
    }
  };

  it('is deterministic: the same facts give the same decision and reasons', () => {
    fc.assert(
      fc.property(profile, constraints, (m, c) => {
        let a: unknown;
        let b: unknown;
        try {
          a = decidePlacement(m, c);
        } catch (e) {
          a = (e as PlacementInfeasibleError).reasons;
        }
        try {
          b = decidePlacement(structuredClone(m), structuredClone(c));
        } catch (e) {
          b = (e as PlacementInfeasibleError).reasons;
        }
        expect(b).toEqual(a);
      }),
      { numRuns: 300 },
    );
  });

  it('never sends raw data off site when it must stay there', () => {
    fc.assert(
      fc.property(profile, constraints, (m, c) => {
        const placed = outcome(m, { ...c, privacy: { rawDataMustStayOnSite: true } });
        expect(['edge', 'infeasible']).toContain(placed);
      }),
      { numRuns: 300 },
    );
  });

  it('more gateway memory, less load or more bandwidth never makes a feasible case infeasible, nor moves edge away', () => {
    fc.assert(
      fc.property(profile, constraints, (m, c) => {
        const before = outcome(m, c);
        const roomier = {
          ...c,
          gateway: { freeMemoryBytes: c.gateway.freeMemoryBytes * 2, load: c.gateway.load / 2 },
          uplink: { ...c.uplink, bandwidthBitsPerSecond: c.uplink.bandwidthBitsPerSecond * 2 },
        };
        const after = outcome(m, roomier);
        if (before !== 'infeasible') expect(after).not.toBe('infeasible');
        if (before === 'edge') expect(after).toBe('edge');
      }),
      { numRuns: 300 },
    );
  });

  it('every check cites facts the schemas declare', () => {
    fc.assert(
      fc.property(profile, constraints, (m, c) => {
        try {
          expectCitedFacts(decidePlacement(m, c));
        } catch (e) {
          if (!(e instanceof PlacementInfeasibleError)) throw e;
          for (const r of e.reasons) for (const f of r.facts) expect(KNOWN_FACTS).toContain(f);
        }
      }),
      { numRuns: 200 },
    );
  });
});
