import { map, VirtualTimeScheduler } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import { statusFor } from '../../test/actuator-helpers.js';
import {
  createInfusionPump,
  DEFAULT_INFUSION_PUMP_LIMITS,
  type InfusionDelivery,
  type InfusionPumpOptions,
  infusionDurationMs,
} from './infusion-pump.js';

const DEVICE = 'pump-3';
const MIN = 60_000;

function start(id: string, rateMlPerH: unknown, volumeMl: unknown, extra: object = {}) {
  return {
    id,
    deviceId: DEVICE,
    action: 'infusion.start',
    params: { rateMlPerH, volumeMl },
    issuedBy: 'user:nurse-7',
    issuedAt: 0,
    ...extra,
  };
}
const stop = (id: string) => ({
  id,
  deviceId: DEVICE,
  action: 'infusion.stop',
  params: {},
  issuedBy: 'user:nurse-7',
  issuedAt: 0,
});

const status = statusFor(DEVICE);

function delivery(
  ts: number,
  rateMlPerH: number,
  deliveredMl: number,
  volumeMl: number,
  totalDeliveredMl = deliveredMl,
) {
  return { ts, rateMlPerH, deliveredMl, volumeMl, totalDeliveredMl };
}

function virtual(options: Partial<InfusionPumpOptions> = {}) {
  const scheduler = new VirtualTimeScheduler();
  const pump = createInfusionPump({ deviceId: DEVICE, scheduler, ...options });
  const deliveries: InfusionDelivery[] = [];
  pump.delivery$.subscribe((d) => deliveries.push(d));
  return { scheduler, pump, deliveries };
}

describe('infusion pump: runs until the volume is delivered (marbles)', () => {
  it('reports progress every reportPeriodMs and completes when the volume is in, rate back to 0', () => {
    const ts = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
    ts.run(({ cold, expectObservable }) => {
      // 1 mL at 360 mL/h = 0.1 mL/s: 10 s.
      const pump = createInfusionPump({ deviceId: DEVICE, scheduler: ts, reportPeriodMs: 2_500 });
      expectObservable(pump.delivery$).toBe('(as) 2496ms b 2499ms c 2499ms d 2499ms e', {
        a: delivery(0, 0, 0, 0),
        s: delivery(0, 360, 0, 1),
        b: delivery(2_500, 360, 0.25, 1),
        c: delivery(5_000, 360, 0.5, 1),
        d: delivery(7_500, 360, 0.75, 1),
        e: delivery(10_000, 0, 1, 1),
      });
      // Subscribed after the expectation, so that one sees the power-on state first.
      expectObservable(pump.connect(cold('(a|)', { a: start('c1', 360, 1) }))).toBe('(ar) 9996ms (c|)', {
        a: status('c1', 'accepted', 0),
        r: status('c1', 'running', 0),
        c: status('c1', 'completed', 10_000),
      });
    });
  });

  it('ends at the exact duration when it is not a multiple of the report period', () => {
    const { pump, scheduler, deliveries } = virtual({ reportPeriodMs: 3_000 });
    pump.execute(start('c1', 360, 1));
    scheduler.flush();
    expect(deliveries.map((d) => [d.ts, d.rateMlPerH, d.deliveredMl])).toEqual([
      [0, 0, 0],
      [0, 360, 0],
      [3_000, 360, 0.3],
      [6_000, 360, 0.6],
      [9_000, 360, 0.9],
      [10_000, 0, 1],
    ]);
    expect(pump.statusOf('c1')).toEqual(status('c1', 'completed', 10_000));
  });

  it('rounds the duration up to whole ms: 1 mL at 7 mL/h completes at 514 286 ms', () => {
    expect(infusionDurationMs(7, 1)).toBe(514_286);
    const { pump, scheduler, deliveries } = virtual({ reportPeriodMs: 60_000 });
    pump.execute(start('c1', 7, 1));
    scheduler.flush();
    expect(pump.statusOf('c1')?.at).toBe(514_286);
    expect(deliveries.at(-1)).toEqual(delivery(514_286, 0, 1, 1));
    for (const d of deliveries) expect(d.deliveredMl).toBeLessThanOrEqual(1);
  });

  it('runs a 200 h infusion with 12 000 progress reports in virtual time (no nesting of scheduled actions)', () => {
    const { pump, scheduler, deliveries } = virtual({ reportPeriodMs: MIN });
    pump.execute(start('c1', 1, 200));
    scheduler.flush();
    expect(pump.statusOf('c1')).toEqual(status('c1', 'completed', 200 * 60 * MIN));
    expect(deliveries).toHaveLength(2 + 200 * 60);
  });

  it('runs in real time on the default scheduler', async () => {
    const pump = createInfusionPump({ deviceId: DEVICE, reportPeriodMs: 10 });
    const states: string[] = [];
    // 0.1 mL at 999 mL/h (the default maximum rate) takes 361 ms of real time.
    await new Promise<void>((resolve) => {
      pump.execute(start('c1', 999, 0.1)).subscribe({ next: (s) => states.push(s.state), complete: resolve });
    });
    expect(states).toEqual(['accepted', 'running', 'completed']);
    expect(pump.currentState().state.deliveredMl).toBe(0.1);
  });

  it('delivers 50 mL at 100 mL/h in 30 min of virtual time, then runs the queued infusion', () => {
    const { pump, scheduler, deliveries } = virtual({ reportPeriodMs: MIN });
    pump.execute(start('c1', 100, 50));
    pump.execute(start('c2', 200, 10));
    scheduler.flush();
    expect(pump.statusOf('c1')?.at).toBe(30 * MIN);
    expect(pump.statusOf('c2')?.at).toBe(33 * MIN);
    const at15 = deliveries.find((d) => d.ts === 15 * MIN);
    expect(at15?.deliveredMl).toBeCloseTo(25, 12);
    expect(deliveries.at(-1)).toEqual(delivery(33 * MIN, 0, 10, 10, 60));
    // Total delivered never decreases; delivered never exceeds the volume.
    for (let i = 1; i < deliveries.length; i++) {
      expect(deliveries[i]!.totalDeliveredMl).toBeGreaterThanOrEqual(deliveries[i - 1]!.totalDeliveredMl);
      expect(deliveries[i]!.deliveredMl).toBeLessThanOrEqual(deliveries[i]!.volumeMl);
    }
  });
});

describe('infusion pump: safety limits', () => {
  it('declares its default limits', () => {
    const pump = createInfusionPump({ deviceId: DEVICE });
    expect(pump.kind).toBe('infusion-pump');
    expect(pump.actions).toEqual(['infusion.start', 'infusion.stop', 'diagnostics.self-test']);
    expect(pump.limits.map((l) => [l.name, l.value, l.unit])).toEqual([
      ['minRateMlPerH', 0.1, 'mL/h'],
      ['maxRateMlPerH', 999, 'mL/h'],
      ['minVolumeMl', 0.1, 'mL'],
      ['maxVolumeMl', 9_999, 'mL'],
    ]);
    expect(DEFAULT_INFUSION_PUMP_LIMITS.maxRateMlPerH).toBe(999);
  });

  it.each([
    [
      'minRateMlPerH',
      0.05,
      10,
      'outside safety limit minRateMlPerH (rate at least 0.1 mL/h): rateMlPerH 0.05 requested; not run',
    ],
    [
      'maxRateMlPerH',
      250.5,
      10,
      'outside safety limit maxRateMlPerH (rate at most 250 mL/h): rateMlPerH 250.5 requested; not run',
    ],
    [
      'minVolumeMl',
      100,
      0,
      'outside safety limit minVolumeMl (volume at least 0.1 mL): volumeMl 0 requested; not run',
    ],
    [
      'maxVolumeMl',
      100,
      500.1,
      'outside safety limit maxVolumeMl (volume at most 500 mL): volumeMl 500.1 requested; not run',
    ],
  ])('rejects a command outside %s, naming it; nothing is delivered', (_limit, rate, volume, reason) => {
    const { pump, scheduler, deliveries } = virtual({ limits: { maxRateMlPerH: 250, maxVolumeMl: 500 } });
    pump.execute(start('c1', rate, volume));
    scheduler.flush();
    expect(pump.statusOf('c1')).toEqual(status('c1', 'rejected', 0, reason));
    expect(deliveries).toEqual([delivery(0, 0, 0, 0)]);
  });

  it('rejects malformed params naming the field', () => {
    const { pump } = virtual();
    pump.execute(start('c1', '100', 10));
    pump.execute({ ...start('c2', 100, 10), params: { rateMlPerH: 100 } });
    expect(pump.statusOf('c1')?.reason).toMatch(/^Invalid infusion\.start command: params\.rateMlPerH: /);
    expect(pump.statusOf('c2')?.reason).toMatch(/params\.volumeMl: /);
  });
});

describe('infusion pump: stop and faults', () => {
  it('an occlusion fails the running infusion with the reason; the pump stops with the volume delivered so far', () => {
    const { pump, scheduler, deliveries } = virtual({ reportPeriodMs: MIN });
    pump.execute(start('c1', 100, 50));
    pump.execute(start('c2', 100, 50));
    scheduler.schedule(() => pump.injectFault('occlusion'), 12.5 * MIN);
    scheduler.schedule(() => pump.execute(start('c3', 100, 50)), 13 * MIN);
    scheduler.flush();
    expect(pump.statusOf('c1')).toEqual(
      status(
        'c1',
        'failed',
        12.5 * MIN,
        'fault "occlusion": downstream occlusion: the pump stopped infusing',
      ),
    );
    expect(pump.statusOf('c2')?.reason).toBe(
      'fault "occlusion": downstream occlusion: the pump stopped infusing; not run',
    );
    expect(pump.statusOf('c3')?.reason).toBe(
      'fault "occlusion" (downstream occlusion: the pump stopped infusing) is active: only infusion.stop commands run until it is cleared',
    );
    const last = deliveries.at(-1);
    expect(last?.ts).toBe(12.5 * MIN);
    expect(last?.rateMlPerH).toBe(0);
    expect(last?.deliveredMl).toBeCloseTo(100 * (12.5 / 60), 12);
    expect(last?.totalDeliveredMl).toBeCloseTo(100 * (12.5 / 60), 12);
  });

  it('after the fault is cleared an infusion runs again and the total accumulates', () => {
    const { pump, scheduler, deliveries } = virtual({ reportPeriodMs: MIN });
    pump.execute(start('c1', 60, 10));
    scheduler.schedule(() => pump.injectFault('air-in-line'), 5 * MIN);
    scheduler.schedule(() => {
      pump.clearFault('air-in-line');
      pump.execute(start('c2', 60, 10));
    }, 6 * MIN);
    scheduler.flush();
    expect(pump.statusOf('c1')?.reason).toBe(
      'fault "air-in-line": air in the infusion line: the pump stopped infusing',
    );
    expect(pump.statusOf('c2')).toEqual(status('c2', 'completed', 16 * MIN));
    expect(deliveries.at(-1)?.totalDeliveredMl).toBeCloseTo(15, 12);
  });

  it('infusion.stop preempts: the pump stops at once, the running infusion fails, the queue is cleared', () => {
    const { pump, scheduler, deliveries } = virtual({ reportPeriodMs: MIN });
    pump.execute(start('c1', 120, 100));
    pump.execute(start('c2', 120, 100));
    scheduler.schedule(() => pump.execute(stop('s1')), 10 * MIN);
    scheduler.flush();
    expect(pump.statusOf('c1')).toEqual(
      status('c1', 'failed', 10 * MIN, 'interrupted by infusion.stop command "s1"'),
    );
    expect(pump.statusOf('c2')?.state).toBe('failed');
    expect(pump.statusOf('s1')?.state).toBe('completed');
    expect(deliveries.at(-1)).toEqual(delivery(10 * MIN, 0, 20, 100));
    expect(scheduler.now()).toBe(10 * MIN); // nothing left scheduled
  });

  it('close stops a running infusion and completes delivery$', () => {
    const { pump, scheduler, deliveries } = virtual({ reportPeriodMs: MIN });
    let completed = false;
    pump.delivery$.subscribe({ complete: () => (completed = true) });
    pump.execute(start('c1', 60, 10));
    scheduler.schedule(() => pump.close(), 3 * MIN);
    scheduler.flush();
    expect(completed).toBe(true);
    expect(deliveries.at(-1)).toEqual(delivery(3 * MIN, 0, 3, 10));
    expect(pump.statusOf('c1')?.state).toBe('failed');
  });

  it('delivery$ replays the latest to a late subscriber', () => {
    const { pump, scheduler } = virtual({ reportPeriodMs: MIN });
    pump.execute(start('c1', 60, 1));
    scheduler.flush();
    const late: number[] = [];
    pump.delivery$.pipe(map((d) => d.totalDeliveredMl)).subscribe((v) => late.push(v));
    expect(late).toEqual([1]);
  });
});

describe('infusion pump: options', () => {
  it.each([
    [{ reportPeriodMs: 0 }, RangeError],
    [{ reportPeriodMs: 2.5 }, RangeError],
    [{ limits: { minRateMlPerH: 0 } }, RangeError],
    [{ limits: { minRateMlPerH: 10, maxRateMlPerH: 5 } }, RangeError],
    [{ limits: { minVolumeMl: -1 } }, RangeError],
    [{ limits: { maxVolumeMl: Number.NaN } }, RangeError],
    [{ limits: { maxVolumeMl: '5' as unknown as number } }, TypeError],
  ])('refuses %j', (options, error) => {
    expect(() => createInfusionPump({ deviceId: DEVICE, ...options })).toThrow(error);
  });
});
