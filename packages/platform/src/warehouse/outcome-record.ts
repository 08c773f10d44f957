import { EpochMs, PatientId } from '@healthit/core';
import { z } from 'zod';

/**
 * The kinds of clinical outcome the warehouse keeps, for model training and cohort mining:
 *
 * - `rapid-response`: a rapid-response (medical emergency) team was called;
 * - `icu-admission`: the patient was admitted to intensive care;
 * - `cardiac-arrest`: a cardiac arrest (a resuscitation call);
 * - `death`, `discharge`: the end of the episode;
 * - `news2-high`: NEWS2 reached the high band (≥ 7 by default) after being below it — derived from the
 *   `scores` dataset by {@link news2HighOutcomes}; the label of the deterioration-risk model;
 * - `deterioration-onset`: an acute deterioration began (ground truth; e.g. a simulated patient's
 *   `deteriorating`, `hypoxic` or `fever` phase, see {@link outcomesFromTimeline}).
 */
export const OUTCOME_KINDS = [
  'rapid-response',
  'icu-admission',
  'cardiac-arrest',
  'death',
  'discharge',
  'news2-high',
  'deterioration-onset',
] as const;

/** One of {@link OUTCOME_KINDS}. */
export const OutcomeKind = z.enum(OUTCOME_KINDS);
export type OutcomeKind = z.infer<typeof OutcomeKind>;

/**
 * A clinical outcome of a patient at a time, as the warehouse's `outcomes` dataset keeps it.
 * Exactly these fields; unknown fields are rejected.
 */
export const OutcomeRecord = z.strictObject({
  patientId: PatientId,
  /** When it happened (epoch ms). */
  ts: EpochMs,
  kind: OutcomeKind,
  /**
   * Where it is known from, e.g. `ehr`, `adt`, `clinician`, `derived:news2` (see
   * {@link news2HighOutcomes}), `simulator` (ground truth, see {@link outcomesFromTimeline}).
   */
  source: z.string().min(1).max(100),
  /** The patient's episode (admission, encounter) it belongs to, when known. */
  episodeId: z.string().min(1).max(300).optional(),
  /** What else is known, e.g. the NEWS2 total, the scenario, the ward. */
  detail: z.string().max(1000).optional(),
});
export type OutcomeRecord = z.infer<typeof OutcomeRecord>;

/** The name {@link OutcomeRecord} validation errors carry. */
export const OUTCOME_RECORD_SCHEMA_NAME = 'OutcomeRecord';
