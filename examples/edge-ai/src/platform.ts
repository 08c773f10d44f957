/**
 * The platform's side of the story, in process: the transparency log that holds model approvals
 * (a real `@healthit/ledger` log behind core's `LedgerSink` port), and a small warehouse of what
 * the gateway uplinks (readings) and of the NEWS2 chart (the labels), from which fresh datasets are
 * built for retraining.
 */
import { createHash } from 'node:crypto';
import { createSeriesBuilder, DETERIORATION_FEATURES } from '@healthit/ai';
import { deteriorationWindows, type LabelledDataset, type ScoreTimeline } from '@healthit/ai/training';
import type { LedgerSink, Reading } from '@healthit/core';
import {
  createEd25519NoteSigner,
  createTransparencyLog,
  createTransparencyLogSink,
  formatVerifierKey,
  ledgerKeyFromSeed,
  policy,
  type TransparencyLog,
  verifyLog,
} from '@healthit/ledger';

/** A 32-byte key seed derived from the run's seed and a label (deterministic demo keys). */
export function seedBytes(seed: number, label: string): Uint8Array {
  return new Uint8Array(createHash('sha256').update(`healthit-edge-ai/${seed}/${label}`).digest());
}

/** The log origin of model approvals. */
export const MODEL_LOG_ORIGIN = 'ledger.example.org/models';

/** The model-governance log: who may approve models, and the `LedgerSink` approvals go through. */
export interface ModelLedger {
  readonly sink: LedgerSink;
  readonly log: TransparencyLog;
  /** Entries in the log, and whether the whole log re-verifies under its membership policy. */
  verify(): Promise<{
    readonly entries: number;
    readonly verified: boolean;
    readonly approvals: readonly string[];
  }>;
  close(): Promise<void>;
}

/**
 * A transparency log whose membership policy lets only the hospital's model approver append
 * `model.approve` entries; its `LedgerSink` signs each entry with the approver's ledger key.
 */
export function createModelLedger(seed: number): ModelLedger {
  const logSigner = createEd25519NoteSigner({ name: MODEL_LOG_ORIGIN, secretKey: seedBytes(seed, 'log') });
  const logVkey = formatVerifierKey(MODEL_LOG_ORIGIN, logSigner.publicKey);
  const approverKey = ledgerKeyFromSeed(seedBytes(seed, 'approver-ledger-key'));
  const adminKey = ledgerKeyFromSeed(seedBytes(seed, 'admin-ledger-key'));
  const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
  const membership = policy.parseMembershipPolicy({
    policyId: 'model-governance',
    version: 1,
    organisations: [
      {
        id: 'st-mary',
        name: 'St Mary Hospital',
        keys: [
          {
            id: 'model-approver',
            publicKey: hex(approverKey.publicKey),
            roles: ['hospital.model-approver'],
            from: 0,
          },
          { id: 'ledger-admin', publicKey: hex(adminKey.publicKey), roles: ['hospital.admin'], from: 0 },
        ],
      },
    ],
    endorsement: { 'model.approve': { role: 'hospital.model-approver' } },
    witnesses: { keys: [], k: 0 },
    admin: { role: 'hospital.admin' },
  });
  const log = createTransparencyLog({
    origin: MODEL_LOG_ORIGIN,
    signer: logSigner,
    policy: membership,
    batch: { maxEntries: 16, maxWaitMs: 2 },
    checkpointEveryMs: 50,
  });
  const sink = createTransparencyLogSink({
    log,
    logKey: logVkey,
    signers: [{ keyId: 'model-approver', secretKey: approverKey.secretKey }],
  });
  return {
    sink,
    log,
    async verify() {
      const checkpoint = await log.publishCheckpoint();
      const entries = Array.from({ length: log.size }, (_, i) => log.entry(i));
      let verified = true;
      try {
        verifyLog({ policy: membership, entries: entries.map((e) => e.bytes), checkpoint, logKey: logVkey });
      } catch {
        verified = false;
      }
      const approvals = entries
        .filter((e) => e.entry.kind === 'model.approve')
        .map((e) => (e.entry.body as { version: string }).version);
      return { entries: log.size, verified, approvals };
    },
    close: () => log.close(),
  };
}

interface PatientData {
  readonly id: string[];
  readonly metric: Reading['metric'][];
  readonly unit: string[];
  readonly ts: number[];
  readonly value: number[];
  readonly scoreTs: number[];
  readonly score: number[];
}

/**
 * What the platform stores of one gateway: the readings it uplinked (stored once per id, as an
 * idempotent ingest would) and each patient's NEWS2 chart, with a fresh deterioration dataset on
 * request (the same windowed features and labels as the first model was trained on).
 */
export interface Warehouse {
  addReading(reading: Reading): void;
  addScore(patientId: string, ts: number, total: number): void;
  /** Readings stored. */
  readonly readings: number;
  /**
   * The labelled windows of every patient charted in `[from − 1 h, to]`, ending every 5 min in
   * `[from, to − 1 h]` (the label needs the hour after the window).
   */
  dataset(from: number, to: number): LabelledDataset;
}

/** An in-memory warehouse (columnar per patient). */
export function createWarehouse(): Warehouse {
  const patients = new Map<string, PatientData>();
  const seen = new Set<string>();
  let readings = 0;
  const data = (patientId: string): PatientData => {
    let p = patients.get(patientId);
    if (p === undefined) {
      p = { id: [], metric: [], unit: [], ts: [], value: [], scoreTs: [], score: [] };
      patients.set(patientId, p);
    }
    return p;
  };
  return {
    addReading(r) {
      if (r.patientId === undefined || seen.has(r.id)) return;
      seen.add(r.id);
      const p = data(r.patientId);
      p.id.push(r.id);
      p.metric.push(r.metric);
      p.unit.push(r.unit);
      p.ts.push(r.ts);
      p.value.push(r.value);
      readings++;
    },
    addScore(patientId, ts, total) {
      const p = data(patientId);
      p.scoreTs.push(ts);
      p.score.push(total);
    },
    get readings() {
      return readings;
    },
    dataset(from, to) {
      const horizonMs = 3_600_000;
      const start = from - DETERIORATION_FEATURES.windowMs;
      const builder = createSeriesBuilder();
      const scores = new Map<string, ScoreTimeline>();
      for (const [patientId, p] of patients) {
        const ts: number[] = [];
        const total: number[] = [];
        p.scoreTs.forEach((t, i) => {
          if (t >= start && t <= to) {
            ts.push(t);
            total.push(p.score[i] as number);
          }
        });
        if (ts.length === 0) continue;
        scores.set(patientId, { ts: Float64Array.from(ts), total: Float32Array.from(total) });
        p.ts.forEach((t, i) => {
          if (t > start - 60_000 && t <= to) {
            builder.add({
              id: p.id[i],
              patientId,
              metric: p.metric[i] as string,
              unit: p.unit[i] as string,
              ts: t,
              value: p.value[i] as number,
            });
          }
        });
      }
      return deteriorationWindows(builder.finish(), scores, { strideMs: 5 * 60_000, horizonMs });
    },
  };
}
