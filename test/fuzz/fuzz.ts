/**
 * The shared fuzzing harness: every `*.fuzz.test.ts` runs its parser through {@link fuzz} (or
 * {@link fuzzAsync}) so that all of them take their run count from one place and check the same
 * things per input:
 *
 * - it returns or throws within {@link FuzzTarget.maxMsPerInput} (slower inputs fail the run at its
 *   end, named; a true infinite loop trips the test's own timeout);
 * - a throw is a typed rejection: a `HealthItError` with a code from `ErrorCodes` and a message, or
 *   whatever the target's {@link FuzzTarget.typed} accepts as the parser's documented error;
 * - anything else (a `TypeError` from deep inside, a stack overflow, a wrong return) is a crash: the
 *   run stops there and reports the input, the error, and fast-check's seed and path (no
 *   shrinking: shrinking megabyte inputs nested a thousand deep can exhaust the heap).
 *
 * Run counts: `FUZZ_RUNS` (default {@link DEFAULT_FUZZ_RUNS}, small enough for `npm test`);
 * `FUZZ_RUNS=100000` is the long run. With `FUZZ_REPORT=<file>` each target appends one JSON line
 * with its counts and timings (what docs/fuzzing.md tabulates).
 */
import { appendFileSync } from 'node:fs';
import { ErrorCodes, HealthItError } from '@healthit/core';
import fc from 'fast-check';

/** Inputs per target when `FUZZ_RUNS` is unset: all fuzz targets together stay well under a minute. */
export const DEFAULT_FUZZ_RUNS = 2_000;

/** The run count: `FUZZ_RUNS` from the environment, else `fallback`. */
export function fuzzRuns(fallback: number = DEFAULT_FUZZ_RUNS): number {
  // biome-ignore lint/suspicious/noUndeclaredEnvVars: read by vitest, which runs outside turbo
  const raw = process.env.FUZZ_RUNS;
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n < 1) throw new RangeError(`FUZZ_RUNS must be an integer ≥ 1, got ${raw}`);
  return n;
}

/** True for the long run (`FUZZ_RUNS` ≥ 100 000): tests may use it to widen their time limits. */
export const LONG_RUN = fuzzRuns() >= 100_000;

/**
 * A vitest timeout for a fuzz test that needs about `msPer1000` ms per 1 000 inputs on an idle core:
 * 4× that for the configured run count (loaded CI machines), at least 20 s.
 */
export function fuzzTimeout(msPer1000: number, runs: number = fuzzRuns()): number {
  return Math.max(20_000, Math.ceil((msPer1000 * runs * 4) / 1000));
}

/** The label of a typed rejection, or undefined when `e` is not one (a crash). */
export type TypedCheck = (e: unknown) => string | undefined;

/** A `HealthItError` with a known code and a message: labelled `Name code[/reason]`. */
export const healthItError: TypedCheck = (e) => {
  if (!(e instanceof HealthItError)) return undefined;
  if (!Object.hasOwn(ErrorCodes, e.code) || typeof e.message !== 'string' || e.message.length === 0)
    return undefined;
  const reason = (e as { reason?: unknown }).reason;
  // a short reason token (`malformed`, `not-authorised` ...), not a free-text one
  return typeof reason === 'string' && /^[a-z][a-z-]{0,39}$/.test(reason)
    ? `${e.name} ${e.code}/${reason}`
    : `${e.name} ${e.code}`;
};

/** Accepts a `HealthItError` (as {@link healthItError}) or an instance of one of `classes`. */
export function healthItErrorOr(...classes: (abstract new (...args: never[]) => Error)[]): TypedCheck {
  return (e) => {
    const label = healthItError(e);
    if (label !== undefined) return label;
    for (const c of classes) if (e instanceof c && e.message.length > 0) return e.name;
    return undefined;
  };
}

/** One parser under fuzzing. */
export interface FuzzTarget<T> {
  /** What is fuzzed, e.g. `ledger decodeEntry`: the row of the results table. */
  readonly name: string;
  readonly inputs: fc.Arbitrary<T>;
  /**
   * Feeds one input to the parser. Returns the outcome's label (e.g. `accepted`, or the reason of
   * a refusing verdict); a throw is a rejection and must pass {@link FuzzTarget.typed}.
   */
  readonly run: (input: T) => string;
  /** Which throws are typed rejections. Default {@link healthItError}. */
  readonly typed?: TypedCheck;
  /**
   * For a target that mixes kinds of input: the kind of `input`, which prefixes the label of its
   * rejection (`<kind>: rejected: …`). Returned labels are the target's own.
   */
  kindOf?(input: T): string;
  /** The time bound per input, ms. Default 1 000 (generous: a loaded 2-core machine pauses for GC). */
  readonly maxMsPerInput?: number;
  readonly seed?: number;
  /** Default {@link fuzzRuns}(). */
  readonly runs?: number;
}

/** What one target's run measured. */
export interface FuzzResult {
  readonly name: string;
  readonly runs: number;
  /** Inputs that returned (any verdict). */
  readonly returned: number;
  /** Inputs rejected with a typed error. */
  readonly rejected: number;
  /** Outcome label → count (returned verdicts and rejection classes). */
  readonly outcomes: Readonly<Record<string, number>>;
  readonly totalMs: number;
  /** The slowest single input, ms. */
  readonly maxInputMs: number;
}

/** What {@link check} and {@link finish} read of a target. */
type Checked = Pick<FuzzTarget<unknown>, 'name' | 'typed' | 'maxMsPerInput' | 'kindOf'>;

interface Tally {
  /** Inputs over the time bound (the first three). */
  slow: string[];
  outcomes: Record<string, number>;
  returned: number;
  rejected: number;
  maxInputMs: number;
}

/** A short, never-throwing description of an input, for a report. */
function describe(input: unknown): string {
  try {
    const text = JSON.stringify(input, (_k, v: unknown) =>
      v instanceof Uint8Array ? `<${v.length} bytes>` : typeof v === 'bigint' ? `${v}n` : v,
    );
    return text === undefined
      ? String(input)
      : text.length > 300
        ? `${Buffer.from(text.slice(0, 300)).toString()}… (${text.length} chars)` // a copy: a slice keeps the text alive
        : text;
  } catch {
    return '<not printable (too deep?)>';
  }
}

function check(
  target: Checked,
  tally: Tally,
  startMs: number,
  outcome: string | Error,
  input: unknown,
): void {
  const ms = performance.now() - startMs;
  const maxMs = target.maxMsPerInput ?? 1_000;
  // A slow input is noted, not thrown: shrinking on a timing (a noisy, loaded machine) would only
  // re-run big inputs many times. The run fails at its end, naming the slow inputs.
  if (ms > maxMs && tally.slow.length < 3) tally.slow.push(`${ms.toFixed(0)} ms: ${describe(input)}`);
  if (ms > tally.maxInputMs) tally.maxInputMs = ms;
  let label: string;
  if (typeof outcome === 'string') {
    tally.returned++;
    label = outcome;
  } else {
    const typed = (target.typed ?? healthItError)(outcome.cause);
    if (typed === undefined) {
      throw new Error(
        `${target.name}: untyped failure: ${String(outcome.cause)}\ninput: ${describe(input)}`,
        {
          cause: outcome.cause,
        },
      );
    }
    tally.rejected++;
    label =
      target.kindOf === undefined ? `rejected: ${typed}` : `${target.kindOf(input)}: rejected: ${typed}`;
  }
  tally.outcomes[label] = (tally.outcomes[label] ?? 0) + 1;
}

function finish(target: Checked, runs: number, tally: Tally, totalMs: number): FuzzResult {
  if (tally.slow.length > 0) {
    throw new Error(
      `${target.name}: inputs over the time bound of ${target.maxMsPerInput ?? 1_000} ms:\n${tally.slow.join('\n')}`,
    );
  }
  return recordFuzzResult({
    name: target.name,
    runs,
    returned: tally.returned,
    rejected: tally.rejected,
    outcomes: tally.outcomes,
    totalMs: Math.round(totalMs),
    maxInputMs: Math.round(tally.maxInputMs * 10) / 10,
  });
}

/**
 * Appends `result` to the `FUZZ_REPORT` file, when set (one JSON line). {@link fuzz} does it; fuzz
 * tests with their own loop (seeded pure-rand generators) call it themselves.
 */
export function recordFuzzResult(result: FuzzResult): FuzzResult {
  // biome-ignore lint/suspicious/noUndeclaredEnvVars: read by vitest, which runs outside turbo
  const report = process.env.FUZZ_REPORT;
  if (report) {
    appendFileSync(report, `${JSON.stringify({ ...result, date: new Date().toISOString() })}\n`);
  }
  return result;
}

/** Wraps a throw so that {@link check} can tell it from a returned label. */
class Thrown extends Error {}

/**
 * Runs a synchronous parser over `target.runs` generated inputs; throws (with fast-check's shrunk
 * counterexample) at the first crash, untyped error or slow input.
 */
export function fuzz<T>(target: FuzzTarget<T>): FuzzResult {
  const runs = target.runs ?? fuzzRuns();
  const tally: Tally = { slow: [], outcomes: {}, returned: 0, rejected: 0, maxInputMs: 0 };
  const stackTraceLimit = Error.stackTraceLimit;
  // Rejected inputs need no stack traces, and capturing them is most of a rejection's cost.
  Error.stackTraceLimit = 0;
  const t0 = performance.now();
  try {
    fc.assert(
      fc.property(target.inputs, (input) => {
        const start = performance.now();
        let outcome: string | Error;
        try {
          outcome = target.run(input);
        } catch (e) {
          outcome = new Thrown('thrown', { cause: e });
        }
        check(target, tally, start, outcome, input);
      }),
      // No shrinking: the first failure is reported as it is (with its seed and path to replay it).
      // Shrinking inputs of up to a megabyte, nested a thousand deep, can exhaust the heap.
      { numRuns: runs, seed: target.seed ?? 0x5eed, endOnFailure: true },
    );
  } finally {
    Error.stackTraceLimit = stackTraceLimit;
  }
  return finish(target, runs, tally, performance.now() - t0);
}

/** {@link fuzz} for a parser that returns a promise. */
export async function fuzzAsync<T>(
  target: Omit<FuzzTarget<T>, 'run'> & { readonly run: (input: T) => Promise<string> },
): Promise<FuzzResult> {
  const runs = target.runs ?? fuzzRuns();
  const tally: Tally = { slow: [], outcomes: {}, returned: 0, rejected: 0, maxInputMs: 0 };
  const stackTraceLimit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  const t0 = performance.now();
  try {
    await fc.assert(
      fc.asyncProperty(target.inputs, async (input) => {
        const start = performance.now();
        let outcome: string | Error;
        try {
          outcome = await target.run(input);
        } catch (e) {
          outcome = new Thrown('thrown', { cause: e });
        }
        check(target, tally, start, outcome, input);
      }),
      // No shrinking: the first failure is reported as it is (with its seed and path to replay it).
      // Shrinking inputs of up to a megabyte, nested a thousand deep, can exhaust the heap.
      { numRuns: runs, seed: target.seed ?? 0x5eed, endOnFailure: true },
    );
  } finally {
    Error.stackTraceLimit = stackTraceLimit;
  }
  return finish(target, runs, tally, performance.now() - t0);
}
