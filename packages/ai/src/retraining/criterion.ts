import type { BinaryEvaluation } from '../evaluation/metrics.js';

/**
 * When a retrained candidate replaces the current model. Both are evaluated on the **same**
 * held-out rows (patients neither was trained on); the candidate is promoted only when
 *
 * - the held-out set is large enough to decide (`minTestRows` rows, `minTestPositives` positives
 *   and as many negatives), and
 * - its AUROC is higher than the current model's by at least `minAurocGain`, and
 * - its Brier score is not worse than the current model's by more than `maxBrierIncrease`
 *   (default 0: not worse at all).
 *
 * So a candidate must rank better *and* stay at least as well calibrated; a tie is not a promotion
 * (a new version has costs: approval, rollout, a new reference for monitoring).
 */
export interface PromotionCriterion {
  /** Default 0.01. */
  readonly minAurocGain?: number;
  /** Default 0. */
  readonly maxBrierIncrease?: number;
  /** Default 200. */
  readonly minTestRows?: number;
  /** Default 20. */
  readonly minTestPositives?: number;
}

/** The criterion with its defaults filled in. */
export type ResolvedCriterion = Required<PromotionCriterion>;

/** A promotion decision and why. */
export interface PromotionVerdict {
  /** True when the candidate passed every check and should replace the current model. */
  readonly promote: boolean;
  /** Every check, passed or failed, as a sentence (e.g. for the approval record and the logs). */
  readonly reasons: readonly string[];
  /** The criterion applied, with its defaults filled in. */
  readonly criterion: ResolvedCriterion;
}

/**
 * The criterion with defaults.
 * @throws {RangeError} for a value out of range.
 */
export function resolveCriterion(c: PromotionCriterion = {}): ResolvedCriterion {
  const r = {
    minAurocGain: c.minAurocGain ?? 0.01,
    maxBrierIncrease: c.maxBrierIncrease ?? 0,
    minTestRows: c.minTestRows ?? 200,
    minTestPositives: c.minTestPositives ?? 20,
  };
  if (!(r.minAurocGain >= 0 && r.minAurocGain < 1)) {
    throw new RangeError(`criterion: minAurocGain must be in [0, 1), got ${r.minAurocGain}`);
  }
  if (!(r.maxBrierIncrease >= 0 && r.maxBrierIncrease < 1)) {
    throw new RangeError(`criterion: maxBrierIncrease must be in [0, 1), got ${r.maxBrierIncrease}`);
  }
  for (const k of ['minTestRows', 'minTestPositives'] as const) {
    if (!Number.isSafeInteger(r[k]) || r[k] < 1)
      throw new RangeError(`criterion: ${k} must be an integer >= 1, got ${r[k]}`);
  }
  return r;
}

const f4 = (x: number) => x.toFixed(4);

/**
 * Decides whether `candidate` replaces `current`, both evaluated on the same held-out rows (see
 * {@link PromotionCriterion}).
 *
 * @throws {RangeError} when the two evaluations are not of the same rows (different `n` or
 *   positives), or the criterion is out of range.
 * @example
 * ```ts
 * decidePromotion(evaluateBinary(pCurrent, test.y), evaluateBinary(pCandidate, test.y)).promote;
 * ```
 */
export function decidePromotion(
  current: BinaryEvaluation,
  candidate: BinaryEvaluation,
  criterion: PromotionCriterion = {},
): PromotionVerdict {
  const c = resolveCriterion(criterion);
  if (current.n !== candidate.n || current.positives !== candidate.positives) {
    throw new RangeError(
      `decidePromotion: the evaluations are not of the same held-out rows (${current.n}/${current.positives} vs ${candidate.n}/${candidate.positives})`,
    );
  }
  const negatives = current.n - current.positives;
  const enough =
    current.n >= c.minTestRows && current.positives >= c.minTestPositives && negatives >= c.minTestPositives;
  const gain = candidate.auroc - current.auroc;
  const brierChange = candidate.brier - current.brier;
  const aurocOk = gain >= c.minAurocGain;
  const brierOk = brierChange <= c.maxBrierIncrease;
  const reasons = [
    `held-out set: ${current.n} rows, ${current.positives} positives ${enough ? '≥' : '<'} the ${c.minTestRows} rows and ${c.minTestPositives} positives and negatives required`,
    `AUROC ${f4(candidate.auroc)} vs ${f4(current.auroc)}: ${gain >= 0 ? '+' : ''}${f4(gain)} ${aurocOk ? '≥' : '<'} the required gain ${f4(c.minAurocGain)}`,
    `Brier ${f4(candidate.brier)} vs ${f4(current.brier)}: ${brierChange >= 0 ? '+' : ''}${f4(brierChange)} ${brierOk ? '≤' : '>'} the allowed increase ${f4(c.maxBrierIncrease)}`,
  ];
  return { promote: enough && aurocOk && brierOk, reasons, criterion: c };
}
