import { indexScopedRules, type ScopedRuleIndex } from '../scope.js';
import type { ThresholdRuleSpec } from './spec.js';

/** Rules indexed by metric and id, resolving overrides per reading. */
export type RuleIndex = ScopedRuleIndex<ThresholdRuleSpec>;

/**
 * Indexes validated rules. Precedence for one id: a rule naming the reading's patient, else a rule
 * for the patient's ward, else the rule without scope; a reading with no patient gets only the
 * rule without scope.
 */
export function indexRules(rules: readonly ThresholdRuleSpec[]): RuleIndex {
  return indexScopedRules(rules, (rule) => rule);
}
