import { describe, expect, it } from 'vitest';
import { runWard } from './ward.js';

describe('runWard (the quick-start stack, end to end)', () => {
  it('carries every published reading through gateway, store and ledger, raises alerts and scores every patient', async () => {
    const summary = await runWard({
      patients: 6,
      durationMs: 4000,
      periodMs: 200,
      seed: 7,
      scenarioMix: { hypoxic: 1, stable: 1 },
      scenarioTiming: { startAfterMs: 0, rampMs: 1000 },
      refreshMs: 500,
    });
    expect(summary.published).toBeGreaterThan(6 * 6 * 10);
    expect(summary.publishFailures).toBe(0);
    expect(summary.accepted).toBe(summary.published);
    expect(summary.stored).toBe(summary.accepted);
    expect(summary.storeFailures).toBe(0);
    expect(summary.gatewayEvents).toEqual({});
    expect(summary.ledger.entries).toBeGreaterThan(0);
    expect(summary.ledger.chainVerified).toBe(true);
    expect(summary.ledger.anchorsVerified).toBe(summary.ledger.entries);
    // Hypoxic patients fall to SpO2 ≤ 91 %, a NEWS2 red score.
    expect(summary.alerts).toBeGreaterThan(0);
    expect(summary.alertsBySeverity).toEqual({ 'low-medium': summary.alerts });
    expect(summary.riskScores).toBeGreaterThan(0);
    expect(summary.riskErrors).toBe(0);
    const rows = [...summary.view.rows.values()];
    expect(rows).toHaveLength(6);
    for (const row of rows) {
      expect(Object.keys(row.latest).sort()).toEqual(
        ['body-temperature', 'bp-diastolic', 'bp-systolic', 'heart-rate', 'respiratory-rate', 'spo2'].sort(),
      );
      expect(row.risk).toBeGreaterThanOrEqual(0);
      expect(row.risk).toBeLessThanOrEqual(1);
    }
    const hypoxic = rows.filter((r) => r.scenario === 'hypoxic');
    expect(hypoxic.length).toBeGreaterThan(0);
    expect(hypoxic.every((r) => r.alerts > 0 && (r.latest.spo2 ?? 100) <= 93)).toBe(true);
  });

  it('stops early on abort, drains, and still verifies everything', async () => {
    const controller = new AbortController();
    const summary = await runWard({
      patients: 3,
      durationMs: 60_000,
      periodMs: 100,
      seed: 1,
      signal: controller.signal,
      onStatus: (status) => {
        if (status === 'running') setTimeout(() => controller.abort(), 1000);
      },
    });
    expect(summary.stoppedEarly).toBe(true);
    expect(summary.elapsedMs).toBeLessThan(10_000);
    expect(summary.published).toBeGreaterThan(0);
    expect(summary.stored).toBe(summary.published);
    expect(summary.ledger.chainVerified).toBe(true);
    expect(summary.ledger.anchorsVerified).toBe(summary.ledger.entries);
  });
});
