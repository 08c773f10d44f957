import { type CommandStatus, isFinalCommandState } from '@healthit/core';
import fc from 'fast-check';
import { VirtualTimeScheduler } from 'rxjs';
import { describe, expect, it } from 'vitest';
import type { Actuator } from './actuator.js';
import { createInfusionPump, type InfusionPumpFault } from './infusion-pump.js';
import { createOxygenConcentrator, type OxygenConcentratorFault } from './oxygen-concentrator.js';

const DEVICE = 'dev-1';
const STEP_TOLERANCE = 1e-9;

/** The lifecycles a command may go through on the device side. */
const LIFECYCLES = new Set(
  [
    ['rejected'],
    ['expired'],
    ['accepted', 'rejected'],
    ['accepted', 'expired'],
    ['accepted', 'failed'],
    ['accepted', 'running', 'completed'],
    ['accepted', 'running', 'failed'],
  ].map((l) => l.join('>')),
);

interface SentCommand {
  readonly id: string;
  readonly deviceId: string;
  readonly action: string;
  readonly params: Record<string, unknown>;
  readonly issuedBy: string;
  readonly issuedAt: number;
  readonly expiresAt?: number;
}

/** What every step of a random sequence may do (the command parts are per actuator). */
type Op<C, F> =
  | {
      readonly kind: 'command';
      readonly command: C;
      readonly wrongDevice: boolean;
      readonly expiresInMs?: number;
    }
  | { readonly kind: 'resend'; readonly pick: number }
  | { readonly kind: 'malformed' }
  | { readonly kind: 'fault'; readonly fault: F }
  | { readonly kind: 'clear'; readonly fault: F };

interface Step<C, F> {
  readonly delayMs: number;
  readonly op: Op<C, F>;
}

function stepArbitrary<C, F>(command: fc.Arbitrary<C>, fault: fc.Arbitrary<F>): fc.Arbitrary<Step<C, F>> {
  const op: fc.Arbitrary<Op<C, F>> = fc.oneof(
    {
      weight: 8,
      arbitrary: fc.record(
        {
          kind: fc.constant('command' as const),
          command,
          wrongDevice: fc.integer({ min: 0, max: 15 }).map((n) => n === 0),
          expiresInMs: fc.integer({ min: -50, max: 40_000 }),
        },
        { requiredKeys: ['kind', 'command', 'wrongDevice'] },
      ),
    },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('resend' as const), pick: fc.nat() }) },
    { weight: 1, arbitrary: fc.constant({ kind: 'malformed' as const }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('fault' as const), fault }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('clear' as const), fault }) },
  );
  return fc.record({ delayMs: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 8_000 })), op });
}

interface RunResult {
  /** Per id: the distinct statuses in the order they were first reported. */
  readonly lifecycles: Map<string, CommandStatus[]>;
  /** Per id: every status reported on status$ (re-reports included). */
  readonly reports: Map<string, CommandStatus[]>;
  /** Every execute() call: what its Observable emitted and whether it completed. */
  readonly submissions: { id: string; statuses: CommandStatus[]; completed: boolean }[];
  readonly sent: Map<string, SentCommand>;
  /** Problems seen while the sequence ran (checked by the caller's hooks). */
  readonly problems: string[];
}

/**
 * Runs `steps` against `actuator` in virtual time. `onRunning` is called when a command is reported
 * `running`, before its run changes the state; `onState` for every state.
 */
function runSequence<S, C, F extends string>(
  actuator: Actuator<S, F>,
  scheduler: VirtualTimeScheduler,
  steps: readonly Step<C, F>[],
  toCommand: (c: C) => { action: string; params: Record<string, unknown> },
  hooks: {
    onRunning(command: SentCommand, stateBefore: S, at: number): string | undefined;
    onState(s: S): string | undefined;
  },
): RunResult {
  const lifecycles = new Map<string, CommandStatus[]>();
  const reports = new Map<string, CommandStatus[]>();
  const submissions: RunResult['submissions'] = [];
  const sent = new Map<string, SentCommand>();
  const problems: string[] = [];
  const running = new Set<string>();
  actuator.state$.subscribe(({ state }) => {
    const p = hooks.onState(state);
    if (p !== undefined) problems.push(p);
  });
  actuator.status$.subscribe((s) => {
    const all = reports.get(s.commandId) ?? [];
    all.push(s);
    reports.set(s.commandId, all);
    const distinct = lifecycles.get(s.commandId) ?? [];
    if (!distinct.includes(s)) distinct.push(s);
    lifecycles.set(s.commandId, distinct);
    if (s.state === 'running' && !running.has(s.commandId) && distinct.length === all.length) {
      running.add(s.commandId);
      if (running.size > 1) problems.push(`two commands running at ${s.at}: ${[...running].join(', ')}`);
      const command = sent.get(s.commandId);
      if (command === undefined) problems.push(`${s.commandId} runs but was never sent`);
      else {
        const p = hooks.onRunning(command, actuator.currentState().state, s.at);
        if (p !== undefined) problems.push(p);
      }
    }
    if (isFinalCommandState(s.state)) running.delete(s.commandId);
  });

  const submit = (input: unknown, id: string) => {
    const record = { id, statuses: [] as CommandStatus[], completed: false };
    submissions.push(record);
    actuator.execute(input).subscribe({
      next: (s) => record.statuses.push(s),
      complete: () => {
        record.completed = true;
      },
    });
  };

  let t = 0;
  steps.forEach((step, i) => {
    t += step.delayMs;
    scheduler.schedule(() => {
      const now = scheduler.now();
      const { op } = step;
      if (op.kind === 'command') {
        const id = `c${i}`;
        const command: SentCommand = {
          id,
          deviceId: op.wrongDevice ? 'other-device' : DEVICE,
          ...toCommand(op.command),
          issuedBy: 'rule:property',
          issuedAt: now,
          ...(op.expiresInMs === undefined ? {} : { expiresAt: Math.max(0, now + op.expiresInMs) }),
        };
        sent.set(id, command);
        submit(command, id);
      } else if (op.kind === 'resend') {
        const ids = [...sent.keys()];
        if (ids.length === 0) return;
        const id = ids[op.pick % ids.length] as string;
        submit(sent.get(id), id);
      } else if (op.kind === 'malformed') {
        const id = `m${i}`;
        submit(
          {
            id,
            deviceId: DEVICE,
            action: actuator.actions[0],
            params: { nonsense: [1] },
            issuedBy: 'x',
            issuedAt: now,
          },
          id,
        );
      } else if (op.kind === 'fault') {
        actuator.injectFault(op.fault);
      } else {
        actuator.clearFault(op.fault);
      }
    }, t);
  });
  scheduler.flush();
  return { lifecycles, reports, submissions, sent, problems };
}

/** Every command ends in exactly one final state, through an allowed lifecycle. */
function expectOneFinalStateEach(result: RunResult): void {
  expect(result.problems).toEqual([]);
  for (const submission of result.submissions) {
    expect(submission.completed, `execute(${submission.id}) completes`).toBe(true);
    const finals = submission.statuses.filter((s) => isFinalCommandState(s.state));
    expect(finals).toHaveLength(1);
    expect(submission.statuses.at(-1)).toBe(finals[0]);
  }
  for (const [id, distinct] of result.lifecycles) {
    const states = distinct.map((s) => s.state).join('>');
    expect(LIFECYCLES.has(states), `${id}: ${states}`).toBe(true);
    // Re-reports repeat the final status itself: never a second, different final state.
    const finals = new Set((result.reports.get(id) ?? []).filter((s) => isFinalCommandState(s.state)));
    expect(finals.size).toBe(1);
    for (let k = 1; k < distinct.length; k++) {
      expect(distinct[k]!.at).toBeGreaterThanOrEqual(distinct[k - 1]!.at);
    }
  }
  for (const id of result.sent.keys()) expect(result.lifecycles.has(id)).toBe(true);
}

describe('actuators: properties over random command sequences', () => {
  it('oxygen concentrator: one final state per command, no out-of-limit command runs, the flow stays in its limits', () => {
    const limitsArb = fc
      .record({
        minFlowLpm: fc.constantFrom(0, 0.5, 1),
        span: fc.double({ min: 1, max: 14, noNaN: true }),
        maxStepLpm: fc.double({ min: 0.5, max: 5, noNaN: true }),
        maxDurationMs: fc.integer({ min: 1_000, max: 15_000 }),
      })
      .map(({ minFlowLpm, span, maxStepLpm, maxDurationMs }) => ({
        minFlowLpm,
        maxFlowLpm: minFlowLpm + span,
        maxStepLpm,
        maxDurationMs,
      }));
    const setFlowArb = fc.record(
      {
        stop: fc.boolean(),
        flowLpm: fc.oneof(
          fc.integer({ min: -2, max: 18 }),
          fc.double({ min: -1, max: 17, noNaN: true }),
          fc.constantFrom(0, 0.5, 1, 2, 15, 15.000001),
        ),
        durationMs: fc.integer({ min: 1, max: 20_000 }),
        timed: fc.boolean(),
        override: fc.boolean(),
      },
      { requiredKeys: ['stop', 'flowLpm', 'durationMs', 'timed', 'override'] },
    );
    const faultArb = fc.constantFrom<OxygenConcentratorFault>('power-loss', 'no-flow');

    fc.assert(
      fc.property(
        limitsArb,
        fc.integer({ min: 0, max: 4 }),
        fc.array(stepArbitrary(setFlowArb, faultArb), { maxLength: 40 }),
        (limits, maxQueued, steps) => {
          const scheduler = new VirtualTimeScheduler();
          const o2 = createOxygenConcentrator({ deviceId: DEVICE, scheduler, limits, maxQueued });
          const inLimits = (flow: number) =>
            flow === 0 || (flow >= limits.minFlowLpm && flow <= limits.maxFlowLpm);
          const result = runSequence(
            o2,
            scheduler,
            steps,
            (c) =>
              c.stop
                ? { action: 'oxygen.stop', params: {} }
                : {
                    action: 'oxygen.set-flow',
                    params: {
                      flowLpm: c.flowLpm,
                      ...(c.timed ? { durationMs: c.durationMs } : {}),
                      ...(c.override ? { clinicianOverride: { clinicianId: 'dr-1', reason: 'test' } } : {}),
                    },
                  },
            {
              onState: ({ flowLpm }) =>
                inLimits(flowLpm) ? undefined : `flow ${flowLpm} outside the limits`,
              onRunning: (command, before, at) => {
                if (command.deviceId !== DEVICE) return `${command.id} for another device ran`;
                if (command.expiresAt !== undefined && at >= command.expiresAt)
                  return `${command.id} ran expired`;
                if (command.action === 'oxygen.stop') return undefined;
                const { flowLpm, durationMs, clinicianOverride } = command.params as {
                  flowLpm: number;
                  durationMs?: number;
                  clinicianOverride?: unknown;
                };
                if (!(flowLpm >= limits.minFlowLpm && flowLpm <= limits.maxFlowLpm)) {
                  return `${command.id} ran with flow ${flowLpm}`;
                }
                if (durationMs !== undefined && durationMs > limits.maxDurationMs) {
                  return `${command.id} ran for ${durationMs} ms`;
                }
                const step = Math.abs(flowLpm - before.flowLpm);
                if (clinicianOverride === undefined && step > limits.maxStepLpm + STEP_TOLERANCE) {
                  return `${command.id} ran a step of ${step}`;
                }
                return undefined;
              },
            },
          );
          expectOneFinalStateEach(result);
          // Out-of-range first sends (to this device, not yet expired) are rejected naming the limit.
          for (const [id, command] of result.sent) {
            if (command.action !== 'oxygen.set-flow' || command.deviceId !== DEVICE) continue;
            if (command.expiresAt !== undefined && command.expiresAt <= command.issuedAt) continue;
            const { flowLpm } = command.params as { flowLpm: number };
            const final = result.lifecycles.get(id)?.at(-1);
            if (flowLpm > limits.maxFlowLpm) expect(final?.reason).toContain('safety limit maxFlowLpm');
            if (flowLpm < limits.minFlowLpm) expect(final?.reason).toContain('safety limit minFlowLpm');
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('infusion pump: one final state per command, no out-of-limit infusion runs, delivery stays consistent', () => {
    const limits = { minRateMlPerH: 1, maxRateMlPerH: 500, minVolumeMl: 1, maxVolumeMl: 200 };
    const startArb = fc.record({
      stop: fc.boolean(),
      rateMlPerH: fc.oneof(fc.double({ min: 0, max: 600, noNaN: true }), fc.constantFrom(0.5, 1, 500, 500.5)),
      volumeMl: fc.oneof(fc.double({ min: 0, max: 250, noNaN: true }), fc.constantFrom(0.5, 1, 200, 201)),
    });
    const faultArb = fc.constantFrom<InfusionPumpFault>('occlusion', 'air-in-line');
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 3 }),
        fc.array(stepArbitrary(startArb, faultArb), { maxLength: 30 }),
        (maxQueued, steps) => {
          const scheduler = new VirtualTimeScheduler();
          const pump = createInfusionPump({
            deviceId: DEVICE,
            scheduler,
            limits,
            maxQueued,
            reportPeriodMs: 3_600_000,
          });
          let lastTotal = 0;
          const result = runSequence(
            pump,
            scheduler,
            steps,
            (c) =>
              c.stop
                ? { action: 'infusion.stop', params: {} }
                : { action: 'infusion.start', params: { rateMlPerH: c.rateMlPerH, volumeMl: c.volumeMl } },
            {
              onState: (s) => {
                if (
                  s.rateMlPerH !== 0 &&
                  (s.rateMlPerH < limits.minRateMlPerH || s.rateMlPerH > limits.maxRateMlPerH)
                ) {
                  return `rate ${s.rateMlPerH} outside the limits`;
                }
                if (s.deliveredMl > s.volumeMl) return `delivered ${s.deliveredMl} > volume ${s.volumeMl}`;
                if (s.totalDeliveredMl < lastTotal)
                  return `total fell from ${lastTotal} to ${s.totalDeliveredMl}`;
                lastTotal = s.totalDeliveredMl;
                return undefined;
              },
              onRunning: (command, _before, at) => {
                if (command.deviceId !== DEVICE) return `${command.id} for another device ran`;
                if (command.expiresAt !== undefined && at >= command.expiresAt)
                  return `${command.id} ran expired`;
                if (command.action === 'infusion.stop') return undefined;
                const { rateMlPerH, volumeMl } = command.params as { rateMlPerH: number; volumeMl: number };
                const ok =
                  rateMlPerH >= limits.minRateMlPerH &&
                  rateMlPerH <= limits.maxRateMlPerH &&
                  volumeMl >= limits.minVolumeMl &&
                  volumeMl <= limits.maxVolumeMl;
                return ok ? undefined : `${command.id} ran at ${rateMlPerH} mL/h for ${volumeMl} mL`;
              },
            },
          );
          expectOneFinalStateEach(result);
        },
      ),
      { numRuns: 200 },
    );
  });
});
