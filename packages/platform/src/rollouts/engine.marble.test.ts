import { distinctUntilChanged, filter, map } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import { createRolloutEngine } from './engine.js';
import { campaign, MIN, makeFleet, simulateDevices } from './test-fixtures/fleet.js';

const scheduler = () => new TestScheduler((a, e) => expect(a).toEqual(e));
const CID = 'po-200-2.4.1';
const report = (deviceId: string, state: string, at: number) => ({ deviceId, campaignId: CID, state, at });

describe('rollout engine in virtual time (marbles)', () => {
  it('counts a device silent past deviceTimeoutMs as failed; each accepted report restarts its clock', () => {
    const s = scheduler();
    s.run(({ cold, expectObservable }) => {
      const engine = createRolloutEngine({ scheduler: s });
      engine.upsertDevices(makeFleet(2));
      expectObservable(
        engine.fleet$.pipe(
          filter((e) => e.deviceId === 'po-000'),
          map((e) => `${e.state}${e.failure === undefined ? '' : `/${e.failure}`}`),
        ),
      ).toBe('(pp) 9996ms d 39999ms i 59999ms f 489999ms |', {
        p: 'pending',
        d: 'downloading',
        i: 'installing',
        f: 'failed/timeout',
      });
      expectObservable(engine.status$.pipe(map((x) => `${x.phase}:${x.counts.failed}`))).toBe(
        '(rr) 9996ms r 39999ms r 9999ms x 49999ms (yz) 489996ms |',
        { r: 'running:0', x: 'running:1', y: 'running:2', z: 'aborted:2' },
      );
      s.schedule(
        () =>
          engine.createCampaign(campaign({ waves: [100], deviceTimeoutMs: MIN, abortAtFailurePercent: 100 })),
        0,
      );
      // po-001 never reports: failed at 60 s; po-000 reports at 10 s and 50 s, then goes silent.
      engine.connectReports(
        cold('10s a 39999ms b', {
          a: report('po-000', 'downloading', 10_000),
          b: report('po-000', 'installing', 50_000),
        }),
      );
      s.schedule(() => engine.close(), 10 * MIN);
    });
  });

  it('assigns a ward’s devices only inside its maintenance window, in the ward’s time zone', () => {
    const s = scheduler();
    s.run(({ cold, expectObservable }) => {
      const engine = createRolloutEngine({ scheduler: s });
      // po-000 and po-002 in the ICU (window 03:00-05:00 Berlin = 02:00-04:00 UTC in January 1970),
      // po-001 on ward-2 (no window). po-002 is offline until 05:00 UTC, after the window closed.
      const fleet = makeFleet(3, (i) => ({ ward: i === 1 ? 'ward-2' : 'icu', online: i !== 2 }));
      engine.upsertDevices(fleet);
      expectObservable(engine.commands$.pipe(map((c) => c.deviceId))).toBe(
        'b 7199999ms a 86399999ms c 79199999ms |',
        {
          a: 'po-000',
          b: 'po-001',
          c: 'po-002',
        },
      );
      s.schedule(
        () =>
          engine.createCampaign(
            campaign({
              waves: [100],
              deviceTimeoutMs: 7 * 24 * 60 * MIN,
              maintenanceWindows: [
                { wards: ['icu'], start: '03:00', end: '05:00', timeZone: 'Europe/Berlin' },
              ],
            }),
          ),
        0,
      );
      engine.connectInventory(cold('300m a', { a: { ...fleet[2], online: true } }));
      s.schedule(() => engine.close(), 2 * 24 * 60 * MIN);
    });
  });

  it('advances a wave once its success threshold holds for the soak time, and completes', () => {
    const s = scheduler();
    s.run(({ expectObservable }) => {
      const engine = createRolloutEngine({ scheduler: s });
      engine.upsertDevices(makeFleet(10));
      simulateDevices(engine, s, () => [{ afterMs: MIN, state: 'updated' }]);
      expectObservable(engine.commands$.pipe(map((c) => c.wave))).toBe(
        'a 359999ms (bbbb) 359994ms (ccccc) 2879993ms |',
        {
          a: 1,
          b: 2,
          c: 3,
        },
      );
      expectObservable(
        engine.status$.pipe(
          map((x) => x.phase),
          distinctUntilChanged(),
        ),
      ).toBe('r 779999ms c 2819999ms |', { r: 'running', c: 'completed' });
      s.schedule(
        () => engine.createCampaign(campaign({ waves: [10, 50, 100], successPercent: 100, soakMs: 5 * MIN })),
        0,
      );
      s.schedule(() => engine.close(), 60 * MIN);
    });
  });

  it('does not advance while paused; resuming restarts the soak', () => {
    const s = scheduler();
    s.run(({ expectObservable }) => {
      const engine = createRolloutEngine({ scheduler: s });
      engine.upsertDevices(makeFleet(10));
      simulateDevices(engine, s, () => [{ afterMs: MIN, state: 'updated' }]);
      expectObservable(engine.commands$.pipe(map((c) => c.wave))).toBe('a 1499999ms (bbbb) 59994ms |', {
        a: 1,
        b: 2,
      });
      s.schedule(
        () => engine.createCampaign(campaign({ waves: [10, 50, 100], successPercent: 100, soakMs: 5 * MIN })),
        0,
      );
      s.schedule(() => engine.pause(CID, { by: 'biomed:bob', reason: 'night shift' }), 3 * MIN);
      s.schedule(() => engine.resume(CID, { by: 'biomed:bob' }), 20 * MIN);
      s.schedule(() => engine.close(), 26 * MIN);
    });
  });

  it('holds a device in therapy until its therapy ends; an urgent campaign does not wait', () => {
    for (const urgent of [false, true]) {
      const s = scheduler();
      s.run(({ cold, expectObservable }) => {
        const engine = createRolloutEngine({ scheduler: s });
        const fleet = makeFleet(1, () => ({ inTherapy: true }));
        engine.upsertDevices(fleet);
        expectObservable(engine.commands$.pipe(map((c) => c.deviceId))).toBe(
          urgent ? 'a 59999ms |' : '30s a 29999ms |',
          {
            a: 'po-000',
          },
        );
        s.schedule(() => engine.createCampaign(campaign({ waves: [100], urgent })), 0);
        engine.connectInventory(cold('30s a', { a: { ...fleet[0], inTherapy: false } }));
        s.schedule(() => engine.close(), MIN);
      });
    }
  });
});
