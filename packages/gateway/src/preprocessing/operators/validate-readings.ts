import { Reading, safeParse, type ValidationError } from '@healthit/core';
import { map, type OperatorFunction } from 'rxjs';

/** An input that is a valid {@link Reading}. */
export interface ValidReading {
  /** Discriminant of {@link ValidateReadingsOutput}: always `reading`. */
  readonly type: 'reading';
  /** The input as parsed by the `Reading` schema. */
  readonly reading: Reading;
}

/** An input that is not a valid reading: the error names every offending field. */
export interface InvalidReading {
  /** Discriminant of {@link ValidateReadingsOutput}: always `invalid`. */
  readonly type: 'invalid';
  /** The input as received. */
  readonly input: unknown;
  /** What is wrong with it, naming every offending field (and the `source`, when given). */
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
