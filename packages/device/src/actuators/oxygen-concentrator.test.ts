import type { CommandStatus } from '@healthit/core';
import { map, VirtualTimeScheduler } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { statusFor, testScheduler } from '../../test/actuator-helpers.js';
import { MAX_TIMER_DELAY_MS } from './definition.js';
import {
  createOxygenConcentrator,
  DEFAULT_OXYGEN_CONCENTRATOR_LIMITS,
  type OxygenConcentratorOptions,
} from './oxygen-concentrator.js';
import { oxygenDelivery } from './oxygen-delivery.js';

const DEVICE = 'o2-bed-7';

function setFlow(id: string, params: Record<string, unknown>, extra: object = {}) {
  return {
    id,
    deviceId: DEVICE,
    action: 'oxygen.set-flow',
    params,
    issuedBy: 'rule:spo2-low',
    issuedAt: 0,
    ...extra,
  };
}
const stop = (id: string) => ({
  id,
  deviceId: DEVICE,
  action: 'oxygen.stop',
  params: {},
  issuedBy: 'user:nurse-7',
  issuedAt: 0,
});
const override = { clinicianId: 'dr-okafor', reason: 'SpO2 78 % on 2 L/min' };

const status = statusFor(DEVICE);

function virtual(options: Partial<OxygenConcentratorOptions> = {}) {
  const scheduler = new VirtualTimeScheduler();
  const o2 = createOxygenConcentrator({ deviceId: DEVICE, scheduler, ...options });
  const flows: string[] = [];
  o2.flow$.subscribe(({ flowLpm, ts }) => flows.push(`${flowLpm}@${ts}`));
  const reason = (id: string) => o2.statusOf(id)?.reason;
  return { scheduler, o2, flows, reason };
}

describe('oxygen concentrator: set-flow over time (marbles)', () => {
  it('holds a timed flow for durationMs, then returns to the flow before the command', () => {
    const ts = testScheduler();
    ts.run(({ cold, expectObservable }) => {
      const o2 = createOxygenConcentrator({ deviceId: DEVICE, scheduler: ts, initialFlowLpm: 1 });
      const commands = cold('5ms (a|)', { a: setFlow('c1', { flowLpm: 3, durationMs: 100 }) });
      expectObservable(o2.connect(commands)).toBe('5ms (ar) 96ms (c|)', {
        a: status('c1', 'accepted', 5),
        r: status('c1', 'running', 5),
        c: status('c1', 'completed', 105),
      });
      expectObservable(o2.flow$.pipe(map((f) => `${f.flowLpm}@${f.ts}`))).toBe('a 4ms b 99ms c', {
        a: '1@0',
        b: '3@5',
        c: '1@105',
      });
    });
  });

  it('sets an untimed flow and completes at once; the flow stays', () => {
    const ts = testScheduler();
    ts.run(({ cold, expectObservable }) => {
      const o2 = createOxygenConcentrator({ deviceId: DEVICE, scheduler: ts });
      const commands = cold('(a|)', { a: setFlow('c1', { flowLpm: 2 }) });
      expectObservable(o2.connect(commands)).toBe('(arc|)', {
        a: status('c1', 'accepted', 0),
        r: status('c1', 'running', 0),
        c: status('c1', 'completed', 0),
      });
      expectObservable(o2.flow$.pipe(map((f) => f.flowLpm))).toBe('(ab)', { a: 0, b: 2 });
    });
  });

  it('titrates: queued set-flows start when the one before completes, each step checked from the flow then', () => {
    const ts = testScheduler();
    ts.run(({ cold, expectObservable }) => {
      const o2 = createOxygenConcentrator({ deviceId: DEVICE, scheduler: ts });
      const commands = cold('(abc|)', {
        a: setFlow('c1', { flowLpm: 2, durationMs: 50 }), // 0 → 2, back to 0 at 50
        b: setFlow('c2', { flowLpm: 2 }), // from 0 at 50: fine
        c: setFlow('c3', { flowLpm: 4, durationMs: 50 }), // from 2 at 50: fine; back to 2 at 100
      });
      expectObservable(o2.flow$.pipe(map((f) => `${f.flowLpm}@${f.ts}`))).toBe('(ab) 46ms (cde) 45ms f', {
        a: '0@0',
        b: '2@0',
        c: '0@50',
        d: '2@50',
        e: '4@50',
        f: '2@100',
      });
      o2.connect(commands).subscribe(); // after the expectation subscribes, so it sees the initial flow
    });
  });
});

describe('oxygen concentrator: safety limits', () => {
  it('declares its limits with units', () => {
    const o2 = createOxygenConcentrator({ deviceId: DEVICE });
    expect(o2.kind).toBe('oxygen-concentrator');
    expect(o2.actions).toEqual(['oxygen.set-flow', 'oxygen.stop', 'diagnostics.self-test']);
    expect(o2.limits).toEqual([
      { name: 'minFlowLpm', value: 0, unit: 'L/min', description: 'flow at least 0 L/min' },
      { name: 'maxFlowLpm', value: 15, unit: 'L/min', description: 'flow at most 15 L/min' },
      {
        name: 'maxStepLpm',
        value: 2,
        unit: 'L/min',
        description: 'a change of at most 2 L/min per command without a clinician override',
      },
      {
        name: 'maxDurationMs',
        value: 3_600_000,
        unit: 'ms',
        description: 'a timed command lasts at most 3600000 ms',
      },
    ]);
    expect(DEFAULT_OXYGEN_CONCENTRATOR_LIMITS).toEqual({
      minFlowLpm: 0,
      maxFlowLpm: 15,
      maxStepLpm: 2,
      maxDurationMs: 3_600_000,
    });
  });

  it.each([
    [
      'maxFlowLpm',
      { flowLpm: 15.5 },
      'outside safety limit maxFlowLpm (flow at most 15 L/min): flowLpm 15.5 requested; not run',
    ],
    [
      'minFlowLpm',
      { flowLpm: -1 },
      'outside safety limit minFlowLpm (flow at least 0 L/min): flowLpm -1 requested; not run',
    ],
    [
      'maxDurationMs',
      { flowLpm: 1, durationMs: 3_600_001 },
      'outside safety limit maxDurationMs (a timed command lasts at most 3600000 ms): durationMs 3600001 requested; not run',
    ],
    [
      'maxStepLpm',
      { flowLpm: 2.5 },
      'outside safety limit maxStepLpm (a change of at most 2 L/min per command without a clinician override): a change from 0 to 2.5 L/min (2.5 L/min) requested; not run',
    ],
  ])('rejects a command outside %s, naming it, and the flow does not change', (_limit, params, reason) => {
    const { o2, flows } = virtual();
    o2.execute(setFlow('c1', params));
    expect(o2.statusOf('c1')).toEqual(status('c1', 'rejected', 0, reason));
    expect(flows).toEqual(['0@0']);
  });

  it('honours configured limits, and a minimum above 0', () => {
    const { o2, reason } = virtual({
      limits: { minFlowLpm: 0.5, maxFlowLpm: 6, maxStepLpm: 1 },
      initialFlowLpm: 1,
    });
    o2.execute(setFlow('low', { flowLpm: 0.25 }));
    o2.execute(setFlow('high', { flowLpm: 6.5 }));
    o2.execute(setFlow('step', { flowLpm: 2.5 }));
    o2.execute(setFlow('ok', { flowLpm: 2 }));
    expect(reason('low')).toContain('minFlowLpm (flow at least 0.5 L/min): flowLpm 0.25');
    expect(reason('high')).toContain('maxFlowLpm (flow at most 6 L/min): flowLpm 6.5');
    expect(reason('step')).toContain('maxStepLpm (a change of at most 1 L/min');
    expect(o2.statusOf('ok')?.state).toBe('completed');
  });

  it('measures the step from the current flow, tolerating float noise (1.1 → 3.1 is a 2 L/min step)', () => {
    const { o2, flows } = virtual({ initialFlowLpm: 1.1 });
    o2.execute(setFlow('c1', { flowLpm: 3.1 }));
    o2.execute(setFlow('c2', { flowLpm: 5.1000001 }));
    expect(o2.statusOf('c1')?.state).toBe('completed');
    expect(o2.statusOf('c2')?.state).toBe('rejected');
    expect(flows).toEqual(['1.1@0', '3.1@0']);
  });

  it('a clinician override waives the step only, and the accepted status records who and why', () => {
    const { o2, flows } = virtual();
    o2.execute(setFlow('c1', { flowLpm: 6, clinicianOverride: override }));
    const statuses: CommandStatus[] = [];
    o2.execute(setFlow('c2', { flowLpm: 16, clinicianOverride: override })).subscribe((s) =>
      statuses.push(s),
    );
    o2.execute(setFlow('c3', { flowLpm: 6, durationMs: 4_000_000, clinicianOverride: override })).subscribe(
      (s) => statuses.push(s),
    );
    expect(flows).toEqual(['0@0', '6@0']);
    expect(statuses.map((s) => [s.commandId, s.state, s.reason?.split(':')[0]])).toEqual([
      ['c2', 'rejected', 'outside safety limit maxFlowLpm (flow at most 15 L/min)'],
      ['c3', 'rejected', 'outside safety limit maxDurationMs (a timed command lasts at most 3600000 ms)'],
    ]);
    const c1: CommandStatus[] = [];
    o2.execute(setFlow('c1', { flowLpm: 6, clinicianOverride: override })).subscribe((s) => c1.push(s));
    expect(c1.map((s) => s.state)).toEqual(['completed']);
  });

  it('records the override in the accepted status', () => {
    const { o2 } = virtual();
    const statuses: CommandStatus[] = [];
    o2.execute(setFlow('c1', { flowLpm: 6, clinicianOverride: override })).subscribe((s) => statuses.push(s));
    expect(statuses).toEqual([
      status(
        'c1',
        'accepted',
        0,
        'clinician override by "dr-okafor" (SpO2 78 % on 2 L/min): the maxStepLpm limit of 2 L/min does not apply',
      ),
      status('c1', 'running', 0),
      status('c1', 'completed', 0),
    ]);
  });

  it('rejects an override without an identity, naming the field', () => {
    const { o2, reason } = virtual();
    o2.execute(setFlow('c1', { flowLpm: 6, clinicianOverride: { clinicianId: '', reason: 'x' } }));
    o2.execute(setFlow('c2', { flowLpm: 6, clinicianOverride: true }));
    o2.execute(setFlow('c3', { flowLpm: 1, durationMs: 0 }));
    o2.execute(setFlow('c4', { flow: 1 }));
    expect(reason('c1')).toMatch(
      /^Invalid oxygen\.set-flow command: params\.clinicianOverride\.clinicianId: /,
    );
    expect(reason('c2')).toMatch(/params\.clinicianOverride: /);
    expect(reason('c3')).toMatch(/params\.durationMs: /);
    expect(reason('c4')).toMatch(/params\.flowLpm: .*params: .*"flow"|params: .*"flow".*params\.flowLpm/);
  });
});

describe('oxygen concentrator: stop, faults, flow$', () => {
  it('oxygen.stop preempts a timed flow: the flow goes to 0 at once and stays there', () => {
    const { o2, scheduler, flows } = virtual({ initialFlowLpm: 2 });
    o2.execute(setFlow('c1', { flowLpm: 4, durationMs: 1_000 }));
    o2.execute(setFlow('c2', { flowLpm: 5 }));
    scheduler.schedule(() => o2.execute(stop('s1')), 300);
    scheduler.flush();
    expect(o2.statusOf('c1')).toEqual(status('c1', 'failed', 300, 'interrupted by oxygen.stop command "s1"'));
    expect(o2.statusOf('c2')?.state).toBe('failed');
    expect(o2.statusOf('s1')?.state).toBe('completed');
    expect(flows).toEqual(['2@0', '4@0', '0@300']);
  });

  it.each(['power-loss', 'no-flow'] as const)(
    'fault %s drops the flow to 0 and fails the running command',
    (fault) => {
      const { o2, scheduler, flows, reason } = virtual();
      o2.execute(setFlow('c1', { flowLpm: 2, durationMs: 1_000 }));
      scheduler.schedule(() => o2.injectFault(fault), 200);
      scheduler.schedule(() => {
        o2.execute(setFlow('c2', { flowLpm: 2 }));
        o2.execute(stop('s1'));
        o2.clearFault(fault);
        o2.execute(setFlow('c3', { flowLpm: 2 }));
      }, 400);
      scheduler.flush();
      expect(reason('c1')).toMatch(new RegExp(`^fault "${fault}": `));
      expect(o2.statusOf('c1')?.at).toBe(200);
      expect(reason('c2')).toMatch(
        new RegExp(`^fault "${fault}" .* is active: only oxygen.stop commands run`),
      );
      expect(o2.statusOf('s1')?.state).toBe('completed');
      expect(o2.statusOf('c3')?.state).toBe('completed');
      expect(flows).toEqual(['0@0', '2@0', '0@200', '2@400']);
    },
  );

  it('flow$ is hot and replays the latest flow to a late subscriber; an unchanged flow is not repeated', () => {
    const { o2, scheduler } = virtual();
    o2.execute(setFlow('c1', { flowLpm: 2 }));
    scheduler.schedule(() => o2.execute(setFlow('c2', { flowLpm: 2 })), 10);
    scheduler.flush();
    const late: number[] = [];
    o2.flow$.subscribe((f) => late.push(f.flowLpm));
    expect(late).toEqual([2]);
    o2.execute(stop('s1'));
    expect(late).toEqual([2, 0]);
  });

  it('feeds the simulated patient through oxygenDelivery(patientId)', () => {
    const ts = testScheduler();
    ts.run(({ cold, expectObservable }) => {
      const o2 = createOxygenConcentrator({ deviceId: DEVICE, scheduler: ts });
      o2.connect(cold('10ms (a|)', { a: setFlow('c1', { flowLpm: 2, durationMs: 30 }) })).subscribe();
      expectObservable(o2.flow$.pipe(oxygenDelivery('patient-007'))).toBe('a 9ms b 29ms c', {
        a: { patientId: 'patient-007', flowLpm: 0, ts: 0 },
        b: { patientId: 'patient-007', flowLpm: 2, ts: 10 },
        c: { patientId: 'patient-007', flowLpm: 0, ts: 40 },
      });
    });
    expect(() => oxygenDelivery('patient 7')).toThrow(RangeError);
  });
});

describe('oxygen concentrator: options', () => {
  it.each([
    [{ initialFlowLpm: 16 }, RangeError],
    [{ initialFlowLpm: -1 }, RangeError],
    [{ initialFlowLpm: 0.2, limits: { minFlowLpm: 0.5 } }, RangeError],
    [{ limits: { minFlowLpm: 5, maxFlowLpm: 5 } }, RangeError],
    [{ limits: { minFlowLpm: -0.5 } }, RangeError],
    [{ limits: { maxStepLpm: 0 } }, RangeError],
    [{ limits: { maxFlowLpm: Number.POSITIVE_INFINITY } }, RangeError],
    [{ limits: { maxDurationMs: MAX_TIMER_DELAY_MS + 1 } }, RangeError],
    [{ limits: { maxDurationMs: 1.5 } }, RangeError],
    [{ limits: { maxFlowLpm: '15' as unknown as number } }, TypeError],
  ])('refuses %j', (options, error) => {
    expect(() => createOxygenConcentrator({ deviceId: DEVICE, ...options })).toThrow(error);
  });

  it('starts at the initial flow (0 is always allowed)', () => {
    expect(createOxygenConcentrator({ deviceId: DEVICE, initialFlowLpm: 3 }).currentState().state).toEqual({
      flowLpm: 3,
    });
    expect(
      createOxygenConcentrator({ deviceId: DEVICE, limits: { minFlowLpm: 0.5 } }).currentState().state
        .flowLpm,
    ).toBe(0);
  });
});
