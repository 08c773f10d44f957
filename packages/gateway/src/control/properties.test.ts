import { Alert, Command, type CommandState, type CommandStatus, type Reading } from '@healthit/core';
import fc from 'fast-check';
import { Subject } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import type { ControlOutput } from './events.js';
import { LIMIT_TOLERANCE, RATE_WINDOW_MS } from './limits.js';
import { controlLoop } from './operator.js';
import { parseControlRules } from './spec.js';

const ruleArb = fc
  .record({
    min: fc.integer({ min: 0, max: 2 }),
    span: fc.integer({ min: 1, max: 10 }),
    maxChangePerMinute: fc.constantFrom(0.5, 1, 2, 3, 5),
    maxStepPerCommand: fc.option(fc.constantFrom(0.5, 1, 2), { nil: undefined }),
    steps: fc.array(
      fc.record({
        below: fc.integer({ min: 84, max: 90 }),
        forMs: fc.integer({ min: 0, max: 40_000 }),
        set: fc.double({ min: 0, max: 1, noNaN: true }),
      }),
      { minLength: 1, maxLength: 3 },
    ),
    down: fc.option(
      fc.record({
        margin: fc.integer({ min: 0, max: 4 }),
        forMs: fc.integer({ min: 0, max: 90_000 }),
        by: fc.constantFrom(0.5, 1, 2),
      }),
      { nil: undefined },
    ),
    commandTimeoutMs: fc.integer({ min: 1_000, max: 30_000 }),
    retryAfterMs: fc.integer({ min: 1_000, max: 60_000 }),
  })
  .map((r) => {
    const max = r.min + r.span;
    const highest = Math.max(...r.steps.map((s) => s.below));
    return {
      id: 'loop',
      metric: 'spo2',
      scope: { patientIds: ['p1'] },
      actuator: { deviceId: 'act-1', action: 'set', param: 'level' },
      steps: r.steps.map((s) => ({ when: { below: s.below, forMs: s.forMs }, set: r.min + s.set * r.span })),
      ...(r.down === undefined
        ? {}
        : { stepDown: { when: { atLeast: highest + r.down.margin, forMs: r.down.forMs }, by: r.down.by } }),
      limits: {
        min: r.min,
        max,
        maxChangePerMinute: r.maxChangePerMinute,
        ...(r.maxStepPerCommand === undefined ? {} : { maxStepPerCommand: r.maxStepPerCommand }),
      },
      commandTimeoutMs: r.commandTimeoutMs,
      retryAfterMs: r.retryAfterMs,
    };
  });

const readingsArb = fc.array(
  fc.record({ value: fc.integer({ min: 75, max: 100 }), dtMs: fc.integer({ min: 1, max: 20_000 }) }),
  { maxLength: 150 },
);

const replyArb = fc.array(
  fc.record({
    state: fc.constantFrom<CommandState | 'none'>('completed', 'completed', 'failed', 'rejected', 'none'),
    afterMs: fc.integer({ min: 0, max: 40_000 }),
  }),
  { minLength: 1, maxLength: 20 },
);

function run(
  rules: unknown,
  steps: { value: number; dtMs: number }[],
  replies: { state: string; afterMs: number }[],
) {
  const scheduler = new TestScheduler((a, e) => expect(a).toEqual(e));
  const out: { at: number; o: ControlOutput }[] = [];
  scheduler.run(() => {
    const readings$ = new Subject<Reading>();
    const statuses$ = new Subject<CommandStatus>();
    let ts = 0;
    steps.forEach((s, i) => {
      ts += s.dtMs;
      const r: Reading = {
        id: `ox:${i}`,
        deviceId: 'ox' as Reading['deviceId'],
        patientId: 'p1' as NonNullable<Reading['patientId']>,
        metric: 'spo2',
        value: s.value,
        unit: '%',
        ts,
        seq: i,
      };
      scheduler.schedule(() => readings$.next(r), ts);
    });
    scheduler.schedule(() => readings$.complete(), ts + 1);
    let n = 0;
    readings$.pipe(controlLoop(parseControlRules(rules), { statuses$, scheduler })).subscribe((o) => {
      out.push({ at: scheduler.now(), o });
      if (o.type !== 'command') return;
      const reply = replies[n++ % replies.length] as { state: string; afterMs: number };
      if (reply.state === 'none') return;
      scheduler.schedule(
        () =>
          statuses$.next({
            commandId: o.command.id,
            deviceId: o.command.deviceId,
            state: reply.state as CommandState,
            at: scheduler.now(),
          }),
        reply.afterMs,
      );
    });
  });
  return out;
}

describe('controlLoop properties', () => {
  it('commands stay within the limits, the step and the rate of change, one at a time, whatever SpO2 does', () => {
    fc.assert(
      fc.property(ruleArb, readingsArb, replyArb, (rule, steps, replies) => {
        const out = run([rule], steps, replies);
        const { min, max, maxChangePerMinute, maxStepPerCommand } = rule.limits;
        const issued: { at: number; delta: number }[] = [];
        const ids = new Set<string>();
        let inFlight = false;
        for (const { at, o } of out) {
          if (o.type === 'command') {
            expect(inFlight).toBe(false);
            inFlight = true;
            const command = Command.parse(o.command);
            expect(ids.has(command.id)).toBe(false);
            ids.add(command.id);
            expect(command.params).toEqual({ level: o.value });
            expect(command.expiresAt).toBe(command.issuedAt + rule.commandTimeoutMs);
            expect(command.causedBy?.length).toBeGreaterThan(0);
            expect(o.value).toBeGreaterThanOrEqual(min);
            expect(o.value).toBeLessThanOrEqual(max);
            const delta = Math.abs(o.value - o.previous);
            expect(delta).toBeGreaterThan(0);
            if (maxStepPerCommand !== undefined) expect(delta).toBeLessThanOrEqual(maxStepPerCommand + 1e-6);
            issued.push({ at, delta });
            const window = issued.filter((c) => c.at > at - RATE_WINDOW_MS).reduce((s, c) => s + c.delta, 0);
            expect(window).toBeLessThanOrEqual(maxChangePerMinute + 64 * LIMIT_TOLERANCE);
          } else if (o.type === 'command-settled' && !o.late) {
            inFlight = false;
          } else if (o.type === 'alert') {
            Alert.parse(o.alert);
          }
        }
        const bad = out.filter(
          ({ o }) =>
            o.type === 'command-settled' && !o.late && o.outcome !== 'completed' && o.outcome !== 'cancelled',
        );
        expect(out.filter(({ o }) => o.type === 'alert')).toHaveLength(bad.length);
        // The loop completes only when nothing is in flight.
        expect(inFlight).toBe(false);
      }),
      { numRuns: 300 },
    );
  });
});
