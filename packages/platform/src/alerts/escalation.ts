import { ALERT_SEVERITIES, type AlertSeverity } from '@healthit/core';

/** One escalation level: reached when an alert is still unacknowledged `afterMs` after it opened. */
export interface EscalationStep {
  /** Milliseconds since the alert opened. */
  readonly afterMs: number;
  /** Whom to notify at this level (e.g. `charge-nurse`, `rapid-response`). */
  readonly notify?: readonly string[];
}

/**
 * Escalation levels per severity, in order; a severity without levels never escalates. The
 * `afterMs` of successive levels must increase strictly.
 */
export type EscalationPolicy = Readonly<Partial<Record<AlertSeverity, readonly EscalationStep[]>>>;

const MIN = 60_000;

/**
 * The default policy: critical after 1 and 3 min, high after 2 and 6 min, medium after 10 and 30
 * min, low-medium after 30 min; low and info never escalate.
 */
export const DEFAULT_ESCALATION_POLICY: EscalationPolicy = Object.freeze({
  critical: [
    { afterMs: 1 * MIN, notify: ['charge-nurse'] },
    { afterMs: 3 * MIN, notify: ['rapid-response'] },
  ],
  high: [
    { afterMs: 2 * MIN, notify: ['charge-nurse'] },
    { afterMs: 6 * MIN, notify: ['rapid-response'] },
  ],
  medium: [
    { afterMs: 10 * MIN, notify: ['charge-nurse'] },
    { afterMs: 30 * MIN, notify: ['ward-doctor'] },
  ],
  'low-medium': [{ afterMs: 30 * MIN, notify: ['charge-nurse'] }],
});

/** Escalations levels allowed per severity. */
export const MAX_ESCALATION_LEVELS = 16;

/**
 * Checks an escalation policy.
 * @throws {TypeError} for an unknown severity or a step that is not an object.
 * @throws {RangeError} for a negative, non-finite or non-increasing `afterMs`, or too many levels.
 */
export function validateEscalationPolicy(policy: EscalationPolicy): EscalationPolicy {
  for (const [severity, steps] of Object.entries(policy)) {
    if (!(ALERT_SEVERITIES as readonly string[]).includes(severity)) {
      throw new TypeError(
        `escalation policy: unknown severity "${severity}" (use one of ${ALERT_SEVERITIES.join(', ')})`,
      );
    }
    if (steps === undefined) continue;
    if (!Array.isArray(steps))
      throw new TypeError(`escalation policy: ${severity} must be an array of steps`);
    if (steps.length > MAX_ESCALATION_LEVELS) {
      throw new RangeError(
        `escalation policy: ${severity} has ${steps.length} levels, at most ${MAX_ESCALATION_LEVELS}`,
      );
    }
    let previous = -1;
    steps.forEach((step: EscalationStep, i: number) => {
      if (typeof step !== 'object' || step === null) {
        throw new TypeError(`escalation policy: ${severity}[${i}] must be { afterMs, notify? }`);
      }
      const ms = step.afterMs;
      if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < 0 || ms <= previous) {
        throw new RangeError(
          `escalation policy: ${severity}[${i}].afterMs must be a finite number >= 0 greater than the previous level's, got ${String(ms)}`,
        );
      }
      previous = ms;
    });
  }
  return policy;
}
