import type { MetricId, Reading } from '@healthit/core';
import type { z } from 'zod';

/**
 * What override handling needs of a rule: its id, the metric it watches and where it applies
 * (a list of patients, one ward, or, without a scope, everyone). Threshold and control rules both
 * have this shape.
 */
export interface ScopedRule {
  readonly id: string;
  readonly metric: MetricId;
  readonly scope?:
    | { readonly patientIds?: readonly string[] | undefined; readonly wardId?: string | undefined }
    | undefined;
}

/** The targets a rule covers, e.g. `patient p-1`, `ward w-2` or `all patients`. */
function scopeTargets(rule: ScopedRule): string[] {
  if (rule.scope?.patientIds !== undefined) return rule.scope.patientIds.map((p) => `patient ${p}`);
  if (rule.scope?.wardId !== undefined) return [`ward ${rule.scope.wardId}`];
  return ['all patients'];
}

/**
 * Starts checking the overrides of a rule set inside a zod `superRefine`: rules may share an id
 * only as overrides at different levels (everyone → ward → patient) and must then watch the same
 * metric. Call the returned function with each rule and its index, in order; it adds a `custom`
 * issue to `ctx` at `[index, 'metric']` for a metric that differs from the first rule with that id,
 * and at `[index, 'id']` for each target an earlier rule with that id already covers.
 *
 * @example
 * ```ts
 * const RuleSet = z.array(Rule).superRefine((rules, ctx) => rules.forEach(overrideChecker(ctx)));
 * ```
 */
export function overrideChecker(
  ctx: Pick<z.core.$RefinementCtx, 'addIssue'>,
): (rule: ScopedRule, index: number) => void {
  const metricOf = new Map<string, { metric: string; index: number }>();
  const seen = new Map<string, number>();
  return (rule, index) => {
    const first = metricOf.get(rule.id);
    if (first === undefined) metricOf.set(rule.id, { metric: rule.metric, index });
    else if (first.metric !== rule.metric) {
      ctx.addIssue({
        code: 'custom',
        path: [index, 'metric'],
        message: `rule "${rule.id}" watches ${rule.metric} but rule ${first.index} with the same id watches ${first.metric}; overrides must watch the same metric`,
      });
    }
    for (const target of scopeTargets(rule)) {
      const key = `${rule.id}\u0000${target}`;
      const other = seen.get(key);
      if (other !== undefined) {
        ctx.addIssue({
          code: 'custom',
          path: [index, 'id'],
          message: `rule "${rule.id}" for ${target} is already defined by rule ${other}; give it another id or merge them`,
        });
      } else seen.set(key, index);
    }
  };
}

/** Rules indexed by metric and id, resolving overrides per reading. */
export interface ScopedRuleIndex<R> {
  /** The rule of each id that applies to `reading` (patient over ward over everyone). */
  applicable(reading: Reading, wardId: string | undefined): R[];
  /** `true` when some rule is scoped to a ward. */
  readonly hasWardRules: boolean;
}

/** The variants of one rule id: for everyone, per ward, per patient. */
interface Variants<R> {
  everyone?: R;
  readonly wards: Map<string, R>;
  readonly patients: Map<string, R>;
}

/**
 * Indexes validated rules, storing `prepare(spec)` for each (e.g. the spec itself, or a compiled
 * form), called once per spec in order. Precedence for one id: a rule naming the reading's
 * patient, else a rule for the patient's ward, else the rule without scope; a reading with no
 * patient gets only the rule without scope. A later rule for the same id and target replaces an
 * earlier one (a validated rule set has none).
 *
 * @example
 * ```ts
 * const index = indexScopedRules(parseRuleSet(json), (rule) => rule);
 * const rules = index.applicable(reading, wardOf(reading.patientId));
 * ```
 */
export function indexScopedRules<S extends ScopedRule, R>(
  specs: readonly S[],
  prepare: (spec: S) => R,
): ScopedRuleIndex<R> {
  const byMetric = new Map<MetricId, Map<string, Variants<R>>>();
  let hasWardRules = false;
  for (const spec of specs) {
    const rule = prepare(spec);
    let ids = byMetric.get(spec.metric);
    if (ids === undefined) {
      ids = new Map();
      byMetric.set(spec.metric, ids);
    }
    let variants = ids.get(spec.id);
    if (variants === undefined) {
      variants = { wards: new Map(), patients: new Map() };
      ids.set(spec.id, variants);
    }
    if (spec.scope?.patientIds !== undefined) {
      for (const p of spec.scope.patientIds) variants.patients.set(p, rule);
    } else if (spec.scope?.wardId !== undefined) {
      hasWardRules = true;
      variants.wards.set(spec.scope.wardId, rule);
    } else variants.everyone = rule;
  }
  return {
    hasWardRules,
    applicable(reading, wardId) {
      const ids = byMetric.get(reading.metric);
      if (ids === undefined) return [];
      const out: R[] = [];
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
