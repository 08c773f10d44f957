import * as fc from 'fast-check';
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import { waveQuotas } from './campaign.js';
import { createRolloutEngine } from './engine.js';
import { DEVICE_UPDATE_STATES, type DeviceUpdateState } from './states.js';
import { campaign, makeFleet, simulateDevices } from './test-fixtures/fleet.js';
import type { CampaignStatus } from './types.js';

const N = 30;
const HORIZON_MS = 3 * 3_600_000;
const CID = 'po-200-2.4.1';

const Spec = fc.record({
  n: fc.integer({ min: 1, max: N }),
  waves: fc
    .uniqueArray(fc.integer({ min: 1, max: 99 }), { maxLength: 4 })
    .map((a) => [...a.sort((x, y) => x - y), 100]),
  successPercent: fc.integer({ min: 50, max: 100 }),
  abort: fc.integer({ min: 5, max: 100 }),
  pause: fc.option(fc.integer({ min: 1, max: 99 }), { nil: undefined }),
  urgent: fc.boolean(),
  soakMs: fc.constantFrom(0, 30_000),
  timeoutMs: fc.integer({ min: 10_000, max: 200_000 }),
  windowStartHour: fc.option(fc.integer({ min: 0, max: 2 }), { nil: undefined }),
  devices: fc.array(
    fc.record({ inTherapy: fc.boolean(), online: fc.boolean(), ward: fc.constantFrom('a', 'b', 'c') }),
    { minLength: N, maxLength: N },
  ),
  behaviours: fc.array(
    fc.array(
      fc.record({
        afterMs: fc.integer({ min: 0, max: 300_000 }),
        state: fc.constantFrom(...DEVICE_UPDATE_STATES),
        stale: fc.boolean(),
      }),
      { maxLength: 7 },
    ),
    { minLength: N, maxLength: N },
  ),
  ops: fc.array(
    fc.record({
      at: fc.integer({ min: 0, max: 2 * 3_600_000 }),
      kind: fc.constantFrom('pause', 'resume', 'cancel', 'therapy', 'online', 'bulk'),
      device: fc.nat(N - 1),
      value: fc.boolean(),
    }),
    { maxLength: 15 },
  ),
});
type Spec = typeof Spec extends fc.Arbitrary<infer T> ? T : never;

const FINAL = new Set(['aborted', 'cancelled', 'completed']);

/** Runs one random rollout in virtual time; returns every invariant violation it saw. */
function runRollout(spec: Spec): string[] {
  const violations: string[] = [];
  const check = (ok: boolean, what: string) => {
    if (!ok) violations.push(what);
  };
  const s = new TestScheduler((a, e) => expect(a).toEqual(e));
  s.run(() => {
    const engine = createRolloutEngine({ scheduler: s });
    const fleet = makeFleet(spec.n, (i) => spec.devices[i] as never);
    engine.upsertDevices(fleet);
    const assigned = new Set<string>();
    let finalSeen: string | undefined;
    let lastStatus: CampaignStatus | undefined;

    engine.commands$.subscribe((c) => {
      const st = engine.campaign(c.campaignId);
      const device = engine.device(c.deviceId);
      check(st !== undefined && device !== undefined, 'command for an unknown campaign or device');
      if (st === undefined || device === undefined) return;
      const quotas = waveQuotas(spec.waves, st.population);
      check(st.assigned <= st.allowed, `assigned ${st.assigned} > allowed ${st.allowed}`);
      check(st.allowed === quotas[st.wave - 1], `allowed ${st.allowed} is not wave ${st.wave}'s quota`);
      check(spec.urgent || !device.inTherapy, `${c.deviceId} assigned in therapy by a non-urgent campaign`);
      check(device.online, `${c.deviceId} assigned while offline`);
      check(finalSeen === undefined, `${c.deviceId} assigned after the campaign was ${finalSeen}`);
      check(lastStatus?.phase === 'running', `${c.deviceId} assigned while ${lastStatus?.phase}`);
      check(!assigned.has(c.deviceId), `${c.deviceId} assigned twice`);
      assigned.add(c.deviceId);
    });
    engine.status$.subscribe((st) => {
      const sum = Object.values(st.counts).reduce((a, b) => a + b, 0);
      check(sum === st.population, `counts sum to ${sum}, population ${st.population}`);
      check(st.assigned <= st.allowed, `status: assigned ${st.assigned} > allowed ${st.allowed}`);
      check(st.assigned === assigned.size, `status says ${st.assigned} assigned, ${assigned.size} commands`);
      if (finalSeen !== undefined) check(st.phase === finalSeen, `phase left ${finalSeen} for ${st.phase}`);
      if (FINAL.has(st.phase)) finalSeen ??= st.phase;
      lastStatus = st;
    });

    simulateDevices(engine, s, (c) => {
      const i = Number(c.deviceId.slice(3));
      return [...(spec.behaviours[i] ?? [])]
        .sort((a, b) => a.afterMs - b.afterMs)
        .map((b) => ({
          afterMs: b.afterMs,
          state: b.state as DeviceUpdateState,
          atOffsetMs: b.stale ? -100_000 : 0,
        }));
    });

    for (const op of spec.ops) {
      s.schedule(() => {
        const device = fleet[op.device % spec.n] as (typeof fleet)[number];
        switch (op.kind) {
          case 'pause':
            engine.pause(CID, { by: 'ops' });
            break;
          case 'resume':
            engine.resume(CID, { by: 'ops' });
            break;
          case 'cancel':
            engine.cancel(CID, { by: 'ops', reason: 'test' });
            break;
          case 'therapy':
            device.inTherapy = op.value;
            engine.upsertDevices({ ...device });
            break;
          case 'online':
            device.online = op.value;
            engine.upsertDevices({ ...device });
            break;
          case 'bulk': // a registry snapshot: every device, some changed
            for (const [k, d] of fleet.entries()) if (k % 3 === op.device % 3) d.inTherapy = op.value;
            engine.upsertDevices(fleet.map((d) => ({ ...d })));
            break;
        }
      }, op.at);
    }

    s.schedule(() => {
      const pause = spec.pause !== undefined && spec.pause < spec.abort ? spec.pause : undefined;
      const r = engine.createCampaign(
        campaign({
          waves: spec.waves,
          successPercent: spec.successPercent,
          abortAtFailurePercent: spec.abort,
          ...(pause === undefined ? {} : { pauseAtFailurePercent: pause }),
          urgent: spec.urgent,
          soakMs: spec.soakMs,
          deviceTimeoutMs: spec.timeoutMs,
          ...(spec.windowStartHour === undefined
            ? {}
            : {
                maintenanceWindows: [
                  {
                    wards: ['a'],
                    start: `0${spec.windowStartHour}:00`,
                    end: `0${spec.windowStartHour + 1}:00`,
                  },
                ],
              }),
        }),
      );
      check(r.ok, 'campaign refused');
    }, 0);

    s.schedule(() => {
      const st = engine.campaign(CID);
      check(st !== undefined, 'campaign lost');
      if (st === undefined) return;
      check(
        JSON.stringify(st.counts) === JSON.stringify(lastStatus?.counts),
        'last status is not the query result',
      );
      const view = engine.fleet({ campaignId: CID, limit: 10_000 });
      check(
        view.length === st.population,
        `fleet view has ${view.length} devices, population ${st.population}`,
      );
      check(
        new Set(view.map((e) => e.deviceId)).size === view.length,
        'a device appears twice in the fleet view',
      );
      const recount: Record<string, number> = {};
      for (const e of view) {
        recount[e.state as string] = (recount[e.state as string] ?? 0) + 1;
        check(e.assigned === assigned.has(e.deviceId), `${e.deviceId}: fleet view and commands disagree`);
        if (!e.assigned) check(e.state === 'pending', `${e.deviceId} unassigned but ${e.state}`);
      }
      for (const state of DEVICE_UPDATE_STATES) {
        check(
          (recount[state] ?? 0) === st.counts[state],
          `${state}: fleet view ${recount[state]}, counts ${st.counts[state]}`,
        );
      }
      engine.close();
    }, HORIZON_MS);
  });
  return violations;
}

describe('rollout engine invariants (fast-check, virtual time)', () => {
  it('never over-assigns a wave, never assigns in therapy unless urgent, nothing after abort or cancel, counts always sum to the population, every device in exactly one state', () => {
    fc.assert(
      fc.property(Spec, (spec) => {
        expect(runRollout(spec)).toEqual([]);
      }),
      { numRuns: 150 },
    );
  });
});
