import type { Alert } from '@healthit/core';
import type { Controller, InFlight } from './controller.js';
import type { ControlCommandOutcome } from './events.js';

const OUTCOME_TEXT: Record<ControlCommandOutcome, string> = {
  completed: 'completed',
  rejected: 'was rejected',
  failed: 'failed',
  expired: 'expired before it ran',
  cancelled: 'was cancelled',
  'timed-out': 'timed out',
};

/**
 * The alert for a command of the loop that ended badly: id `<commandId>:<outcome>`, rule
 * `rule:<ruleId>`, the rule's severity, the patient, the actuator, the metric, and the readings
 * that caused the command. The message names the action, value, actuator, series, outcome and the
 * device's reason, e.g. `oxygen.set-flow flowLpm=2 to o2-001 for patient-001 was rejected: …`.
 */
export function commandAlert(
  ctl: Controller,
  f: InFlight,
  outcome: ControlCommandOutcome,
  reason: string | undefined,
  ts: number,
): Alert {
  const { command } = f;
  const why =
    outcome === 'timed-out'
      ? `: no final status within ${ctl.rule.commandTimeoutMs} ms`
      : reason === undefined
        ? ''
        : `: ${reason}`;
  const param = ctl.rule.spec.actuator.param;
  const message = `${command.action} ${param}=${f.value} to ${ctl.deviceId} for ${ctl.series} ${OUTCOME_TEXT[outcome]}${why}`;
  return {
    id: `${command.id}:${outcome}`,
    rule: `rule:${ctl.ruleId}`,
    severity: ctl.rule.alertSeverity,
    message: message.slice(0, 1000),
    ts,
    ...(ctl.patientId === undefined ? {} : { patientId: ctl.patientId }),
    deviceId: ctl.deviceId,
    metric: ctl.rule.metric,
    readingIds: command.causedBy ?? [],
  };
}
