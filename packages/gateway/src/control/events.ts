import type { Alert, Command, CommandStatus, DeviceId, ValidationError } from '@healthit/core';
import type { ControlLimitName } from './limits.js';
import type { ControlOverride } from './override.js';

/** Why the loop sent a command: a step's condition held, or the step-down condition did. */
export type ControlCommandReason = 'escalate' | 'step-down';

/** A command to send to the actuator (on `Topics.deviceCommands(command.deviceId)`). */
export interface ControlCommandIssued {
  /** Discriminant of {@link ControlOutput}: always `command`. */
  readonly type: 'command';
  /**
   * The command: id `ctl:<ruleId>:<readingId>` (see `controlCommandId`), `issuedBy`
   * `rule:<ruleId>`, `expiresAt` = `issuedAt` + the rule's `commandTimeoutMs`.
   */
  readonly command: Command;
  /** The id of the control rule that sent it. */
  readonly ruleId: string;
  /** The patient id, or the sensor's device id for readings without a patient. */
  readonly series: string;
  /** Whether a step's condition (`escalate`) or the step-down condition (`step-down`) held. */
  readonly reason: ControlCommandReason;
  /** The output commanded (also in `command.params[param]`). */
  readonly value: number;
  /** The set-point before it: the output of the last completed command. */
  readonly previous: number;
}

/** A command ended badly (rejected, failed, expired, cancelled) or timed out. */
export interface ControlAlertRaised {
  /** Discriminant of {@link ControlOutput}: always `alert`. */
  readonly type: 'alert';
  /**
   * The alert (severity the rule's `alertSeverity`), for a command that was rejected, failed,
   * expired or timed out.
   */
  readonly alert: Alert;
}

/** A limit changed the value of the command that follows it (`commandId`). */
export interface ControlCommandLimited {
  /** Discriminant of {@link ControlOutput}: always `command-limited`. */
  readonly type: 'command-limited';
  /** The id of the control rule that sent the command. */
  readonly ruleId: string;
  /** The actuator's device id. */
  readonly deviceId: DeviceId;
  /** The id of the command the limit shaped (the next `command` output). */
  readonly commandId: string;
  /**
   * Which limit applied: `min` or `max` (clamped into the limits), `step` (`maxStepPerCommand`) or
   * `rate` (what was left of `maxChangePerMinute`).
   */
  readonly limit: ControlLimitName;
  /** The value before and after this limit. */
  readonly from: number;
  /** The value after this limit, in the output's unit. */
  readonly to: number;
  /** When the command was issued, in ms since the epoch by the loop's clock. */
  readonly ts: number;
}

/**
 * Why a wanted change was not sent:
 * - `override`: a clinician override covers the actuator or its patient (or the override table is
 *   full, which holds every actuator);
 * - `in-flight`: the previous command has no final status yet;
 * - `retry-backoff`: a command failed or timed out less than `retryAfterMs` ago;
 * - `rate`: `maxChangePerMinute` is used up for now;
 * - `at-limit`: the limits allow no change in the wanted direction;
 * - `actuator-busy`: another rule or series already controls the actuator;
 * - `capacity`: `maxActuators` actuators are tracked and none can be forgotten safely.
 */
export type ControlHoldReason =
  | 'override'
  | 'in-flight'
  | 'retry-backoff'
  | 'rate'
  | 'at-limit'
  | 'actuator-busy'
  | 'capacity';

/**
 * A wanted change was not sent. Reported once per actuator, reason and wanted value, not on every
 * reading while it lasts.
 */
export interface ControlCommandHeld {
  /** Discriminant of {@link ControlOutput}: always `command-held`. */
  readonly type: 'command-held';
  /** The id of the control rule that wanted the change. */
  readonly ruleId: string;
  /** The actuator's device id. */
  readonly deviceId: DeviceId;
  /** The patient id, or the sensor's device id for readings without a patient. */
  readonly series: string;
  /** Why the change was not sent. */
  readonly reason: ControlHoldReason;
  /** The output the rule wanted (absent for `actuator-busy` and `capacity`: not evaluated). */
  readonly wanted?: number;
  /** The set-point in force. */
  readonly setPoint: number;
  /** When the change was held, in ms since the epoch by the loop's clock. */
  readonly ts: number;
}

/** A status of one of the loop's own commands arrived (every state, final or not). */
export interface ControlCommandStatus {
  /** Discriminant of {@link ControlOutput}: always `command-status`. */
  readonly type: 'command-status';
  /** The id of the control rule that sent the command. */
  readonly ruleId: string;
  /** The status as the actuator reported it (the command's id in `status.commandId`). */
  readonly status: CommandStatus;
}

/** How a command ended: its final state, or `timed-out` (no final state within `commandTimeoutMs`). */
export type ControlCommandOutcome =
  | 'completed'
  | 'rejected'
  | 'failed'
  | 'expired'
  | 'cancelled'
  | 'timed-out';

/** A command of the loop ended; `setPoint` is the set-point now. */
export interface ControlCommandSettled {
  /** Discriminant of {@link ControlOutput}: always `command-settled`. */
  readonly type: 'command-settled';
  /** The id of the control rule that sent the command. */
  readonly ruleId: string;
  /** The actuator's device id. */
  readonly deviceId: DeviceId;
  /** The id of the command that ended. */
  readonly commandId: string;
  /** How the command ended. */
  readonly outcome: ControlCommandOutcome;
  /** The output the command asked for; it became the set-point if the command completed. */
  readonly value: number;
  /**
   * The set-point after the command ended: its `value` when it completed, else the set-point before
   * it.
   */
  readonly setPoint: number;
  /** `true` for a final status that arrived after the command had timed out. */
  readonly late: boolean;
  /** The device's reason, for rejected and failed commands. */
  readonly reason?: string;
  /**
   * When the command ended (its final status arrived or it timed out), in ms since the epoch by the
   * loop's clock.
   */
  readonly ts: number;
}

/** An override was turned on or off. */
export interface ControlOverrideChanged {
  /** Discriminant of {@link ControlOutput}: always `override-changed`. */
  readonly type: 'override-changed';
  /**
   * The validated override as received: `active` turns it on or off for its actuator or patient.
   */
  readonly override: ControlOverride;
  /** `false` when the table of active overrides was full: every actuator is held until one ends. */
  readonly stored: boolean;
  /** When the override was received, in ms since the epoch by the loop's clock. */
  readonly ts: number;
}

/** An input on `overrides$` did not match `ControlOverride`; it changed nothing. */
export interface ControlOverrideRejected {
  /** Discriminant of {@link ControlOutput}: always `override-rejected`. */
  readonly type: 'override-rejected';
  /** What is wrong with the input, against the `ControlOverride` schema. */
  readonly error: ValidationError;
  /** The input as it arrived on `overrides$`. */
  readonly input: unknown;
  /** When the input was received, in ms since the epoch by the loop's clock. */
  readonly ts: number;
}

/** What the loop reports besides commands and alerts. */
export type ControlEvent =
  | ControlCommandLimited
  | ControlCommandHeld
  | ControlCommandStatus
  | ControlCommandSettled
  | ControlOverrideChanged
  | ControlOverrideRejected;

/** Everything `controlLoop` emits, tagged by `type`. */
export type ControlOutput = ControlCommandIssued | ControlAlertRaised | ControlEvent;
