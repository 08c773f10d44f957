import {
  Alert,
  Command,
  type CommandState,
  CommandStatus,
  createInProcessTransport,
  isHealthItError,
  type Reading,
  Topics,
  utf8Decode,
  utf8Encode,
} from '@healthit/core';
import { filter, from, map, Subject } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import { createControlLoop } from './create-control-loop.js';
import type { ControlOutput } from './events.js';
import { type ControlLoopOptions, controlLoop } from './operator.js';
import type { ControlOverrideInput } from './override.js';
import { type ControlRuleSpec, parseControlRules } from './spec.js';

/** The oxygen rule of the issue, for patient `p1` and concentrator `o2-1`. */
const OXYGEN_RULE = {
  id: 'spo2-oxygen',
  metric: 'spo2',
  scope: { patientIds: ['p1'] },
  actuator: { deviceId: 'o2-1', action: 'oxygen.set-flow', param: 'flowLpm' },
  steps: [{ when: { below: 88, forMs: 30_000 }, set: 2 }],
  stepDown: { when: { atLeast: 92, forMs: 60_000 }, by: 1, min: 0 },
  limits: { min: 0, max: 6, maxChangePerMinute: 2 },
  commandTimeoutMs: 10_000,
} as const;

/** An SpO2 reading of `patient` taken at `tsMs`; its id is `ox-<patient>:<tsMs>`. */
function spo2(value: number, tsMs: number, patient: string | null = 'p1'): Reading {
  const deviceId = `ox-${patient ?? 'x'}` as Reading['deviceId'];
  return {
    id: `${deviceId}:${tsMs}`,
    deviceId,
    ...(patient === null ? {} : { patientId: patient as NonNullable<Reading['patientId']> }),
    metric: 'spo2',
    value,
    unit: '%',
    ts: tsMs,
    seq: tsMs,
  };
}

/** An RxJS marble string with the given keys at the given frames (ms in run mode). */
function marbles(points: readonly (readonly [number, string])[], end?: number): string {
  const byFrame = new Map<number, string>();
  for (const [t, key] of points) byFrame.set(t, (byFrame.get(t) ?? '') + key);
  let out = '';
  let frame = 0;
  for (const t of [...byFrame.keys()].sort((a, b) => a - b)) {
    const keys = byFrame.get(t) ?? '';
    if (t < frame) throw new RangeError(`marbles: frame ${t} overlaps the previous group`);
    if (t > frame) out += ` ${t - frame}ms `;
    out += keys.length === 1 ? keys : `(${keys})`;
    frame = t + (keys.length === 1 ? 1 : keys.length + 2);
  }
  if (end !== undefined) out += `${end > frame ? ` ${end - frame}ms ` : ''}|`;
  return out;
}

/** A reply an actuator double gives to a command: after `afterMs`, `state` (with `reason`). */
type Reply = readonly [afterMs: number, state: CommandState, reason?: string];

/** What {@link runLoop} takes. */
interface RunLoopInput {
  /** SpO2 values of `p1` at given ms (frames). */
  readonly spo2: readonly (readonly [number, number])[];
  readonly rules?: unknown;
  /** How the actuator answers each command, in order of issue (the last one repeats); none: silence. */
  readonly replies?: readonly (readonly Reply[])[];
  /** Overrides at given ms. */
  readonly overrides?: readonly (readonly [number, ControlOverrideInput])[];
  /** Extra loop options. */
  readonly options?: Partial<ControlLoopOptions>;
}

/** One output and the frame it was emitted at. */
interface Timed {
  readonly at: number;
  readonly out: ControlOutput;
}

/**
 * Runs the loop in a `TestScheduler` (1 frame = 1 ms of virtual time, reading `ts` = frame) with
 * an actuator double answering from `replies`, and returns every output with its frame.
 */
function runLoop(input: RunLoopInput): Timed[] {
  const scheduler = new TestScheduler((a, e) => expect(a).toEqual(e));
  const outputs: Timed[] = [];
  scheduler.run(({ cold, hot }) => {
    const readings = Object.fromEntries(input.spo2.map(([t, v], i) => [`r${i}`, spo2(v, t)]));
    const keys = input.spo2.map(([t], i) => [t, String.fromCharCode(0x100 + i)] as const);
    const values = Object.fromEntries(keys.map(([, k], i) => [k, readings[`r${i}`] as Reading]));
    const readings$ = cold(marbles(keys), values);
    const statuses$ = new Subject<CommandStatus>();
    const ov = input.overrides ?? [];
    const ovKeys = ov.map(([t], i) => [t, String.fromCharCode(0x1000 + i)] as const);
    const overrides$ = hot<ControlOverrideInput>(
      marbles(ovKeys),
      Object.fromEntries(ovKeys.map(([, k], i) => [k, (ov[i] as (typeof ov)[number])[1]])),
    );
    const rules: ControlRuleSpec[] = parseControlRules(input.rules ?? [OXYGEN_RULE]);
    let issued = 0;
    readings$
      .pipe(controlLoop(rules, { statuses$, overrides$, scheduler, ...input.options }))
      .subscribe((out) => {
        outputs.push({ at: scheduler.now(), out });
        if (out.type !== 'command' || input.replies === undefined || input.replies.length === 0) return;
        const plan = input.replies[Math.min(issued, input.replies.length - 1)] ?? [];
        issued++;
        for (const [afterMs, state, reason] of plan) {
          scheduler.schedule(() => {
            statuses$.next({
              commandId: out.command.id,
              deviceId: out.command.deviceId,
              state,
              at: scheduler.now(),
              ...(reason === undefined ? {} : { reason }),
            });
          }, afterMs);
        }
      });
  });
  return outputs;
}

/** A one-line summary of an output, for readable assertions. */
function summary({ at, out }: Timed): string {
  switch (out.type) {
    case 'command':
      return `${at} command ${out.reason} ${out.previous}->${out.value}`;
    case 'alert':
      return `${at} alert ${out.alert.severity} ${out.alert.id}`;
    case 'command-limited':
      return `${at} limited ${out.limit} ${out.from}->${out.to}`;
    case 'command-held':
      return `${at} held ${out.reason} ${out.wanted ?? '-'}`;
    case 'command-status':
      return `${at} status ${out.status.state}`;
    case 'command-settled':
      return `${at} settled ${out.outcome}${out.late ? ' late' : ''} setPoint ${out.setPoint}`;
    case 'override-changed':
      return `${at} override ${out.override.active ? 'on' : 'off'}${out.stored ? '' : ' not-stored'}`;
    case 'override-rejected':
      return `${at} override-rejected`;
  }
}

/** `spo2` points every `stepMs` from `fromMs` to `toMs` inclusive, all `value`. */
function every(fromMs: number, toMs: number, stepMs: number, value: number): [number, number][] {
  const out: [number, number][] = [];
  for (let t = fromMs; t <= toMs; t += stepMs) out.push([t, value]);
  return out;
}

/** The alerts among the outputs. */
function alertsOf(out: readonly Timed[]): Alert[] {
  return out.flatMap(({ out: o }) => (o.type === 'alert' ? [o.alert] : []));
}

const COMPLETE: Reply[] = [[1, 'completed']];
const FIRST_COMMAND = 'ctl:spo2-oxygen:ox-p1:30000';

describe('controlLoop timing (marbles)', () => {
  it('commands oxygen at exactly 30 s of SpO2 < 88, with the command fields the issue asks for', () => {
    const s = new TestScheduler((a, e) => expect(a).toEqual(e));
    s.run(({ cold, hot, expectObservable }) => {
      const r = {
        a: spo2(87, 0),
        b: spo2(86, 10_000),
        c: spo2(87, 20_000),
        d: spo2(85, 30_000),
        e: spo2(84, 40_000),
      };
      const readings$ = cold('a 9999ms b 9999ms c 9999ms d 9999ms e', r);
      const statuses$ = hot<CommandStatus>('30005ms s', {
        s: {
          commandId: FIRST_COMMAND,
          deviceId: 'o2-1' as CommandStatus['deviceId'],
          state: 'completed',
          at: 30_005,
        },
      });
      const commands$ = readings$.pipe(
        controlLoop(parseControlRules([OXYGEN_RULE]), { statuses$, scheduler: s }),
        filter((o) => o.type === 'command'),
        map((o) => Command.parse(o.command)),
      );
      expectObservable(commands$).toBe('30000ms c', {
        c: {
          id: FIRST_COMMAND,
          deviceId: 'o2-1',
          action: 'oxygen.set-flow',
          params: { flowLpm: 2 },
          issuedBy: 'rule:spo2-oxygen',
          issuedAt: 30_000,
          expiresAt: 40_000,
          causedBy: ['ox-p1:0', 'ox-p1:10000', 'ox-p1:20000', 'ox-p1:30000'],
        },
      });
    });
  });

  it('completes once the readings have completed and the command in flight has settled', () => {
    const s = new TestScheduler((a, e) => expect(a).toEqual(e));
    s.run(({ cold, hot, expectObservable }) => {
      const r = { a: spo2(87, 0), b: spo2(86, 10_000), c: spo2(87, 20_000), d: spo2(85, 30_000) };
      const statuses$ = hot<CommandStatus>('30005ms s', {
        s: {
          commandId: FIRST_COMMAND,
          deviceId: 'o2-1' as CommandStatus['deviceId'],
          state: 'completed',
          at: 30_005,
        },
      });
      const types$ = cold('a 9999ms b 9999ms c 9999ms d|', r).pipe(
        controlLoop(parseControlRules([OXYGEN_RULE]), { statuses$, scheduler: s }),
        map((o) => o.type),
      );
      expectObservable(types$).toBe('30000ms c 4ms (sx|)', {
        c: 'command',
        s: 'command-status',
        x: 'command-settled',
      });
    });
  });
});

describe('controlLoop', () => {
  it('does not command before 30 s, nor on brief dips, nor across a gap longer than maxGapMs', () => {
    const notYet = runLoop({ spo2: [...every(0, 20_000, 10_000, 87), [29_999, 87]], replies: [COMPLETE] });
    expect(notYet.map(summary)).toEqual([]);
    const dips = runLoop({
      spo2: [
        [0, 87],
        [10_000, 87],
        [20_000, 87],
        [25_000, 88],
        ...every(30_000, 50_000, 10_000, 86),
        [55_000, 87],
        [59_000, 89],
      ],
      replies: [COMPLETE],
    });
    expect(dips.map(summary)).toEqual([]);
    const gap = runLoop({
      spo2: [
        [0, 87],
        [10_000, 87],
        [80_000, 87],
        [100_000, 87],
        [110_000, 87],
      ],
      replies: [COMPLETE],
    });
    expect(gap.map(summary)).toEqual([
      '110000 command escalate 0->2',
      '110001 status completed',
      '110001 settled completed setPoint 2',
    ]);
  });

  it('steps down by 1 after SpO2 >= 92 for 60 s, counting again after each step, down to min', () => {
    const out = runLoop({
      spo2: [...every(0, 30_000, 10_000, 85), [40_000, 90], ...every(50_000, 250_000, 10_000, 93)],
      replies: [COMPLETE],
    });
    expect(out.map(summary)).toEqual([
      '30000 command escalate 0->2',
      '30001 status completed',
      '30001 settled completed setPoint 2',
      '110000 command step-down 2->1',
      '110001 status completed',
      '110001 settled completed setPoint 1',
      '180000 command step-down 1->0',
      '180001 status completed',
      '180001 settled completed setPoint 0',
    ]);
    const down = out.find((o) => o.at === 110_000)?.out;
    expect(down).toMatchObject({
      type: 'command',
      command: {
        params: { flowLpm: 1 },
        causedBy: every(50_000, 110_000, 10_000, 0).map(([t]) => `ox-p1:${t}`),
      },
    });
  });

  it('a value between the step and the step-down thresholds neither escalates nor steps down', () => {
    const out = runLoop({
      spo2: [...every(0, 30_000, 10_000, 85), ...every(40_000, 200_000, 10_000, 90)],
      replies: [COMPLETE],
    });
    expect(out.map(summary)).toEqual([
      '30000 command escalate 0->2',
      '30001 status completed',
      '30001 settled completed setPoint 2',
    ]);
  });

  it('limits the change to maxChangePerMinute, holding (once) when none is left', () => {
    const rule = {
      ...OXYGEN_RULE,
      steps: [
        { when: { below: 88, forMs: 0 }, set: 2 },
        { when: { below: 85, forMs: 0 }, set: 6 },
      ],
    };
    const out = runLoop({
      rules: [rule],
      spo2: [
        [0, 84],
        [10_000, 84],
        [20_000, 84],
        [60_000, 84],
        [70_000, 84],
        [120_000, 84],
        [130_000, 84],
      ],
      replies: [COMPLETE],
    });
    expect(out.map(summary)).toEqual([
      '0 limited rate 6->2',
      '0 command escalate 0->2',
      '1 status completed',
      '1 settled completed setPoint 2',
      '10000 held rate 6',
      '60000 limited rate 6->4',
      '60000 command escalate 2->4',
      '60001 status completed',
      '60001 settled completed setPoint 4',
      '70000 held rate 6',
      '120000 command escalate 4->6',
      '120001 status completed',
      '120001 settled completed setPoint 6',
    ]);
  });

  it('sends nothing while a clinician override covers the actuator, and resumes after it', () => {
    const out = runLoop({
      spo2: every(0, 60_000, 10_000, 85),
      overrides: [
        [5_000, { active: true, deviceId: 'o2-1', clinicianId: 'rn-1', reason: 'manual titration' }],
        [45_000, { active: false, deviceId: 'o2-1' }],
      ],
      replies: [COMPLETE],
    });
    expect(out.map(summary)).toEqual([
      '5000 override on',
      '30000 held override 2',
      '45000 override off',
      '50000 command escalate 0->2',
      '50001 status completed',
      '50001 settled completed setPoint 2',
    ]);
  });

  it('honours a patient override, takes the set-point the clinician hands back, refuses bad input', () => {
    const out = runLoop({
      spo2: every(0, 60_000, 10_000, 85),
      overrides: [
        [1_000, { active: true } as never],
        [5_000, { active: true, patientId: 'p1' }],
        [44_000, { active: false, deviceId: 'o2-1', setPoint: 2 }],
        [45_000, { active: false, patientId: 'p1' }],
      ],
      replies: [COMPLETE],
    });
    expect(out.map(summary)).toEqual([
      '1000 override-rejected',
      '5000 override on',
      '30000 held override 2',
      '44000 override off',
      '45000 override off',
    ]);
  });

  it('holds every actuator while the override table is full (fail safe)', () => {
    const out = runLoop({
      spo2: every(0, 50_000, 10_000, 85),
      overrides: [
        [1_000, { active: true, deviceId: 'o2-other' }],
        [2_000, { active: true, deviceId: 'o2-1' }],
        [40_000, { active: false, deviceId: 'o2-other' }],
      ],
      replies: [COMPLETE],
      options: { maxOverrides: 1 },
    });
    expect(out.map(summary)).toEqual([
      '1000 override on',
      '2000 override on not-stored',
      '30000 held override 2',
      '40000 override off',
      '50000 command escalate 0->2',
      '50001 status completed',
      '50001 settled completed setPoint 2',
    ]);
  });

  it('raises an alert when no final status arrives within commandTimeoutMs, then backs off', () => {
    const out = runLoop({
      rules: [{ ...OXYGEN_RULE, commandTimeoutMs: 15_000, retryAfterMs: 30_000 }],
      spo2: every(0, 120_000, 10_000, 85),
    });
    expect(out.map(summary)).toEqual([
      '30000 command escalate 0->2',
      '40000 held in-flight 2',
      '45000 settled timed-out setPoint 0',
      `45000 alert high ${FIRST_COMMAND}:timed-out`,
      '50000 held retry-backoff 2',
      '80000 held rate 2',
      '90000 command escalate 0->2',
      '100000 held in-flight 2',
      '105000 settled timed-out setPoint 0',
      '105000 alert high ctl:spo2-oxygen:ox-p1:90000:timed-out',
      '110000 held retry-backoff 2',
    ]);
    const alert = Alert.parse(alertsOf(out)[0]);
    expect(alert).toMatchObject({
      rule: 'rule:spo2-oxygen',
      patientId: 'p1',
      deviceId: 'o2-1',
      metric: 'spo2',
      ts: 45_000,
      readingIds: ['ox-p1:0', 'ox-p1:10000', 'ox-p1:20000', 'ox-p1:30000'],
    });
    expect(alert.message).toMatch(
      /oxygen\.set-flow flowLpm=2 to o2-1 for p1 timed out: no final status within 15000 ms/,
    );
  });

  it('takes a completion that arrives after the timeout as the set-point', () => {
    const out = runLoop({
      rules: [{ ...OXYGEN_RULE, commandTimeoutMs: 15_000, retryAfterMs: 30_000 }],
      spo2: every(0, 120_000, 10_000, 85),
      replies: [[[22_000, 'completed']]],
    });
    expect(out.map(summary)).toEqual([
      '30000 command escalate 0->2',
      '40000 held in-flight 2',
      '45000 settled timed-out setPoint 0',
      `45000 alert high ${FIRST_COMMAND}:timed-out`,
      '50000 held retry-backoff 2',
      '52000 status completed',
      '52000 settled completed late setPoint 2',
    ]);
  });

  it.each(['failed', 'rejected', 'expired'] as const)('raises an alert when the command ends %s', (state) => {
    const reason = 'fault "no-flow": no flow detected';
    const out = runLoop({
      spo2: every(0, 40_000, 10_000, 85),
      replies: [
        [
          [1, 'accepted'],
          [2, state, reason],
        ],
      ],
    });
    expect(out.map(summary)).toEqual([
      '30000 command escalate 0->2',
      '30001 status accepted',
      `30002 status ${state}`,
      `30002 settled ${state} setPoint 0`,
      `30002 alert high ${FIRST_COMMAND}:${state}`,
      '40000 held retry-backoff 2',
    ]);
    const alert = Alert.parse(alertsOf(out)[0]);
    expect(alert.message).toContain(reason);
    expect(alert.readingIds).toEqual(['ox-p1:0', 'ox-p1:10000', 'ox-p1:20000', 'ox-p1:30000']);
  });

  it('does not alert on a cancelled command, and ignores statuses of other commands and devices', () => {
    const s = new TestScheduler((a, e) => expect(a).toEqual(e));
    s.run(({ cold, hot, expectObservable }) => {
      const r = { a: spo2(85, 0), b: spo2(85, 30_000) };
      const st = (commandId: string, deviceId: string, state: CommandState): CommandStatus => ({
        commandId,
        deviceId: deviceId as CommandStatus['deviceId'],
        state,
        at: 0,
      });
      const statuses$ = hot('30001ms (abc)', {
        a: st('someone-else', 'o2-1', 'failed'),
        b: st(FIRST_COMMAND, 'o2-2', 'failed'),
        c: st(FIRST_COMMAND, 'o2-1', 'cancelled'),
      });
      const types$ = cold('a 29999ms b', r).pipe(
        controlLoop(parseControlRules([OXYGEN_RULE]), { statuses$, scheduler: s }),
        map((o) => (o.type === 'command-settled' ? `${o.type}:${o.outcome}` : o.type)),
      );
      expectObservable(types$).toBe('30000ms c (sx)', {
        c: 'command',
        s: 'command-status',
        x: 'command-settled:cancelled',
      });
    });
  });

  it('resolves actuators per patient for a ward rule, one series per actuator', () => {
    const { deviceId: _fixed, ...actuator } = OXYGEN_RULE.actuator;
    const rules = parseControlRules([
      {
        ...OXYGEN_RULE,
        scope: { wardId: 'resp' },
        actuator,
        steps: [{ when: { below: 88, forMs: 0 }, set: 2 }],
      },
    ]);
    const actuators: Record<string, string> = { p1: 'o2-bed-1', p2: 'o2-bed-1', p3: 'o2-bed-3' };
    const out: ControlOutput[] = [];
    from([spo2(85, 0, 'p1'), spo2(85, 0, 'p2'), spo2(85, 1, 'p2'), spo2(85, 0, 'p3'), spo2(85, 0, 'p4')])
      .pipe(
        controlLoop(rules, {
          statuses$: new Subject(),
          clock: { now: () => 0 },
          wardOf: () => 'resp',
          actuatorOf: (series) => actuators[series],
        }),
      )
      .subscribe((o) => out.push(o));
    expect(
      out.map((o) =>
        o.type === 'command'
          ? `command ${o.command.deviceId} ${o.series}`
          : `${o.type} ${'reason' in o ? o.reason : ''} ${'series' in o ? o.series : ''}`,
      ),
    ).toEqual(['command o2-bed-1 p1', 'command-held actuator-busy p2', 'command o2-bed-3 p3']);
  });

  it('refuses an actuator id from actuatorOf that is not a device id (config error)', () => {
    const { deviceId: _fixed, ...actuator } = OXYGEN_RULE.actuator;
    const { scope: _scope, ...unscoped } = OXYGEN_RULE;
    const rules = parseControlRules([{ ...unscoped, actuator }]);
    let error: unknown;
    from([spo2(85, 0)])
      .pipe(controlLoop(rules, { statuses$: new Subject(), actuatorOf: () => 'not/a/device' }))
      .subscribe({ error: (e) => (error = e) });
    expect(isHealthItError(error, 'config/invalid')).toBe(true);
  });

  it('does not take on more than maxActuators actuators that are not idle', () => {
    const { deviceId: _fixed, ...actuator } = OXYGEN_RULE.actuator;
    const { scope: _scope, ...unscoped } = OXYGEN_RULE;
    const rules = parseControlRules([
      { ...unscoped, actuator, steps: [{ when: { below: 88, forMs: 0 }, set: 2 }] },
    ]);
    const out: ControlOutput[] = [];
    from([spo2(95, 0, 'p0'), spo2(85, 0, 'p1'), spo2(85, 0, 'p2'), spo2(85, 1, 'p3')])
      .pipe(
        controlLoop(rules, {
          statuses$: new Subject(),
          clock: { now: () => 0 },
          actuatorOf: (series) => `o2-${series}`,
          maxActuators: 2,
        }),
      )
      .subscribe((o) => out.push(o));
    // p0 is idle and is forgotten for p2; p1 and p2 have commands in flight, so p3 is refused.
    expect(
      out.map((o) => `${o.type} ${o.type === 'command' ? o.series : 'reason' in o ? o.reason : ''}`),
    ).toEqual(['command p1', 'command p2', 'command-held capacity']);
  });

  it('refuses bad options', () => {
    const statuses$ = new Subject<CommandStatus>();
    const rules = parseControlRules([OXYGEN_RULE]);
    expect(() => controlLoop(rules, { statuses$, maxActuators: 0 })).toThrow(RangeError);
    expect(() => controlLoop(rules, { statuses$, maxOverrides: 1.5 })).toThrow(RangeError);
    const { deviceId: _fixed, ...actuator } = OXYGEN_RULE.actuator;
    expect(() =>
      controlLoop(parseControlRules([{ ...OXYGEN_RULE, scope: { wardId: 'w' }, actuator }]), {
        statuses$,
        actuatorOf: () => 'x',
      }),
    ).toThrow(/scoped to a ward; pass the "wardOf" option/);
    expect(() =>
      controlLoop(parseControlRules([{ ...OXYGEN_RULE, scope: { wardId: 'w' }, actuator }]), {
        statuses$,
        wardOf: () => 'w',
      }),
    ).toThrow(/pass the "actuatorOf" option/);
  });
});

describe('controlLoop without an uplink', () => {
  it('closes the loop over local streams only: readings in, commands to the actuator, statuses back', async () => {
    // Gateway and actuator share a local in-process transport; there is no uplink of any kind.
    const transport = createInProcessTransport();
    const device = transport.subscribe(Topics.deviceCommands('o2-1')).subscribe((m) => {
      const c = Command.parse(JSON.parse(utf8Decode(m.payload)));
      const status: CommandStatus = {
        commandId: c.id,
        deviceId: c.deviceId,
        state: 'completed',
        at: c.issuedAt + 5,
      };
      void transport.publish(Topics.deviceCommandStatus('o2-1'), utf8Encode(JSON.stringify(status)));
    });
    const statuses$ = transport
      .subscribe(Topics.deviceCommandStatus('o2-1'))
      .pipe(map((m) => CommandStatus.parse(JSON.parse(utf8Decode(m.payload)))));
    const readings$ = new Subject<Reading>();
    const loop = createControlLoop(readings$, parseControlRules([OXYGEN_RULE]), {
      statuses$,
      clock: { now: () => 1_000 },
    });
    const published = loop.commands$.subscribe((c) => {
      void transport.publish(Topics.deviceCommands(c.deviceId), utf8Encode(JSON.stringify(c)));
    });
    const events: string[] = [];
    const done = new Promise<void>((resolve, reject) =>
      loop.events$.subscribe({
        next: (e) =>
          events.push(e.type === 'command-settled' ? `${e.type} ${e.outcome} ${e.setPoint}` : e.type),
        error: reject,
        complete: resolve,
      }),
    );
    for (const [t, v] of every(0, 30_000, 10_000, 85)) readings$.next(spo2(v, t));
    readings$.complete();
    await done;
    expect(events).toEqual(['command-status', 'command-settled completed 2']);
    published.unsubscribe();
    device.unsubscribe();
    await transport.close();
  });
});
