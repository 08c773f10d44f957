import type { Alert, Command, Reading } from '@healthit/core';
import { filter, map, type Observable, share } from 'rxjs';
import type { ControlAlertRaised, ControlCommandIssued, ControlEvent, ControlOutput } from './events.js';
import { type ControlLoopOptions, controlLoop } from './operator.js';
import type { ControlRuleSpec } from './spec.js';

/** The loop's outputs, split by kind ({@link createControlLoop}). */
export interface ControlLoop {
  /** Everything, tagged by `type` (what {@link controlLoop} emits). */
  readonly output$: Observable<ControlOutput>;
  /** The commands to send to actuators, on `Topics.deviceCommands(command.deviceId)`. */
  readonly commands$: Observable<Command>;
  /** Alerts for commands that failed, were rejected, expired or timed out. */
  readonly alerts$: Observable<Alert>;
  /** Everything else: limits applied, holds, statuses, settlements, overrides. */
  readonly events$: Observable<ControlEvent>;
}

/**
 * Runs {@link controlLoop} on `readings$` and splits its output into commands, alerts and events.
 * The four streams share one run of the loop while any of them is subscribed (subscribe to all
 * you need before the readings flow).
 *
 * @throws as {@link controlLoop}.
 * @example
 * ```ts
 * const loop = createControlLoop(readings$, rules, { statuses$ });
 * loop.commands$.subscribe((c) => transport.publish(Topics.deviceCommands(c.deviceId), encode(c)));
 * loop.alerts$.subscribe(raise);
 * ```
 */
export function createControlLoop(
  readings$: Observable<Reading>,
  rules: readonly ControlRuleSpec[],
  options: ControlLoopOptions,
): ControlLoop {
  const output$ = readings$.pipe(controlLoop(rules, options), share());
  return Object.freeze({ output$, ...splitControlOutput<ControlEvent>(output$) });
}

/**
 * Splits a control loop's tagged output (shared by the caller) into its commands, its alerts and
 * everything else (its events, and any the caller tagged in beside them).
 */
export function splitControlOutput<E>(output$: Observable<ControlCommandIssued | ControlAlertRaised | E>): {
  readonly commands$: Observable<Command>;
  readonly alerts$: Observable<Alert>;
  readonly events$: Observable<E>;
} {
  const typeOf = (o: unknown): unknown => (o as { type?: unknown }).type;
  return {
    commands$: output$.pipe(
      filter((o): o is ControlCommandIssued => typeOf(o) === 'command'),
      map((o) => o.command),
    ),
    alerts$: output$.pipe(
      filter((o): o is ControlAlertRaised => typeOf(o) === 'alert'),
      map((o) => o.alert),
    ),
    events$: output$.pipe(filter((o): o is E => typeOf(o) !== 'command' && typeOf(o) !== 'alert')),
  };
}
