import type { Reading } from '@healthit/core';

/**
 * Why a reading produced no Observation. Every reading given to `toFhirObservations` ends up in an
 * Observation or in `skipped` with one of these reasons: nothing is dropped silently.
 */
export const SKIP_REASONS = {
  'invalid-reading': 'the reading does not match the Reading schema, or its time is outside FHIR dateTime',
  'unmapped-metric': 'the metric has no FHIR R4 vital-signs mapping',
  'bad-quality': 'the reading is flagged quality "bad" (an artefact), which is not charted',
  'no-subject': 'no patient reference can be formed: the reading has no patientId',
  'invalid-reference': 'a patient or device id is not a valid FHIR id for a literal reference',
} as const;

/** One of the {@link SKIP_REASONS}. */
export type SkipReason = keyof typeof SKIP_REASONS;

/** A reading that produced no Observation, with the reason and a message saying what to do. */
export interface SkippedReading {
  /** The reading as it was given to `toFhirObservations`, unchanged. */
  readonly reading: Reading;
  /** Why it made no Observation; one of the keys of {@link SKIP_REASONS}. */
  readonly reason: SkipReason;
  /** Human-readable detail naming the reading and, where there is one, what to change for it to map. */
  readonly message: string;
}
