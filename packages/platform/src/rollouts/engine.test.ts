import { JsonValue, ValidationError } from '@healthit/core';
import { VirtualTimeScheduler } from 'rxjs';
import { describe, expect, it } from 'vitest';
import {
  ROLLOUT_CAMPAIGN_RECORD_TYPE,
  ROLLOUT_DEVICE_STATE_RECORD_TYPE,
  RolloutCampaignBody,
  RolloutDeviceStateBody,
} from './audit.js';
import { createRolloutEngine, type RolloutEngineOptions } from './engine.js';
import { RolloutAuditError, RolloutLimitError, RolloutStateError, RolloutTransitionError } from './errors.js';
import type { DeviceUpdateState } from './states.js';
import { campaign, collect, type DeviceInput, makeFleet, memorySink } from './test-fixtures/fleet.js';

function setup(fleet: DeviceInput[], options: RolloutEngineOptions = {}) {
  const scheduler = new VirtualTimeScheduler();
  const engine = createRolloutEngine({ scheduler, ...options });
  const out = collect(engine);
  engine.upsertDevices(fleet);
  let t = 1_000;
  const send = (deviceId: string, state: DeviceUpdateState, extra: Record<string, unknown> = {}) =>
    engine.report({ deviceId, campaignId: 'po-200-2.4.1', state, at: t++, ...extra });
  const walk = (deviceId: string, states: DeviceUpdateState[]) => {
    for (const s of states) expect(send(deviceId, s)).toMatchObject({ ok: true, outcome: 'applied' });
  };
  return { scheduler, engine, out, send, walk };
}

const HAPPY: DeviceUpdateState[] = ['downloading', 'verifying', 'installing', 'confirming', 'updated'];

describe('rollout engine: targeting', () => {
  it("names in each command the image of the device's hardware when the release has one per hardware id", () => {
    const fleet = makeFleet(4, (i) => ({ hardwareId: i % 2 === 0 ? 'po-200.rev-a' : 'po-200.rev-b' }));
    const { engine, out } = setup(fleet);
    const release = {
      targets: { 'po-200.rev-a': 'po-200/rev-a/2.4.1.bin', 'po-200.rev-b': 'po-200/rev-b/2.4.1.bin' },
      version: '2.4.1',
      hardwareIds: ['po-200.rev-a', 'po-200.rev-b'],
    };
    expect(engine.createCampaign(campaign({ release, waves: [100] })).ok).toBe(true);
    expect(out.commands.map((c) => [c.deviceId, c.targetPath]).sort()).toEqual([
      ['po-000', 'po-200/rev-a/2.4.1.bin'],
      ['po-001', 'po-200/rev-b/2.4.1.bin'],
      ['po-002', 'po-200/rev-a/2.4.1.bin'],
      ['po-003', 'po-200/rev-b/2.4.1.bin'],
    ]);
  });

  it('freezes the population: matching filters, supported hardware, not on the version yet, not held elsewhere', () => {
    const fleet = makeFleet(12, (i) => ({
      ...(i === 0 ? { hardwareId: 'po-200.rev-b' } : {}),
      ...(i === 1 ? { firmwareVersion: '2.4.1' } : {}),
      ...(i === 2 ? { model: 'Other' } : {}),
    }));
    const { engine, out } = setup(fleet);
    const first = engine.createCampaign(
      campaign({ id: 'first', target: { wards: ['ward-4'] }, waves: [100] }),
    );
    expect(first).toMatchObject({ ok: true, status: { population: 3 } }); // po-003, 007, 011
    const r = engine.createCampaign(campaign({ target: { models: ['PO-200'] } }), 'biomed:alice');
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    // 12 - rev-b - already 2.4.1 - model Other - 3 held by "first" = 6
    expect(r.status.population).toBe(6);
    const created = out.audit.find(
      (a) =>
        a.type === ROLLOUT_CAMPAIGN_RECORD_TYPE &&
        (a.body as { campaign: string }).campaign === 'po-200-2.4.1',
    );
    expect(created?.body).toMatchObject({
      decision: 'created',
      by: 'biomed:alice',
      excludedBusy: 3,
      population: 6,
    });
    expect(engine.fleet({ campaignId: 'po-200-2.4.1' }).map((e) => e.deviceId)).not.toContain('po-000');
  });

  it('assigns in a fixed, ward-spreading order, at most the wave quota, each command stable and complete', () => {
    const { engine, out } = setup(makeFleet(200));
    engine.createCampaign(campaign({ deviceTimeoutMs: 600_000 }));
    expect(out.commands).toHaveLength(2); // 1 % of 200
    expect(out.commands[0]).toEqual({
      type: 'assign',
      commandId: `po-200-2.4.1/${out.commands[0]?.deviceId}`,
      campaignId: 'po-200-2.4.1',
      deviceId: out.commands[0]?.deviceId,
      release: { targetPath: 'po-200/rev-a/2.4.1.bin', version: '2.4.1', hardwareIds: ['po-200.rev-a'] },
      targetPath: 'po-200/rev-a/2.4.1.bin',
      wave: 1,
      urgent: false,
      issuedAt: 0,
      timeoutMs: 600_000,
      expiresAt: 600_000,
    });
    const again = setup(makeFleet(200));
    again.engine.createCampaign(campaign());
    expect(again.out.commands.map((c) => c.deviceId)).toEqual(out.commands.map((c) => c.deviceId));
  });

  it('completes at once when nothing matches', () => {
    const { engine } = setup(makeFleet(3));
    expect(engine.createCampaign(campaign({ target: { wards: ['nowhere'] } }))).toMatchObject({
      ok: true,
      status: { phase: 'completed', population: 0, reason: 'no device matched the targeting' },
    });
  });

  it('refuses an invalid definition and a duplicate id on the error stream', () => {
    const { engine, out } = setup(makeFleet(3));
    const bad = engine.createCampaign({ id: 'x', release: { targetPath: 'a' } });
    expect(bad.ok).toBe(false);
    expect(out.errors[0]).toBeInstanceOf(ValidationError);
    engine.createCampaign(campaign());
    const dup = engine.createCampaign(campaign());
    expect(dup).toMatchObject({ ok: false, error: { reason: 'duplicate-campaign' } });
    expect(out.errors[1]).toBeInstanceOf(RolloutStateError);
  });
});

describe('rollout engine: device reports', () => {
  it('moves a device along the happy path and shows it in the fleet view with the new version', () => {
    const { engine, out, walk } = setup(makeFleet(1));
    engine.createCampaign(campaign({ waves: [100] }));
    walk('po-000', HAPPY);
    expect(engine.device('po-000')).toMatchObject({
      campaignId: 'po-200-2.4.1',
      state: 'updated',
      version: '2.4.1',
      assigned: true,
      wave: 1,
      lastReportAt: 1_004,
    });
    expect(engine.campaign('po-200-2.4.1')).toMatchObject({ phase: 'completed', counts: { updated: 1 } });
    const states = out.audit
      .filter((a) => a.type === ROLLOUT_DEVICE_STATE_RECORD_TYPE)
      .map((a) => `${(a.body as { from: string }).from}>${(a.body as { to: string }).to}`);
    expect(states).toEqual([
      'pending>pending',
      'pending>downloading',
      'downloading>verifying',
      'verifying>installing',
      'installing>confirming',
      'confirming>updated',
    ]);
  });

  it('refuses an illegal transition with a typed error and keeps the state', () => {
    const { engine, out, walk, send } = setup(makeFleet(1));
    engine.createCampaign(campaign({ waves: [100] }));
    walk('po-000', ['downloading', 'installing']);
    const auditBefore = out.audit.length;
    const r = send('po-000', 'verifying');
    expect(r.ok).toBe(false);
    const e = out.errors.at(-1);
    expect(e).toBeInstanceOf(RolloutTransitionError);
    expect(e).toMatchObject({
      reason: 'illegal-transition',
      from: 'installing',
      to: 'verifying',
      code: 'state/invalid',
    });
    expect(engine.device('po-000')?.state).toBe('installing');
    expect(out.audit.length).toBe(auditBefore);
    walk('po-000', ['confirming', 'updated']);
    expect(send('po-000', 'failed')).toMatchObject({ ok: false, error: { reason: 'illegal-transition' } });
  });

  it('treats a repeated report as a duplicate and an older one as stale: nothing changes', () => {
    const { engine, out, send } = setup(makeFleet(1));
    engine.createCampaign(campaign({ waves: [100] }));
    expect(
      engine.report({ deviceId: 'po-000', campaignId: 'po-200-2.4.1', state: 'verifying', at: 50 }),
    ).toMatchObject({
      outcome: 'applied',
    });
    const n = { audit: out.audit.length, statuses: out.statuses.length, fleet: out.fleet.length };
    expect(
      engine.report({ deviceId: 'po-000', campaignId: 'po-200-2.4.1', state: 'verifying', at: 50 }),
    ).toMatchObject({
      ok: true,
      outcome: 'duplicate',
    });
    expect(
      engine.report({ deviceId: 'po-000', campaignId: 'po-200-2.4.1', state: 'downloading', at: 40 }),
    ).toMatchObject({
      ok: true,
      outcome: 'stale',
      state: 'verifying',
    });
    // even a legal move is ignored when older than the last report
    expect(
      engine.report({ deviceId: 'po-000', campaignId: 'po-200-2.4.1', state: 'installing', at: 49 }),
    ).toMatchObject({
      outcome: 'stale',
    });
    expect({ audit: out.audit.length, statuses: out.statuses.length, fleet: out.fleet.length }).toEqual(n);
    expect(out.errors).toEqual([]);
    expect(send('po-000', 'installing')).toMatchObject({ outcome: 'applied' });
  });

  it('refuses reports for unknown campaigns, untargeted or unassigned devices, and malformed ones', () => {
    const { engine, out } = setup(makeFleet(200));
    engine.createCampaign(campaign());
    const assigned = new Set(out.commands.map((c) => c.deviceId));
    const waiting = engine.fleet({ campaignId: 'po-200-2.4.1' }).find((e) => !assigned.has(e.deviceId));
    expect(
      engine.report({ deviceId: 'po-001', campaignId: 'other', state: 'downloading', at: 1 }),
    ).toMatchObject({
      error: { reason: 'unknown-campaign' },
    });
    expect(
      engine.report({ deviceId: 'zz-1', campaignId: 'po-200-2.4.1', state: 'downloading', at: 1 }),
    ).toMatchObject({
      error: { reason: 'not-targeted' },
    });
    expect(
      engine.report({ deviceId: waiting?.deviceId, campaignId: 'po-200-2.4.1', state: 'updated', at: 1 }),
    ).toMatchObject({ error: { reason: 'not-assigned', from: 'pending' } });
    const bad = engine.report({ deviceId: 'po-001', campaignId: 'po-200-2.4.1', state: 'exploded', at: 1 });
    expect(bad.ok).toBe(false);
    expect(out.errors.at(-1)).toBeInstanceOf(ValidationError);
    expect(out.errors).toHaveLength(4);
    expect(engine.campaign('po-200-2.4.1')?.counts.pending).toBe(200);
  });

  it('accepts a verified UpdateReport as it is (extra members dropped) and keeps the rejection reason', () => {
    const { engine } = setup(makeFleet(10));
    engine.createCampaign(campaign({ waves: [100], abortAtFailurePercent: 50 }));
    const r = engine.report({
      v: 1,
      campaignId: 'po-200-2.4.1',
      deviceId: 'po-003',
      state: 'failed',
      detail: 'image digest does not match the manifest',
      at: 5,
      counter: 17,
      reason: 'digest',
      sig: 'x'.repeat(86),
    });
    expect(r).toMatchObject({ ok: true, outcome: 'applied' });
    expect(engine.device('po-003')).toMatchObject({
      state: 'failed',
      failure: 'report',
      rejection: 'digest',
      detail: 'image digest does not match the manifest',
      version: '2.3.0',
    });
  });
});

describe('rollout engine: waves and thresholds', () => {
  it('advances when the wave reaches its success threshold, then assigns the next wave', () => {
    const { engine, out, walk } = setup(makeFleet(20));
    engine.createCampaign(campaign({ waves: [10, 50, 100], successPercent: 50 }));
    expect(out.commands).toHaveLength(2);
    walk(out.commands[0]!.deviceId, HAPPY);
    expect(out.commands).toHaveLength(10);
    expect(engine.campaign('po-200-2.4.1')).toMatchObject({ wave: 2, allowed: 10, assigned: 10 });
    expect(out.audit.map((a) => (a.body as { decision?: string }).decision).filter(Boolean)).toEqual([
      'created',
      'wave-advanced',
    ]);
  });

  it('pauses once per wave at the pause threshold, aborts at the abort threshold, and stops assigning', () => {
    const { engine, out, send } = setup(makeFleet(100));
    engine.createCampaign(
      campaign({
        waves: [20, 100],
        pauseAtFailurePercent: 10,
        abortAtFailurePercent: 15,
        successPercent: 100,
      }),
    );
    const ids = out.commands.map((c) => c.deviceId);
    expect(ids).toHaveLength(20);
    send(ids[0]!, 'failed');
    expect(engine.campaign('po-200-2.4.1')).toMatchObject({ phase: 'running' }); // 1 of 20 = 5 %
    send(ids[1]!, 'failed');
    expect(engine.campaign('po-200-2.4.1')?.phase).toBe('paused'); // 2 of 20 = 10 %
    expect(engine.resume('po-200-2.4.1', { by: 'biomed:alice', reason: 'known bad batch' })).toMatchObject({
      ok: true,
      changed: true,
    });
    send(ids[2]!, 'failed'); // 3 of 20 = 15 %: abort (the pause of wave 1 already fired)
    const status = engine.campaign('po-200-2.4.1');
    expect(status).toMatchObject({
      phase: 'aborted',
      reason: 'failure rate: 3 of 20 devices of wave 1 failed or rolled back (>= 15 %)',
    });
    for (const id of ids.slice(3)) {
      for (const s of HAPPY) send(id, s);
    }
    expect(out.commands).toHaveLength(20);
    expect(engine.campaign('po-200-2.4.1')).toMatchObject({
      phase: 'aborted',
      counts: { updated: 17, failed: 3, pending: 80 },
    });
    const decisions = out.audit.map((a) => (a.body as { decision?: string }).decision).filter(Boolean);
    expect(decisions).toEqual(['created', 'paused', 'resumed', 'aborted']);
    const paused = out.audit.find((a) => (a.body as { decision?: string }).decision === 'paused');
    expect(paused?.body).toMatchObject({ by: 'system:rollouts', reason: expect.stringContaining('2 of 20') });
  });

  it('counts a rollback after a failure once', () => {
    const { engine, out, send } = setup(makeFleet(100));
    engine.createCampaign(campaign({ waves: [10, 100], abortAtFailurePercent: 50 }));
    const id = out.commands[0]!.deviceId;
    send(id, 'installing');
    send(id, 'failed');
    send(id, 'rolled-back');
    expect(engine.campaign('po-200-2.4.1')?.waves[0]).toMatchObject({ failed: 1, assigned: 10 });
    expect(engine.campaign('po-200-2.4.1')?.counts).toMatchObject({ failed: 0, 'rolled-back': 1 });
  });
});

describe('rollout engine: therapy, pause, resume, cancel', () => {
  it('never assigns a device in therapy unless the campaign is urgent', () => {
    const fleet = makeFleet(4, (i) => ({ inTherapy: i < 2 }));
    const normal = setup(fleet);
    normal.engine.createCampaign(campaign({ waves: [100] }));
    expect(normal.out.commands.map((c) => c.deviceId).sort()).toEqual(['po-002', 'po-003']);
    normal.engine.upsertDevices({ ...fleet[0], inTherapy: false });
    expect(normal.out.commands.map((c) => c.deviceId)).toContain('po-000');
    expect(normal.out.commands).toHaveLength(3);

    const urgent = setup(fleet);
    urgent.engine.createCampaign(campaign({ waves: [100], urgent: true }));
    expect(urgent.out.commands).toHaveLength(4);
    expect(urgent.out.commands.every((c) => c.urgent)).toBe(true);
  });

  it('waits for offline devices to come online', () => {
    const fleet = makeFleet(2, (i) => ({ online: i !== 0 }));
    const { engine, out } = setup(fleet);
    engine.createCampaign(campaign({ waves: [100] }));
    expect(out.commands.map((c) => c.deviceId)).toEqual(['po-001']);
    engine.upsertDevices([{ ...fleet[0], online: true }]);
    expect(out.commands.map((c) => c.deviceId)).toEqual(['po-001', 'po-000']);
  });

  it('pause stops assigning, resume continues, both idempotent and audited with who and why', () => {
    const { engine, out, walk } = setup(makeFleet(20));
    engine.createCampaign(campaign({ waves: [10, 100], successPercent: 100 }));
    expect(engine.pause('po-200-2.4.1', { by: 'biomed:bob', reason: 'ward 3 audit' })).toMatchObject({
      ok: true,
      changed: true,
      status: { phase: 'paused', reason: 'ward 3 audit' },
    });
    expect(engine.pause('po-200-2.4.1', { by: 'biomed:bob' })).toMatchObject({ ok: true, changed: false });
    for (const c of out.commands) walk(c.deviceId, HAPPY); // devices already assigned finish
    expect(out.commands).toHaveLength(2);
    expect(engine.campaign('po-200-2.4.1')).toMatchObject({
      phase: 'paused',
      wave: 1,
      counts: { updated: 2 },
    });
    engine.resume('po-200-2.4.1', { by: 'biomed:bob' });
    expect(out.commands).toHaveLength(20);
    expect(engine.resume('po-200-2.4.1', { by: 'biomed:bob' })).toMatchObject({ ok: true, changed: false });
    const paused = out.audit.find((a) => (a.body as { decision?: string }).decision === 'paused');
    expect(paused?.body).toMatchObject({ by: 'biomed:bob', reason: 'ward 3 audit', phase: 'paused' });
  });

  it('a registry snapshot during a pause assigns nothing; after an abort neither', () => {
    const fleet = makeFleet(10, () => ({ inTherapy: true }));
    const { engine, out } = setup(fleet);
    engine.createCampaign(campaign({ waves: [100], abortAtFailurePercent: 10 }));
    expect(out.commands).toHaveLength(0);
    engine.pause('po-200-2.4.1', { by: 'ops' });
    engine.upsertDevices(fleet.map((d) => ({ ...d, inTherapy: false })));
    expect(out.commands).toHaveLength(0);
    engine.resume('po-200-2.4.1', { by: 'ops' });
    expect(out.commands).toHaveLength(10);
    const again = setup(makeFleet(10, (i) => ({ inTherapy: i > 0 })));
    again.engine.createCampaign(campaign({ waves: [100], abortAtFailurePercent: 10 }));
    again.send('po-000', 'failed');
    expect(again.engine.campaign('po-200-2.4.1')?.phase).toBe('aborted');
    again.engine.upsertDevices(makeFleet(10));
    expect(again.out.commands).toHaveLength(1);
  });

  it('cancel stops assigning for good; devices already updating finish and report', () => {
    const { engine, out, walk } = setup(makeFleet(20));
    engine.createCampaign(campaign({ waves: [10, 100], successPercent: 50 }));
    const [a, b] = out.commands.map((c) => c.deviceId);
    walk(a!, ['downloading', 'verifying']);
    expect(engine.cancel('po-200-2.4.1', { by: 'biomed:bob', reason: 'superseded by 2.4.2' })).toMatchObject({
      ok: true,
      status: { phase: 'cancelled', reason: 'superseded by 2.4.2' },
    });
    walk(a!, ['installing', 'confirming', 'updated']);
    walk(b!, HAPPY);
    expect(out.commands).toHaveLength(2);
    expect(engine.campaign('po-200-2.4.1')).toMatchObject({
      phase: 'cancelled',
      counts: { updated: 2, pending: 18 },
    });
    expect(engine.resume('po-200-2.4.1', { by: 'biomed:bob' })).toMatchObject({
      ok: false,
      error: { reason: 'not-allowed' },
    });
    expect(engine.pause('po-200-2.4.1', { by: 'biomed:bob' })).toMatchObject({
      ok: false,
      error: { reason: 'not-allowed' },
    });
    expect(engine.cancel('po-200-2.4.1', { by: 'biomed:bob' })).toMatchObject({ ok: true, changed: false });
    expect(engine.pause('nope', { by: 'biomed:bob' })).toMatchObject({
      ok: false,
      error: { reason: 'unknown-campaign' },
    });
    expect(engine.pause('po-200-2.4.1', { by: '' })).toMatchObject({
      ok: false,
      error: { reason: 'not-allowed' },
    });
    // the devices it never assigned are free for the next campaign
    expect(engine.createCampaign(campaign({ id: 'po-200-2.4.2' }))).toMatchObject({
      status: { population: 18 },
    });
    // the fleet shows each device's latest campaign; a campaign query shows its own population
    const waiting = engine.fleet({ campaignId: 'po-200-2.4.1', state: 'pending' });
    expect(waiting).toHaveLength(18);
    expect(waiting.every((e) => e.campaignId === 'po-200-2.4.1' && e.assigned === false)).toBe(true);
    expect(engine.device(waiting[0]!.deviceId)?.campaignId).toBe('po-200-2.4.2');
    expect(
      engine
        .fleet({ campaignId: 'po-200-2.4.1', state: 'updated' })
        .map((e) => e.deviceId)
        .sort(),
    ).toEqual([a!, b!].sort());
    expect(engine.fleet({ campaignId: 'gone' })).toEqual([]);
  });
});

describe('rollout engine: re-entrancy', () => {
  it('stays within its rules when devices answer commands synchronously', () => {
    const { engine, out } = setup(makeFleet(100));
    engine.commands$.subscribe((c) => {
      engine.report({ deviceId: c.deviceId, campaignId: c.campaignId, state: 'failed', at: 1 });
    });
    engine.createCampaign(campaign({ waves: [100], abortAtFailurePercent: 10 }));
    expect(out.commands).toHaveLength(10); // the 10th failure aborted it mid-fill
    expect(engine.campaign('po-200-2.4.1')).toMatchObject({
      phase: 'aborted',
      assigned: 10,
      counts: { failed: 10 },
    });
    // each device's 'assigned' record precedes its report's record
    const trail = out.audit
      .filter((r) => (r.body as { device?: string }).device === out.commands[0]?.deviceId)
      .map((r) => (r.body as { cause: string }).cause);
    expect(trail).toEqual(['assigned', 'report']);
  });
});

describe('rollout engine: bounded memory', () => {
  it('refuses devices past maxFleetDevices, keeping those it holds', () => {
    const { engine, out } = setup(makeFleet(3), { limits: { maxFleetDevices: 3 } });
    const r = engine.upsertDevices(makeFleet(5));
    expect(r.accepted).toBe(3); // the three known ones, updated
    expect(r.errors[0]).toBeInstanceOf(RolloutLimitError);
    expect(r.errors[0]).toMatchObject({
      limit: 'maxFleetDevices',
      max: 3,
      code: 'buffer/overflow',
      retryable: true,
    });
    expect(out.errors).toHaveLength(1);
    expect(engine.fleet()).toHaveLength(3);
  });

  it('refuses a campaign targeting more than maxDevicesPerCampaign', () => {
    const { engine } = setup(makeFleet(10), { limits: { maxDevicesPerCampaign: 9 } });
    expect(engine.createCampaign(campaign())).toMatchObject({
      ok: false,
      error: { limit: 'maxDevicesPerCampaign', max: 9 },
    });
    expect(engine.campaigns()).toEqual([]);
  });

  it('evicts the oldest finished campaign past maxCampaigns, and refuses when every campaign is open', () => {
    const { engine } = setup(makeFleet(4), { limits: { maxCampaigns: 2 } });
    engine.createCampaign(campaign({ id: 'a', target: { deviceIds: ['po-000'] }, waves: [100] }));
    engine.createCampaign(campaign({ id: 'b', target: { deviceIds: ['po-001'] }, waves: [100] }));
    expect(engine.createCampaign(campaign({ id: 'c', target: { deviceIds: ['po-002'] } }))).toMatchObject({
      ok: false,
      error: { limit: 'maxCampaigns' },
    });
    engine.cancel('a', { by: 'ops' }); // po-000 was assigned and is still in flight
    expect(engine.createCampaign(campaign({ id: 'c', target: { deviceIds: ['po-002'] } })).ok).toBe(false);
    engine.report({ deviceId: 'po-000', campaignId: 'a', state: 'updated', at: 1 });
    expect(engine.createCampaign(campaign({ id: 'c', target: { deviceIds: ['po-002'] } })).ok).toBe(true);
    expect(engine.campaigns().map((c) => c.campaignId)).toEqual(['b', 'c']);
    expect(engine.device('po-000')).toMatchObject({ campaignId: 'a', state: 'updated' }); // the fleet view keeps it
  });
});

describe('rollout engine: audit trail', () => {
  it('appends every record to the ledger in order, each a valid body of its type', async () => {
    const sink = memorySink();
    const { engine, out, walk } = setup(makeFleet(5), { ledger: sink, audit: { maxBatch: 3 } });
    engine.createCampaign(campaign({ waves: [100] }), 'biomed:alice');
    for (const c of out.commands) walk(c.deviceId, HAPPY);
    await engine.flushAudit();
    expect(sink.records).toEqual(out.audit);
    expect(sink.records).toHaveLength(1 + 5 + 25 + 1);
    for (const r of sink.records) {
      expect(JsonValue.safeParse(r.body).success).toBe(true);
      const schema =
        r.type === ROLLOUT_DEVICE_STATE_RECORD_TYPE ? RolloutDeviceStateBody : RolloutCampaignBody;
      expect(schema.safeParse(r.body).error).toBeUndefined();
    }
    expect(sink.records.at(-1)?.body).toMatchObject({ decision: 'completed', phase: 'completed' });
  });

  it('reports a failed append with its records and goes on', async () => {
    const sink = memorySink(true);
    const { engine, out } = setup(makeFleet(2), { ledger: sink });
    engine.createCampaign(campaign({ waves: [100] }));
    await engine.flushAudit();
    const e = out.errors.find((x) => x instanceof RolloutAuditError) as RolloutAuditError;
    expect(e.message).toContain('disk full');
    expect(e.records).toEqual(out.audit);
  });

  it('rejects the newest record past maxPendingAuditRecords, with the record', async () => {
    const sink = memorySink();
    const { engine, out } = setup(makeFleet(5), { ledger: sink, audit: { maxPendingRecords: 3 } });
    engine.createCampaign(campaign({ waves: [100] }));
    const overflow = out.errors.filter((x) => x instanceof RolloutAuditError) as RolloutAuditError[];
    expect(overflow).toHaveLength(3); // 1 created + 5 assigned = 6 records, 3 queued
    expect(overflow[0]?.cause).toBeInstanceOf(RolloutLimitError);
    expect(overflow.flatMap((e) => e.records)).toEqual(out.audit.slice(3));
    await engine.flushAudit();
    expect(sink.records).toEqual(out.audit.slice(0, 3));
  });
});

describe('rollout engine: fleet view and lifecycle', () => {
  it('answers queries by campaign, state, ward, with offset and limit', () => {
    const { engine, out, walk } = setup(makeFleet(40));
    engine.createCampaign(campaign({ waves: [10, 100], successPercent: 100 }));
    const [a] = out.commands.map((c) => c.deviceId);
    walk(a!, ['downloading']);
    expect(engine.fleet({ state: 'downloading' }).map((e) => e.deviceId)).toEqual([a]);
    expect(engine.fleet({ campaignId: 'po-200-2.4.1' })).toHaveLength(40);
    expect(engine.fleet({ ward: 'ward-1' })).toHaveLength(10);
    expect(engine.fleet({ ward: 'ward-1', offset: 8 })).toHaveLength(2);
    expect(engine.fleet({ limit: 5 })).toHaveLength(5);
    expect(engine.fleet({ state: ['pending', 'downloading'] })).toHaveLength(40);
    expect(() => engine.fleet({ limit: -1 })).toThrow(RangeError);
  });

  it('close completes the streams and refuses further work', () => {
    const { engine } = setup(makeFleet(2));
    let completed = 0;
    engine.status$.subscribe({ complete: () => completed++ });
    engine.commands$.subscribe({ complete: () => completed++ });
    engine.close();
    engine.close();
    expect(completed).toBe(2);
    expect(engine.createCampaign(campaign())).toMatchObject({ ok: false, error: { reason: 'closed' } });
    expect(engine.report({})).toMatchObject({ ok: false, error: { reason: 'closed' } });
  });

  it('refuses bad limits with a RangeError', () => {
    expect(() => createRolloutEngine({ limits: { maxCampaigns: 0 } })).toThrow(RangeError);
    expect(() => createRolloutEngine({ ledger: memorySink(), audit: { maxBatch: 0 } })).toThrow(RangeError);
  });
});
