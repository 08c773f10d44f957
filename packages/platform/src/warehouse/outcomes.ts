import type { DuckDBListValue, DuckDBStructValue } from '@duckdb/node-api';
import { type PatientId, ValidationError, type ValidationIssue } from '@healthit/core';
import { OUTCOME_KINDS, type OutcomeKind, type OutcomeRecord } from './outcome-record.js';
import type { ParquetWarehouse } from './parquet-warehouse.js';
import { sqlString } from './sql.js';

/** The NEWS2 total from which the clinical risk is high (RCP 2017): an emergency response. */
export const NEWS2_HIGH_THRESHOLD = 7;

/** The `source` of the outcomes {@link news2HighOutcomes} derives. */
export const NEWS2_DERIVED_SOURCE = 'derived:news2';

function assertOptions(
  schema: string,
  checks: readonly (readonly [path: string, ok: boolean, message: string])[],
): void {
  const issues: ValidationIssue[] = checks
    .filter(([, ok]) => !ok)
    .map(([path, , message]) => ({ path, message, code: 'custom' }));
  if (issues.length > 0) throw new ValidationError(schema, issues);
}

const isTime = (t: number | undefined) => t === undefined || (Number.isSafeInteger(t) && t >= 0);

/**
 * Derives `news2-high` outcomes from the `scores` dataset: each time a patient's NEWS2 total reaches
 * `threshold` (default {@link NEWS2_HIGH_THRESHOLD}) after a score below it (or as their first
 * score) — the onset of a high-risk episode, which is what a deterioration-risk model predicts.
 * Only onsets with `from <= ts < to` are returned, but whether an episode was already running is
 * judged from all earlier scores: deriving `[t0, t1)` then `[t1, t2)` gives what `[t0, t2)` gives,
 * so the derivation can run incrementally after each export. Append the result with
 * `warehouse.appendOutcomes`. Only the patients with a high score in the range are sorted (a hash
 * aggregate finds them).
 *
 * @throws {ValidationError} for a threshold that is not an integer 1–20, or a `from`/`to` that is not
 *   a non-negative integer.
 */
export async function news2HighOutcomes(
  warehouse: ParquetWarehouse,
  options: { readonly threshold?: number; readonly from?: number; readonly to?: number } = {},
): Promise<OutcomeRecord[]> {
  const threshold = options.threshold ?? NEWS2_HIGH_THRESHOLD;
  const from = options.from ?? 0;
  const to = options.to ?? Number.MAX_SAFE_INTEGER;
  assertOptions('News2HighOutcomesOptions', [
    [
      'threshold',
      Number.isInteger(threshold) && threshold >= 1 && threshold <= 20,
      'must be an integer 1-20',
    ],
    ['from', isTime(options.from), 'must be a non-negative integer (epoch ms)'],
    ['to', isTime(options.to), 'must be a non-negative integer (epoch ms)'],
  ]);
  // Validated integers, written into the SQL (see sql.ts).
  const rows = await warehouse.query<{ patient_id: string; ts: bigint; total: number }>(
    `WITH high AS (
       SELECT patient_id FROM scores WHERE ts >= ${from} AND ts < ${to}
        GROUP BY patient_id HAVING max(total) >= ${threshold}),
     s AS (
       SELECT patient_id, ts, total, lag(total) OVER (PARTITION BY patient_id ORDER BY ts) AS previous
         FROM scores WHERE ts < ${to} AND patient_id IN (SELECT patient_id FROM high))
     SELECT patient_id, ts, total FROM s
      WHERE total >= ${threshold} AND (previous IS NULL OR previous < ${threshold}) AND ts >= ${from}
      ORDER BY ts, patient_id`,
  );
  return rows.map((r) => ({
    patientId: r.patient_id as PatientId,
    ts: Number(r.ts),
    kind: 'news2-high',
    source: NEWS2_DERIVED_SOURCE,
    detail: `NEWS2 ${r.total}`,
  }));
}

/** A patient's course as the device package's ward simulator describes it (`WardSimulator.patients`). */
export interface TimelinePatient {
  /** The simulated patient's id, as in the readings the same run produced. */
  readonly patientId: string;
  /** The phases, each starting `atMs` after the start of the run. */
  readonly timeline: readonly {
    readonly name: string;
    readonly kind: 'acute' | 'chronic';
    readonly atMs: number;
  }[];
}

/** The simulator's scenarios that are an acute deterioration. */
export const DETERIORATION_PHASES = ['deteriorating', 'hypoxic', 'fever'] as const;

/**
 * Ground-truth outcomes of simulated patients: a `deterioration-onset` (source `simulator`, detail
 * the phase) when an acute phase of `phases` (default {@link DETERIORATION_PHASES}) begins — the
 * labels to train and check a deterioration model against, beside the readings the same run
 * produced. `startTs` is the run's start (epoch ms); phases starting after `untilTs` are left out.
 * Structurally typed: pass `WardSimulator.patients` of `@healthit/device` as it is.
 */
export function outcomesFromTimeline(
  patients: readonly TimelinePatient[],
  startTs: number,
  options: { readonly phases?: readonly string[]; readonly untilTs?: number } = {},
): OutcomeRecord[] {
  const phases = new Set<string>(options.phases ?? DETERIORATION_PHASES);
  const until = options.untilTs ?? Number.POSITIVE_INFINITY;
  const out: OutcomeRecord[] = [];
  for (const p of patients) {
    for (const phase of p.timeline) {
      const ts = startTs + phase.atMs;
      if (phase.kind !== 'acute' || !phases.has(phase.name) || ts > until) continue;
      out.push({
        patientId: p.patientId as PatientId,
        ts,
        kind: 'deterioration-onset',
        source: 'simulator',
        detail: phase.name,
      });
    }
  }
  return out.sort((a, b) => a.ts - b.ts || (a.patientId < b.patientId ? -1 : 1));
}

/** Options of {@link labelledWindows}. */
export interface LabelledWindowsOptions {
  /** Window length (ms): a patient's readings are averaged per metric and window, e.g. 5 minutes. */
  readonly windowMs: number;
  /** A window is labelled when an outcome follows within this long after its end, e.g. one hour. */
  readonly horizonMs: number;
  /** The outcomes that count (default `['news2-high']`). */
  readonly kinds?: readonly OutcomeKind[];
  /** Windows starting in `[from, to)` (epoch ms). */
  readonly from: number;
  /** End of the range of window starts, epoch ms, exclusive. */
  readonly to: number;
  /** Only this patient's windows. */
  readonly patientId?: string;
}

/** One training or evaluation example of {@link labelledWindows}. */
export interface LabelledWindow {
  /** The patient the window is about. */
  readonly patientId: string;
  /** The window is `[windowStart, windowStart + windowMs)`; its end is the time of prediction. */
  readonly windowStart: number;
  /** The mean of each metric the patient had readings of in the window (stored units). */
  readonly means: Readonly<Record<string, number>>;
  /** The patient's last NEWS2 total in the window, if any. */
  readonly news2: number | null;
  /** True when an outcome of the asked kinds happens in `[windowEnd, windowEnd + horizonMs)`. */
  readonly label: boolean;
  /** The first such outcome at or after the window's end, even beyond the horizon. */
  readonly nextOutcome: { readonly ts: number; readonly kind: OutcomeKind } | null;
}

/**
 * Training data for outcome prediction, e.g. the deterioration-risk model ("probability of NEWS2 ≥ 7
 * within the next hour": `kinds: ['news2-high']`, `horizonMs: 3_600_000`): per patient and window,
 * the mean of each vital sign, the last NEWS2 total, and whether an outcome follows within the
 * horizon — the readings, scores and outcomes datasets joined in one query (an as-of join finds
 * each window's next outcome). Windows where the patient is already in a high-risk episode are
 * labelled only by a later onset; leave them out (`news2 >= 7`) when training an onset model.
 * Ordered by patient and time.
 *
 * @throws {ValidationError} for a window or horizon that is not a positive integer, a range that
 *   is not `0 <= from < to`, or an unknown kind.
 */
export async function labelledWindows(
  warehouse: ParquetWarehouse,
  options: LabelledWindowsOptions,
): Promise<LabelledWindow[]> {
  const { windowMs, horizonMs, from, to } = options;
  const kinds = options.kinds ?? ['news2-high'];
  assertOptions('LabelledWindowsOptions', [
    ['windowMs', Number.isSafeInteger(windowMs) && windowMs > 0, 'must be a positive integer (ms)'],
    ['horizonMs', Number.isSafeInteger(horizonMs) && horizonMs > 0, 'must be a positive integer (ms)'],
    ['from', isTime(from), 'must be a non-negative integer (epoch ms)'],
    ['to', isTime(to) && to > from, 'must be an integer (epoch ms) after from'],
    [
      'kinds',
      kinds.length > 0 && kinds.every((k) => (OUTCOME_KINDS as readonly string[]).includes(k)),
      `must be one or more of ${OUTCOME_KINDS.join(', ')}`,
    ],
  ]);
  const onePatient = options.patientId === undefined ? '' : 'AND patient_id = $1';
  // Validated integers, written into the SQL (see sql.ts).
  const rows = await warehouse.query<{
    patient_id: string;
    window_start: bigint;
    means: DuckDBListValue;
    news2: number | null;
    outcome_ts: bigint | null;
    outcome_kind: OutcomeKind | null;
  }>(
    `WITH r AS (
       SELECT patient_id, (ts // ${windowMs}) * ${windowMs} AS window_start, metric, avg(value) AS mean
         FROM readings
        WHERE patient_id IS NOT NULL AND ts >= ${from} AND ts < ${to} ${onePatient}
        GROUP BY ALL),
     w AS (
       SELECT patient_id, window_start, window_start + ${windowMs} AS window_end,
              list({'metric': metric, 'mean': mean}) AS means
         FROM r GROUP BY ALL),
     s AS (
       SELECT patient_id, (ts // ${windowMs}) * ${windowMs} AS window_start, arg_max(total, ts) AS news2
         FROM scores WHERE ts >= ${from} AND ts < ${to} ${onePatient}
        GROUP BY ALL),
     o AS (
       SELECT patient_id, ts, kind FROM outcomes
        WHERE ts >= ${from} AND kind IN (${kinds.map(sqlString).join(', ')}) ${onePatient})
     SELECT w.patient_id, w.window_start, w.means, s.news2, o.ts AS outcome_ts, o.kind AS outcome_kind
       FROM w LEFT JOIN s ON s.patient_id = w.patient_id AND s.window_start = w.window_start
       ASOF LEFT JOIN o ON o.patient_id = w.patient_id AND o.ts >= w.window_end
      ORDER BY w.patient_id, w.window_start`,
    options.patientId === undefined ? [] : [options.patientId],
  );
  return rows.map((r) => {
    const start = Number(r.window_start);
    const means: Record<string, number> = {};
    for (const item of r.means.items as DuckDBStructValue[]) {
      means[item.entries.metric as string] = item.entries.mean as number;
    }
    const outcomeTs = r.outcome_ts === null ? null : Number(r.outcome_ts);
    return {
      patientId: r.patient_id,
      windowStart: start,
      means,
      news2: r.news2,
      label: outcomeTs !== null && outcomeTs < start + windowMs + horizonMs,
      nextOutcome:
        outcomeTs === null || r.outcome_kind === null ? null : { ts: outcomeTs, kind: r.outcome_kind },
    };
  });
}
