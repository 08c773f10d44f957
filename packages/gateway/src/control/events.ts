import type { Alert, Command, CommandStatus, DeviceId, ValidationError } from '@healthit/core';
import type { ControlLimitName } from './limits.js';
import type { ControlOverride } from './override.js';

/** Why the loop sent a command: a step's condition held, or the step-down condition did. */
export type ControlCommandReason = 'escalate' | 'step-down';

/** A command to send to the actuator (on `Topics.deviceCommands(command.deviceId)`). */
export interface ControlCommandIssued {
  readonly type: 'command';
  readonly command: Command;
  readonly ruleId: string;
  /** The patient id, or the sensor's device id for readings without a patient. */
  readonly series: string;
  readonly reason: ControlCommandReason;
  /** The output commanded (also in `command.params[param]`). */
  readonly value: number;
  /** The set-point before it: the output of the last completed command. */
  readonly previous: number;
}

/** A command ended badly (rejected, failed, expired, cancelled) or timed out. */
export interface ControlAlertRaised {
  readonly type: 'alert';
  readonly alert: Alert;
}

/** A limit changed the value of the command that follows it (`commandId`). */
export interface ControlCommandLimited {
  readonly type: 'command-limited';
  readonly ruleId: string;
  readonly deviceId: DeviceId;
  readonly commandId: string;
  readonly limit: ControlLimitName;
  /** The value before and after this limit. */
  readonly from: number;
  readonly to: number;
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
  readonly type: 'command-held';
  readonly ruleId: string;
  readonly deviceId: DeviceId;
  readonly series: string;
  readonly reason: ControlHoldReason;
  /** The output the rule wanted (absent for `actuator-busy` and `capacity`: not evaluated). */
  readonly wanted?: number;
  /** The set-point in force. */
  readonly setPoint: number;
  readonly ts: number;
}

/** A status of one of the loop's own commands arrived (every state, final or not). */
export interface ControlCommandStatus {
  readonly type: 'command-status';
  readonly ruleId: string;
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
  readonly type: 'command-settled';
  readonly ruleId: string;
  readonly deviceId: DeviceId;
  readonly commandId: string;
  readonly outcome: ControlCommandOutcome;
  readonly value: number;
  readonly setPoint: number;
  /** `true` for a final status that arrived after the command had timed out. */
  readonly late: boolean;
  /** The device's reason, for rejected and failed commands. */
  readonly reason?: string;
  readonly ts: number;
}

/** An override was turned on or off. */
export interface ControlOverrideChanged {
  readonly type: 'override-changed';
  readonly override: ControlOverride;
  /** `false` when the table of active overrides was full: every actuator is held until one ends. */
  readonly stored: boolean;
  readonly ts: number;
}

/** An input on `overrides$` did not match `ControlOverride`; it changed nothing. */
export interface ControlOverrideRejected {
  readonly type: 'override-rejected';
  readonly error: ValidationError;
  readonly input: unknown;
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
