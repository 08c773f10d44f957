import { METRICS, type MetricId, type Reading, type ReadingStore, toCanonicalUnit } from '@healthit/core';
import { summariseValues, type ValueSummary } from './exact.js';
import { DEFAULT_PAGE_SIZE, readingPages } from './reading-pages.js';
import { Checks } from './validate.js';

/** Which ward a patient is on: a function (undefined = on no ward) or a map. */
export type WardOf = ((patientId: string) => string | undefined) | ReadonlyMap<string, string>;

/** A request of {@link wardCohortSummary}. */
export interface WardCohortQuery {
  /** The ward of each patient; patients on no ward are counted in `unassigned` only. */
  readonly wardOf: WardOf;
  /**
   * The patients to summarise. Default: the keys of `wardOf` when it is a map, otherwise every
   * patient with a reading of one of `metrics` (so a patient with none is not seen as missing).
   */
  readonly patients?: readonly string[];
  /** The metrics to summarise (at least one). */
  readonly metrics: readonly MetricId[];
  /** The time the summary is taken at, epoch ms (default `Date.now()`): later readings are ignored. */
  readonly at?: number;
  /**
   * A latest value older than this (ms before `at`) is stale: one number for every metric, or one
   * per metric (covering every metric of `metrics`).
   */
  readonly stalenessMs: number | Readonly<Partial<Record<MetricId, number>>>;
  /** Readings fetched per `query` call when a latest value must be looked up before `at` (default 5 000). */
  readonly pageSize?: number;
}

/** One metric on one ward. */
export interface WardMetricSummary extends Partial<Omit<ValueSummary, 'n'>> {
  /** The metric summarised. */
  readonly metric: MetricId;
  /** The canonical UCUM unit of the values. */
  readonly unit: string;
  /** The staleness threshold applied to this metric, ms. */
  readonly stalenessMs: number;
  /** Patients with a fresh latest value (`at − ts ≤ stalenessMs`): the values summarised. */
  readonly n: number;
  /** Patients whose latest value at `at` is older than `stalenessMs`. */
  readonly stale: number;
  /** Patients with no reading of the metric at or before `at`. */
  readonly missing: number;
  /** Their ids, in code-point order. */
  readonly stalePatients: readonly string[];
  /** Ids of the patients with no reading of the metric at or before `at`, in code-point order. */
  readonly missingPatients: readonly string[];
}

/** One ward. */
export interface WardSummary {
  /** The ward's name, as `wardOf` gives it. */
  readonly ward: string;
  /** Patients on the ward. */
  readonly patients: number;
  /** One per requested metric, in the order asked. */
  readonly metrics: readonly WardMetricSummary[];
}

/** What {@link wardCohortSummary} found. */
export interface WardCohortSummary {
  /** The time the summary was taken at, epoch ms (the query's `at`, or the time of the call). */
  readonly at: number;
  /** In code-point order of the ward. */
  readonly wards: readonly WardSummary[];
  /** Patients on no ward. */
  readonly unassigned: number;
}

type Latest = { readonly type: 'fresh'; readonly value: number } | { readonly type: 'stale' | 'missing' };

const codePoint = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/**
 * Per ward, the distribution of the latest value of each metric over the ward's patients, and who
 * is stale or missing, from the port's `latest()` (one call per metric).
 *
 * For each (patient, metric) the latest reading at or before `at` is: `fresh` when
 * `at − ts ≤ stalenessMs` (its value, in the canonical unit, enters n / mean / min / max / p50),
 * `stale` when older, `missing` when there is none. Statistics are exact: the mean is the
 * correctly rounded sum over n, p50 the port's `percentile_cont` interpolation
 * ({@link summariseValues}); they are absent when n = 0. When the newest stored reading is later
 * than `at` (a summary of the past), the latest one at or before `at` is looked up with `query`
 * over `[at − stalenessMs, at]`, and one `query` with limit 1 tells stale from missing.
 *
 * @throws {ValidationError} (`validation/invalid`, schema `WardCohortQuery`) naming every bad
 * field: an unknown or no metric, a non-positive staleness, a bad `at`, a patient id that is not
 * a non-empty string...
 * @example
 * ```ts
 * const wards = new Map([['p-1', 'ward-a'], ['p-2', 'ward-b']]);
 * const { wards: summary } = await wardCohortSummary(store, {
 *   wardOf: wards, metrics: ['spo2', 'heart-rate'], stalenessMs: 4 * HOUR });
 * ```
 */
export async function wardCohortSummary(
  store: ReadingStore,
  query: WardCohortQuery,
): Promise<WardCohortSummary> {
  const c = new Checks('WardCohortQuery');
  const metrics: MetricId[] = [];
  const staleness = new Map<MetricId, number>();
  if (c.object(query)) {
    const { wardOf } = query;
    if (typeof wardOf !== 'function' && !(wardOf instanceof Map)) {
      c.fail('wardOf', 'expected a function (patientId) => ward | undefined or a Map', 'invalid_type');
    }
    if (!Array.isArray(query.metrics) || query.metrics.length === 0) {
      c.fail('metrics', 'expected a non-empty array of metrics', 'invalid_type');
    } else {
      query.metrics.forEach((m, i) => {
        if (c.metric(`metrics.${i}`, m) && !metrics.includes(m)) metrics.push(m);
      });
    }
    if (query.patients !== undefined) {
      if (Array.isArray(query.patients)) {
        query.patients.forEach((p, i) => {
          c.id(`patients.${i}`, p);
        });
      } else c.fail('patients', 'expected an array of patient ids', 'invalid_type');
    }
    if (query.at !== undefined) c.epochMs('at', query.at);
    if (query.pageSize !== undefined) c.positiveInt('pageSize', query.pageSize);
    const s: unknown = query.stalenessMs;
    for (const m of metrics) {
      const v = typeof s === 'object' && s !== null ? (s as Record<string, unknown>)[m] : s;
      const path = typeof s === 'object' && s !== null ? `stalenessMs.${m}` : 'stalenessMs';
      if (c.positiveMs(path, v)) staleness.set(m, v);
    }
  }
  c.throwIfAny();
  const at = query.at ?? Date.now();
  const pageSize = query.pageSize ?? DEFAULT_PAGE_SIZE;
  const wardOf = query.wardOf;
  const ward = (p: string): string | undefined => (typeof wardOf === 'function' ? wardOf(p) : wardOf.get(p));

  // The newest stored reading per (patient, metric).
  const newest = new Map<MetricId, Map<string, Reading>>();
  for (const metric of metrics) {
    const byPatient = new Map<string, Reading>();
    for (const r of await store.latest({ metric })) {
      if (r.patientId !== undefined) byPatient.set(r.patientId, r);
    }
    newest.set(metric, byPatient);
  }
  const patients = [
    ...new Set(
      query.patients ??
        (wardOf instanceof Map ? [...wardOf.keys()] : [...newest.values()].flatMap((m) => [...m.keys()])),
    ),
  ].sort(codePoint);

  const byWard = new Map<string, string[]>();
  let unassigned = 0;
  for (const p of patients) {
    const w = ward(p);
    if (typeof w !== 'string') {
      unassigned += 1;
      continue;
    }
    const members = byWard.get(w);
    if (members === undefined) byWard.set(w, [p]);
    else members.push(p);
  }

  const latestAt = async (patientId: string, metric: MetricId): Promise<Latest> => {
    const stalenessMs = staleness.get(metric) as number;
    const r = newest.get(metric)?.get(patientId);
    if (r === undefined) return { type: 'missing' };
    const freshFrom = Math.max(0, at - stalenessMs);
    if (r.ts <= at) {
      return r.ts >= freshFrom
        ? { type: 'fresh', value: toCanonicalUnit(metric, r.value, r.unit) }
        : { type: 'stale' };
    }
    // The newest is after `at`: find the last reading in [at − staleness, at].
    let last: Reading | undefined;
    for await (const page of readingPages(
      store,
      { from: freshFrom, to: at + 1, patientId, metric },
      pageSize,
    )) {
      last = page[page.length - 1];
    }
    if (last !== undefined) return { type: 'fresh', value: toCanonicalUnit(metric, last.value, last.unit) };
    if (freshFrom === 0) return { type: 'missing' };
    const older = await store.query({ from: 0, to: freshFrom, patientId, metric, limit: 1 });
    return { type: older.length > 0 ? 'stale' : 'missing' };
  };

  const wards: WardSummary[] = [];
  for (const [name, members] of [...byWard].sort(([a], [b]) => codePoint(a, b))) {
    const summaries: WardMetricSummary[] = [];
    for (const metric of metrics) {
      const values: number[] = [];
      const stalePatients: string[] = [];
      const missingPatients: string[] = [];
      for (const p of members) {
        const l = await latestAt(p, metric);
        if (l.type === 'fresh') values.push(l.value);
        else (l.type === 'stale' ? stalePatients : missingPatients).push(p);
      }
      const head = {
        metric,
        unit: METRICS[metric].unit,
        stalenessMs: staleness.get(metric) as number,
        n: values.length,
        stale: stalePatients.length,
        missing: missingPatients.length,
        stalePatients,
        missingPatients,
      };
      if (values.length === 0) summaries.push(head);
      else {
        const { mean, min, max, p50 } = summariseValues(values);
        summaries.push({ ...head, mean, min, max, p50 });
      }
    }
    wards.push({ ward: name, patients: members.length, metrics: summaries });
  }
  return { at, wards, unassigned };
}
