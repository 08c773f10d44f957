import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { news2 } from '@healthit/gateway';
import { toFhirObservations } from '@healthit/platform/fhir';
import { createFhirClient } from '@healthit/platform/fhir-export';
import { startEmbeddedFhirServer } from '@healthit/platform/fhir-server';
import { createPgliteReadingStore } from '@healthit/platform/pglite';
import { describe, expect, it } from 'vitest';
import { WARD_FHIR_SYSTEMS } from './fhir.js';
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
  if (s.fhir !== undefined) {
    // ... and every stored reading with a FHIR mapping is one Observation on the FHIR server.
    const e = s.fhir.export;
    expect(e.error).toBeUndefined();
    expect(e.failed).toBe(0);
    expect(e.readings).toBe(s.stored);
    expect(e.createdDuringRun + e.createdAtEnd).toBe(e.observations);
    expect(e.existing + e.createdAtEnd).toBe(e.observations);
    expect(e.onServer).toBe(e.observations);
  }
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
      // A compressed campaign and label horizon, to see both end within the run.
      rollout: { startAfterMs: 500, soakMs: 300, downloadMs: 200 },
      modelMonitor: { labelHorizonMs: 1000, minDriftSamples: 10 },
    });
    // A monitor (6 vital signs) and a pulse oximeter (SpO2, pulse rate) per bed.
    expect(summary.published).toBeGreaterThan(6 * 8 * 10);
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
        [
          'body-temperature',
          'bp-diastolic',
          'bp-systolic',
          'heart-rate',
          'pulse-rate',
          'respiratory-rate',
          'spo2',
        ].sort(),
      );
      expect(row.risk).toBeGreaterThanOrEqual(0);
      expect(row.risk).toBeLessThanOrEqual(1);
    }
    const hypoxic = rows.filter((r) => r.scenario === 'hypoxic');
    expect(hypoxic.length).toBeGreaterThan(0);
    expect(hypoxic.every((r) => r.alerts > 0 && (r.latest.spo2 ?? 100) <= 93)).toBe(true);

    // The devices as the gateway's device monitoring heard them: battery from the oximeters'
    // simulated batteries (seeded start levels), firmware from every device's update agent.
    const d = summary.devices;
    expect(d).toMatchObject({ total: 12, heard: 12, online: 12, heartbeatsRefused: 0, heartbeatFailures: 0 });
    expect(d.byKind).toEqual({ 'bedside monitor': 6, 'pulse oximeter': 6 });
    expect(d.heartbeats).toBeGreaterThanOrEqual(12);
    expect(d.battery?.devices).toBe(6); // the monitors are mains powered
    expect(d.battery?.min).toBeGreaterThanOrEqual(14);
    expect(d.battery?.max).toBeLessThanOrEqual(100);
    // The rollout engine's campaign updated every oximeter in three waves; the devices say so.
    const campaign = summary.rollout?.status;
    expect(campaign).toMatchObject({ campaignId: 'sim-oximeter-2.5.0', phase: 'completed', population: 6 });
    expect(campaign?.counts).toMatchObject({ updated: 6, failed: 0, 'rolled-back': 0 });
    expect(campaign?.waves.map((w) => w.updated)).toEqual([1, 2, 3]);
    expect(summary.rollout?.refusedReports).toBe(0);
    expect(summary.rollout?.fleetVersions).toEqual({ '3.1.0': 6, '2.5.0': 6 });
    expect(d.firmware).toEqual({ '3.1.0': 6, '2.5.0': 6 });
    // The model monitor: scores joined to delayed ground-truth labels (hypoxic patients reach
    // NEWS2 >= 5, stable ones do not), and input drift against the reference profile.
    const m = summary.model;
    expect(m.predictions).toBe(summary.riskScores);
    expect(m.labelled).toBeGreaterThan(0);
    expect(m.positives).toBeGreaterThan(0);
    expect(m.positives).toBeLessThan(m.labelled);
    expect(m.auroc).toBeGreaterThan(0.5); // the model ranks the hypoxic patients higher
    expect(m.brier).toBeGreaterThanOrEqual(0);
    expect(m.brier).toBeLessThanOrEqual(1);
    expect(m.drift?.samples).toBe(summary.riskScores); // every score, fewer than the window's 500
    expect(m.drift?.psi).toBeGreaterThanOrEqual(0);
    expect(m.drift?.drifted).toBe((m.drift?.psi ?? 0) >= 0.5);
    expect(m.referenceRows).toBe(7200);
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

  it('reads clinical context from the FHIR server: a hypercapnic patient is scored on SpO2 Scale 2, on oxygen; every stored reading becomes exactly one Observation', async () => {
    const server = await startEmbeddedFhirServer(); // caller-owned: still up after the run
    const dir = mkdtempSync(join(tmpdir(), 'healthit-ward-fhir-'));
    try {
      const summary = await runWard({
        patients: 4,
        durationMs: 3000,
        periodMs: 200,
        seed: 3,
        scenarioMix: { stable: 1, copd: 1 },
        dataDir: dir,
        fhir: { baseUrl: server.baseUrl, contextTtlMs: 1000, exportEveryMs: 500 },
      });
      expectNothingLost(summary);
      const fhir = summary.fhir;
      if (fhir === undefined) throw new Error('expected a FHIR summary');
      expect(fhir.server).toBe('external');
      expect(fhir.seeded).toMatchObject({
        Location: 1,
        Patient: 4,
        Encounter: 4,
        Condition: 4,
        MedicationRequest: 2,
      });
      const rows = [...summary.view.rows.values()];
      const copd = rows.filter((r) => r.scenario === 'copd').map((r) => r.patientId);
      expect(copd).toHaveLength(2);
      // The clinical record says so (Condition J96.12 / SNOMED 426896000, oxygen MedicationRequest) ...
      expect(fhir.context.scale2).toEqual(copd);
      expect(fhir.context.onOxygen).toEqual(copd);
      expect(fhir.context.failures).toBe(0);
      expect(fhir.context.reads).toBeGreaterThan(4); // re-read after the 1 s TTL
      // ... and the edge NEWS2 scored them so from their first reading.
      expect(summary.news2.patientsScored).toBe(4);
      expect(summary.news2.rejected).toBe(0);
      expect(summary.news2.scale2).toEqual(copd);
      for (const row of rows) {
        const scored = row.news2;
        if (scored === undefined) throw new Error(`${row.patientId} was not scored`);
        expect(news2(scored.input)).toEqual(scored.result); // the operator scored what it says
        if (row.scenario !== 'copd') {
          expect(row.context).toMatchObject({
            spo2Scale: 1,
            onOxygen: false,
            ward: 'Ward 7 (acute medicine)',
          });
          expect(scored.input).toMatchObject({ spo2Scale: 1, onOxygen: false });
          continue;
        }
        expect(row.context).toMatchObject({ spo2Scale: 2, onOxygen: true, ward: 'Ward 7 (acute medicine)' });
        expect(scored.input).toMatchObject({ spo2Scale: 2, onOxygen: true });
        // SpO2 in the prescribed 88–92 % target: 0 on Scale 2, where Scale 1 would score 2 or 3.
        expect(scored.input.spo2).toBeGreaterThanOrEqual(88);
        expect(scored.input.spo2).toBeLessThanOrEqual(92);
        const scale1 = news2({ ...scored.input, spo2Scale: 1 });
        expect(scored.result.subscores.spo2).toBe(0);
        expect(scale1.subscores.spo2).toBeGreaterThanOrEqual(2);
        expect(scale1.total).toBe(scored.result.total + scale1.subscores.spo2);
        // No SpO2 red-score alert (Scale 1's ≤ 91 % would have raised one).
        expect(row.alerts).toBe(0);
      }

      // Every stored reading with a FHIR mapping is exactly one Observation on the server.
      const store = await createPgliteReadingStore({ dataDir: dir });
      const readings = await store.query({ from: 0, to: Number.MAX_SAFE_INTEGER, limit: summary.stored });
      await store.close();
      expect(readings).toHaveLength(summary.stored);
      const { observations, skipped } = toFhirObservations(readings, {
        identifierSystem: WARD_FHIR_SYSTEMS.reading,
        patient: { type: 'identifier', system: WARD_FHIR_SYSTEMS.patient },
      });
      expect(skipped).toEqual([]);
      expect(observations.length).toBe(fhir.export.observations);
      expect(observations.length).toBeLessThan(readings.length); // blood pressure: one panel per pair
      const client = createFhirClient({ baseUrl: server.baseUrl });
      const count = async (searchParams: Record<string, string>) =>
        (
          (await client.search({
            resourceType: 'Observation',
            searchParams: { ...searchParams, _summary: 'count' },
          })) as {
            total?: number;
          }
        ).total;
      expect(await count({})).toBe(observations.length);
      for (const o of observations) {
        const id = o.identifier?.[0];
        expect(await count({ identifier: `${id?.system}|${id?.value}` })).toBe(1);
      }
      // Linked to the patient and the ward stay the server knows.
      const [first] = observations;
      const found = (await client.search({
        resourceType: 'Observation',
        searchParams: { identifier: `${WARD_FHIR_SYSTEMS.reading}|${first?.identifier?.[0]?.value}` },
      })) as {
        entry?: { resource: { subject?: { reference?: string }; encounter?: { reference?: string } } }[];
      };
      expect(found.entry?.[0]?.resource.subject?.reference).toMatch(/^Patient\//);
      expect(found.entry?.[0]?.resource.encounter?.reference).toMatch(/^Encounter\//);
    } finally {
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
