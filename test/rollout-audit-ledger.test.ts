/**
 * A rollout's audit trail in the real ledger: `@healthit/platform/rollouts` writes its
 * `firmware.rollout.*` records through the transparency-log sink of `@healthit/ledger` (the
 * platform only knows core's `LedgerSink` port). The ledger accepts them as its own entry kinds
 * (one schema in `@healthit/core/updates`), puts each device's changes on its own stream, and every
 * entry is provably in the signed log.
 */
import { ROLLOUT_CAMPAIGN_RECORD_TYPE, ROLLOUT_DEVICE_STATE_RECORD_TYPE } from '@healthit/core/updates';
import { createEd25519NoteVerifier, entries, verifyCheckpoint, verifyInclusion } from '@healthit/ledger';
import { createRolloutEngine } from '@healthit/platform/rollouts';
import { describe, expect, it } from 'vitest';
import { createStack } from '../packages/ledger/src/provenance/test-fixtures/stack.js';

describe('rollout audit records in the transparency log (platform × ledger)', () => {
  it('every device state change and campaign decision becomes a valid, provable ledger entry', async () => {
    const { log, sink, logSigner } = createStack();
    const t0 = Date.UTC(2026, 10, 26, 9);
    let now = t0;
    const engine = createRolloutEngine({ ledger: sink, clock: { now: () => now } });
    const errors: unknown[] = [];
    engine.errors$.subscribe((e) => errors.push(e));
    const assigned: string[] = [];
    engine.commands$.subscribe((c) => assigned.push(c.deviceId));
    const devices = ['po-1', 'po-2', 'po-3'].map((deviceId) => ({
      deviceId,
      model: 'PO-200',
      hardwareId: 'po-200.rev-a',
      ward: 'ward-7',
      firmwareVersion: '2.4.0',
      inTherapy: false,
      online: true,
    }));
    expect(engine.upsertDevices(devices).errors).toEqual([]);
    const created = engine.createCampaign(
      {
        id: 'po-200-2.4.1',
        release: { targetPath: 'po-200/2.4.1.bin', version: '2.4.1', hardwareIds: ['po-200.rev-a'] },
        waves: [100],
      },
      'biomed:alice',
    );
    expect(created.ok).toBe(true);
    expect(assigned.sort()).toEqual(['po-1', 'po-2', 'po-3']);
    for (const deviceId of assigned) {
      for (const state of ['downloading', 'verifying', 'installing', 'confirming'] as const) {
        now += 1000;
        expect(engine.report({ deviceId, campaignId: 'po-200-2.4.1', state, at: now }).ok).toBe(true);
      }
      now += 1000;
      const last = deviceId === 'po-3' ? 'rolled-back' : 'updated';
      const version = deviceId === 'po-3' ? '2.4.0' : '2.4.1';
      expect(engine.report({ deviceId, campaignId: 'po-200-2.4.1', state: last, at: now, version }).ok).toBe(
        true,
      );
    }
    await engine.flushAudit();
    expect(errors).toEqual([]);

    // 3 assignments + 3 × 5 reports, and the campaign's decisions (created, completed).
    const size = log.size;
    expect(size).toBeGreaterThanOrEqual(3 + 15 + 2);
    const note = await log.awaitCheckpoint(size - 1);
    const { checkpoint } = verifyCheckpoint(note, createEd25519NoteVerifier(logSigner));
    const kinds = new Map<string, number>();
    for (let index = 0; index < size; index++) {
      const logged = log.entry(index);
      const { kind, body } = logged.entry;
      kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
      // The ledger's own schema of the kind accepts the body the platform wrote.
      if (kind === ROLLOUT_DEVICE_STATE_RECORD_TYPE) {
        const parsed = entries.EntryBodies[kind].parse(body);
        expect(logged.entry.stream).toBe(`device:${parsed.device}`);
      } else {
        expect(kind).toBe(ROLLOUT_CAMPAIGN_RECORD_TYPE);
        entries.EntryBodies[ROLLOUT_CAMPAIGN_RECORD_TYPE].parse(body);
      }
      expect(
        verifyInclusion(
          logged.leafHash,
          index,
          checkpoint.size,
          log.inclusionProof(index, checkpoint.size),
          checkpoint.rootHash,
        ),
      ).toBe(true);
    }
    expect(kinds.get(ROLLOUT_DEVICE_STATE_RECORD_TYPE)).toBe(18);
    const rolledBack = Array.from({ length: size }, (_, i) => log.entry(i).entry)
      .filter((e) => e.kind === ROLLOUT_DEVICE_STATE_RECORD_TYPE)
      .map((e) => e.body as { device: string; to: string })
      .filter((b) => b.to === 'rolled-back');
    expect(rolledBack).toEqual([expect.objectContaining({ device: 'po-3', to: 'rolled-back' })]);
    engine.close();
    await log.close();
  });
});
