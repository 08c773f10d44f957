import type { Clock, Command, JsonValue } from '@healthit/core';
import type { Observable, SchedulerLike } from 'rxjs';
import type { z } from 'zod';

/**
 * A safety limit an actuator declares: a named bound with its unit, checked on the device side.
 * A command outside it is rejected with a reason naming the limit; it is never clamped.
 */
export interface SafetyLimit {
  /** Identifier of the limit, e.g. `maxFlowLpm`; rejection reasons name it. */
  readonly name: string;
  /** The bound, in `unit`. */
  readonly value: number;
  /** Unit of `value`, e.g. `L/min`, `mL/h`, `ms`. */
  readonly unit: string;
  /** What the limit means, e.g. `flow at most 15 L/min`. */
  readonly description: string;
}

/** Which {@link SafetyLimit} a command violates, and how (e.g. `flowLpm 16 requested`). */
export interface LimitViolation {
  /** The declared limit the command falls outside. */
  readonly limit: SafetyLimit;
  /**
   * What the command asked for against the limit, in words for the rejection reason, e.g. `flowLpm 16
   * requested`.
   */
  readonly detail: string;
}

/**
 * What an action's {@link ActionSpec.run} is given when its command starts running.
 * @typeParam S - the actuator's state.
 */
export interface RunContext<S> {
  /** The validated command being run. */
  readonly command: Command;
  /** The actuator's state when the command started. */
  readonly state: S;
  /** When the command started (the runtime's clock, epoch ms). */
  readonly startedAt: number;
  /** Schedule every delay of the run on this scheduler (virtual time in tests). */
  readonly scheduler: SchedulerLike;
  /** The runtime's clock. */
  readonly clock: Clock;
}

/**
 * One action an actuator accepts, e.g. `oxygen.set-flow`.
 *
 * Checks run in this order: `params` (a zod schema of types and shapes only; a failure rejects the
 * command naming the field), `check` (limits that do not depend on the actuator's state, checked
 * on receipt), `checkAtStart` (limits that depend on the state, e.g. a maximum step, checked just
 * before the command starts: on receipt when the actuator is idle, otherwise when the queued
 * command reaches the head of the queue).
 *
 * @typeParam P - the validated params (the output of `params`).
 * @typeParam S - the actuator's state.
 */
export interface ActionSpec<P, S> {
  /** One line for docs and error messages. */
  readonly description: string;
  /** Schema of `command.params` (use `z.strictObject` so unknown fields are rejected). */
  readonly params: z.ZodType<P>;
  /** State-independent safety limits: return the first violation, or `undefined`. */
  check?(params: P, command: Command): LimitViolation | undefined;
  /** Safety limits against the state the command would start from: first violation or `undefined`. */
  checkAtStart?(params: P, state: S, command: Command): LimitViolation | undefined;
  /**
   * A remark recorded as the `reason` of the command's `accepted` status, for the audit trail,
   * e.g. that a clinician override waived a limit. Return `undefined` for none.
   */
  note?(params: P, command: Command): string | undefined;
  /**
   * A preempting action (a stop) does not queue: it starts at once, the running command fails
   * (`interrupted by …`) and queued commands fail without running. It is accepted while a fault is
   * active. Default false.
   */
  readonly preempts?: boolean;
  /**
   * Accepted and run while a fault is active (without preempting), e.g. a diagnostics self-test.
   * Default false: other actions are rejected during a fault.
   */
  readonly duringFault?: boolean;
  /**
   * What the command returns when it completes: the `result` of its `completed` status (e.g. a
   * self-test report). Given the state at completion and the faults active then.
   */
  result?(
    state: S,
    params: P,
    context: { readonly command: Command; readonly faults: readonly string[] },
  ): JsonValue;
  /**
   * How the action runs over time: a cold Observable of the actuator's successive states. The
   * runtime subscribes when the command starts (`running`) and applies each state as it comes;
   * completion means `completed`, an error means `failed` with the error's message as the reason.
   * Schedule delays on `context.scheduler`, each at most {@link MAX_TIMER_DELAY_MS}.
   */
  run(params: P, context: RunContext<S>): Observable<S>;
  /**
   * The state the actuator is left in when this action's run is cut short (by a preempting command,
   * a fault or `close()`) at clock time `at`. Default: the last state the run emitted.
   */
  interrupted?(params: P, context: RunContext<S>, at: number): S;
}

/** A failure the simulation can inject, e.g. an occlusion of an infusion line. */
export interface FaultSpec<S> {
  /** What happened, used in the reasons of the commands it fails, e.g. `downstream occlusion`. */
  readonly description: string;
  /** The state the fault leaves the actuator in (e.g. pump stopped). Default: unchanged. */
  apply?(state: S): S;
}

/**
 * Everything the generic runtime (`createActuator`) needs to know about a kind of actuator.
 *
 * @typeParam S - the actuator's state (an immutable value: every change is a new value).
 * @typeParam F - the names of the faults the simulation can inject.
 * @example
 * ```ts
 * const lamp = defineActuator({
 *   kind: 'lamp',
 *   initialState: { on: false },
 *   limits: [],
 *   actions: {
 *     'lamp.switch': defineAction({
 *       description: 'switch the lamp on or off',
 *       params: z.strictObject({ on: z.boolean() }),
 *       run: ({ on }) => of({ on }),
 *     }),
 *   },
 *   faults: { 'bulb-blown': { description: 'the bulb blew', apply: () => ({ on: false }) } },
 * });
 * ```
 */
export interface ActuatorDefinition<S, F extends string = string> {
  /** The kind of actuator, e.g. `oxygen-concentrator`. */
  readonly kind: string;
  /** The state at power-on. */
  readonly initialState: S;
  /** The safety limits, declared for documentation, introspection and rejection reasons. */
  readonly limits: readonly SafetyLimit[];
  /** The accepted actions by name (`<domain>.<verb>`). */
  readonly actions: Readonly<Record<string, ActionSpec<unknown, S>>>;
  /** The faults the simulation can inject (`injectFault`). */
  readonly faults?: Readonly<Record<F, FaultSpec<S>>>;
}

/**
 * The longest single delay a run may schedule: 2³¹ − 1 ms (about 24.8 days). Browsers and Node
 * fire longer `setTimeout`/`setInterval` delays at once.
 */
export const MAX_TIMER_DELAY_MS = 2_147_483_647;

/**
 * Infers an action's params type from its zod schema, so that `run` and the checks are typed.
 * Returns the spec unchanged.
 */
export function defineAction<P, S>(spec: ActionSpec<P, S>): ActionSpec<P, S> {
  return spec;
}

/** Infers the state type and the fault names of a definition. Returns it unchanged. */
export function defineActuator<S, F extends string = never>(
  definition: ActuatorDefinition<S, F>,
): ActuatorDefinition<S, F> {
  return definition;
}

/**
 * Declares a {@link SafetyLimit} (frozen).
 * @throws {RangeError} when `name` is empty or `value` is not finite.
 * @example
 * ```ts
 * const maxFlow = safetyLimit('maxFlowLpm', 15, 'L/min', 'flow at most 15 L/min');
 * ```
 */
export function safetyLimit(name: string, value: number, unit: string, description: string): SafetyLimit {
  if (name.length === 0) throw new RangeError('A safety limit needs a name');
  if (!Number.isFinite(value)) throw new RangeError(`Safety limit ${name} must be finite, got ${value}`);
  return Object.freeze({ name, value, unit, description });
}
