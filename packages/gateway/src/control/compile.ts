import type { AlertSeverity, MetricId } from '@healthit/core';
import type { ThresholdRuleSpec } from '../rules/declarative/spec.js';
import { indexScopedRules, type ScopedRuleIndex } from '../rules/scope.js';
import { resolveCondition } from './condition.js';
import {
  type ControlRuleSpec,
  DEFAULT_COMMAND_TIMEOUT_MS,
  DEFAULT_CONTROL_MAX_GAP_MS,
  DEFAULT_RETRY_AFTER_MS,
} from './spec.js';

/**
 * A validated control rule with its defaults applied and its conditions as threshold rules, so
 * that the declarative rules' episode logic (`stepEpisode`: duration, gaps, order) runs them.
 */
export interface CompiledControlRule {
  /** The validated rule as written, before defaults were applied. */
  readonly spec: ControlRuleSpec;
  /** The rule's id (`spec.id`): 1-64 letters, digits, `.`, `_`, `-`. */
  readonly id: string;
  /**
   * The metric whose readings drive the rule (`spec.metric`); thresholds are in its canonical UCUM
   * unit.
   */
  readonly metric: MetricId;
  /** One threshold rule per escalation step, in order. */
  readonly stepConditions: readonly ThresholdRuleSpec[];
  /** The step-down condition, if any. */
  readonly downCondition: ThresholdRuleSpec | undefined;
  /** The lowest output a step-down reaches. */
  readonly floor: number;
  /**
   * The output assumed before the loop's first completed command: `spec.initialSetPoint`, default
   * `limits.min`.
   */
  readonly initialSetPoint: number;
  /**
   * How long a command may go without a final status before an alert is raised, in ms; also its
   * `expiresAt` offset. Default 30 000.
   */
  readonly commandTimeoutMs: number;
  /**
   * How long the loop waits after a failed or timed-out command before commanding the actuator
   * again, in ms. Default 60 000.
   */
  readonly retryAfterMs: number;
  /** The severity of the alerts for failed or timed-out commands. Default `high`. */
  readonly alertSeverity: AlertSeverity;
}

/**
 * `stepEpisode` compares `lastTs - startTs >= forSeconds * 1000` and `gap > maxGapSeconds * 1000`.
 * Timestamps are integers, so half a millisecond off the bound makes both exact for any integer
 * millisecond duration, whatever the rounding of the division and multiplication by 1000.
 */
function thresholdOf(
  rule: ControlRuleSpec,
  when: ControlRuleSpec['steps'][number]['when'],
  maxGapMs: number,
): ThresholdRuleSpec {
  const c = resolveCondition(when);
  return {
    id: rule.id,
    metric: rule.metric,
    comparison: c.comparison,
    value: c.value,
    forSeconds: c.forMs === 0 ? 0 : (c.forMs - 0.5) / 1000,
    maxGapSeconds: (maxGapMs + 0.5) / 1000,
    severity: 'info',
  };
}

/** Applies a validated rule's defaults and prepares its conditions. */
export function compileControlRule(spec: ControlRuleSpec): CompiledControlRule {
  const maxGapMs = spec.maxGapMs ?? DEFAULT_CONTROL_MAX_GAP_MS;
  return Object.freeze({
    spec,
    id: spec.id,
    metric: spec.metric,
    stepConditions: spec.steps.map((s) => thresholdOf(spec, s.when, maxGapMs)),
    downCondition: spec.stepDown === undefined ? undefined : thresholdOf(spec, spec.stepDown.when, maxGapMs),
    floor: Math.max(spec.stepDown?.min ?? spec.limits.min, spec.limits.min),
    initialSetPoint: spec.initialSetPoint ?? spec.limits.min,
    commandTimeoutMs: spec.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS,
    retryAfterMs: spec.retryAfterMs ?? DEFAULT_RETRY_AFTER_MS,
    alertSeverity: spec.alertSeverity ?? 'high',
  });
}

/** Compiled control rules indexed by metric and id, resolving overrides per reading. */
export interface ControlRuleIndex extends ScopedRuleIndex<CompiledControlRule> {
  /** `true` when some rule has no fixed actuator `deviceId`. */
  readonly needsActuatorOf: boolean;
}

/**
 * Compiles and indexes validated rules. Precedence for one id, as for the declarative rules: the
 * rule naming the reading's patient, else the rule for the patient's ward, else the rule without
 * scope; a reading with no patient gets only the rule without scope.
 */
export function indexControlRules(rules: readonly ControlRuleSpec[]): ControlRuleIndex {
  const { applicable, hasWardRules } = indexScopedRules(rules, compileControlRule);
  const needsActuatorOf = rules.some((spec) => spec.actuator.deviceId === undefined);
  return { hasWardRules, needsActuatorOf, applicable };
}
