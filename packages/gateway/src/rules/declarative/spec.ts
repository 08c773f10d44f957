import { AlertSeverity, MetricId, ValidationError } from '@healthit/core';
import { z } from 'zod';
import { parseJsonRules } from '../parse-json-rules.js';
import { overrideChecker } from '../scope.js';

/** The comparisons a rule can make: the rule is breached when `reading.value <comparison> value`. */
export const COMPARISONS = ['<', '<=', '>', '>='] as const;
/** zod schema of a {@link Comparison}. */
export const Comparison = z.enum(COMPARISONS);
/** One of {@link COMPARISONS}. */
export type Comparison = z.infer<typeof Comparison>;

/** The name used in {@link ValidationError}s for a rule set. */
export const RULE_SET_SCHEMA_NAME = 'ThresholdRuleSet';

/** The largest number of reading ids an alert carries (the most recent of the episode). */
export const MAX_ALERT_READING_IDS = 100;

/** Default for `maxGapSeconds`: a longer silence between readings resets a pending episode. */
export const DEFAULT_MAX_GAP_SECONDS = 60;

const RULE_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const SCOPE_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;

/** Where a rule applies: a list of patients, or one ward. Without a scope it applies everywhere. */
export const RuleScope = z
  .strictObject({
    patientIds: z
      .array(z.string().regex(SCOPE_ID, 'must be a patient id (letters, digits, ".", "_", "-", ":")'))
      .min(1)
      .optional(),
    wardId: z.string().regex(SCOPE_ID, 'must be a ward id (letters, digits, ".", "_", "-", ":")').optional(),
  })
  .superRefine((s, ctx) => {
    if ((s.patientIds === undefined) === (s.wardId === undefined)) {
      ctx.addIssue({ code: 'custom', message: 'give exactly one of "patientIds" or "wardId"' });
    }
  });
/** A rule's scope. */
export type RuleScope = z.infer<typeof RuleScope>;

/** `true` when `x` breaches `threshold` under `comparison`. */
export function breaches(comparison: Comparison, x: number, threshold: number): boolean {
  switch (comparison) {
    case '<':
      return x < threshold;
    case '<=':
      return x <= threshold;
    case '>':
      return x > threshold;
    case '>=':
      return x >= threshold;
  }
}

/**
 * One declarative threshold rule, JSON-friendly. Values are in the metric's canonical UCUM unit.
 *
 * - `forSeconds`: the series must breach continuously for at least this long (reading timestamps)
 *   before the alert is raised; 0 or absent raises on the first breaching reading.
 * - `clearValue`: hysteresis; a raised episode clears only when a reading reaches this value (on the
 *   safe side of `value`). Without it the episode clears on the first non-breaching reading.
 * - `maxGapSeconds`: a silence longer than this between two readings of a pending episode restarts
 *   the duration count (default {@link DEFAULT_MAX_GAP_SECONDS}).
 *
 * @example
 * ```json
 * { "id": "spo2-low", "metric": "spo2", "comparison": "<", "value": 88, "forSeconds": 30,
 *   "clearValue": 92, "severity": "high" }
 * ```
 */
export const ThresholdRuleSpec = z
  .strictObject({
    id: z
      .string()
      .regex(RULE_ID, 'must be 1-64 letters, digits, ".", "_", "-", starting with a letter or digit'),
    metric: MetricId,
    comparison: Comparison,
    value: z.number().finite(),
    forSeconds: z.number().finite().nonnegative().max(86_400).optional(),
    clearValue: z.number().finite().optional(),
    maxGapSeconds: z.number().finite().positive().max(86_400).optional(),
    severity: AlertSeverity,
    scope: RuleScope.optional(),
    message: z.string().min(1).max(500).optional(),
  })
  .superRefine((r, ctx) => {
    if (r.clearValue !== undefined && breaches(r.comparison, r.clearValue, r.value)) {
      const side = r.comparison.startsWith('<') ? 'at or above' : 'at or below';
      const strict = r.comparison.length === 2 ? ' (strictly, the comparison includes the value)' : '';
      ctx.addIssue({
        code: 'custom',
        path: ['clearValue'],
        message: `clearValue ${r.clearValue} is on the breaching side of "${r.comparison} ${r.value}"; it must be ${side} ${r.value}${strict}`,
      });
    }
  });
/** A validated rule. */
export type ThresholdRuleSpec = z.infer<typeof ThresholdRuleSpec>;

/**
 * A rule set: an array of rules. Rules may share an id only as overrides at different levels
 * (everyone → ward → patient) and must then watch the same metric.
 */
export const ThresholdRuleSet = z
  .array(ThresholdRuleSpec)
  .superRefine((rules, ctx) => rules.forEach(overrideChecker(ctx)));

/**
 * Validates a rule set given as JSON text or as an already parsed value.
 *
 * @throws {ValidationError} naming the rule index and field of every problem, e.g.
 * `Invalid ThresholdRuleSet: 2.clearValue: clearValue 85 is on the breaching side of "< 88" ...`;
 * for text that is not JSON, one issue with code `invalid_json` at the root.
 * @example
 * ```ts
 * const rules = parseRuleSet(await readFile('rules.json', 'utf8'), 'rules.json');
 * ```
 */
export function parseRuleSet(json: unknown, source?: string): ThresholdRuleSpec[] {
  return parseJsonRules(ThresholdRuleSet, RULE_SET_SCHEMA_NAME, 'give an array of rules', json, source);
}
