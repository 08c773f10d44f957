import type { MetricId, Reading } from '@healthit/core';
import type { ThresholdRuleSpec } from './spec.js';

/** The variants of one rule id: for everyone, per ward, per patient. */
interface RuleVariants {
  everyone?: ThresholdRuleSpec;
  readonly wards: Map<string, ThresholdRuleSpec>;
  readonly patients: Map<string, ThresholdRuleSpec>;
}

/** Rules indexed by metric and id, resolving overrides per reading. */
export interface RuleIndex {
  /** The rule of each id that applies to `reading` (patient over ward over everyone). */
  applicable(reading: Reading, wardId: string | undefined): ThresholdRuleSpec[];
  /** `true` when some rule is scoped to a ward. */
  readonly hasWardRules: boolean;
}

/**
 * Indexes validated rules. Precedence for one id: a rule naming the reading's patient, else a rule
 * for the patient's ward, else the rule without scope; a reading with no patient gets only the
 * rule without scope.
 */
export function indexRules(rules: readonly ThresholdRuleSpec[]): RuleIndex {
  const byMetric = new Map<MetricId, Map<string, RuleVariants>>();
  let hasWardRules = false;
  for (const rule of rules) {
    let ids = byMetric.get(rule.metric);
    if (ids === undefined) {
      ids = new Map();
      byMetric.set(rule.metric, ids);
    }
    let variants = ids.get(rule.id);
    if (variants === undefined) {
      variants = { wards: new Map(), patients: new Map() };
      ids.set(rule.id, variants);
    }
    if (rule.scope?.patientIds !== undefined) {
      for (const p of rule.scope.patientIds) variants.patients.set(p, rule);
    } else if (rule.scope?.wardId !== undefined) {
      hasWardRules = true;
      variants.wards.set(rule.scope.wardId, rule);
    } else variants.everyone = rule;
  }
  return {
    hasWardRules,
    applicable(reading, wardId) {
      const ids = byMetric.get(reading.metric);
      if (ids === undefined) return [];
      const out: ThresholdRuleSpec[] = [];
      for (const v of ids.values()) {
        const p = reading.patientId;
        const rule =
          (p === undefined ? undefined : v.patients.get(p)) ??
          (wardId === undefined ? undefined : v.wards.get(wardId)) ??
          v.everyone;
        if (rule !== undefined) out.push(rule);
      }
      return out;
    },
  };
}
