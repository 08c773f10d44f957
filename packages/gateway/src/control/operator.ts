import {
  type Clock,
  type Command,
  type CommandStatus,
  DeviceId,
  HealthItError,
  isFinalCommandState,
  type Reading,
  systemClock,
  ValidationError,
} from '@healthit/core';
import { asyncScheduler, Observable, type OperatorFunction, type SchedulerLike, Subscription } from 'rxjs';
import { stepEpisode } from '../rules/declarative/episode.js';
import { commandAlert } from './command-alert.js';
import { controlCommandId } from './command-id.js';
import { type CompiledControlRule, indexControlRules } from './compile.js';
import { type Controller, createController, type Wanted, wanted } from './controller.js';
import type { ControlCommandOutcome, ControlHoldReason, ControlOutput } from './events.js';
import { limitChange, pruneChanges } from './limits.js';
import {
  ControlOverride,
  type ControlOverrideInput,
  DEFAULT_MAX_OVERRIDES,
  overrideKey,
} from './override.js';
import type { ControlRuleSpec } from './spec.js';

/** Default of {@link ControlLoopOptions.maxActuators}. */
export const DEFAULT_MAX_ACTUATORS = 10_000;
/** Default of {@link ControlLoopOptions.maxRememberedCommands}. */
export const DEFAULT_MAX_REMEMBERED_COMMANDS = 1_024;

/** Options of {@link controlLoop}. */
export interface ControlLoopOptions {
  /**
   * The statuses actuators report (e.g. decoded from `Topics.deviceCommandStatus(id)`). Only the
   * loop's own commands are looked at. Subscribed while the loop is; an error is fatal.
   */
  readonly statuses$: Observable<CommandStatus>;
  /** Clinician overrides turning automatic control off and on per actuator or patient. */
  readonly overrides$?: Observable<ControlOverrideInput>;
  /** Time source for `issuedAt`, `expiresAt`, `ts` and the rate limit; default `scheduler.now()`, else the system clock. */
  readonly clock?: Clock;
  /** Runs the command timeouts (default `asyncScheduler`); a `TestScheduler` makes tests exact. */
  readonly scheduler?: SchedulerLike;
  /** The ward of a reading's patient, for ward-scoped rules. Required when any rule has a ward. */
  readonly wardOf?: (reading: Reading) => string | undefined;
  /**
   * The actuator a rule commands for a series (patient id, or sensor device id for readings
   * without a patient), or `undefined` when it has none (then the rule does nothing for it).
   * Required when a rule has no fixed `actuator.deviceId`.
   */
  readonly actuatorOf?: (series: string, rule: ControlRuleSpec, reading: Reading) => string | undefined;
  /**
   * Actuators tracked at most. Past it, an idle one (nothing in flight, at its initial set-point,
   * no override, no recent change) is forgotten, least recently used first; when none is idle, a
   * new actuator is not controlled (a `command-held` event, reason `capacity`). Default
   * {@link DEFAULT_MAX_ACTUATORS}.
   */
  readonly maxActuators?: number;
  /**
   * Active overrides kept at most. When full, a further override is not stored and EVERY actuator
   * is held until an override ends (fail safe). Default 10 000.
   */
  readonly maxOverrides?: number;
  /**
   * Timed-out commands remembered, oldest forgotten first, so that a late final status still
   * updates the set-point. Default {@link DEFAULT_MAX_REMEMBERED_COMMANDS}.
   */
  readonly maxRememberedCommands?: number;
}

interface Retired {
  readonly ruleId: string;
  readonly deviceId: DeviceId;
  readonly value: number;
}

function positiveInteger(value: number, name: string): number {
  if (!Number.isInteger(value) || value < 1) {
    throw new RangeError(`controlLoop: ${name} must be a positive integer, got ${value}`);
  }
  return value;
}

/**
 * The gateway's local M2M control loop: readings in, actuator commands out, without the cloud.
 * Each validated control rule (see `parseControlRules`) watches one metric of a series (patient,
 * or sensor without a patient) and drives one numeric output of one actuator:
 *
 * - **escalate**: once a step's condition has held for its `forMs` (reading timestamps, with the
 *   declarative rules' episode logic: a non-matching reading or a gap over `maxGapMs` restarts
 *   it), the output is raised to the step's `set` (the highest of the steps that hold);
 * - **step down**: once the step-down condition has held for its `forMs`, the output goes down by
 *   `by` (not below `min`); the count starts again after each step-down;
 * - **limits** (gateway side, before the device's own): every command is clamped into
 *   `[min, max]`, to `maxStepPerCommand`, and to what is left of `maxChangePerMinute` (a
 *   `command-limited` event per limit applied); when no change is allowed nothing is sent
 *   (`command-held`);
 * - **override**: while a clinician override covers the actuator or its patient, nothing is sent;
 * - **one command at a time** per actuator; each is tracked on `statuses$`: `completed` makes its
 *   value the set-point; `rejected`, `failed`, `expired` or no final status within
 *   `commandTimeoutMs` raise an `Alert` (`cancelled` only an event), and the actuator is left
 *   alone for `retryAfterMs`.
 *
 * Commands: id `ctl:<ruleId>:<readingId>`, `issuedBy: 'rule:<ruleId>'`, `causedBy` the readings of
 * the condition's episode (the most recent 100), `expiresAt = issuedAt + commandTimeoutMs`.
 * Output: one stream tagged by `type` (`command`, `alert`, and the {@link ControlEvent}s); split
 * it with {@link createControlLoop}. It needs no uplink: only the readings, `statuses$` and
 * `overrides$`. It completes once the readings have completed and every command has settled.
 *
 * @throws {RangeError} for a bound that is not a positive integer.
 * @throws {TypeError} when a rule is ward-scoped without `wardOf`, or has no fixed actuator
 *   without `actuatorOf`.
 * @example
 * ```ts
 * const out$ = readings$.pipe(controlLoop(parseControlRules(json), { statuses$, overrides$ }));
 * ```
 */
export function controlLoop(
  rules: readonly ControlRuleSpec[],
  options: ControlLoopOptions,
): OperatorFunction<Reading, ControlOutput> {
  const maxActuators = positiveInteger(options.maxActuators ?? DEFAULT_MAX_ACTUATORS, 'maxActuators');
  const maxOverrides = positiveInteger(options.maxOverrides ?? DEFAULT_MAX_OVERRIDES, 'maxOverrides');
  const maxRetired = positiveInteger(
    options.maxRememberedCommands ?? DEFAULT_MAX_REMEMBERED_COMMANDS,
    'maxRememberedCommands',
  );
  const index = indexControlRules(rules);
  const { wardOf, actuatorOf, statuses$, overrides$ } = options;
  if (index.hasWardRules && wardOf === undefined) {
    throw new TypeError('controlLoop: some rules are scoped to a ward; pass the "wardOf" option');
  }
  if (index.needsActuatorOf && actuatorOf === undefined) {
    throw new TypeError(
      'controlLoop: some rules have no actuator.deviceId; pass the "actuatorOf" option to resolve it per patient',
    );
  }
  const scheduler = options.scheduler ?? asyncScheduler;
  const { scheduler: given } = options;
  const clock: Clock = options.clock ?? (given ? { now: () => given.now() } : systemClock);

  return (source) =>
    new Observable<ControlOutput>((subscriber) => {
      /** By actuator device id, least recently used first. */
      const controllers = new Map<string, Controller>();
      /** Commands without a final status, by id. */
      const inFlight = new Map<string, Controller>();
      /** Timed-out commands, oldest first. */
      const retired = new Map<string, Retired>();
      const overrides = new Map<string, ControlOverride>();
      /** An override could not be stored: hold everything until one ends. */
      let overflow = false;
      /** Bumped on every override change, so holds are reported again. */
      let epoch = 0;
      let capacityReported = false;
      let sourceDone = false;
      const subscriptions = new Subscription();
      const emit = (o: ControlOutput): void => subscriber.next(o);

      const maybeComplete = (): void => {
        if (sourceDone && inFlight.size === 0) subscriber.complete();
      };

      const isOverridden = (ctl: Controller): boolean =>
        overflow ||
        overrides.has(overrideKey({ deviceId: ctl.deviceId })) ||
        (ctl.patientId !== undefined && overrides.has(overrideKey({ patientId: ctl.patientId })));

      const hold = (ctl: Controller, reason: ControlHoldReason, wantedValue: number): void => {
        const key = `${reason}:${wantedValue}:${epoch}`;
        if (ctl.lastHold === key) return;
        ctl.lastHold = key;
        emit({
          type: 'command-held',
          ruleId: ctl.ruleId,
          deviceId: ctl.deviceId,
          series: ctl.series,
          reason,
          wanted: wantedValue,
          setPoint: ctl.setPoint,
          ts: clock.now(),
        });
      };

      const isIdle = (ctl: Controller, now: number): boolean => {
        pruneChanges(ctl.changes, now);
        return (
          ctl.inFlight === undefined &&
          ctl.setPoint === ctl.rule.initialSetPoint &&
          ctl.changes.length === 0 &&
          now >= ctl.retryAt &&
          !isOverridden(ctl)
        );
      };

      const resolveDevice = (rule: CompiledControlRule, series: string, r: Reading): DeviceId | undefined => {
        const fixed = rule.spec.actuator.deviceId;
        if (fixed !== undefined) return fixed;
        const id = actuatorOf?.(series, rule.spec, r);
        if (id === undefined) return undefined;
        const parsed = DeviceId.safeParse(id);
        if (parsed.success) return parsed.data;
        throw new HealthItError(
          'config/invalid',
          `controlLoop: actuatorOf returned "${String(id)}" for ${series} (rule "${rule.id}"), which is not a device id`,
          { detail: { ruleId: rule.id, series, actuator: String(id) } },
        );
      };

      const controllerFor = (
        deviceId: DeviceId,
        rule: CompiledControlRule,
        series: string,
        r: Reading,
      ): Controller | undefined => {
        const existing = controllers.get(deviceId);
        if (existing !== undefined) {
          if (existing.ruleId !== rule.id || existing.series !== series) {
            const key = `${rule.id}:${series}:${epoch}`;
            if (existing.lastBusy !== key) {
              existing.lastBusy = key;
              emit({
                type: 'command-held',
                ruleId: rule.id,
                deviceId,
                series,
                reason: 'actuator-busy',
                setPoint: existing.setPoint,
                ts: clock.now(),
              });
            }
            return undefined;
          }
          controllers.delete(deviceId);
          controllers.set(deviceId, existing);
          if (existing.rule !== rule) {
            existing.rule = rule;
            existing.steps = [];
            existing.down = undefined;
          }
          return existing;
        }
        if (controllers.size >= maxActuators) {
          const now = clock.now();
          let evicted = false;
          for (const [key, ctl] of controllers) {
            if (isIdle(ctl, now)) {
              controllers.delete(key);
              evicted = true;
              break;
            }
          }
          if (!evicted) {
            if (!capacityReported) {
              capacityReported = true;
              emit({
                type: 'command-held',
                ruleId: rule.id,
                deviceId,
                series,
                reason: 'capacity',
                setPoint: rule.initialSetPoint,
                ts: now,
              });
            }
            return undefined;
          }
        }
        capacityReported = false;
        const ctl = createController(deviceId, rule, series, r.patientId);
        controllers.set(deviceId, ctl);
        return ctl;
      };

      const settle = (ctl: Controller, outcome: ControlCommandOutcome, reason?: string): void => {
        const f = ctl.inFlight;
        if (f === undefined) return;
        ctl.inFlight = undefined;
        inFlight.delete(f.command.id);
        f.timer.unsubscribe();
        subscriptions.remove(f.timer);
        const now = clock.now();
        if (outcome === 'completed') {
          ctl.setPoint = f.value;
          ctl.retryAt = Number.NEGATIVE_INFINITY;
        } else {
          ctl.retryAt = now + ctl.rule.retryAfterMs;
        }
        if (outcome === 'timed-out') {
          retired.set(f.command.id, { ruleId: ctl.ruleId, deviceId: ctl.deviceId, value: f.value });
          if (retired.size > maxRetired) retired.delete(retired.keys().next().value as string);
        }
        emit({
          type: 'command-settled',
          ruleId: ctl.ruleId,
          deviceId: ctl.deviceId,
          commandId: f.command.id,
          outcome,
          value: f.value,
          setPoint: ctl.setPoint,
          late: false,
          ...(reason === undefined ? {} : { reason }),
          ts: now,
        });
        if (outcome !== 'completed' && outcome !== 'cancelled') {
          emit({ type: 'alert', alert: commandAlert(ctl, f, outcome, reason, now) });
        }
        maybeComplete();
      };

      const issue = (ctl: Controller, want: Wanted, r: Reading): void => {
        const now = clock.now();
        const decision = limitChange(ctl.rule.spec.limits, ctl.setPoint, want.target, ctl.changes, now);
        if (decision.kind === 'hold') {
          hold(ctl, decision.reason, want.target);
          return;
        }
        const { rule } = ctl;
        const { actuator } = rule.spec;
        const command: Command = {
          id: controlCommandId(rule.id, r.id),
          deviceId: ctl.deviceId,
          action: actuator.action,
          params: { ...actuator.params, [actuator.param]: decision.value },
          issuedBy: `rule:${rule.id}`,
          issuedAt: now,
          expiresAt: now + rule.commandTimeoutMs,
          causedBy: want.causedBy,
        };
        const previous = ctl.setPoint;
        ctl.changes.push({ ts: now, delta: Math.abs(decision.value - previous) });
        if (want.reason === 'step-down') ctl.down = undefined;
        ctl.lastHold = undefined;
        ctl.lastCommandId = command.id;
        const id = command.id;
        const timer = scheduler.schedule(() => {
          if (ctl.inFlight?.command.id === id) settle(ctl, 'timed-out');
        }, rule.commandTimeoutMs);
        subscriptions.add(timer);
        ctl.inFlight = { command, value: decision.value, timer };
        inFlight.set(id, ctl);
        for (const a of decision.applied) {
          emit({
            type: 'command-limited',
            ruleId: rule.id,
            deviceId: ctl.deviceId,
            commandId: id,
            ...a,
            ts: now,
          });
        }
        emit({
          type: 'command',
          command,
          ruleId: rule.id,
          series: ctl.series,
          reason: want.reason,
          value: decision.value,
          previous,
        });
      };

      const onReading = (r: Reading): void => {
        const series = r.patientId ?? r.deviceId;
        const ward = wardOf?.(r);
        for (const rule of index.applicable(r, ward)) {
          const deviceId = resolveDevice(rule, series, r);
          if (deviceId === undefined) continue;
          const ctl = controllerFor(deviceId, rule, series, r);
          if (ctl === undefined) continue;
          rule.stepConditions.forEach((condition, i) => {
            ctl.steps[i] = stepEpisode(condition, ctl.steps[i], r).next;
          });
          if (rule.downCondition !== undefined) ctl.down = stepEpisode(rule.downCondition, ctl.down, r).next;
          const want = wanted(ctl);
          if (want === undefined) {
            ctl.lastHold = undefined;
            continue;
          }
          if (isOverridden(ctl)) hold(ctl, 'override', want.target);
          else if (ctl.inFlight !== undefined) hold(ctl, 'in-flight', want.target);
          else if (clock.now() < ctl.retryAt) hold(ctl, 'retry-backoff', want.target);
          else issue(ctl, want, r);
        }
      };

      const onStatus = (s: CommandStatus): void => {
        const ctl = inFlight.get(s.commandId);
        if (ctl !== undefined) {
          if (s.deviceId !== ctl.deviceId) return;
          emit({ type: 'command-status', ruleId: ctl.ruleId, status: s });
          if (isFinalCommandState(s.state)) settle(ctl, s.state as ControlCommandOutcome, s.reason);
          return;
        }
        const old = retired.get(s.commandId);
        if (old === undefined || s.deviceId !== old.deviceId || !isFinalCommandState(s.state)) return;
        retired.delete(s.commandId);
        emit({ type: 'command-status', ruleId: old.ruleId, status: s });
        const owner = controllers.get(old.deviceId);
        if (
          s.state === 'completed' &&
          owner !== undefined &&
          owner.inFlight === undefined &&
          owner.lastCommandId === s.commandId
        ) {
          owner.setPoint = old.value;
        }
        emit({
          type: 'command-settled',
          ruleId: old.ruleId,
          deviceId: old.deviceId,
          commandId: s.commandId,
          outcome: s.state as ControlCommandOutcome,
          value: old.value,
          setPoint: owner?.setPoint ?? old.value,
          late: true,
          ...(s.reason === undefined ? {} : { reason: s.reason }),
          ts: clock.now(),
        });
      };

      const onOverride = (input: ControlOverrideInput): void => {
        const parsed = ControlOverride.safeParse(input);
        if (!parsed.success) {
          emit({
            type: 'override-rejected',
            error: ValidationError.fromZod('ControlOverride', parsed.error),
            input,
            ts: clock.now(),
          });
          return;
        }
        const o = parsed.data;
        const key = overrideKey(o);
        let stored = true;
        if (o.active) {
          if (overrides.has(key) || overrides.size < maxOverrides) overrides.set(key, o);
          else {
            overflow = true;
            stored = false;
          }
        } else {
          if (overrides.delete(key)) overflow = false;
          const ctl = o.deviceId === undefined ? undefined : controllers.get(o.deviceId);
          if (ctl !== undefined && o.setPoint !== undefined) ctl.setPoint = o.setPoint;
        }
        epoch++;
        emit({ type: 'override-changed', override: o, stored, ts: clock.now() });
      };

      const fail = (e: unknown): void => subscriber.error(e);
      subscriptions.add(statuses$.subscribe({ next: onStatus, error: fail }));
      if (overrides$ !== undefined)
        subscriptions.add(overrides$.subscribe({ next: onOverride, error: fail }));
      subscriptions.add(
        source.subscribe({
          next: (r) => {
            try {
              onReading(r);
            } catch (e) {
              fail(e);
            }
          },
          error: fail,
          complete: () => {
            sourceDone = true;
            maybeComplete();
          },
        }),
      );
      return subscriptions;
    });
}
