import { z } from 'zod';
import type { Comparison } from '../rules/declarative/spec.js';

/** The comparison keys a {@link ControlCondition} may use, and the comparison each one means. */
export const CONDITION_COMPARISONS = {
  below: '<',
  atMost: '<=',
  above: '>',
  atLeast: '>=',
} as const satisfies Record<string, Comparison>;

/** One of the keys of {@link CONDITION_COMPARISONS}. */
export type ConditionKey = keyof typeof CONDITION_COMPARISONS;

const CONDITION_KEYS = Object.keys(CONDITION_COMPARISONS) as ConditionKey[];

/** The longest duration a condition may require: one day. */
export const MAX_CONDITION_MS = 86_400_000;

const threshold = z.number().finite().optional();

/**
 * A condition on a metric that must hold continuously for `forMs` (reading timestamps) before it
 * counts: exactly one of `below` (`<`), `atMost` (`<=`), `above` (`>`), `atLeast` (`>=`), in the
 * metric's canonical unit.
 *
 * @example
 * ```json
 * { "below": 88, "forMs": 30000 }
 * ```
 */
export const ControlCondition = z
  .strictObject({
    below: threshold,
    atMost: threshold,
    above: threshold,
    atLeast: threshold,
    /** How long the condition must hold, ms (an integer 0 … 86 400 000); 0 = the first reading. */
    forMs: z.number().int().nonnegative().max(MAX_CONDITION_MS),
  })
  .superRefine((c, ctx) => {
    const given = CONDITION_KEYS.filter((k) => c[k] !== undefined);
    if (given.length !== 1) {
      ctx.addIssue({
        code: 'custom',
        message: `give exactly one of ${CONDITION_KEYS.map((k) => `"${k}"`).join(', ')}; got ${given.length === 0 ? 'none' : given.join(', ')}`,
      });
    }
  });
/** A validated condition. */
export type ControlCondition = z.infer<typeof ControlCondition>;

/** A condition as a comparison against a threshold. */
export interface ResolvedCondition {
  /**
   * The comparison a reading's value must satisfy against `value`: `<` (`below`), `<=` (`atMost`),
   * `>` (`above`) or `>=` (`atLeast`).
   */
  readonly comparison: Comparison;
  /** The threshold, in the metric's canonical unit. */
  readonly value: number;
  /**
   * How long the condition must hold, in ms of reading timestamps (0 … 86 400 000); 0 = the first
   * reading.
   */
  readonly forMs: number;
}

/**
 * The comparison and threshold of a validated condition.
 * @throws {TypeError} when the condition has no comparison key (it was not validated).
 */
export function resolveCondition(c: ControlCondition): ResolvedCondition {
  for (const key of CONDITION_KEYS) {
    const value = c[key];
    if (value !== undefined) return { comparison: CONDITION_COMPARISONS[key], value, forMs: c.forMs };
  }
  throw new TypeError('resolveCondition: the condition has none of below, atMost, above, atLeast');
}

/** The comparison and threshold of a condition, or `undefined` when it has not exactly one. */
export function tryResolveCondition(c: ControlCondition): ResolvedCondition | undefined {
  const given = CONDITION_KEYS.filter((k) => c[k] !== undefined);
  return given.length === 1 ? resolveCondition(c) : undefined;
}

/** A condition as text, e.g. `< 88 for 30 s`. */
export function describeCondition(c: ResolvedCondition): string {
  return `${c.comparison} ${c.value}${c.forMs > 0 ? ` for ${c.forMs / 1000} s` : ''}`;
}

/** `true` when some value satisfies both conditions (ignoring their durations). */
export function conditionsOverlap(a: ResolvedCondition, b: ResolvedCondition): boolean {
  const aBelow = a.comparison.startsWith('<');
  const bBelow = b.comparison.startsWith('<');
  if (aBelow === bBelow) return true;
  const [upper, lower] = aBelow ? [a, b] : [b, a];
  if (upper.value > lower.value) return true;
  return upper.value === lower.value && upper.comparison === '<=' && lower.comparison === '>=';
}
