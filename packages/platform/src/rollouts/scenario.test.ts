import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import { ROLLOUT_CAMPAIGN_RECORD_TYPE, ROLLOUT_DEVICE_STATE_RECORD_TYPE } from './audit.js';
import { createRolloutEngine, type RolloutEngine } from './engine.js';
import {
  type Collected,
  campaign,
  collect,
  MIN,
  makeFleet,
  memorySink,
  type Step,
  SUCCESS,
  simulateDevices,
} from './test-fixtures/fleet.js';

const CID = 'po-200-2.4.1';

describe('scenario: a staged rollout that hits a faulty image', () => {
  it('200 devices: wave 2 fails and rolls back, the campaign aborts itself, nothing more is assigned, the fleet view is consistent', async () => {
    const s = new TestScheduler((a, e) => expect(a).toEqual(e));
    const sink = memorySink();
    let engine: RolloutEngine | undefined;
    let out: Collected | undefined;
    // Every 25th device is delivering therapy: a non-urgent campaign must never touch it.
    const fleet = makeFleet(200, (i) => ({ inTherapy: i % 25 === 7 }));
    s.run(() => {
      engine = createRolloutEngine({ scheduler: s, ledger: sink });
      out = collect(engine);
      engine.upsertDevices(fleet);
      simulateDevices(engine, s, (command) => {
        const i = Number(command.deviceId.slice(3));
        const jitter = (i * 7_919) % (2 * MIN); // deterministic spread, so reports interleave
        const shift = (steps: readonly Step[]) =>
          steps.map((st) => ({ ...st, afterMs: st.afterMs + jitter }));
        if (command.wave === 1) return shift(SUCCESS);
        // Wave 2 gets the faulty image: it installs, then the trial boot's self-test fails and the
        // bootloader goes back to the old slot; on some devices the install itself fails.
        return shift(
          i % 2 === 0
            ? [
                { afterMs: 1 * MIN, state: 'downloading' },
                { afterMs: 2 * MIN, state: 'verifying' },
                { afterMs: 3 * MIN, state: 'installing' },
                { afterMs: 4 * MIN, state: 'confirming' },
                { afterMs: 5 * MIN, state: 'rolled-back', detail: 'self-test failed on trial boot' },
              ]
            : [
                { afterMs: 1 * MIN, state: 'downloading' },
                { afterMs: 2 * MIN, state: 'verifying' },
                { afterMs: 3 * MIN, state: 'installing' },
                { afterMs: 4 * MIN, state: 'failed', detail: 'slot B write error' },
              ],
        );
      });
      s.schedule(
        () =>
          engine?.createCampaign(
            campaign({
              waves: [1, 10, 50, 100],
              successPercent: 95,
              abortAtFailurePercent: 20,
              deviceTimeoutMs: 30 * MIN,
            }),
            'biomed:alice',
          ),
        0,
      );
    });
    if (engine === undefined || out === undefined) throw new Error('not started');
    await engine.flushAudit();

    // The campaign aborted itself in wave 2 at the 4th failure of 18 (>= 20 %).
    const status = engine.campaign(CID);
    expect(status).toMatchObject({
      phase: 'aborted',
      reason: 'failure rate: 4 of 18 devices of wave 2 failed or rolled back (>= 20 %)',
      wave: 2,
      population: 200,
      assigned: 20,
      inFlight: 0,
    });
    expect(status?.waves.map((w) => [w.planned, w.assigned, w.updated, w.failed])).toEqual([
      [2, 2, 2, 0],
      [18, 18, 0, 18],
      [80, 0, 0, 0],
      [100, 0, 0, 0],
    ]);
    const counts = status?.counts;
    expect(counts).toMatchObject({ updated: 2, pending: 180, downloading: 0, installing: 0, confirming: 0 });
    expect((counts?.failed ?? 0) + (counts?.['rolled-back'] ?? 0)).toBe(18);
    expect(counts?.['rolled-back']).toBeGreaterThan(0);

    // No device was assigned after the abort; none in therapy ever; 2 + 18 commands in all.
    const abortedAt = out.statuses.find((x) => x.phase === 'aborted')?.ts ?? -1;
    expect(out.commands).toHaveLength(20);
    expect(out.commands.every((c) => c.issuedAt <= abortedAt)).toBe(true);
    expect(out.commands.filter((c) => c.wave === 1)).toHaveLength(2);
    const inTherapy = new Set(fleet.filter((d) => d.inTherapy).map((d) => d.deviceId));
    expect(out.commands.some((c) => inTherapy.has(c.deviceId))).toBe(false);
    expect(out.statuses.filter((x) => x.ts > abortedAt).every((x) => x.phase === 'aborted')).toBe(true);

    // The fleet view agrees with the counts, device by device; versions show what each runs.
    const view = engine.fleet({ campaignId: CID, limit: 1_000 });
    expect(view).toHaveLength(200);
    const byState = new Map<string, number>();
    for (const e of view) byState.set(e.state ?? '', (byState.get(e.state ?? '') ?? 0) + 1);
    expect(Object.fromEntries(byState)).toEqual(
      Object.fromEntries(Object.entries(counts ?? {}).filter(([, n]) => n > 0)),
    );
    for (const e of view) {
      expect(e.version).toBe(e.state === 'updated' ? '2.4.1' : '2.3.0');
      expect(e.assigned).toBe(e.state !== 'pending');
    }
    expect(
      view
        .filter((e) => e.state === 'rolled-back')
        .every((e) => e.detail === 'self-test failed on trial boot'),
    ).toBe(true);

    // The audit trail in the ledger: every decision and every device's last recorded state.
    expect(sink.records).toEqual(out.audit);
    const decisions = sink.records
      .filter((r) => r.type === ROLLOUT_CAMPAIGN_RECORD_TYPE)
      .map((r) => (r.body as { decision: string }).decision);
    expect(decisions).toEqual(['created', 'wave-advanced', 'aborted']);
    const aborted = sink.records.find((r) => (r.body as { decision?: string }).decision === 'aborted');
    expect(aborted?.body).toMatchObject({ by: 'system:rollouts', assigned: 20 });
    const lastRecorded = new Map<string, string>();
    for (const r of sink.records.filter((x) => x.type === ROLLOUT_DEVICE_STATE_RECORD_TYPE)) {
      const b = r.body as { device: string; to: string };
      lastRecorded.set(b.device, b.to);
    }
    expect(lastRecorded.size).toBe(20);
    for (const [device, state] of lastRecorded) expect(engine.device(device)?.state).toBe(state);
    expect(out.errors).toEqual([]);
    engine.close();
  });
});
