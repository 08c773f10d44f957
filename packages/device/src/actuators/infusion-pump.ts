import { map, Observable, of, type Subscription } from 'rxjs';
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
import { finiteAbove, formatNumber, integerIn } from './options.js';
import { checkFailed, checkOk, DIAGNOSTICS_SELF_TEST, defineSelfTest } from './self-test.js';

/** The action that starts an infusion: params {@link InfusionStartParams}. */
export const INFUSION_START = 'infusion.start';
/** The action that stops the pump (preempting): no params. */
export const INFUSION_STOP = 'infusion.stop';
/** The kind of {@link createInfusionPump} actuators. */
export const INFUSION_PUMP_KIND = 'infusion-pump';

const MS_PER_HOUR = 3_600_000;

/** Params of {@link INFUSION_START}. */
export const InfusionStartParams = z.strictObject({
  /** The infusion rate, mL/h. */
  rateMlPerH: z.number(),
  /** The volume to be infused (VTBI), mL; the command completes when it is delivered. */
  volumeMl: z.number(),
});
export type InfusionStartParams = z.infer<typeof InfusionStartParams>;

/** The state of an infusion pump. */
export interface InfusionPumpState {
  /** The current rate, mL/h (0 when not infusing). */
  readonly rateMlPerH: number;
  /** Volume delivered by the current (or last) infusion, mL. */
  readonly deliveredMl: number;
  /** Volume to be infused by the current (or last) infusion, mL (0 before the first). */
  readonly volumeMl: number;
  /** Volume delivered since power-on, mL. */
  readonly totalDeliveredMl: number;
}

/** What the pump delivers, at `ts` ({@link InfusionPump.delivery$}). */
export interface InfusionDelivery extends InfusionPumpState {
  /** Epoch ms. */
  readonly ts: number;
}

/** The faults an infusion pump can simulate; each stops the pump. */
export type InfusionPumpFault = 'occlusion' | 'air-in-line';

/** The safety limits of an infusion pump (configure them per drug, as a drug library does). */
export interface InfusionPumpLimits {
  /** Lowest rate, mL/h (> 0). Default 0.1. */
  readonly minRateMlPerH: number;
  /** Highest rate, mL/h. Default 999. */
  readonly maxRateMlPerH: number;
  /** Smallest volume to be infused, mL (> 0). Default 0.1. */
  readonly minVolumeMl: number;
  /** Largest volume to be infused, mL. Default 9 999. */
  readonly maxVolumeMl: number;
}

/**
 * The default limits, 0.1–999 mL/h and 0.1–9 999 mL: the envelope of a typical volumetric pump's
 * hardware, not a clinical guardrail. Configure the limits of each drug.
 */
export const DEFAULT_INFUSION_PUMP_LIMITS: InfusionPumpLimits = Object.freeze({
  minRateMlPerH: 0.1,
  maxRateMlPerH: 999,
  minVolumeMl: 0.1,
  maxVolumeMl: 9_999,
});

/** Default of {@link InfusionPumpOptions.reportPeriodMs}. */
export const DEFAULT_INFUSION_REPORT_PERIOD_MS = 1_000;

function resolveLimits(partial: Partial<InfusionPumpLimits> = {}): InfusionPumpLimits {
  const limits = { ...DEFAULT_INFUSION_PUMP_LIMITS, ...partial };
  const minRateMlPerH = finiteAbove(limits.minRateMlPerH, 'limits.minRateMlPerH', 0);
  const maxRateMlPerH = finiteAbove(limits.maxRateMlPerH, 'limits.maxRateMlPerH', minRateMlPerH);
  const minVolumeMl = finiteAbove(limits.minVolumeMl, 'limits.minVolumeMl', 0);
  const maxVolumeMl = finiteAbove(limits.maxVolumeMl, 'limits.maxVolumeMl', minVolumeMl);
  return Object.freeze({ minRateMlPerH, maxRateMlPerH, minVolumeMl, maxVolumeMl });
}

/** The time an infusion of `volumeMl` at `rateMlPerH` takes, in whole ms (rounded up). */
export function infusionDurationMs(rateMlPerH: number, volumeMl: number): number {
  return Math.ceil((volumeMl / rateMlPerH) * MS_PER_HOUR);
}

/**
 * The definition of an infusion pump, for {@link createActuator}:
 *
 * - `infusion.start { rateMlPerH, volumeMl }`: rejected unless both are within the limits. It runs
 *   until the volume is delivered, i.e. {@link infusionDurationMs} (virtual time with a virtual
 *   scheduler), reporting progress every `reportPeriodMs`, then completes with the rate at 0. A
 *   start sent during an infusion waits in the queue for it to finish.
 * - `infusion.stop {}`: preempting; the pump stops at once (the volume delivered so far is kept).
 * - `diagnostics.self-test {}` (`defineSelfTest`): runs for `SELF_TEST_MS`, also during a fault; its
 *   `completed` status carries the `SelfTestReport`
 *   `{ passed, failed, checks: { power, motor, occlusion, airInLine, door }, rateMlPerH,
 *   totalDeliveredMl, limits }`. `occlusion` fails while the `occlusion` fault is active,
 *   `airInLine` while `air-in-line` is; the simulation has no power, drive or door faults.
 * - faults `occlusion` and `air-in-line`: the pump stops; the running infusion fails.
 *
 * @throws {TypeError} / {RangeError} for a malformed limit or report period.
 */
export function infusionPumpDefinition(
  limits: Partial<InfusionPumpLimits> = {},
  reportPeriodMs: number = DEFAULT_INFUSION_REPORT_PERIOD_MS,
): ActuatorDefinition<InfusionPumpState, InfusionPumpFault> {
  const { minRateMlPerH, maxRateMlPerH, minVolumeMl, maxVolumeMl } = resolveLimits(limits);
  const periodMs = integerIn(reportPeriodMs, 'reportPeriodMs', 1, MAX_TIMER_DELAY_MS);
  const n = formatNumber;
  const minRate = safetyLimit(
    'minRateMlPerH',
    minRateMlPerH,
    'mL/h',
    `rate at least ${n(minRateMlPerH)} mL/h`,
  );
  const maxRate = safetyLimit(
    'maxRateMlPerH',
    maxRateMlPerH,
    'mL/h',
    `rate at most ${n(maxRateMlPerH)} mL/h`,
  );
  const minVolume = safetyLimit('minVolumeMl', minVolumeMl, 'mL', `volume at least ${n(minVolumeMl)} mL`);
  const maxVolume = safetyLimit('maxVolumeMl', maxVolumeMl, 'mL', `volume at most ${n(maxVolumeMl)} mL`);

  const delivered = ({ rateMlPerH, volumeMl }: InfusionStartParams, elapsedMs: number): number =>
    Math.min(volumeMl, (rateMlPerH * Math.max(0, elapsedMs)) / MS_PER_HOUR);

  const start = defineAction<InfusionStartParams, InfusionPumpState>({
    description: 'infuse a volume at a rate; completes when the volume is delivered',
    params: InfusionStartParams,
    check({ rateMlPerH, volumeMl }): LimitViolation | undefined {
      if (rateMlPerH < minRateMlPerH)
        return { limit: minRate, detail: `rateMlPerH ${n(rateMlPerH)} requested` };
      if (rateMlPerH > maxRateMlPerH)
        return { limit: maxRate, detail: `rateMlPerH ${n(rateMlPerH)} requested` };
      if (volumeMl < minVolumeMl) return { limit: minVolume, detail: `volumeMl ${n(volumeMl)} requested` };
      if (volumeMl > maxVolumeMl) return { limit: maxVolume, detail: `volumeMl ${n(volumeMl)} requested` };
      return undefined;
    },
    run: (params, { state, scheduler }) =>
      new Observable<InfusionPumpState>((subscriber) => {
        const { rateMlPerH, volumeMl } = params;
        const totalBefore = state.totalDeliveredMl;
        const durationMs = infusionDurationMs(rateMlPerH, volumeMl);
        const at = (elapsedMs: number): InfusionPumpState => {
          const deliveredMl = delivered(params, elapsedMs);
          return Object.freeze({
            rateMlPerH,
            deliveredMl,
            volumeMl,
            totalDeliveredMl: totalBefore + deliveredMl,
          });
        };
        subscriber.next(at(0));
        let elapsedMs = 0;
        // Each tick is scheduled afresh (not by rescheduling the action), so a long infusion does
        // not nest thousands of actions on virtual-time schedulers.
        let pending: Subscription | undefined;
        const scheduleTick = (): void => {
          const delayMs = Math.min(periodMs, durationMs - elapsedMs);
          pending = scheduler.schedule(() => {
            elapsedMs += delayMs;
            if (elapsedMs >= durationMs) {
              subscriber.next(
                Object.freeze({
                  rateMlPerH: 0,
                  deliveredMl: volumeMl,
                  volumeMl,
                  totalDeliveredMl: totalBefore + volumeMl,
                }),
              );
              subscriber.complete();
              return;
            }
            subscriber.next(at(elapsedMs));
            scheduleTick();
          }, delayMs);
        };
        scheduleTick();
        return () => pending?.unsubscribe();
      }),
    interrupted: (params, { state, startedAt }, at) => {
      const deliveredMl = delivered(params, at - startedAt);
      return Object.freeze({
        rateMlPerH: 0,
        deliveredMl,
        volumeMl: params.volumeMl,
        totalDeliveredMl: state.totalDeliveredMl + deliveredMl,
      });
    },
  });

  const stop = defineAction<Record<string, never>, InfusionPumpState>({
    description: 'stop the pump at once (preempts running and queued commands)',
    params: z.strictObject({}),
    preempts: true,
    run: (_params, { state }) => of(Object.freeze({ ...state, rateMlPerH: 0 })),
  });

  const selfTest = defineSelfTest<InfusionPumpState, InfusionPumpFault>({
    description:
      'run the self-test (power, motor, occlusion, air-in-line, door) and report; runs during a fault too',
    checks: (_state, faults) => ({
      power: checkOk('supply present (mains or battery): no power alarm'),
      motor: checkOk('motor and drive (pumping mechanism): no mechanism alarm'),
      occlusion: faults.includes('occlusion')
        ? checkFailed(
            'downstream occlusion: pressure at the downstream sensor above the occlusion alarm threshold (closed clamp, kinked line or blocked cannula); remove the cause without giving the built-up pressure to the patient as a bolus, then clear the alarm',
          )
        : checkOk('downstream pressure below the occlusion alarm threshold'),
      airInLine: faults.includes('air-in-line')
        ? checkFailed(
            'air in line: the air-in-line detector sensed air in the set; remove the air from the line (do not infuse it), then clear the alarm',
          )
        : checkOk('no air detected by the air-in-line detector'),
      door: checkOk('door closed on a loaded administration set'),
    }),
    details: ({ rateMlPerH, totalDeliveredMl }) => ({
      rateMlPerH,
      totalDeliveredMl,
      limits: { minRateMlPerH, maxRateMlPerH, minVolumeMl, maxVolumeMl },
    }),
  });

  const stopped = (state: InfusionPumpState): InfusionPumpState => Object.freeze({ ...state, rateMlPerH: 0 });
  return defineActuator({
    kind: INFUSION_PUMP_KIND,
    initialState: Object.freeze({ rateMlPerH: 0, deliveredMl: 0, volumeMl: 0, totalDeliveredMl: 0 }),
    limits: [minRate, maxRate, minVolume, maxVolume],
    actions: { [INFUSION_START]: start, [INFUSION_STOP]: stop, [DIAGNOSTICS_SELF_TEST]: selfTest },
    faults: {
      occlusion: { description: 'downstream occlusion: the pump stopped infusing', apply: stopped },
      'air-in-line': { description: 'air in the infusion line: the pump stopped infusing', apply: stopped },
    },
  });
}

/** Options of {@link createInfusionPump}. */
export interface InfusionPumpOptions extends Omit<ActuatorOptions<InfusionPumpState>, 'initialState'> {
  /** The safety limits; omitted ones take {@link DEFAULT_INFUSION_PUMP_LIMITS}. */
  readonly limits?: Partial<InfusionPumpLimits>;
  /**
   * How often a running infusion reports its progress on `delivery$`, ms (an integer >= 1).
   * Default {@link DEFAULT_INFUSION_REPORT_PERIOD_MS}.
   */
  readonly reportPeriodMs?: number;
}

/** A (simulated) infusion pump: an {@link Actuator} with its delivery as a stream. */
export interface InfusionPump extends Actuator<InfusionPumpState, InfusionPumpFault> {
  /**
   * Hot, replays the latest: rate and delivered volumes at the start and end of each infusion,
   * every `reportPeriodMs` while it runs, and whenever a stop, fault or close changes them.
   */
  readonly delivery$: Observable<InfusionDelivery>;
}

/**
 * Creates a simulated infusion pump (see {@link infusionPumpDefinition} for the actions, limits
 * and faults, and {@link createActuator} for the command lifecycle).
 *
 * @throws {TypeError} / {RangeError} for a malformed option or limit.
 * @example
 * ```ts
 * const pump = createInfusionPump({ deviceId: 'pump-3', limits: { maxRateMlPerH: 250 } });
 * pump.delivery$.subscribe((d) => console.log(d.rateMlPerH, d.deliveredMl, '/', d.volumeMl));
 * pump.execute({
 *   id: 'order-41', deviceId: 'pump-3', action: 'infusion.start',
 *   params: { rateMlPerH: 100, volumeMl: 50 }, issuedBy: 'user:nurse-7', issuedAt: Date.now(),
 * }).subscribe((s) => console.log(s.state)); // accepted, running, … completed after 30 min
 * ```
 */
export function createInfusionPump(options: InfusionPumpOptions): InfusionPump {
  const { limits, reportPeriodMs, ...rest } = options;
  const actuator = createActuator(infusionPumpDefinition(limits, reportPeriodMs), rest);
  const delivery$ = actuator.state$.pipe(
    map(({ state, ts }): InfusionDelivery => Object.freeze({ ...state, ts })),
  );
  return Object.freeze({ ...actuator, delivery$ });
}
