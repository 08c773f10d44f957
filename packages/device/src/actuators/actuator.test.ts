import {
  type CommandStatus,
  CommandStatus as CommandStatusSchema,
  isHealthItError,
  ValidationError,
} from '@healthit/core';
import { createFakeClock } from '@healthit/core/testing';
import { concat, map, type Observable, of, Subject, timer, VirtualTimeScheduler } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { statusFor, testScheduler } from '../../test/actuator-helpers.js';
import { type ActuatorOptions, createActuator } from './actuator.js';
import { defineAction, defineActuator, safetyLimit } from './definition.js';

/** A test actuator: a valve opened to a percentage and held for a while. */
interface Valve {
  readonly open: number;
}
const maxOpen = safetyLimit('maxOpenPercent', 100, '%', 'open at most 100 %');
const maxStep = safetyLimit('maxStepPercent', 50, '%', 'a change of at most 50 % per command');
const valveDefinition = defineActuator({
  kind: 'test-valve',
  initialState: { open: 0 } as Valve,
  limits: [maxOpen, maxStep],
  actions: {
    'valve.open': defineAction<{ percent: number; holdMs?: number | undefined }, Valve>({
      description: 'open the valve, hold it open for holdMs',
      params: z.strictObject({ percent: z.number(), holdMs: z.number().int().positive().optional() }),
      check: ({ percent }) =>
        percent > 100 ? { limit: maxOpen, detail: `percent ${percent} requested` } : undefined,
      checkAtStart: ({ percent }, state) =>
        Math.abs(percent - state.open) > 50
          ? { limit: maxStep, detail: `from ${state.open} to ${percent} %` }
          : undefined,
      run: ({ percent, holdMs }, { scheduler }) =>
        holdMs === undefined
          ? of({ open: percent })
          : concat(of({ open: percent }), timer(holdMs, scheduler).pipe(map(() => ({ open: percent })))),
      interrupted: ({ percent }) => ({ open: percent }),
    }),
    'valve.stall': defineAction<Record<string, never>, Valve>({
      description: 'a motor that stalls after 5 ms',
      params: z.strictObject({}),
      run: (_p, { scheduler }) =>
        timer(5, scheduler).pipe(
          map((): Valve => {
            throw new Error('motor stalled at 40 %');
          }),
        ),
    }),
    'valve.broken': defineAction<Record<string, never>, Valve>({
      description: 'a run that throws when it is made',
      params: z.strictObject({}),
      run: () => {
        throw new Error('no driver loaded');
      },
    }),
    'valve.buggy': defineAction<Record<string, never>, Valve>({
      description: 'a definition whose safety check throws',
      params: z.strictObject({}),
      check: () => {
        throw new Error('limits table missing');
      },
      run: () => of({ open: 100 }),
    }),
    'valve.shut': defineAction<Record<string, never>, Valve>({
      description: 'shut at once',
      params: z.strictObject({}),
      preempts: true,
      run: () => of({ open: 0 }),
    }),
  },
  faults: {
    jam: { description: 'the valve jammed', apply: (s: Valve) => ({ open: s.open }) },
    leak: { description: 'the valve leaks' },
  },
});

const DEVICE = 'valve-1';

function command(id: string, action: string, params: Record<string, unknown>, extra: object = {}) {
  return { id, deviceId: DEVICE, action, params, issuedBy: 'rule:test', issuedAt: 0, ...extra };
}
const open = (id: string, percent: number, holdMs?: number, extra: object = {}) =>
  command(id, 'valve.open', holdMs === undefined ? { percent } : { percent, holdMs }, extra);

const status = statusFor(DEVICE);

/** A valve on a VirtualTimeScheduler, recording every status and state. */
function virtualValve(options: Partial<ActuatorOptions<Valve>> = {}) {
  const scheduler = new VirtualTimeScheduler();
  const valve = createActuator(valveDefinition, { deviceId: DEVICE, scheduler, ...options });
  const statuses: CommandStatus[] = [];
  const states: number[] = [];
  valve.status$.subscribe((s) => statuses.push(s));
  valve.state$.subscribe(({ state }) => states.push(state.open));
  const byId = (id: string) => statuses.filter((s) => s.commandId === id).map((s) => s.state);
  return { scheduler, valve, statuses, states, byId };
}

describe('createActuator: lifecycle timing (marbles)', () => {
  it('reports accepted, running and completed in the same frame for an instant action', () => {
    const ts = testScheduler();
    ts.run(({ cold, expectObservable }) => {
      const valve = createActuator(valveDefinition, { deviceId: DEVICE, scheduler: ts });
      expectObservable(valve.connect(cold('(a|)', { a: open('c1', 30) }))).toBe('(arc|)', {
        a: status('c1', 'accepted', 0),
        r: status('c1', 'running', 0),
        c: status('c1', 'completed', 0),
      });
    });
  });

  it('runs a timed action for its duration, and queues a second command behind it', () => {
    const ts = testScheduler();
    ts.run(({ cold, expectObservable }) => {
      const valve = createActuator(valveDefinition, { deviceId: DEVICE, scheduler: ts });
      const commands = cold('a 9ms b|', { a: open('c1', 40, 100), b: open('c2', 60, 50) });
      // c1: accepted+running at 0, completed at 100; c2: accepted at 10, running at 100, completed at 150.
      expectObservable(valve.connect(commands)).toBe('(ar) 6ms b 89ms (cs) 46ms (d|)', {
        a: status('c1', 'accepted', 0),
        r: status('c1', 'running', 0),
        b: status('c2', 'accepted', 10),
        c: status('c1', 'completed', 100),
        s: status('c2', 'running', 100),
        d: status('c2', 'completed', 150),
      });
      expectObservable(valve.state$.pipe(map(({ state, ts: at }) => `${state.open}@${at}`))).toBe(
        '(zo) 96ms (pq) 46ms r',
        { z: '0@0', o: '40@0', p: '40@100', q: '60@100', r: '60@150' },
      );
    });
  });

  it('status$ is hot: every report of every command, in order; a late subscriber sees only later ones', () => {
    const { valve, scheduler } = virtualValve();
    const early: string[] = [];
    valve.status$.subscribe((s) => early.push(`${s.commandId}:${s.state}@${s.at}`));
    valve.execute(open('c1', 10, 20));
    scheduler.schedule(() => valve.execute(open('c2', 20)), 5);
    const late: string[] = [];
    scheduler.schedule(() => valve.status$.subscribe((s) => late.push(`${s.commandId}:${s.state}`)), 7);
    scheduler.flush();
    expect(early).toEqual([
      'c1:accepted@0',
      'c1:running@0',
      'c2:accepted@5',
      'c1:completed@20',
      'c2:running@20',
      'c2:completed@20',
    ]);
    expect(late).toEqual(['c1:completed', 'c2:running', 'c2:completed']);
  });

  it('execute is eager and replays the statuses so far to each subscriber, then completes after the final one', () => {
    const { valve, scheduler } = virtualValve();
    const result$ = valve.execute(open('c1', 10, 20)); // submitted now, before any subscription
    expect(valve.statusOf('c1')?.state).toBe('running');
    const first: string[] = [];
    let completed = false;
    result$.subscribe({ next: (s) => first.push(s.state), complete: () => (completed = true) });
    expect(first).toEqual(['accepted', 'running']);
    scheduler.flush();
    expect(first).toEqual(['accepted', 'running', 'completed']);
    expect(completed).toBe(true);
    const second: string[] = [];
    result$.subscribe((s) => second.push(s.state));
    expect(second).toEqual(['accepted', 'running', 'completed']);
  });

  it('unsubscribing from execute does not cancel the command', () => {
    const { valve, scheduler, byId } = virtualValve();
    valve
      .execute(open('c1', 10, 20))
      .subscribe()
      .unsubscribe();
    scheduler.flush();
    expect(byId('c1')).toEqual(['accepted', 'running', 'completed']);
  });

  it('reports statuses that validate against the core CommandStatus schema', () => {
    const { valve, scheduler, statuses } = virtualValve();
    valve.execute(open('c1', 10, 20));
    valve.execute(open('c2', 500));
    valve.execute(command('c3', 'valve.stall', {}));
    valve.execute(open('c4', 10, undefined, { deviceId: 'other' }));
    valve.execute(open('c5', 10, undefined, { expiresAt: 0 }));
    scheduler.flush();
    expect(statuses.length).toBeGreaterThan(8);
    for (const s of statuses) expect(CommandStatusSchema.parse(s)).toEqual(s);
  });
});

describe('createActuator: idempotency by command id', () => {
  it('never runs an id twice while it runs: re-reports its status and follows it to the end', () => {
    const { valve, scheduler, statuses, states } = virtualValve();
    valve.execute(open('c1', 40, 100));
    const again: string[] = [];
    scheduler.schedule(
      () => valve.execute(open('c1', 40, 100)).subscribe((s) => again.push(`${s.state}@${s.at}`)),
      30,
    );
    scheduler.flush();
    expect(again).toEqual(['running@0', 'completed@100']);
    expect(statuses.map((s) => `${s.state}@${s.at}`)).toEqual([
      'accepted@0',
      'running@0',
      'running@0', // the re-report at 30 of the known status
      'completed@100',
    ]);
    expect(states).toEqual([0, 40, 40]);
  });

  it('re-reports a final status and runs nothing, even when the new payload differs', () => {
    const { valve, scheduler, statuses, states } = virtualValve();
    valve.execute(open('c1', 40));
    valve.execute(open('c2', 99)); // step 59 > 50: rejected
    const replay: CommandStatus[] = [];
    valve.execute(open('c1', 10)).subscribe((s) => replay.push(s));
    valve.execute(open('c2', 60)).subscribe((s) => replay.push(s)); // valid now, but c2 is known
    scheduler.flush();
    expect(replay.map((s) => s.state)).toEqual(['completed', 'rejected']);
    expect(replay[1]?.reason).toContain('maxStepPercent');
    expect(states).toEqual([0, 40]);
    expect(statuses.map((s) => `${s.commandId}:${s.state}`)).toEqual([
      'c1:accepted',
      'c1:running',
      'c1:completed',
      'c2:rejected',
      'c1:completed',
      'c2:rejected',
    ]);
  });

  it('remembers at most maxRememberedCommands final commands, forgetting the earliest finished', () => {
    const { valve, scheduler, byId, states } = virtualValve({ maxRememberedCommands: 2 });
    expect(valve.maxRememberedCommands).toBe(2);
    valve.execute(open('c1', 10));
    valve.execute(open('c2', 20));
    valve.execute(open('c3', 30));
    scheduler.flush();
    expect(valve.statusOf('c1')).toBeUndefined();
    expect(valve.statusOf('c2')?.state).toBe('completed');
    valve.execute(open('c1', 10)); // forgotten: runs again
    valve.execute(open('c3', 30)); // remembered: re-reported
    scheduler.flush();
    expect(byId('c1')).toEqual(['accepted', 'running', 'completed', 'accepted', 'running', 'completed']);
    expect(byId('c3')).toEqual(['accepted', 'running', 'completed', 'completed']);
    expect(states).toEqual([0, 10, 20, 30, 10]);
  });

  it('never forgets a command that is not final, however many others finish', () => {
    const { valve, scheduler, byId } = virtualValve({ maxRememberedCommands: 1 });
    valve.execute(open('long', 10, 1_000));
    for (let i = 0; i < 20; i++) valve.execute(open(`bad-${i}`, 101));
    valve.execute(open('long', 10, 1_000));
    expect(byId('long')).toEqual(['accepted', 'running', 'running']);
    scheduler.flush();
    expect(byId('long')).toEqual(['accepted', 'running', 'running', 'completed']);
    expect(valve.statusOf('long')?.state).toBe('completed');
    expect(valve.statusOf('bad-19')).toBeUndefined();
  });
});

describe('createActuator: rejection reasons', () => {
  it('rejects a malformed command naming every bad field', () => {
    const { valve } = virtualValve();
    const { issuedBy: _gone, ...noIssuer } = open('c1', 10);
    const reports: CommandStatus[] = [];
    valve.execute({ ...noIssuer, issuedAt: -5 }).subscribe((s) => reports.push(s));
    expect(reports).toHaveLength(1);
    expect(reports[0]?.state).toBe('rejected');
    expect(reports[0]?.reason).toMatch(/^Invalid Command \(from test-valve valve-1\): /);
    expect(reports[0]?.reason).toContain('issuedBy');
    expect(reports[0]?.reason).toContain('issuedAt');
  });

  it('rejects invalid params naming the field under params', () => {
    const { valve } = virtualValve();
    const reasons = [
      command('c1', 'valve.open', { percent: '40' }),
      command('c2', 'valve.open', { percent: 40, holdMs: 2.5 }),
      command('c3', 'valve.open', { percent: 40, speed: 'fast' }),
      command('c4', 'valve.open', { percent: Number.NaN }),
    ].map((c) => {
      let reason = '';
      valve.execute(c).subscribe((s) => (reason = `${s.state}: ${s.reason}`));
      return reason;
    });
    expect(reasons[0]).toMatch(/^rejected: Invalid valve\.open command: params\.percent: /);
    expect(reasons[1]).toMatch(/params\.holdMs: /);
    expect(reasons[2]).toMatch(/params: .*"speed"/);
    expect(reasons[3]).toMatch(/params\.percent: /);
  });

  it('rejects an unknown action, listing the accepted ones', () => {
    const { valve } = virtualValve();
    valve.execute(command('c1', 'valve.explode', {}));
    valve.execute(command('c2', 'toString', {}));
    expect(valve.statusOf('c1')?.reason).toBe(
      'unknown action "valve.explode": this test-valve accepts valve.open, valve.stall, valve.broken, valve.buggy, valve.shut',
    );
    expect(valve.statusOf('c2')?.state).toBe('rejected');
  });

  it('rejects a command addressed to another device', () => {
    const { valve, states } = virtualValve();
    valve.execute(open('c1', 10, undefined, { deviceId: 'valve-2' }));
    expect(valve.statusOf('c1')).toEqual(
      status('c1', 'rejected', 0, 'addressed to device "valve-2", not to this test-valve "valve-1"'),
    );
    expect(states).toEqual([0]);
  });

  it('rejects an out-of-limit command naming the limit, and never runs it (no clamping)', () => {
    const { valve, states } = virtualValve();
    valve.execute(open('c1', 100.5));
    expect(valve.statusOf('c1')?.reason).toBe(
      'outside safety limit maxOpenPercent (open at most 100 %): percent 100.5 requested; not run',
    );
    valve.execute(open('c2', 60)); // step 60 from 0
    expect(valve.statusOf('c2')?.reason).toBe(
      'outside safety limit maxStepPercent (a change of at most 50 % per command): from 0 to 60 %; not run',
    );
    expect(states).toEqual([0]);
  });

  it('rejects a command whose safety check throws (fail safe)', () => {
    const { valve, states } = virtualValve();
    valve.execute(command('c1', 'valve.buggy', {}));
    expect(valve.statusOf('c1')?.reason).toBe(
      'the safety check of valve.buggy failed (limits table missing); not run',
    );
    expect(states).toEqual([0]);
  });

  it('an input without a usable id cannot be reported: execute errors with a ValidationError, errors$ gets it', () => {
    const { valve, statuses } = virtualValve();
    const errors: ValidationError[] = [];
    valve.errors$.subscribe((e) => errors.push(e));
    for (const input of [null, 'c1', [], { ...open('x', 1), id: '' }, { ...open('x', 1), id: 7 }]) {
      let caught: unknown;
      valve.execute(input).subscribe({ error: (e) => (caught = e) });
      expect(caught).toBeInstanceOf(ValidationError);
    }
    expect(errors).toHaveLength(5);
    expect(errors[0]?.message).toMatch(/^Invalid Command \(from test-valve valve-1\): id: must be a string/);
    expect(statuses).toEqual([]);
  });

  it('connect reports the good commands around an unaddressable one and completes', () => {
    const { valve } = virtualValve();
    const errors: ValidationError[] = [];
    valve.errors$.subscribe((e) => errors.push(e));
    const out: string[] = [];
    let done = false;
    valve.connect(of(open('c1', 10), { nonsense: true }, open('c2', 20))).subscribe({
      next: (s) => out.push(`${s.commandId}:${s.state}`),
      complete: () => (done = true),
    });
    expect(out).toEqual([
      'c1:accepted',
      'c1:running',
      'c1:completed',
      'c2:accepted',
      'c2:running',
      'c2:completed',
    ]);
    expect(errors).toHaveLength(1);
    expect(done).toBe(true);
  });
});

describe('createActuator: expiry', () => {
  it('expires a command received at or after its expiresAt, without running it', () => {
    const { valve, scheduler, states, byId } = virtualValve();
    scheduler.schedule(() => {
      valve.execute(open('late', 10, undefined, { expiresAt: 99 }));
      valve.execute(open('edge', 10, undefined, { expiresAt: 100 }));
      valve.execute(open('ok', 10, undefined, { expiresAt: 101 }));
    }, 100);
    scheduler.flush();
    expect(byId('late')).toEqual(['expired']);
    expect(byId('edge')).toEqual(['expired']);
    expect(byId('ok')).toEqual(['accepted', 'running', 'completed']);
    expect(valve.statusOf('late')?.reason).toBe(
      'expired at 1970-01-01T00:00:00.099Z, before it was received at 1970-01-01T00:00:00.100Z; not run',
    );
    expect(states).toEqual([0, 10]);
  });

  it('expires a queued command at its expiresAt (marbles): it never runs', () => {
    const ts = testScheduler();
    ts.run(({ cold, expectObservable }) => {
      const valve = createActuator(valveDefinition, { deviceId: DEVICE, scheduler: ts });
      const commands = cold('a 9ms b|', {
        a: open('c1', 40, 100),
        b: open('c2', 30, 50, { expiresAt: 60 }),
      });
      expectObservable(valve.connect(commands)).toBe('(ar) 6ms b 49ms e 39ms (c|)', {
        a: status('c1', 'accepted', 0),
        r: status('c1', 'running', 0),
        b: status('c2', 'accepted', 10),
        e: status('c2', 'expired', 60, 'expired at 1970-01-01T00:00:00.060Z while queued; not run'),
        c: status('c1', 'completed', 100),
      });
    });
  });

  it('checks expiry again before a queued command starts (clock ahead of the scheduler)', () => {
    const scheduler = new VirtualTimeScheduler();
    const clock = createFakeClock(1_000);
    const valve = createActuator(valveDefinition, { deviceId: DEVICE, scheduler, clock });
    valve.execute(open('c1', 10, 10, { issuedAt: 1_000 }));
    valve.execute(open('c2', 20, undefined, { issuedAt: 1_000, expiresAt: 2_000 }));
    expect(valve.statusOf('c2')?.state).toBe('accepted');
    clock.advance(5_000); // the clock passes expiresAt before the scheduler frees the valve
    scheduler.flush();
    expect(valve.statusOf('c2')).toEqual(
      status('c2', 'expired', 6_000, 'expired at 1970-01-01T00:00:02.000Z while queued; not run'),
    );
    expect(valve.currentState().state.open).toBe(10);
  });
});

describe('createActuator: one command at a time, bounded queue', () => {
  it('rejects the NEW command when maxQueued are waiting, and runs the queued ones in order', () => {
    const { valve, scheduler, statuses, states } = virtualValve({ maxQueued: 2 });
    valve.execute(open('c1', 10, 10));
    valve.execute(open('c2', 20, 10));
    valve.execute(open('c3', 30, 10));
    valve.execute(open('c4', 40, 10));
    expect(valve.statusOf('c4')?.reason).toBe(
      'the command queue is full (2 waiting behind "c1"); send it again later with a new id',
    );
    scheduler.flush();
    expect(states).toEqual([0, 10, 10, 20, 20, 30, 30]);
    // Never two running at once.
    let runningNow = 0;
    for (const s of statuses) {
      if (s.state === 'running') runningNow++;
      if (s.state === 'completed' || s.state === 'failed') runningNow--;
      expect(runningNow).toBeLessThanOrEqual(1);
    }
  });

  it('with maxQueued 0 a busy actuator rejects every other command', () => {
    const { valve, scheduler, byId } = virtualValve({ maxQueued: 0 });
    valve.execute(open('c1', 10, 10));
    valve.execute(open('c2', 20, 10));
    scheduler.flush();
    expect(byId('c2')).toEqual(['rejected']);
    expect(valve.statusOf('c2')?.reason).toContain('queue is full (0 waiting behind "c1")');
  });

  it('checks state-dependent limits again when a queued command reaches the head: accepted then rejected', () => {
    const { valve, scheduler, byId, states } = virtualValve();
    valve.execute(open('c1', 50, 10)); // 0 → 50
    valve.execute(open('c2', 20, 10)); // at receipt the valve is at 0 (fine), at start at 50: fine
    valve.execute(open('c3', 90, 10)); // at start: from 20 to 90 = 70 > 50
    scheduler.flush();
    expect(byId('c2')).toEqual(['accepted', 'running', 'completed']);
    expect(byId('c3')).toEqual(['accepted', 'rejected']);
    expect(valve.statusOf('c3')?.reason).toBe(
      'outside safety limit maxStepPercent (a change of at most 50 % per command): from 20 to 90 %; not run (checked when it reached the head of the queue)',
    );
    expect(states).toEqual([0, 50, 50, 20, 20]);
  });

  it('a preempting command interrupts the running one and clears the queue', () => {
    const ts = testScheduler();
    ts.run(({ cold, expectObservable }) => {
      const valve = createActuator(valveDefinition, { deviceId: DEVICE, scheduler: ts });
      const commands = cold('a 4ms b 4ms (s|)', {
        a: open('c1', 40, 100),
        b: open('c2', 30, 50),
        s: command('stop', 'valve.shut', {}),
      });
      const values = {
        a: status('c1', 'accepted', 0),
        r: status('c1', 'running', 0),
        b: status('c2', 'accepted', 5),
        S: status('stop', 'accepted', 10),
        f: status('c1', 'failed', 10, 'interrupted by valve.shut command "stop"'),
        q: status('c2', 'failed', 10, 'cleared from the queue by valve.shut command "stop"; not run'),
        R: status('stop', 'running', 10),
        C: status('stop', 'completed', 10),
      };
      // The order of the reports: the stop is accepted, then what it interrupts fails.
      expectObservable(valve.status$).toBe('(ar) 1ms b 4ms (SfqRC)', values);
      // connect merges per-command streams: each replays its statuses once the command is submitted.
      expectObservable(valve.connect(commands)).toBe('(ar) 1ms b 4ms (fqSRC|)', values);
      expectObservable(valve.state$.pipe(map(({ state }) => state.open))).toBe('(zo) 6ms (ic)', {
        z: 0,
        o: 40,
        i: 40, // the interrupted state of valve.open
        c: 0,
      });
    });
  });
});

describe('createActuator: run failures and faults', () => {
  it('a run that errors fails the command with the error message, and the next one starts', () => {
    const ts = testScheduler();
    ts.run(({ cold, expectObservable }) => {
      const valve = createActuator(valveDefinition, { deviceId: DEVICE, scheduler: ts });
      const commands = cold('(ab|)', { a: command('c1', 'valve.stall', {}), b: open('c2', 10) });
      expectObservable(valve.connect(commands)).toBe('(arb)(fRC|)', {
        a: status('c1', 'accepted', 0),
        r: status('c1', 'running', 0),
        b: status('c2', 'accepted', 0),
        f: status('c1', 'failed', 5, 'motor stalled at 40 %'),
        R: status('c2', 'running', 5),
        C: status('c2', 'completed', 5),
      });
    });
  });

  it('a run that throws when made fails the command', () => {
    const { valve, byId } = virtualValve();
    valve.execute(command('c1', 'valve.broken', {}));
    expect(byId('c1')).toEqual(['accepted', 'running', 'failed']);
    expect(valve.statusOf('c1')?.reason).toBe('the valve.broken run failed to start: no driver loaded');
  });

  it('injectFault fails the running and queued commands, rejects new ones (stops excepted) until cleared', () => {
    const { valve, scheduler, byId } = virtualValve();
    const faults: (readonly string[])[] = [];
    valve.faults$.subscribe((f) => faults.push(f));
    valve.execute(open('c1', 40, 100));
    valve.execute(open('c2', 30, 100));
    scheduler.schedule(() => valve.injectFault('jam'), 20);
    scheduler.schedule(() => {
      valve.execute(open('c3', 10));
      valve.execute(command('s1', 'valve.shut', {}));
      valve.injectFault('jam'); // already active: nothing happens
      valve.injectFault('leak');
    }, 30);
    scheduler.schedule(() => {
      valve.clearFault('jam');
      valve.execute(open('c4', 10));
      valve.clearFault('leak');
      valve.clearFault('leak');
      valve.execute(open('c5', 10));
    }, 40);
    scheduler.flush();
    expect(byId('c1')).toEqual(['accepted', 'running', 'failed']);
    expect(valve.statusOf('c1')).toEqual(status('c1', 'failed', 20, 'fault "jam": the valve jammed'));
    expect(valve.statusOf('c2')).toEqual(
      status('c2', 'failed', 20, 'fault "jam": the valve jammed; not run'),
    );
    expect(valve.statusOf('c3')?.reason).toBe(
      'fault "jam" (the valve jammed) is active: only valve.shut commands run until it is cleared',
    );
    expect(byId('s1')).toEqual(['accepted', 'running', 'completed']);
    expect(valve.statusOf('c4')?.reason).toBe(
      'fault "leak" (the valve leaks) is active: only valve.shut commands run until it is cleared',
    );
    expect(byId('c5')).toEqual(['accepted', 'running', 'completed']);
    expect(faults).toEqual([[], ['jam'], ['jam', 'leak'], ['leak'], []]);
  });

  it('injectFault and clearFault refuse an undeclared fault', () => {
    const { valve } = virtualValve();
    expect(() => valve.injectFault('fire' as 'jam')).toThrow(
      new RangeError('Unknown fault "fire" for test-valve: it declares jam, leak'),
    );
    expect(() => valve.clearFault('toString' as 'jam')).toThrow(RangeError);
  });
});

describe('createActuator: close', () => {
  it('fails what runs and waits, completes every stream, then rejects commands', () => {
    const { valve, byId } = virtualValve();
    const completed: string[] = [];
    for (const [name, stream] of [
      ['status$', valve.status$],
      ['state$', valve.state$],
      ['faults$', valve.faults$],
      ['errors$', valve.errors$],
    ] as const) {
      (stream as Observable<unknown>).subscribe({ complete: () => completed.push(name) });
    }
    let c1Done = false;
    valve.execute(open('c1', 40, 100)).subscribe({ complete: () => (c1Done = true) });
    valve.execute(open('c2', 30, 100));
    valve.close();
    valve.close();
    expect(byId('c1')).toEqual(['accepted', 'running', 'failed']);
    expect(valve.statusOf('c1')?.reason).toBe('test-valve "valve-1" was closed while the command ran');
    expect(valve.statusOf('c2')?.reason).toBe('test-valve "valve-1" was closed; not run');
    expect(c1Done).toBe(true);
    expect(completed).toEqual(['status$', 'state$', 'faults$', 'errors$']);
    const after: CommandStatus[] = [];
    valve.execute(open('c3', 10)).subscribe((s) => after.push(s));
    expect(after.map((s) => [s.state, s.reason])).toEqual([
      ['rejected', 'test-valve "valve-1" is closed and accepts no commands'],
    ]);
    valve.execute(open('c1', 1)).subscribe((s) => after.push(s));
    expect(after[1]?.state).toBe('failed'); // still remembered
    let error: unknown;
    try {
      valve.injectFault('jam');
    } catch (e) {
      error = e;
    }
    expect(isHealthItError(error, 'state/invalid')).toBe(true);
  });
});

describe('createActuator: re-entrancy', () => {
  it('a command sent from a status observer queues behind the one being reported', () => {
    const { valve, scheduler, statuses } = virtualValve();
    let sent = false;
    valve.status$.subscribe((s) => {
      if (s.commandId === 'c1' && s.state === 'accepted' && !sent) {
        sent = true;
        valve.execute(open('c2', 20));
      }
    });
    valve.execute(open('c1', 10, 10));
    scheduler.flush();
    expect(statuses.map((s) => `${s.commandId}:${s.state}`)).toEqual([
      'c1:accepted',
      'c2:accepted',
      'c1:running',
      'c1:completed',
      'c2:running',
      'c2:completed',
    ]);
    expect(valve.currentState().state.open).toBe(20);
  });

  it('a control loop reacting to completion runs its next command', () => {
    const { valve, scheduler, states } = virtualValve();
    const loop = new Subject<void>();
    let n = 0;
    valve.status$.subscribe((s) => {
      if (s.state === 'completed' && n < 3) loop.next();
    });
    loop.subscribe(() => {
      n++;
      valve.execute(open(`step-${n}`, n * 10, 5));
    });
    loop.next();
    scheduler.flush();
    expect(states).toEqual([0, 10, 10, 20, 20, 30, 30]);
  });
});

describe('createActuator: re-entrancy of execute subscribers', () => {
  it('a subscriber that reacts to a replayed status still gets the later ones and completes', () => {
    const { valve } = virtualValve();
    const seen: string[] = [];
    let completed = false;
    const result$ = valve.execute(open('c1', 10, 100));
    result$.subscribe({
      next: (s) => {
        seen.push(s.state);
        if (s.state === 'accepted') valve.injectFault('jam'); // while 'accepted' is being replayed
      },
      complete: () => (completed = true),
    });
    expect(seen).toEqual(['accepted', 'running', 'failed']);
    expect(completed).toBe(true);
  });
});

describe('createActuator: options', () => {
  it('refuses a malformed device id and bounds', () => {
    expect(() => createActuator(valveDefinition, { deviceId: 'valve 1' })).toThrow(RangeError);
    expect(() => createActuator(valveDefinition, { deviceId: DEVICE, maxQueued: -1 })).toThrow(RangeError);
    expect(() => createActuator(valveDefinition, { deviceId: DEVICE, maxQueued: 1.5 })).toThrow(RangeError);
    expect(() => createActuator(valveDefinition, { deviceId: DEVICE, maxRememberedCommands: 0 })).toThrow(
      RangeError,
    );
    expect(() =>
      createActuator(valveDefinition, { deviceId: DEVICE, maxQueued: '3' as unknown as number }),
    ).toThrow(TypeError);
  });

  it('refuses a clock that does not return epoch ms', () => {
    let error: unknown;
    try {
      createActuator(valveDefinition, { deviceId: DEVICE, clock: { now: () => Number.NaN } });
    } catch (e) {
      error = e;
    }
    expect(isHealthItError(error, 'config/invalid')).toBe(true);
  });

  it('exposes its kind, actions, limits and bounds, frozen', () => {
    const valve = createActuator(valveDefinition, { deviceId: DEVICE, initialState: { open: 5 } });
    expect(valve.actions).toEqual(['valve.open', 'valve.stall', 'valve.broken', 'valve.buggy', 'valve.shut']);
    expect(valve.limits.map((l) => l.name)).toEqual(['maxOpenPercent', 'maxStepPercent']);
    expect(valve.maxQueued).toBe(8);
    expect(valve.currentState().state).toEqual({ open: 5 });
    expect(Object.isFrozen(valve)).toBe(true);
    expect(() => safetyLimit('', 1, 'x', 'y')).toThrow(RangeError);
    expect(() => safetyLimit('x', Number.POSITIVE_INFINITY, 'x', 'y')).toThrow(RangeError);
  });
});
