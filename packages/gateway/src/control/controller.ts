import type { Command, DeviceId, PatientId } from '@healthit/core';
import type { Subscription } from 'rxjs';
import type { Episode } from '../rules/declarative/episode.js';
import type { CompiledControlRule } from './compile.js';
import type { ControlCommandReason } from './events.js';
import { LIMIT_TOLERANCE, type RecordedChange } from './limits.js';

/** A command of the loop waiting for its final status. */
export interface InFlight {
  readonly command: Command;
  readonly value: number;
  readonly timer: Subscription;
}

/** The loop's state for one actuator. */
export interface Controller {
  readonly deviceId: DeviceId;
  readonly ruleId: string;
  readonly series: string;
  readonly patientId: PatientId | undefined;
  /** The variant in force (a patient moving ward may change it; its conditions then restart). */
  rule: CompiledControlRule;
  /** The output of the last completed command (or the initial / handed-back one). */
  setPoint: number;
  /** The episode of each step's condition, by step index. */
  steps: (Episode | undefined)[];
  /** The episode of the step-down condition. */
  down: Episode | undefined;
  /** The command waiting for its final status: at most one per actuator. */
  inFlight: InFlight | undefined;
  /** The last command sent, for late statuses. */
  lastCommandId: string | undefined;
  /** No command before this time (back-off after a failure or timeout). */
  retryAt: number;
  /** Changes in the rate window, oldest first. */
  readonly changes: RecordedChange[];
  /** The last hold reported, so that a hold is reported once. */
  lastHold: string | undefined;
  /** The last other rule or series refused this actuator, reported once. */
  lastBusy: string | undefined;
}

/** A change a rule wants of its actuator. */
export interface Wanted {
  readonly target: number;
  readonly reason: ControlCommandReason;
  readonly causedBy: string[];
}

/** A controller for `deviceId`, owned by `rule` and `series`, at the rule's initial set-point. */
export function createController(
  deviceId: DeviceId,
  rule: CompiledControlRule,
  series: string,
  patientId: PatientId | undefined,
): Controller {
  return {
    deviceId,
    ruleId: rule.id,
    series,
    patientId,
    rule,
    setPoint: rule.initialSetPoint,
    steps: [],
    down: undefined,
    inFlight: undefined,
    lastCommandId: undefined,
    retryAt: Number.NEGATIVE_INFINITY,
    changes: [],
    lastHold: undefined,
    lastBusy: undefined,
  };
}

/** What the rule wants of the actuator after a reading advanced its conditions, if anything. */
export function wanted(ctl: Controller): Wanted | undefined {
  const { rule } = ctl;
  let best = Number.NEGATIVE_INFINITY;
  let cause: string[] | undefined;
  rule.spec.steps.forEach((step, i) => {
    const e = ctl.steps[i];
    if (e?.phase === 'raised' && step.set > best) {
      best = step.set;
      cause = e.readingIds;
    }
  });
  if (cause !== undefined) {
    return best > ctl.setPoint + LIMIT_TOLERANCE
      ? { target: best, reason: 'escalate', causedBy: [...cause] }
      : undefined;
  }
  const stepDown = rule.spec.stepDown;
  if (stepDown !== undefined && ctl.down?.phase === 'raised' && ctl.setPoint > rule.floor + LIMIT_TOLERANCE) {
    return {
      target: Math.max(rule.floor, ctl.setPoint - stepDown.by),
      reason: 'step-down',
      causedBy: [...ctl.down.readingIds],
    };
  }
  return undefined;
}
