import { concat, distinctUntilChanged, map, type Observable, of, timer } from 'rxjs';
import { z } from 'zod';
import { type Actuator, type ActuatorOptions, createActuator } from './actuator.js';
import {
  type ActuatorDefinition,
  defineAction,
  defineActuator,
  type LimitViolation,
  MAX_TIMER_DELAY_MS,
  safetyLimit,
} from './definition.js';
import { finiteAbove, finiteAtLeast, formatNumber, integerIn } from './options.js';
import { checkFailed, checkOk, DIAGNOSTICS_SELF_TEST, defineSelfTest } from './self-test.js';

/** The action that sets the oxygen flow: params {@link OxygenSetFlowParams}. */
export const OXYGEN_SET_FLOW = 'oxygen.set-flow';
/** The action that stops the oxygen flow (preempting): no params. */
export const OXYGEN_STOP = 'oxygen.stop';
/** The kind of {@link createOxygenConcentrator} actuators. */
export const OXYGEN_CONCENTRATOR_KIND = 'oxygen-concentrator';

/** Tolerance when comparing a flow change with the maximum step (float noise, not clinical). */
const STEP_TOLERANCE_LPM = 1e-9;

/**
 * A clinician's override of the maximum step of one command: who (an identity the audit trail
 * keeps) and why. Only the step limit is waived; the flow range and the maximum duration never are.
 */
export const ClinicianOverride = z.strictObject({
  /** The clinician's identity, e.g. a staff id; recorded in the `accepted` status. */
  clinicianId: z.string().min(1).max(128),
  /** Why the step limit is waived, e.g. `SpO2 78 %, escalating`. */
  reason: z.string().min(1).max(500),
});
export type ClinicianOverride = z.infer<typeof ClinicianOverride>;

/** Params of {@link OXYGEN_SET_FLOW}. */
export const OxygenSetFlowParams = z.strictObject({
  /** The flow to deliver, L/min. */
  flowLpm: z.number(),
  /**
   * Deliver the flow for this long (ms, an integer > 0), then return to the flow in force before
   * the command started; the command is `running` meanwhile and `completed` at the end. Absent: set
   * the flow and complete at once (the flow stays until changed).
   */
  durationMs: z.number().int().positive().optional(),
  /** Waives the maximum step for this command. */
  clinicianOverride: ClinicianOverride.optional(),
});
export type OxygenSetFlowParams = z.infer<typeof OxygenSetFlowParams>;

/** The state of an oxygen concentrator: the flow it delivers to the patient, L/min (0 = off). */
export interface OxygenConcentratorState {
  /** The flow delivered to the patient, in L/min (0 = off). */
  readonly flowLpm: number;
}

/** The delivered flow and when it took that value ({@link OxygenConcentrator.flow$}). */
export interface OxygenFlow {
  /** The delivered flow, in L/min (0 = off, e.g. after a `power-loss` or `no-flow` fault). */
  readonly flowLpm: number;
  /** Epoch ms. */
  readonly ts: number;
}

/** The faults an oxygen concentrator can simulate; each stops the delivered flow. */
export type OxygenConcentratorFault = 'power-loss' | 'no-flow';

/** The safety limits of an oxygen concentrator. */
export interface OxygenConcentratorLimits {
  /** Lowest flow a set-flow may request, L/min (>= 0). Default 0. */
  readonly minFlowLpm: number;
  /** Highest flow a set-flow may request, L/min (> minFlowLpm). Default 15. */
  readonly maxFlowLpm: number;
  /** Largest change from the current flow one set-flow may make without an override, L/min. Default 2. */
  readonly maxStepLpm: number;
  /** Longest `durationMs` a set-flow may request, ms (an integer ≤ 2³¹ − 1). Default 3 600 000 (1 h). */
  readonly maxDurationMs: number;
}

/** The default limits: 0–15 L/min, steps of at most 2 L/min, timed commands of at most 1 h. */
export const DEFAULT_OXYGEN_CONCENTRATOR_LIMITS: OxygenConcentratorLimits = Object.freeze({
  minFlowLpm: 0,
  maxFlowLpm: 15,
  maxStepLpm: 2,
  maxDurationMs: 3_600_000,
});

function resolveLimits(partial: Partial<OxygenConcentratorLimits> = {}): OxygenConcentratorLimits {
  const limits = { ...DEFAULT_OXYGEN_CONCENTRATOR_LIMITS, ...partial };
  const minFlowLpm = finiteAtLeast(limits.minFlowLpm, 'limits.minFlowLpm', 0);
  const maxFlowLpm = finiteAbove(limits.maxFlowLpm, 'limits.maxFlowLpm', minFlowLpm);
  const maxStepLpm = finiteAbove(limits.maxStepLpm, 'limits.maxStepLpm', 0);
  const maxDurationMs = integerIn(limits.maxDurationMs, 'limits.maxDurationMs', 1, MAX_TIMER_DELAY_MS);
  return Object.freeze({ minFlowLpm, maxFlowLpm, maxStepLpm, maxDurationMs });
}

/**
 * The definition of an oxygen concentrator, for {@link createActuator}:
 *
 * - `oxygen.set-flow { flowLpm, durationMs?, clinicianOverride? }`: rejected unless
 *   `minFlowLpm ≤ flowLpm ≤ maxFlowLpm` and `durationMs ≤ maxDurationMs`, and (checked against the
 *   flow when it starts) `|flowLpm − current flow| ≤ maxStepLpm` unless a clinician override is
 *   present. Without `durationMs` the flow is set and the command completes at once; with it the
 *   flow is held for `durationMs`, then returns to the flow before the command.
 * - `oxygen.stop {}`: preempting; the flow goes to 0 at once, whatever runs or waits.
 * - `diagnostics.self-test {}` ({@link defineSelfTest}): runs for `SELF_TEST_MS`, also during a
 *   fault; its `completed` status carries the `SelfTestReport`
 *   `{ passed, failed, checks: { power, flow }, flowLpm, limits }`.
 * - faults `power-loss` and `no-flow`: the delivered flow drops to 0.
 *
 * The delivered flow is therefore always 0 or within `[minFlowLpm, maxFlowLpm]`.
 *
 * @throws {TypeError} / {RangeError} for a malformed limit.
 */
export function oxygenConcentratorDefinition(
  limits: Partial<OxygenConcentratorLimits> = {},
): ActuatorDefinition<OxygenConcentratorState, OxygenConcentratorFault> {
  const { minFlowLpm, maxFlowLpm, maxStepLpm, maxDurationMs } = resolveLimits(limits);
  const lpm = formatNumber;
  const minFlow = safetyLimit('minFlowLpm', minFlowLpm, 'L/min', `flow at least ${lpm(minFlowLpm)} L/min`);
  const maxFlow = safetyLimit('maxFlowLpm', maxFlowLpm, 'L/min', `flow at most ${lpm(maxFlowLpm)} L/min`);
  const maxStep = safetyLimit(
    'maxStepLpm',
    maxStepLpm,
    'L/min',
    `a change of at most ${lpm(maxStepLpm)} L/min per command without a clinician override`,
  );
  const maxDuration = safetyLimit(
    'maxDurationMs',
    maxDurationMs,
    'ms',
    `a timed command lasts at most ${maxDurationMs} ms`,
  );

  const setFlow = defineAction<OxygenSetFlowParams, OxygenConcentratorState>({
    description: 'set the delivered oxygen flow, optionally for a limited time',
    params: OxygenSetFlowParams,
    check({ flowLpm, durationMs }): LimitViolation | undefined {
      if (flowLpm < minFlowLpm) return { limit: minFlow, detail: `flowLpm ${lpm(flowLpm)} requested` };
      if (flowLpm > maxFlowLpm) return { limit: maxFlow, detail: `flowLpm ${lpm(flowLpm)} requested` };
      if (durationMs !== undefined && durationMs > maxDurationMs) {
        return { limit: maxDuration, detail: `durationMs ${durationMs} requested` };
      }
      return undefined;
    },
    checkAtStart({ flowLpm, clinicianOverride }, state): LimitViolation | undefined {
      const step = Math.abs(flowLpm - state.flowLpm);
      if (clinicianOverride !== undefined || step - maxStepLpm <= STEP_TOLERANCE_LPM) return undefined;
      return {
        limit: maxStep,
        detail: `a change from ${lpm(state.flowLpm)} to ${lpm(flowLpm)} L/min (${lpm(step)} L/min) requested`,
      };
    },
    note: ({ clinicianOverride }) =>
      clinicianOverride === undefined
        ? undefined
        : `clinician override by "${clinicianOverride.clinicianId}" (${clinicianOverride.reason}): the ${maxStep.name} limit of ${lpm(maxStepLpm)} L/min does not apply`,
    run: ({ flowLpm, durationMs }, { state, scheduler }) => {
      const set = of<OxygenConcentratorState>(Object.freeze({ flowLpm }));
      if (durationMs === undefined) return set;
      const revert = Object.freeze({ flowLpm: state.flowLpm });
      return concat(set, timer(durationMs, scheduler).pipe(map(() => revert)));
    },
  });

  const stop = defineAction<Record<string, never>, OxygenConcentratorState>({
    description: 'stop the oxygen flow at once (preempts running and queued commands)',
    params: z.strictObject({}),
    preempts: true,
    run: () => of(Object.freeze({ flowLpm: 0 })),
  });

  const selfTest = defineSelfTest<OxygenConcentratorState, OxygenConcentratorFault>({
    description: 'run the self-test (power, outlet flow) and report; runs during a fault too',
    checks: ({ flowLpm }, faults) => ({
      power: faults.includes('power-loss')
        ? checkFailed('power lost: the compressor stopped and no oxygen is delivered; restore the supply')
        : checkOk('supply present: the compressor runs'),
      flow: faults.includes('no-flow')
        ? checkFailed(
            'no flow at the outlet (kinked or disconnected tubing): no oxygen reaches the patient; check the tubing and cannula, then clear the alarm',
          )
        : checkOk(`outlet flow as set (${lpm(flowLpm)} L/min)`),
    }),
    details: ({ flowLpm }) => ({ flowLpm, limits: { minFlowLpm, maxFlowLpm, maxStepLpm } }),
  });

  const off = (): OxygenConcentratorState => Object.freeze({ flowLpm: 0 });
  return defineActuator({
    kind: OXYGEN_CONCENTRATOR_KIND,
    initialState: off(),
    limits: [minFlow, maxFlow, maxStep, maxDuration],
    actions: { [OXYGEN_SET_FLOW]: setFlow, [OXYGEN_STOP]: stop, [DIAGNOSTICS_SELF_TEST]: selfTest },
    faults: {
      'power-loss': { description: 'power lost: no oxygen is delivered', apply: off },
      'no-flow': {
        description: 'no flow detected (kinked or disconnected tubing): no oxygen reaches the patient',
        apply: off,
      },
    },
  });
}

/** Options of {@link createOxygenConcentrator}. */
export interface OxygenConcentratorOptions
  extends Omit<ActuatorOptions<OxygenConcentratorState>, 'initialState'> {
  /** The safety limits; omitted ones take {@link DEFAULT_OXYGEN_CONCENTRATOR_LIMITS}. */
  readonly limits?: Partial<OxygenConcentratorLimits>;
  /** The flow at power-on, L/min: 0 or within the flow limits. Default 0. */
  readonly initialFlowLpm?: number;
}

/** A (simulated) oxygen concentrator: an {@link Actuator} with its delivered flow as a stream. */
export interface OxygenConcentrator extends Actuator<OxygenConcentratorState, OxygenConcentratorFault> {
  /**
   * Hot, replays the latest: the delivered flow whenever it changes (starting with the current
   * one). Feed it to the simulated patient with {@link oxygenDelivery}.
   */
  readonly flow$: Observable<OxygenFlow>;
}

/**
 * Creates a simulated oxygen concentrator (see {@link oxygenConcentratorDefinition} for the
 * actions, limits and faults, and {@link createActuator} for the command lifecycle).
 *
 * @throws {TypeError} / {RangeError} for a malformed option or limit, or an initial flow outside
 *   the limits.
 * @example
 * ```ts
 * const o2 = createOxygenConcentrator({ deviceId: 'o2-bed-7', limits: { maxFlowLpm: 6 } });
 * o2.flow$.pipe(oxygenDelivery('patient-007')).subscribe(patient.oxygen);
 * o2.execute({
 *   id: 'rule-spo2-low:1', deviceId: 'o2-bed-7', action: 'oxygen.set-flow',
 *   params: { flowLpm: 2, durationMs: 30 * 60_000 },
 *   issuedBy: 'rule:spo2-low', issuedAt: Date.now(), expiresAt: Date.now() + 60_000,
 * }).subscribe((s) => console.log(s.state, s.reason ?? ''));
 * ```
 */
export function createOxygenConcentrator(options: OxygenConcentratorOptions): OxygenConcentrator {
  const { limits, initialFlowLpm, ...rest } = options;
  const definition = oxygenConcentratorDefinition(limits);
  const resolved = resolveLimits(limits);
  const initial = finiteAtLeast(initialFlowLpm ?? 0, 'initialFlowLpm', 0);
  if (initial !== 0 && (initial < resolved.minFlowLpm || initial > resolved.maxFlowLpm)) {
    throw new RangeError(
      `initialFlowLpm ${initial} is outside the flow limits ${resolved.minFlowLpm}…${resolved.maxFlowLpm} L/min (and is not 0)`,
    );
  }
  const actuator = createActuator(definition, { ...rest, initialState: Object.freeze({ flowLpm: initial }) });
  const flow$ = actuator.state$.pipe(
    map(({ state, ts }): OxygenFlow => Object.freeze({ flowLpm: state.flowLpm, ts })),
    distinctUntilChanged((a, b) => a.flowLpm === b.flowLpm),
  );
  return Object.freeze({ ...actuator, flow$ });
}
