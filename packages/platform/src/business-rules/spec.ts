import { AlertSeverity, HealthItError, parseJsonText, ValidationError } from '@healthit/core';
import { z } from 'zod';

/** The name used in {@link ValidationError}s for a business rule set. */
export const BUSINESS_RULE_SET_SCHEMA_NAME = 'BusinessRuleSet';
/** Rules in one rule set at most. */
export const MAX_BUSINESS_RULES = 1_000;

const RULE_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const NAME = /^[A-Za-z0-9][A-Za-z0-9._:@/-]{0,127}$/;
const NAME_HINT =
  'must be 1-128 letters, digits, ".", "_", ":", "@", "/", "-", starting with a letter or digit';
const name = () => z.string().regex(NAME, NAME_HINT);

/** Where a patient rule applies: these patients, or patients of these wards; without it, everyone. */
export const PatientScope = z
  .strictObject({
    patientIds: z.array(name()).min(1).max(10_000).optional(),
    wardIds: z.array(name()).min(1).max(256).optional(),
  })
  .refine((s) => (s.patientIds === undefined) !== (s.wardIds === undefined), {
    message: 'give exactly one of "patientIds" or "wardIds"',
  });
/** A patient rule's scope. */
export type PatientScope = z.infer<typeof PatientScope>;

const common = {
  /** Stable id; alerts carry `rule: "business:<id>"`. */
  id: z
    .string()
    .regex(RULE_ID, 'must be 1-64 letters, digits, ".", "_", "-", starting with a letter or digit'),
  severity: AlertSeverity,
  /** Who should hear about it, e.g. `["ward-7-nurses", "rapid-response"]`. */
  route: z.array(name()).max(32).default([]),
  /** Overrides the generated alert message. */
  message: z.string().min(1).max(500).optional(),
  /** A disabled rule is validated but not run. */
  enabled: z.boolean().default(true),
};

/**
 * Body weight up by more than `gainKg` within `windowDays`, for patients with `conditionTag`
 * (e.g. heart failure: fluid retention). Evaluated against stored history when a weight arrives.
 */
export const WeightGainRule = z.strictObject({
  ...common,
  type: z.literal('weight-gain'),
  conditionTag: name(),
  gainKg: z.number().finite().positive().max(100),
  windowDays: z.number().finite().positive().max(60),
  scope: PatientScope.optional(),
});
export type WeightGainRule = z.infer<typeof WeightGainRule>;

/** A NEWS2 aggregate score of at least `minScore` sustained for `forMinutes`. */
export const News2SustainedRule = z.strictObject({
  ...common,
  type: z.literal('news2-sustained'),
  minScore: z.number().int().min(1).max(20),
  forMinutes: z
    .number()
    .finite()
    .positive()
    .max(24 * 60),
  scope: PatientScope.optional(),
});
export type News2SustainedRule = z.infer<typeof News2SustainedRule>;

/** A device silent (no heartbeat, no reading) for `silenceMinutes`; fires once per silence. */
export const DeviceOfflineRule = z.strictObject({
  ...common,
  type: z.literal('device-offline'),
  silenceMinutes: z
    .number()
    .finite()
    .positive()
    .max(7 * 24 * 60),
  /** Only these devices; without it, every device seen. */
  deviceIds: z.array(name()).min(1).max(100_000).optional(),
});
export type DeviceOfflineRule = z.infer<typeof DeviceOfflineRule>;

/** One business rule, discriminated on `type`. */
export const BusinessRule = z.discriminatedUnion('type', [
  WeightGainRule,
  News2SustainedRule,
  DeviceOfflineRule,
]);
export type BusinessRule = z.infer<typeof BusinessRule>;
/** The rule types. */
export const BUSINESS_RULE_TYPES = ['weight-gain', 'news2-sustained', 'device-offline'] as const;

/** A rule set: `{ "version"?: string, "rules": [...] }` with unique rule ids. */
export const BusinessRuleSet = z
  .strictObject({
    version: z.string().min(1).max(64).optional(),
    rules: z.array(BusinessRule).max(MAX_BUSINESS_RULES),
  })
  .superRefine((set, ctx) => {
    const seen = new Map<string, number>();
    set.rules.forEach((r, i) => {
      const first = seen.get(r.id);
      if (first !== undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['rules', i, 'id'],
          message: `duplicate rule id "${r.id}" (also rule ${first}); rule ids must be unique`,
        });
      } else seen.set(r.id, i);
    });
  });
export type BusinessRuleSet = z.infer<typeof BusinessRuleSet>;

function ruleIdAt(input: unknown, index: unknown): string | undefined {
  if (typeof index !== 'number' || typeof input !== 'object' || input === null) return undefined;
  const rules = (input as { rules?: unknown }).rules;
  if (!Array.isArray(rules)) return undefined;
  const id = (rules[index] as { id?: unknown } | undefined)?.id;
  return typeof id === 'string' ? id : undefined;
}

/**
 * Validates a business rule set given as JSON text or as a parsed value.
 *
 * @throws {ValidationError} (a `HealthItError`, `validation/invalid`) naming, for every problem, the
 * rule (index and id) and the field, e.g.
 * `Invalid BusinessRuleSet (from rules.json): rules.1.forMinutes: rule "news2-5": Too small ...`.
 * @example
 * ```ts
 * const set = parseBusinessRuleSet(await readFile('rules.json', 'utf8'), 'rules.json');
 * ```
 */
export function parseBusinessRuleSet(json: unknown, source?: string): BusinessRuleSet {
  const src = source === undefined ? {} : { source };
  const input = parseJsonText(json, BUSINESS_RULE_SET_SCHEMA_NAME, 'give { "rules": [...] }', source);
  const result = BusinessRuleSet.safeParse(input);
  if (result.success) return result.data;
  const issues = result.error.issues.map((i) => {
    const id = i.path[0] === 'rules' ? ruleIdAt(input, i.path[1]) : undefined;
    return {
      path: i.path.map(String).join('.'),
      code: i.code,
      message: id === undefined ? i.message : `rule "${id}": ${i.message}`,
    };
  });
  throw new ValidationError(BUSINESS_RULE_SET_SCHEMA_NAME, issues, { ...src, cause: result.error });
}

/** What the engine needs from its options to run a rule set (checked before the set replaces the running one). */
export interface RuleRequirements {
  /** Whether the engine was given a `ReadingStore` (`options.store`); `weight-gain` rules need one. */
  readonly hasStore: boolean;
  /** Whether the engine was given `options.conditionsOf`; `weight-gain` rules need it. */
  readonly hasConditions: boolean;
  /** Whether the engine was given `options.wardOf`; rules scoped by `scope.wardIds` need it. */
  readonly hasWards: boolean;
}

/**
 * Checks that the engine can run every enabled rule of `set`.
 * @throws {HealthItError} `config/invalid` naming the rule and the field, with `detail.ruleId`
 * and `detail.field`.
 */
export function checkRunnable(set: BusinessRuleSet, has: RuleRequirements): void {
  set.rules.forEach((rule, i) => {
    if (!rule.enabled) return;
    const fail = (field: string, what: string): never => {
      throw new HealthItError('config/invalid', `rule "${rule.id}" (rules.${i}.${field}): ${what}`, {
        detail: { ruleId: rule.id, index: i, field },
      });
    };
    if (rule.type === 'weight-gain') {
      if (!has.hasStore)
        fail(
          'type',
          'weight-gain rules query stored history: give the engine a ReadingStore (options.store)',
        );
      if (!has.hasConditions) {
        fail(
          'conditionTag',
          "weight-gain rules need the patients' condition tags: give options.conditionsOf",
        );
      }
    }
    if (rule.type !== 'device-offline' && rule.scope?.wardIds !== undefined && !has.hasWards) {
      fail('scope.wardIds', "ward-scoped rules need the patients' wards: give options.wardOf");
    }
  });
}
