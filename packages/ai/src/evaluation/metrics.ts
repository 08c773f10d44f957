/**
 * Metrics of binary classifiers: discrimination (AUROC) and calibration (Brier score, reliability
 * bins, expected calibration error), in plain TypeScript with no dependencies. Browser-safe; used by
 * training reports and by accuracy monitoring against delayed labels.
 * @module
 */

/** Labels as 0/1 (or booleans), one per score. */
export type BinaryLabels = ArrayLike<number | boolean>;

function label(labels: BinaryLabels, i: number, what: string): 0 | 1 {
  const y = labels[i];
  if (y === 1 || y === true) return 1;
  if (y === 0 || y === false) return 0;
  throw new RangeError(`${what}: labels[${i}] must be 0, 1, true or false, got ${String(y)}`);
}

function checkPair(scores: ArrayLike<number>, labels: BinaryLabels, what: string): void {
  if (scores.length !== labels.length) {
    throw new RangeError(`${what}: ${scores.length} scores but ${labels.length} labels`);
  }
  for (let i = 0; i < scores.length; i++) {
    if (!Number.isFinite(scores[i])) {
      throw new RangeError(`${what}: scores[${i}] must be a finite number, got ${String(scores[i])}`);
    }
  }
}

function checkProbabilities(p: ArrayLike<number>, what: string): void {
  for (let i = 0; i < p.length; i++) {
    const v = p[i] as number;
    if (!(v >= 0 && v <= 1)) throw new RangeError(`${what}: probabilities[${i}] must be in 0..1, got ${v}`);
  }
}

/**
 * Area under the ROC curve: the probability that a random positive scores higher than a random
 * negative, a tie counting one half (the Mann–Whitney U statistic over positives × negatives, with
 * mid-ranks for ties). 1 is perfect, 0.5 is chance. Any score works (probabilities, NEWS2 totals);
 * only the order matters. O(n log n).
 *
 * @throws {RangeError} when lengths differ, a score is not finite, a label is not 0/1, or there is
 *   not at least one positive and one negative (AUROC is undefined then).
 * @example
 * ```ts
 * auroc([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1]); // 0.75
 * ```
 */
export function auroc(scores: ArrayLike<number>, labels: BinaryLabels): number {
  checkPair(scores, labels, 'auroc');
  const n = scores.length;
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  order.sort((a, b) => (scores[a] as number) - (scores[b] as number));
  let positives = 0;
  let rankSum = 0; // sum of the (1-based, mid-) ranks of the positives
  for (let start = 0; start < n; ) {
    const s = scores[order[start] as number] as number;
    let end = start + 1;
    while (end < n && scores[order[end] as number] === s) end++;
    const midRank = (start + 1 + end) / 2;
    for (let k = start; k < end; k++) {
      if (label(labels, order[k] as number, 'auroc') === 1) {
        positives++;
        rankSum += midRank;
      }
    }
    start = end;
  }
  const negatives = n - positives;
  if (positives === 0 || negatives === 0) {
    throw new RangeError(
      `auroc: needs at least one positive and one negative label, got ${positives} positives and ${negatives} negatives`,
    );
  }
  return (rankSum - (positives * (positives + 1)) / 2) / (positives * negatives);
}

/**
 * Brier score: the mean squared difference between predicted probability and outcome (0 perfect;
 * 0.25 for always predicting 0.5).
 *
 * @throws {RangeError} when lengths differ, the input is empty, a probability is outside 0..1 or a
 *   label is not 0/1.
 */
export function brierScore(probabilities: ArrayLike<number>, labels: BinaryLabels): number {
  checkPair(probabilities, labels, 'brierScore');
  checkProbabilities(probabilities, 'brierScore');
  if (probabilities.length === 0) throw new RangeError('brierScore: no predictions');
  let sum = 0;
  for (let i = 0; i < probabilities.length; i++) {
    const d = (probabilities[i] as number) - label(labels, i, 'brierScore');
    sum += d * d;
  }
  return sum / probabilities.length;
}

/**
 * Mean negative log-likelihood (natural log), probabilities clipped to [1e-15, 1 − 1e-15].
 *
 * @throws {RangeError} as {@link brierScore}.
 */
export function logLoss(probabilities: ArrayLike<number>, labels: BinaryLabels): number {
  checkPair(probabilities, labels, 'logLoss');
  checkProbabilities(probabilities, 'logLoss');
  if (probabilities.length === 0) throw new RangeError('logLoss: no predictions');
  let sum = 0;
  for (let i = 0; i < probabilities.length; i++) {
    const p = Math.min(1 - 1e-15, Math.max(1e-15, probabilities[i] as number));
    sum -= label(labels, i, 'logLoss') === 1 ? Math.log(p) : Math.log(1 - p);
  }
  return sum / probabilities.length;
}

/** One bin of a reliability diagram. */
export interface ReliabilityBin {
  /** Lower edge (inclusive; the first bin also takes 0). */
  readonly from: number;
  /** Upper edge (inclusive for the last bin, which takes 1). */
  readonly to: number;
  /** Predictions in the bin. */
  readonly count: number;
  /** Mean predicted probability in the bin (NaN when empty). */
  readonly meanPredicted: number;
  /** Fraction of positives in the bin (NaN when empty). */
  readonly observedRate: number;
}

/**
 * The reliability diagram: `bins` equal-width bins over 0..1 (a prediction `p` goes to bin
 * `min(floor(p · bins), bins − 1)`), each with its mean prediction and observed rate. A calibrated
 * model has `observedRate ≈ meanPredicted` in every bin.
 *
 * @throws {RangeError} as {@link brierScore}, or when `bins` is not an integer >= 1.
 */
export function reliabilityBins(
  probabilities: ArrayLike<number>,
  labels: BinaryLabels,
  bins = 10,
): ReliabilityBin[] {
  checkPair(probabilities, labels, 'reliabilityBins');
  checkProbabilities(probabilities, 'reliabilityBins');
  if (!Number.isSafeInteger(bins) || bins < 1) {
    throw new RangeError(`reliabilityBins: bins must be an integer >= 1, got ${bins}`);
  }
  const count = new Float64Array(bins);
  const sumP = new Float64Array(bins);
  const sumY = new Float64Array(bins);
  for (let i = 0; i < probabilities.length; i++) {
    const p = probabilities[i] as number;
    const b = Math.min(Math.floor(p * bins), bins - 1);
    count[b] = (count[b] as number) + 1;
    sumP[b] = (sumP[b] as number) + p;
    sumY[b] = (sumY[b] as number) + label(labels, i, 'reliabilityBins');
  }
  return Array.from({ length: bins }, (_, b) => {
    const c = count[b] as number;
    return {
      from: b / bins,
      to: (b + 1) / bins,
      count: c,
      meanPredicted: c > 0 ? (sumP[b] as number) / c : Number.NaN,
      observedRate: c > 0 ? (sumY[b] as number) / c : Number.NaN,
    };
  });
}

/**
 * Expected calibration error over equal-width bins: Σ over non-empty bins of
 * `(count / n) · |observedRate − meanPredicted|` (0 is perfectly calibrated in every bin).
 *
 * @throws {RangeError} as {@link reliabilityBins}, or for an empty input.
 */
export function expectedCalibrationError(
  probabilities: ArrayLike<number>,
  labels: BinaryLabels,
  bins = 10,
): number {
  if (probabilities.length === 0) throw new RangeError('expectedCalibrationError: no predictions');
  return calibrationErrorOf(reliabilityBins(probabilities, labels, bins), probabilities.length);
}

function calibrationErrorOf(bins: readonly ReliabilityBin[], n: number): number {
  let ece = 0;
  for (const b of bins) if (b.count > 0) ece += (b.count / n) * Math.abs(b.observedRate - b.meanPredicted);
  return ece;
}

/** What {@link evaluateBinary} reports. */
export interface BinaryEvaluation {
  /** Predictions evaluated. */
  readonly n: number;
  /** Predictions whose label is 1 (or `true`). */
  readonly positives: number;
  /** Fraction of positives. */
  readonly prevalence: number;
  /** Area under the ROC curve, in [0, 1] (1 perfect, 0.5 chance); see {@link auroc}. */
  readonly auroc: number;
  /** Brier score: mean squared error of the probabilities, in [0, 1] (0 perfect); see {@link brierScore}. */
  readonly brier: number;
  /**
   * Brier skill score against always predicting the prevalence: `1 − brier / (p(1 − p))` (1
   * perfect, 0 no better than the base rate, negative worse).
   */
  readonly brierSkill: number;
  /** Mean negative log-likelihood, natural log (0 perfect, lower is better); see {@link logLoss}. */
  readonly logLoss: number;
  /** Expected calibration error over {@link BinaryEvaluation.bins}. */
  readonly ece: number;
  /** The reliability diagram: equal-width probability bins over [0, 1] (10 by default), see {@link reliabilityBins}. */
  readonly bins: readonly ReliabilityBin[];
}

/**
 * AUROC, Brier score (and its skill), log loss, reliability bins and ECE of predicted
 * probabilities against outcomes, in one pass.
 *
 * @throws {RangeError} as {@link auroc} and {@link reliabilityBins}.
 * @example
 * ```ts
 * const { auroc, brier, ece } = evaluateBinary(model.predict(test.x), test.y);
 * ```
 */
export function evaluateBinary(
  probabilities: ArrayLike<number>,
  labels: BinaryLabels,
  options: { readonly bins?: number } = {},
): BinaryEvaluation {
  const n = probabilities.length;
  const a = auroc(probabilities, labels);
  const bins = reliabilityBins(probabilities, labels, options.bins ?? 10);
  let positives = 0;
  for (let i = 0; i < n; i++) positives += label(labels, i, 'evaluateBinary');
  const prevalence = positives / n;
  const brier = brierScore(probabilities, labels);
  return {
    n,
    positives,
    prevalence,
    auroc: a,
    brier,
    brierSkill: 1 - brier / (prevalence * (1 - prevalence)),
    logLoss: logLoss(probabilities, labels),
    ece: calibrationErrorOf(bins, n),
    bins,
  };
}

/**
 * Turns a discrete score (e.g. a NEWS2 total) into a probability: each score value's observed rate
 * of positives among `scores`/`labels` (histogram calibration); a value never seen gets the overall
 * rate. So a score like NEWS2 can be compared with a model on Brier score and calibration too, not
 * only on AUROC.
 *
 * @throws {RangeError} as {@link brierScore} for empty or mismatched input.
 * @example
 * ```ts
 * const p = calibrateByScore(train.baseline, train.y);
 * evaluateBinary(Array.from(test.baseline, p), test.y);
 * ```
 */
export function calibrateByScore(scores: ArrayLike<number>, labels: BinaryLabels): (score: number) => number {
  checkPair(scores, labels, 'calibrateByScore');
  if (scores.length === 0) throw new RangeError('calibrateByScore: no scores');
  const counts = new Map<number, [number, number]>();
  let positives = 0;
  for (let i = 0; i < scores.length; i++) {
    const y = label(labels, i, 'calibrateByScore');
    positives += y;
    const s = scores[i] as number;
    const c = counts.get(s) ?? [0, 0];
    c[0] += 1;
    c[1] += y;
    counts.set(s, c);
  }
  const overall = positives / scores.length;
  return (score) => {
    const c = counts.get(score);
    return c === undefined ? overall : c[1] / c[0];
  };
}
