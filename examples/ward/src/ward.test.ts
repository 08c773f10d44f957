import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runWard, type WardSummary } from './ward.js';
import { ledgerVerified } from './ward-ledger.js';

/**
 * Nothing was lost between the gateway and the platform: every record the gateway produced went
 * through the outbox and was acknowledged, and every accepted reading reached the store exactly
 * once (de-duplicated by id on the way, whatever the uplink redelivered).
 */
function expectNothingLost(s: WardSummary): void {
  expect(s.outbox.appended).toBe(s.readingRecords + s.alertsRaised);
  expect(s.readingRecords).toBeGreaterThan(0);
  expect(s.readingRecords).toBeLessThanOrEqual(s.accepted);
  expect(s.outbox.acknowledged).toBe(s.outbox.appended);
  expect(s.outbox.pending).toBe(0);
  expect(s.outbox.shed).toBe(0);
  expect(s.outbox.dropped).toBe(0);
  expect(s.uplink.decodeFailures).toBe(0);
  expect(s.uplink.delivered - s.uplink.duplicates).toBe(s.outbox.appended);
  expect(s.uplink.ingested).toBe(s.accepted); // each accepted reading ingested exactly once
  expect(s.stored).toBe(s.accepted);
  expect(s.notStored).toBe(0); // ... and found in the store by id
  expect(s.storeFailures).toBe(0);
  expect(s.alerts).toBe(s.alertsRaised);
}

// The whole stack starts PGlite and onnxruntime-web (WASM) per test: allow for a busy machine.
describe('runWard (the quick-start stack, end to end)', { timeout: 60_000 }, () => {
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
    expectNothingLost(summary);
    expect(summary.outbox).toMatchObject({ kind: 'memory', replayed: 0, refused: 0 });
    expect(summary.uplink.duplicates).toBe(0);
    expect(summary.ledger.entries).toBeGreaterThan(0);
    expect(summary.ledger.logVerified).toBe(true);
    expect(summary.ledger.anchors).toBe(summary.ledger.entries);
    expect(summary.ledger.anchorsVerified).toBe(summary.ledger.anchors);
    expect(summary.ledger.provenance?.verified).toBe(true);
    // patients' vitals: salted leaves, the bundle carries its reading's salt only
    expect(summary.ledger.provenance?.bundle.batch.salt).toMatch(/^[0-9a-f]{64}$/);
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

  it('stops early on abort and drains, losing nothing through a full SQLite outbox, an uplink outage and lost acknowledgements', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'healthit-ward-'));
    const path = join(dir, 'outbox.db');
    const controller = new AbortController();
    try {
      const summary = await runWard({
        patients: 4,
        durationMs: 60_000,
        periodMs: 100,
        seed: 1,
        outboxPath: path,
        outboxMaxBytes: 16 * 1024, // about 60 readings: the outage fills it
        signal: controller.signal,
        onUplink: (uplink) => {
          uplink.loseAcknowledgements(2); // delivered but not acknowledged: sent again
          setTimeout(() => uplink.setState('down'), 300);
          setTimeout(() => uplink.setState('up'), 900);
        },
        onStatus: (status) => {
          if (status === 'running') setTimeout(() => controller.abort(), 1500);
        },
      });
      expect(summary.stoppedEarly).toBe(true);
      expect(summary.elapsedMs).toBeLessThan(10_000);
      expect(existsSync(path)).toBe(true);
      expect(summary.outbox).toMatchObject({ kind: 'sqlite', path, replayed: 0 });
      expect(summary.outbox.refused).toBeGreaterThan(0); // the outbox was full ...
      expect(summary.outbox.maxHeld).toBeGreaterThan(0); // ... so readings waited in the hold queue
      expect(summary.uplink.retries).toBeGreaterThan(0);
      expect(summary.uplink.duplicates).toBeGreaterThan(0); // redeliveries dropped by id
      expect(summary.published).toBeGreaterThan(0);
      expect(summary.accepted).toBe(summary.published);
      expect(summary.stored).toBe(summary.published);
      expectNothingLost(summary);
      expect(ledgerVerified(summary.ledger)).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
