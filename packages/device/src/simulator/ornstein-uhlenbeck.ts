/**
 * The coefficients of one exact step of an Ornstein–Uhlenbeck process
 * `dX = θ (μ − X) dt + σ dW`, parametrised by its stationary standard deviation
 * `sd = σ / √(2θ)` and time constant `1/θ`.
 *
 * Over a step of `Δ` the exact transition is
 * `X(t+Δ) = μ + (X(t) − μ)·a + sd·√(1 − a²)·Z` with `a = e^(−Δθ)` and `Z ~ N(0, 1)`,
 * so the discretised process has the same mean, variance and autocorrelation as the continuous one
 * at every step size (no Euler–Maruyama error). The mean is held constant within a step.
 */
export interface OuStep {
  /** `a = e^(−Δ/τ)`: how much of the current deviation from the mean survives one step. */
  readonly decay: number;
  /** `sd·√(1 − a²)`: the standard deviation of one step's innovation. */
  readonly innovationSd: number;
}

/**
 * The exact step of an Ornstein–Uhlenbeck process with stationary standard deviation `sd` and
 * time constant `timeConstantMs`, over `stepMs`.
 *
 * @throws {RangeError} when `sd` is negative or a time is not positive and finite.
 * @example
 * ```ts
 * const step = ouStep(3, 60_000, 1_000);
 * x = ouAdvance(step, x, mean, random.normal());
 * ```
 */
export function ouStep(sd: number, timeConstantMs: number, stepMs: number): OuStep {
  if (!(sd >= 0) || !Number.isFinite(sd)) throw new RangeError(`sd must be finite and >= 0, got ${sd}`);
  if (!(timeConstantMs > 0) || !Number.isFinite(timeConstantMs)) {
    throw new RangeError(`timeConstantMs must be finite and > 0, got ${timeConstantMs}`);
  }
  if (!(stepMs > 0) || !Number.isFinite(stepMs)) {
    throw new RangeError(`stepMs must be finite and > 0, got ${stepMs}`);
  }
  const decay = Math.exp(-stepMs / timeConstantMs);
  return { decay, innovationSd: sd * Math.sqrt(1 - decay * decay) };
}

/** Advances `x` by one exact step towards `mean`, with the standard normal draw `z`. */
export function ouAdvance(step: OuStep, x: number, mean: number, z: number): number {
  return mean + (x - mean) * step.decay + step.innovationSd * z;
}
