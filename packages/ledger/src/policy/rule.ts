import { z } from 'zod';
import { Role } from './role.js';

/**
 * An endorsement rule: an expression tree over roles.
 * - `{ role }`: a valid key holding the role signed;
 * - `{ all: [...] }`: every sub-rule holds (AND);
 * - `{ any: [...] }`: at least one sub-rule holds (OR);
 * - `{ atLeast: k, of: [...] }`: at least `k` of the sub-rules hold (k-of-n).
 *
 * Sub-rules are satisfied by *different* signers: one key fills at most one `role` leaf, and one
 * organisation fills a given role at most once (see `evaluateEndorsement`).
 */
export type EndorsementRule =
  | {
      /** A valid key holding this role, e.g. `manufacturer.release`, signed. */
      readonly role: Role;
    }
  | {
      /** Sub-rules that must all hold (AND): at least one, each by different signers. */
      readonly all: readonly EndorsementRule[];
    }
  | {
      /** Sub-rules of which at least one must hold (OR): at least one. */
      readonly any: readonly EndorsementRule[];
    }
  | {
      /** How many of `of` must hold (k of n): an integer from 1 to the number of sub-rules. */
      readonly atLeast: number;
      /** The sub-rules counted towards `atLeast`: at least one. */
      readonly of: readonly EndorsementRule[];
    };

/** Most `role` leaves one rule may have (bounds the evaluation work). */
export const MAX_RULE_LEAVES = 32;

/** Deepest nesting of a rule (a lone `role` leaf has depth 1). */
export const MAX_RULE_DEPTH = 8;

const children = (): z.ZodArray<z.ZodType<EndorsementRule>> =>
  z
    .array(z.lazy(() => RuleNode))
    .min(1, 'needs at least one sub-rule')
    .max(MAX_RULE_LEAVES);

const RuleNode: z.ZodType<EndorsementRule> = z.union([
  z.strictObject({ role: Role }),
  z.strictObject({ all: children() }),
  z.strictObject({ any: children() }),
  z
    .strictObject({ atLeast: z.number().int().min(1), of: children() })
    .refine((r) => r.atLeast <= r.of.length, {
      message: 'atLeast must not exceed the number of sub-rules',
      path: ['atLeast'],
    }),
]) as z.ZodType<EndorsementRule>;

/** The sub-rules of a rule node (none for a `role` leaf). */
export function subRules(rule: EndorsementRule): readonly EndorsementRule[] {
  if ('all' in rule) return rule.all;
  if ('any' in rule) return rule.any;
  if ('of' in rule) return rule.of;
  return [];
}

/** Depth of a rule: 1 for a `role` leaf, 1 + the deepest sub-rule otherwise. */
export function ruleDepth(rule: EndorsementRule): number {
  const subs = subRules(rule);
  return subs.length === 0 ? 1 : 1 + Math.max(...subs.map(ruleDepth));
}

/** Every role a rule names, each once, in order of first appearance. */
export function ruleRoles(rule: EndorsementRule): readonly Role[] {
  const out = new Set<Role>();
  const walk = (r: EndorsementRule, depth: number): void => {
    if (depth > MAX_RULE_DEPTH + 1) return; // unvalidated input: stop instead of recursing forever
    if ('role' in r) out.add(r.role);
    for (const s of subRules(r)) walk(s, depth + 1);
  };
  walk(rule, 1);
  return [...out];
}

function countLeaves(rule: EndorsementRule, depth: number): number {
  if (depth > MAX_RULE_DEPTH) return Number.POSITIVE_INFINITY;
  if ('role' in rule) return 1;
  return subRules(rule).reduce((n, s) => n + countLeaves(s, depth + 1), 0);
}

/**
 * The zod schema of an {@link EndorsementRule}: strict objects, `all` / `any` / `of` non-empty,
 * `1 <= atLeast <= of.length`, at most {@link MAX_RULE_LEAVES} leaves and
 * {@link MAX_RULE_DEPTH} levels.
 * @example
 * ```ts
 * const firmware = EndorsementRule.parse({
 *   all: [{ role: 'manufacturer.release' }, { any: [{ role: 'manufacturer.qa' }, { role: 'hospital.biomed' }] }],
 * });
 * ```
 */
export const EndorsementRule: z.ZodType<EndorsementRule> = RuleNode.superRefine((rule, ctx) => {
  const depth = ruleDepth(rule);
  if (depth > MAX_RULE_DEPTH) {
    ctx.addIssue({ code: 'custom', message: `rule is ${depth} levels deep, at most ${MAX_RULE_DEPTH}` });
    return;
  }
  const leaves = countLeaves(rule, 1);
  if (leaves > MAX_RULE_LEAVES) {
    ctx.addIssue({ code: 'custom', message: `rule has ${leaves} role leaves, at most ${MAX_RULE_LEAVES}` });
  }
});
