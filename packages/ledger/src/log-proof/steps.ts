/**
 * The stepped verdicts of the offline verifiers (provenance bundles, firmware authorisations): run
 * named checks in order, stop at the first failure, report every step run.
 */

/**
 * The outcome of one step of an offline proof verifier (firmware authorisation, provenance bundle).
 * @typeParam S - The verifier's step names, e.g. {@link FirmwareProofStep}.
 */
export interface StepOutcome<S extends string = string> {
  /** The step's name. */
  readonly step: S;
  /** True when the step passed; false for the failed step, always the last one run. */
  readonly ok: boolean;
  /** What failed (only when `ok` is false). */
  readonly reason?: string;
}

/** Every step passed: the steps run and what the body returned. */
export interface StepsPassed<S extends string, V> {
  readonly ok: true;
  readonly steps: readonly StepOutcome<S>[];
  readonly value: V;
}

/** A step failed: which, why, and the steps run (the last one failed). */
export interface StepsFailed<S extends string> {
  readonly ok: false;
  readonly step: S;
  readonly reason: string;
  readonly steps: readonly StepOutcome<S>[];
}

/** Runs one named step: records it as passed when `run` returns. */
export type StepRunner<S extends string> = <T>(name: S, run: () => T) => T;

/** Thrown inside a verifier only, to stop at a step; never escapes {@link runSteps}. */
class StepFailure {
  constructor(
    readonly step: string,
    readonly reason: string,
  ) {}
}

/** Stops the verification at `step` with `reason`. */
export function failStep(step: string, reason: string): never {
  throw new StepFailure(step, reason);
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Runs `body` with a step runner. Anything thrown inside a step fails that step (its message is
 * the reason); {@link failStep} names the step explicitly. Never throws.
 */
export function runSteps<S extends string, V>(
  first: S,
  body: (step: StepRunner<S>) => V,
): StepsPassed<S, V> | StepsFailed<S> {
  const steps: StepOutcome<S>[] = [];
  let current: S = first;
  const step = <T>(name: S, run: () => T): T => {
    current = name;
    const value = run();
    steps.push({ step: name, ok: true });
    return value;
  };
  try {
    return { ok: true, steps, value: body(step) };
  } catch (error) {
    const failure = error instanceof StepFailure ? error : new StepFailure(current, messageOf(error));
    const failed = failure.step as S;
    steps.push({ step: failed, ok: false, reason: failure.reason });
    return { ok: false, step: failed, reason: failure.reason, steps };
  }
}
