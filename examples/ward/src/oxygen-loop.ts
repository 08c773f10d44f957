import type { Alert, Command, CommandStatus } from '@healthit/core';
import {
  createOxygenConcentrator,
  createWardSimulator,
  type OxygenConcentrator,
  type OxygenConcentratorFault,
  oxygenDelivery,
  type WardSimulator,
} from '@healthit/device';
import {
  type ControlEvent,
  type ControlRuleSpec,
  createControlLoop,
  parseControlRules,
} from '@healthit/gateway';
import { type SchedulerLike, takeUntil, tap, timer, VirtualTimeScheduler } from 'rxjs';

const MINUTE_MS = 60_000;

/** The patient and the concentrator of the demo. */
export const OXYGEN_DEMO_PATIENT = 'patient-001';
/** The demo concentrator's device id. */
export const OXYGEN_DEMO_CONCENTRATOR = 'o2-001';

/**
 * The control rule of the demo (issue 4): SpO2 < 88 % for 30 s → oxygen at 2 L/min; < 85 % for
 * 30 s → 4 L/min; SpO2 ≥ 92 % for 60 s → 1 L/min less; 0–6 L/min, at most 2 L/min of change per
 * minute; a command without a final status within 10 s raises an alert.
 */
export const OXYGEN_DEMO_RULES: readonly ControlRuleSpec[] = parseControlRules([
  {
    id: 'spo2-oxygen',
    metric: 'spo2',
    scope: { patientIds: [OXYGEN_DEMO_PATIENT] },
    actuator: { deviceId: OXYGEN_DEMO_CONCENTRATOR, action: 'oxygen.set-flow', param: 'flowLpm' },
    steps: [
      { when: { below: 88, forMs: 30_000 }, set: 2 },
      { when: { below: 85, forMs: 30_000 }, set: 4 },
    ],
    stepDown: { when: { atLeast: 92, forMs: 60_000 }, by: 1, min: 0 },
    limits: { min: 0, max: 6, maxChangePerMinute: 2 },
    commandTimeoutMs: 10_000,
  },
]);

/** Options of {@link runOxygenLoopDemo}. */
export interface OxygenLoopDemoOptions {
  /** Simulator seed (default 3). */
  readonly seed?: number;
  /** Time between readings of one vital sign, ms (default 5 000). */
  readonly periodMs?: number;
  /** Virtual time to simulate, ms (default 60 min). */
  readonly durationMs?: number;
  /** When hypoxia starts and how long it takes to develop (default at once, over 5 min). */
  readonly scenarioTiming?: { readonly startAfterMs?: number; readonly rampMs?: number };
  /** The control rules (default {@link OXYGEN_DEMO_RULES}). */
  readonly rules?: readonly ControlRuleSpec[];
  /** Fault injection: the concentrator develops `fault` at `atMs` (and keeps it). */
  readonly fault?: { readonly atMs: number; readonly fault: OxygenConcentratorFault };
}

/** What happened in a run of {@link runOxygenLoopDemo}, in virtual time (ms from the start). */
export interface OxygenLoopDemoResult {
  /** Every SpO2 reading of the patient. */
  readonly spo2: readonly { readonly ts: number; readonly value: number }[];
  /** The commands the loop sent to the concentrator. */
  readonly commands: readonly Command[];
  /** Every status the concentrator reported. */
  readonly statuses: readonly CommandStatus[];
  /** The flow the concentrator delivered, at each change. */
  readonly flow: readonly { readonly ts: number; readonly flowLpm: number }[];
  /** Alerts the loop raised (failed, rejected, expired or timed-out commands). */
  readonly alerts: readonly Alert[];
  /** The loop's other events (limits, holds, statuses, settlements). */
  readonly events: readonly ControlEvent[];
}

/**
 * The devices of the demo on `scheduler`: the oxygen concentrator (0–6 L/min) and a one-patient
 * ward simulator (`hypoxic` scenario) whose SpO2 responds to the oxygen the concentrator delivers.
 */
export function createOxygenDemoDevices(
  scheduler: SchedulerLike,
  options: Pick<OxygenLoopDemoOptions, 'seed' | 'periodMs' | 'scenarioTiming'> = {},
): { readonly concentrator: OxygenConcentrator; readonly ward: WardSimulator } {
  const concentrator = createOxygenConcentrator({
    deviceId: OXYGEN_DEMO_CONCENTRATOR,
    scheduler,
    limits: { maxFlowLpm: 6 },
  });
  const ward = createWardSimulator({
    patients: 1,
    seed: options.seed ?? 3,
    periodMs: options.periodMs ?? 5_000,
    startTs: 0,
    scheduler,
    scenarios: ['hypoxic'],
    scenarioTiming: options.scenarioTiming ?? { startAfterMs: 0, rampMs: 5 * MINUTE_MS },
    oxygen$: concentrator.flow$.pipe(oxygenDelivery(OXYGEN_DEMO_PATIENT)),
  });
  return { concentrator, ward };
}

/**
 * The gateway's local oxygen loop, end to end and without any uplink: the device package's ward
 * simulator (one patient, `hypoxic` scenario) whose SpO2 responds to the oxygen a simulated
 * concentrator delivers (`flow$` → `oxygenDelivery`), the gateway's control loop turning SpO2
 * readings into `oxygen.set-flow` commands, and the concentrator executing them and reporting
 * statuses back to the loop. Runs in virtual time (an hour in well under a second).
 *
 * @example
 * ```ts
 * const { commands, spo2 } = runOxygenLoopDemo({ seed: 3 });
 * ```
 */
export function runOxygenLoopDemo(options: OxygenLoopDemoOptions = {}): OxygenLoopDemoResult {
  const durationMs = options.durationMs ?? 60 * MINUTE_MS;
  const scheduler = new VirtualTimeScheduler(undefined, durationMs + MINUTE_MS);
  const { concentrator, ward } = createOxygenDemoDevices(scheduler, options);

  const spo2: { ts: number; value: number }[] = [];
  const statuses: CommandStatus[] = [];
  const flow: { ts: number; flowLpm: number }[] = [];
  const commands: Command[] = [];
  const alerts: Alert[] = [];
  const events: ControlEvent[] = [];

  const end$ = timer(durationMs, scheduler);
  const readings$ = ward.readings$.pipe(
    takeUntil(end$),
    tap((r) => {
      if (r.metric === 'spo2') spo2.push({ ts: r.ts, value: r.value });
    }),
  );
  const loop = createControlLoop(readings$, options.rules ?? OXYGEN_DEMO_RULES, {
    statuses$: concentrator.status$,
    scheduler,
  });
  const watching = concentrator.status$.subscribe((s) => statuses.push(s));
  watching.add(concentrator.flow$.subscribe((f) => flow.push({ ts: f.ts, flowLpm: f.flowLpm })));
  // The concentrator executes what the loop commands (over a local transport in a real gateway).
  watching.add(
    loop.commands$.subscribe((c) => {
      commands.push(c);
      concentrator.execute(c);
    }),
  );
  watching.add(loop.alerts$.subscribe((a) => alerts.push(a)));
  watching.add(loop.events$.subscribe((e) => events.push(e)));
  const { fault } = options;
  if (fault !== undefined) scheduler.schedule(() => concentrator.injectFault(fault.fault), fault.atMs);
  scheduler.schedule(() => concentrator.close(), durationMs + 1);
  scheduler.flush();
  watching.unsubscribe();
  return { spo2, commands, statuses, flow, alerts, events };
}
