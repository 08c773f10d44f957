import type { Alert, HealthItError } from '@healthit/core';
import type { AlertSubmission } from '../alerts/types.js';

/** Which input stream an event concerns. */
export type RuleInputStream = 'rule-sets' | 'readings' | 'news2' | 'heartbeats';

/** A rule raised an alert (one per episode), with routing; feed it to the alert manager. */
export interface RuleAlertRaised {
  /** Discriminant: `rule-alert`. */
  readonly type: 'rule-alert';
  /** When the rule fired, epoch ms (the engine's clock); also the alert's `ts`. */
  readonly ts: number;
  /** The id of the rule that fired, as in the rule set (the alert's `rule` is `business:<ruleId>`). */
  readonly ruleId: string;
  /** The core `Alert` raised: severity and message from the rule, id `business:<ruleId>:<subject>:<ts>`. */
  readonly alert: Alert;
  /** The rule's route names (who should hear about it), possibly empty. */
  readonly route: readonly string[];
  /**
   * The patient's ward from the engine's `wardOf`, the alert's access-control scope; absent when
   * unknown or for a device alert.
   */
  readonly ward?: string;
}

/** A rule's condition ended for a patient or device (e.g. the device is back), re-arming it. */
export interface RuleConditionCleared {
  /** Discriminant: `rule-cleared`. */
  readonly type: 'rule-cleared';
  /** When the condition ended, epoch ms (the engine's clock). */
  readonly ts: number;
  /** The id of the rule whose condition ended. */
  readonly ruleId: string;
  /** The patient or device id. */
  readonly subject: string;
  /** The alert raised for the episode. */
  readonly alertId: string;
}

/** A new rule set replaced the running one. */
export interface RuleSetApplied {
  /** Discriminant: `rule-set-applied`. */
  readonly type: 'rule-set-applied';
  /** When the set was applied, epoch ms (the engine's clock). */
  readonly ts: number;
  /** The rule set's own `version` label, when it has one. */
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
  /** Discriminant: `rule-set-rejected`. */
  readonly type: 'rule-set-rejected';
  /** When the set was refused, epoch ms (the engine's clock). */
  readonly ts: number;
  /** `validation/invalid` (a `ValidationError` naming rule and field) or `config/invalid`. */
  readonly error: HealthItError;
  /** The rule set as received (JSON text or value). */
  readonly input: unknown;
}

/** An input was refused (malformed, out of order, or too many pending); nothing else is affected. */
export interface RuleInputRejected {
  /** Discriminant: `input-rejected`. */
  readonly type: 'input-rejected';
  /** When the input was refused, epoch ms (the engine's clock). */
  readonly ts: number;
  /** The input stream the item came from. */
  readonly stream: RuleInputStream;
  /**
   * The rule that refused it (e.g. an out-of-order NEWS2 event); absent when refused before
   * reaching the rules.
   */
  readonly ruleId?: string;
  /**
   * Why: `validation/invalid` for a malformed item, `state/invalid` for an out-of-order one or a
   * failed stream, `buffer/overflow` when too many evaluations are pending.
   */
  readonly error: HealthItError;
  /** The item as received; `undefined` when the input stream itself failed. */
  readonly input: unknown;
}

/** A rule could not evaluate an input (e.g. the reading store failed); the rule keeps running. */
export interface RuleEvaluationFailed {
  /** Discriminant: `evaluation-failed`. */
  readonly type: 'evaluation-failed';
  /** When the evaluation failed, epoch ms (the engine's clock). */
  readonly ts: number;
  /** The id of the rule that failed. */
  readonly ruleId: string;
  /**
   * The failure, e.g. `store/query-failed` when a weight-gain rule's store query failed; a non-SDK
   * error thrown by a rule is wrapped as `state/invalid`.
   */
  readonly error: HealthItError;
  /** The input being evaluated (the parsed reading or the received NEWS2 event or heartbeat). */
  readonly input: unknown;
}

/**
 * A rule forgot the state of its least recently updated patient or device because it tracked its
 * maximum; a pending episode there starts over.
 */
export interface RuleStateEvicted {
  /** Discriminant: `state-evicted`. */
  readonly type: 'state-evicted';
  /** When the state was forgotten, epoch ms (the engine's clock). */
  readonly ts: number;
  /** The id of the rule that forgot it. */
  readonly ruleId: string;
  /** The patient or device id whose state was forgotten. */
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
