import type { JsonValue } from '@healthit/core';
import { map, timer } from 'rxjs';
import { z } from 'zod';
import { type ActionSpec, defineAction } from './definition.js';

/** The self-test every simulated actuator runs on request: no params; the report is the status `result`. */
export const DIAGNOSTICS_SELF_TEST = 'diagnostics.self-test';
/** How long a simulated actuator's self-test takes, ms. */
export const SELF_TEST_MS = 2_000;

/** The outcome of one check of a self-test. */
export type SelfTestCheckStatus = 'ok' | 'failed';

/** One check of a self-test: its outcome and why, in words a biomedical engineer can act on. */
export type SelfTestCheck = {
  /** Whether the check passed (`ok`) or `failed`. */
  readonly status: SelfTestCheckStatus;
  /** Why, in words a biomedical engineer can act on, e.g. `mains supply present`. */
  readonly reason: string;
};

/** Device-specific figures a report carries beside its checks, e.g. the delivered flow and the limits. */
export type SelfTestDetails = { readonly [key: string]: JsonValue } & {
  /** Reserved for the report's verdict; a detail may not use this name. */
  readonly passed?: never;
  /** Reserved for the report's list of failed checks; a detail may not use this name. */
  readonly failed?: never;
  /** Reserved for the report's checks; a detail may not use this name. */
  readonly checks?: never;
};

/**
 * The report of a `diagnostics.self-test` (the `result` of its `completed` status), the same shape
 * for every actuator: `passed` is the overall verdict (every check `ok`), `failed` names the failed
 * checks in order, `checks` gives each outcome with its reason, then the device's own figures.
 */
export type SelfTestReport = {
  /** The overall verdict: true only when there is at least one check and every check is `ok`. */
  readonly passed: boolean;
  /** The names of the failed checks, in the order the checks were given; empty when all passed. */
  readonly failed: string[];
  /** Every check by name, with its outcome and reason. */
  readonly checks: { [name: string]: SelfTestCheck };
  readonly [key: string]: JsonValue;
};

/** A passed check. */
export function checkOk(reason: string): SelfTestCheck {
  return Object.freeze({ status: 'ok', reason });
}

/** A failed check. */
export function checkFailed(reason: string): SelfTestCheck {
  return Object.freeze({ status: 'failed', reason });
}

/**
 * Builds a {@link SelfTestReport}: the verdict is `passed` only when there is at least one check
 * and every check is `ok` (a test that checked nothing does not pass).
 * @example
 * ```ts
 * selfTestReport({ power: checkOk('mains supply present') }, { flowLpm: 0 });
 * // { passed: true, failed: [], checks: { power: { status: 'ok', reason: '…' } }, flowLpm: 0 }
 * ```
 */
export function selfTestReport(
  checks: Readonly<Record<string, SelfTestCheck>>,
  details: SelfTestDetails = {},
): SelfTestReport {
  const failed = Object.entries(checks)
    .filter(([, c]) => c.status !== 'ok')
    .map(([name]) => name);
  const passed = failed.length === 0 && Object.keys(checks).length > 0;
  return Object.freeze({
    ...details,
    passed,
    failed,
    checks: { ...checks },
  });
}

/** What {@link defineSelfTest} needs to know of one actuator. */
export interface SelfTestSpec<S, F extends string> {
  /** One line for docs and error messages, e.g. `run the self-test (power, flow) and report`. */
  readonly description: string;
  /**
   * The checks, from the state at the end of the test and the faults active then (the actuator's
   * own fault model: a check fails when a fault it covers is active).
   */
  checks(state: S, faults: readonly F[]): Readonly<Record<string, SelfTestCheck>>;
  /** The device's figures the report carries beside its checks. Default none. */
  details?(state: S): SelfTestDetails;
  /** How long the test takes, ms. Default {@link SELF_TEST_MS}. */
  readonly durationMs?: number;
}

/**
 * The {@link DIAGNOSTICS_SELF_TEST} action of an actuator: no params; accepted and run during a
 * fault (`duringFault`), when other commands are refused; runs for `durationMs` without changing
 * the state, then completes with a {@link SelfTestReport} as its `result`. Like any non-preempting
 * command it waits in the queue behind a running one.
 */
export function defineSelfTest<S, F extends string>(
  spec: SelfTestSpec<S, F>,
): ActionSpec<Record<string, never>, S> {
  const durationMs = spec.durationMs ?? SELF_TEST_MS;
  return defineAction<Record<string, never>, S>({
    description: spec.description,
    params: z.strictObject({}),
    duringFault: true,
    run: (_params, { state, scheduler }) => timer(durationMs, scheduler).pipe(map(() => state)),
    // The runtime passes the names of active faults, which are the definition's own (F).
    result: (state, _params, { faults }) =>
      selfTestReport(spec.checks(state, faults as readonly F[]), spec.details?.(state) ?? {}),
  });
}
