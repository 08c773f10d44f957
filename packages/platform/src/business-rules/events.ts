import type { Alert, HealthItError } from '@healthit/core';
import type { AlertSubmission } from '../alerts/types.js';

/** Which input stream an event concerns. */
export type RuleInputStream = 'rule-sets' | 'readings' | 'news2' | 'heartbeats';

/** A rule raised an alert (one per episode), with routing; feed it to the alert manager. */
export interface RuleAlertRaised {
  readonly type: 'rule-alert';
  readonly ts: number;
  readonly ruleId: string;
  readonly alert: Alert;
  readonly route: readonly string[];
  readonly ward?: string;
}

/** A rule's condition ended for a patient or device (e.g. the device is back), re-arming it. */
export interface RuleConditionCleared {
  readonly type: 'rule-cleared';
  readonly ts: number;
  readonly ruleId: string;
  /** The patient or device id. */
  readonly subject: string;
  /** The alert raised for the episode. */
  readonly alertId: string;
}

/** A new rule set replaced the running one. */
export interface RuleSetApplied {
  readonly type: 'rule-set-applied';
  readonly ts: number;
  readonly version?: string;
  /** New rule ids. */
  readonly added: readonly string[];
  /** Ids whose definition changed: restarted with fresh state. */
  readonly replaced: readonly string[];
  /** Ids no longer in the set: stopped. */
  readonly removed: readonly string[];
  /** Ids whose definition is unchanged: kept running with their state. */
  readonly kept: readonly string[];
}

/** A rule set was refused; the previous one keeps running. */
export interface RuleSetRejected {
  readonly type: 'rule-set-rejected';
  readonly ts: number;
  /** `validation/invalid` (a `ValidationError` naming rule and field) or `config/invalid`. */
  readonly error: HealthItError;
  readonly input: unknown;
}

/** An input was refused (malformed, out of order, or too many pending); nothing else is affected. */
export interface RuleInputRejected {
  readonly type: 'input-rejected';
  readonly ts: number;
  readonly stream: RuleInputStream;
  readonly ruleId?: string;
  readonly error: HealthItError;
  readonly input: unknown;
}

/** A rule could not evaluate an input (e.g. the reading store failed); the rule keeps running. */
export interface RuleEvaluationFailed {
  readonly type: 'evaluation-failed';
  readonly ts: number;
  readonly ruleId: string;
  readonly error: HealthItError;
  readonly input: unknown;
}

/**
 * A rule forgot the state of its least recently updated patient or device because it tracked its
 * maximum; a pending episode there starts over.
 */
export interface RuleStateEvicted {
  readonly type: 'state-evicted';
  readonly ts: number;
  readonly ruleId: string;
  readonly subject: string;
}

/** What the business-rule engine emits, discriminated on `type`. */
export type RuleEngineEvent =
  | RuleAlertRaised
  | RuleConditionCleared
  | RuleSetApplied
  | RuleSetRejected
  | RuleInputRejected
  | RuleEvaluationFailed
  | RuleStateEvicted;

/** The alert-manager submission of a rule alert (`source: 'business-rules'`). */
export function toAlertSubmission(e: RuleAlertRaised): AlertSubmission {
  return {
    alert: e.alert,
    route: e.route,
    source: 'business-rules',
    ...(e.ward === undefined ? {} : { ward: e.ward }),
  };
}
