import { HealthItError } from '@healthit/core';

/**
 * An analytics request would exceed one of its size limits (too many buckets or steps): the
 * result would not fit the bounded memory the functions promise. Permanent (`validation/invalid`):
 * the same request fails the same way; narrow the range, widen the step, or raise the limit.
 */
export class AnalyticsLimitError extends HealthItError {
  /** Always `AnalyticsLimitError`. */
  override readonly name: string = 'AnalyticsLimitError';
  /** The option that sets the limit, e.g. `maxSteps`. */
  readonly limit: string;
  /** Its value. */
  readonly max: number;
  /** What the request would have needed. */
  readonly requested: number;

  /**
   * Creates the error (code `validation/invalid`).
   * @param operation - The function refused, e.g. `rollingStats`; starts the message.
   * @param limit - The option that sets the limit, e.g. `maxSteps` or `maxBuckets`.
   * @param requested - Steps or buckets the request would need.
   * @param max - The limit's value.
   * @param hint - What to do instead, appended to the message (e.g. `use a wider stepMs or a shorter range`).
   */
  constructor(operation: string, limit: string, requested: number, max: number, hint: string) {
    super(
      'validation/invalid',
      `${operation}: the request needs ${requested} ${limit === 'maxSteps' ? 'steps' : 'buckets'}, ` +
        `more than ${limit} = ${max}; ${hint}`,
      { detail: { operation, limit, requested, max } },
    );
    this.limit = limit;
    this.max = max;
    this.requested = requested;
  }
}
