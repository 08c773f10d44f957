import { Reading, safeParse, type ValidationError } from '@healthit/core';
import { map, type OperatorFunction } from 'rxjs';

/** An input that is a valid {@link Reading}. */
export interface ValidReading {
  readonly type: 'reading';
  readonly reading: Reading;
}

/** An input that is not a valid reading: the error names every offending field. */
export interface InvalidReading {
  readonly type: 'invalid';
  readonly input: unknown;
  readonly error: ValidationError;
}

/** What {@link validateReadings} emits. */
export type ValidateReadingsOutput = ValidReading | InvalidReading;

/**
 * Schema validation as an operator: each input is checked against the core `Reading` schema
 * (exact fields, UCUM unit valid for the metric, integer `seq`, ...). Invalid inputs become
 * `invalid` outputs with a `ValidationError` naming the fields (and `source`, when given);
 * the stream goes on. Stateless.
 *
 * @example
 * ```ts
 * json$.pipe(validateReadings('devices/mon-1/readings'))
 * ```
 */
export function validateReadings(source?: string): OperatorFunction<unknown, ValidateReadingsOutput> {
  return map((input): ValidateReadingsOutput => {
    const result = safeParse(Reading, 'Reading', input, source);
    return result.ok
      ? { type: 'reading', reading: result.value }
      : { type: 'invalid', input, error: result.error };
  });
}
