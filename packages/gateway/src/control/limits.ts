import type { ControlLimits } from './spec.js';

/** The window of {@link ControlLimits} `maxChangePerMinute`, ms. */
export const RATE_WINDOW_MS = 60_000;
/**
 * The most changes remembered per actuator for the rate limit. When this many fall in the window,
 * no change is allowed until the oldest leaves it (fail safe).
 */
export const MAX_RATE_ENTRIES = 64;
/** Tolerance for float noise when comparing changes with limits (not clinical). */
export const LIMIT_TOLERANCE = 1e-9;

/** Which limit shaped or stopped a command. */
export type ControlLimitName = 'min' | 'max' | 'step' | 'rate';

/** A change the loop made in the past {@link RATE_WINDOW_MS}: when and how much (absolute). */
export interface RecordedChange {
  /** When the command was issued, in ms since the epoch by the loop's clock. */
  readonly ts: number;
  /** How far the command moved the output, absolute (never negative), in the output's unit. */
  readonly delta: number;
}

/** One limit that changed the commanded value. */
export interface LimitApplied {
  /** Which limit: `min` or `max` (clamped into the limits), `step` or `rate`. */
  readonly limit: ControlLimitName;
  /** The value before this limit, in the output's unit. */
  readonly from: number;
  /** The value after this limit, in the output's unit. */
  readonly to: number;
}

/** What the limits allow of a wanted change. */
export type LimitDecision =
  | {
      /** A command may be sent. */
      readonly kind: 'send';
      /** The value to command, within `[min, max]` and in the wanted direction. */
      readonly value: number;
      /** The limits that changed the wanted value, in the order applied; empty when none did. */
      readonly applied: readonly LimitApplied[];
    }
  /**
   * Nothing may be sent: `rate` (the minute's change is used up) or `at-limit` (the limits leave
   * no change in the wanted direction, e.g. the output is already at `max`, or outside the limits
   * where only a clinician may move it).
   */
  | {
      /** Nothing may be sent. */
      readonly kind: 'hold';
      /** Which limit stops the change: `rate` or `at-limit` (see above). */
      readonly reason: 'rate' | 'at-limit';
    };

/** Drops the changes that have left the rate window (mutates `changes`). */
export function pruneChanges(changes: RecordedChange[], now: number): void {
  while (changes.length > 0 && (changes[0] as RecordedChange).ts <= now - RATE_WINDOW_MS) changes.shift();
}

/**
 * Shapes a wanted change of an output from `current` towards `target` by the limits, in order:
 * clamp into `[min, max]`, at most `maxStepPerCommand`, at most what is left of
 * `maxChangePerMinute` given the `changes` of the last minute (pruned here). The result never
 * leaves `[min, max]` and never moves the output against the wanted direction. Pure apart from
 * pruning `changes`.
 */
export function limitChange(
  limits: ControlLimits,
  current: number,
  target: number,
  changes: RecordedChange[],
  now: number,
): LimitDecision {
  const applied: LimitApplied[] = [];
  const up = target > current;
  let value = target;
  if (value > limits.max) {
    applied.push({ limit: 'max', from: value, to: limits.max });
    value = limits.max;
  } else if (value < limits.min) {
    applied.push({ limit: 'min', from: value, to: limits.min });
    value = limits.min;
  }
  if (up ? value <= current + LIMIT_TOLERANCE : value >= current - LIMIT_TOLERANCE) {
    return { kind: 'hold', reason: 'at-limit' };
  }
  const step = limits.maxStepPerCommand;
  if (step !== undefined && Math.abs(value - current) > step + LIMIT_TOLERANCE) {
    const to = up ? current + step : current - step;
    applied.push({ limit: 'step', from: value, to });
    value = to;
  }
  pruneChanges(changes, now);
  const used = changes.reduce((sum, c) => sum + c.delta, 0);
  const budget = changes.length >= MAX_RATE_ENTRIES ? 0 : limits.maxChangePerMinute - used;
  if (budget <= LIMIT_TOLERANCE) return { kind: 'hold', reason: 'rate' };
  if (Math.abs(value - current) > budget + LIMIT_TOLERANCE) {
    const to = up ? current + budget : current - budget;
    applied.push({ limit: 'rate', from: value, to });
    value = to;
  }
  // Only possible when `current` itself is outside the limits: leave it to a clinician.
  if (value < limits.min || value > limits.max) return { kind: 'hold', reason: 'at-limit' };
  return { kind: 'send', value, applied };
}
