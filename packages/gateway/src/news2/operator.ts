import {
  type Alert,
  type Clock,
  EpochMs,
  type HealthItError,
  type MetricId,
  PatientId,
  type Reading,
  safeParse,
  systemClock,
  toCanonicalUnit,
} from '@healthit/core';
import { EMPTY, merge, Observable, type OperatorFunction } from 'rxjs';
import { map } from 'rxjs/operators';
import { z } from 'zod';
import { NEWS2_CLINICAL_RISKS, type News2ClinicalRisk } from './chart.js';
import { NEWS2_INPUT_SCHEMA_NAME, News2Input } from './input.js';
import { type News2Result, news2Response, scoreValidNews2 } from './score.js';

/**
 * A manual entry or clinical-context update for one patient: any of consciousness (ACVPU), oxygen
 * status and SpO2 scale, as charted by a clinician at `ts`.
 */
export const News2Entry = z.strictObject({
  /** Stable id of the entry; it appears in `readingIds` of the scores and alerts that use it. */
  id: z.string().min(1).max(300),
  patientId: PatientId,
  ts: EpochMs,
  consciousness: z.enum(['A', 'C', 'V', 'P', 'U']).optional(),
  onOxygen: z.boolean().optional(),
  spo2Scale: z.union([z.literal(1), z.literal(2)]).optional(),
});
/** A manual entry or clinical-context update; see {@link News2Entry}. */
export type News2Entry = z.infer<typeof News2Entry>;

/** The NEWS2 parameters the operator tracks. */
export const NEWS2_PARAMETERS = ['rr', 'spo2', 'sbp', 'pulse', 'temp', 'consciousness', 'onOxygen'] as const;
/** One tracked NEWS2 parameter. */
export type News2Parameter = (typeof NEWS2_PARAMETERS)[number];

/** Which metric feeds which measured parameter (`heart-rate` and `pulse-rate` both feed pulse). */
export const NEWS2_METRICS = {
  'respiratory-rate': 'rr',
  spo2: 'spo2',
  'bp-systolic': 'sbp',
  'heart-rate': 'pulse',
  'pulse-rate': 'pulse',
  'body-temperature': 'temp',
} as const satisfies Partial<Record<MetricId, News2Parameter>>;

/**
 * Default staleness limits: continuous monitor channels 5 min, non-invasive blood pressure 1 h,
 * temperature 4 h, consciousness 4 h. Oxygen status is a state, valid until charted otherwise.
 */
export const NEWS2_DEFAULT_MAX_AGE_MS = {
  rr: 5 * 60_000,
  spo2: 5 * 60_000,
  pulse: 5 * 60_000,
  sbp: 60 * 60_000,
  temp: 4 * 60 * 60_000,
  consciousness: 4 * 60 * 60_000,
  onOxygen: Number.POSITIVE_INFINITY,
} as const satisfies Record<News2Parameter, number>;

/** Options of {@link news2Scores}. */
export interface News2ScoresOptions {
  /** Manual entries and clinical context (consciousness, oxygen status, SpO2 scale). */
  readonly entries$?: Observable<unknown>;
  /** Staleness limit per parameter, overriding {@link NEWS2_DEFAULT_MAX_AGE_MS}. */
  readonly maxAgeMs?: Partial<Record<News2Parameter, number>>;
  /**
   * Values assumed when a patient has no fresh entry for them. Nothing is assumed by default: a
   * patient without a charted consciousness level or oxygen status is not scored.
   */
  readonly assume?: { readonly consciousness?: News2Input['consciousness']; readonly onOxygen?: boolean };
  /** Patients tracked at once (default 10 000); past it the least recently updated one is forgotten. */
  readonly maxPatients?: number;
  readonly clock?: Clock;
}

/** A patient's score changed (or was first computed). */
export interface News2ScoreUpdate {
  readonly type: 'news2-score';
  readonly patientId: PatientId;
  readonly ts: number;
  readonly result: News2Result;
  /** The values scored, rounded to the chart's resolution. */
  readonly input: News2Input;
  /** The readings and entries the score was computed from. */
  readonly readingIds: readonly string[];
}

/** A patient that had a score can no longer be scored: some parameters are missing or stale. */
export interface News2Incomplete {
  readonly type: 'news2-incomplete';
  readonly patientId: PatientId;
  readonly ts: number;
  readonly missing: readonly News2Parameter[];
}

/** The clinical risk of a patient rose; the alert carries the RCP response. */
export interface News2AlertRaised {
  readonly type: 'news2-alert';
  readonly alert: Alert;
}

/** A manual entry or a set of values was refused, with the reason. Nothing else is affected. */
export interface News2Rejected {
  readonly type: 'news2-rejected';
  readonly error: HealthItError;
  readonly input: unknown;
}

/** What {@link news2Scores} emits. */
export type News2Update = News2ScoreUpdate | News2Incomplete | News2AlertRaised | News2Rejected;

interface Held<T> {
  readonly value: T;
  readonly ts: number;
  readonly id: string;
}

interface PatientState {
  readonly held: Partial<{
    rr: Held<number>;
    spo2: Held<number>;
    sbp: Held<number>;
    pulse: Held<number>;
    temp: Held<number>;
    consciousness: Held<News2Input['consciousness']>;
    onOxygen: Held<boolean>;
    spo2Scale: Held<1 | 2>;
  }>;
  /** Subscores and total of the last emitted score, or undefined when none / incomplete since. */
  lastKey: string | undefined;
  /** The clinical risk last alerted on or scored; a rise above it raises an alert. */
  lastRisk: News2ClinicalRisk;
}

type Input =
  | { readonly kind: 'reading'; readonly reading: Reading }
  | { readonly kind: 'entry'; readonly entry: unknown };

/**
 * Streaming NEWS2: keeps the latest value of each parameter per patient, scores the patient on every
 * reading or entry, and emits the score whenever it changes and an alert whenever the clinical
 * risk rises (severity = clinical risk, message = the RCP response of Charts 3 and 4).
 *
 * - Readings of `respiratory-rate`, `spo2`, `bp-systolic`, `heart-rate`/`pulse-rate` and
 *   `body-temperature` with a `patientId` feed it; others, readings without a patient and readings
 *   of quality `bad` pass by unused. Values are converted to the canonical unit and rounded to the
 *   chart's resolution (whole numbers; 0.1 °C), as a clinician charting them would.
 * - Consciousness, oxygen status and SpO2 scale come from `entries$` (Scale 1 until charted).
 * - A value older than its staleness limit (measured with `clock` when the patient is next scored)
 *   is not used; a patient missing a parameter is not scored, and a patient that had a score gets
 *   one `news2-incomplete`.
 * - Risk rises are measured from `low`: the first score alerts only above low; after a gap the last
 *   known risk is kept, so the same risk does not alert twice; a fall re-arms the higher levels.
 * - Bounded: `maxPatients` patients; when full the least recently updated patient is forgotten.
 *
 * @throws {RangeError} for a negative or non-numeric staleness limit or `maxPatients` < 1.
 * @example
 * ```ts
 * readings$.pipe(news2Scores({ entries$: charting$ })).subscribe((u) => {
 *   if (u.type === 'news2-alert') page(u.alert);
 * });
 * ```
 */
export function news2Scores(options: News2ScoresOptions = {}): OperatorFunction<Reading, News2Update> {
  const maxAgeMs = { ...NEWS2_DEFAULT_MAX_AGE_MS, ...options.maxAgeMs };
  for (const [name, ms] of Object.entries(maxAgeMs)) {
    if (typeof ms !== 'number' || Number.isNaN(ms) || ms < 0) {
      throw new RangeError(`news2Scores: maxAgeMs.${name} must be a number >= 0, got ${String(ms)}`);
    }
  }
  const maxPatients = options.maxPatients ?? 10_000;
  if (!Number.isInteger(maxPatients) || maxPatients < 1) {
    throw new RangeError(`news2Scores: maxPatients must be an integer >= 1, got ${maxPatients}`);
  }
  const clock = options.clock ?? systemClock;
  const entries$ = options.entries$ ?? EMPTY;

  return (readings$) => {
    const patients = new Map<string, PatientState>();

    const stateOf = (patientId: string): PatientState => {
      let state = patients.get(patientId);
      if (state === undefined) {
        if (patients.size >= maxPatients) {
          const oldest = patients.keys().next().value;
          if (oldest !== undefined) patients.delete(oldest);
        }
        state = { held: {}, lastKey: undefined, lastRisk: 'low' };
      } else {
        patients.delete(patientId); // re-insert: Map order is least recently updated first
      }
      patients.set(patientId, state);
      return state;
    };

    const onInput = (input: Input): News2Update[] => {
      if (input.kind === 'reading') {
        const r = input.reading;
        const parameter = (NEWS2_METRICS as Partial<Record<MetricId, News2Parameter>>)[r.metric];
        if (parameter === undefined || r.patientId === undefined || r.quality === 'bad') return [];
        const canonical = toCanonicalUnit(r.metric, r.value, r.unit);
        const value = parameter === 'temp' ? Math.round(canonical * 10) / 10 : Math.round(canonical);
        const state = stateOf(r.patientId);
        (state.held as Record<string, Held<number>>)[parameter] = { value, ts: r.ts, id: r.id };
        return score(r.patientId, state);
      }
      const parsed = safeParse(News2Entry, 'News2Entry', input.entry);
      if (!parsed.ok) return [{ type: 'news2-rejected', error: parsed.error, input: input.entry }];
      const e = parsed.value;
      const state = stateOf(e.patientId);
      if (e.consciousness !== undefined)
        state.held.consciousness = { value: e.consciousness, ts: e.ts, id: e.id };
      if (e.onOxygen !== undefined) state.held.onOxygen = { value: e.onOxygen, ts: e.ts, id: e.id };
      if (e.spo2Scale !== undefined) state.held.spo2Scale = { value: e.spo2Scale, ts: e.ts, id: e.id };
      return score(e.patientId, state);
    };

    const score = (patientId: PatientId, state: PatientState): News2Update[] => {
      const now = clock.now();
      const fresh = <T>(p: News2Parameter, h: Held<T> | undefined): Held<T> | undefined =>
        h !== undefined && now - h.ts <= maxAgeMs[p] ? h : undefined;
      const { held } = state;
      const rr = fresh('rr', held.rr);
      const spo2 = fresh('spo2', held.spo2);
      const sbp = fresh('sbp', held.sbp);
      const pulse = fresh('pulse', held.pulse);
      const temp = fresh('temp', held.temp);
      const consciousness = fresh('consciousness', held.consciousness);
      const onOxygen = fresh('onOxygen', held.onOxygen);
      const assumedConsciousness = consciousness?.value ?? options.assume?.consciousness;
      const assumedOxygen = onOxygen?.value ?? options.assume?.onOxygen;
      if (
        rr === undefined ||
        spo2 === undefined ||
        sbp === undefined ||
        pulse === undefined ||
        temp === undefined ||
        assumedConsciousness === undefined ||
        assumedOxygen === undefined
      ) {
        if (state.lastKey === undefined) return [];
        state.lastKey = undefined;
        const present = {
          rr,
          spo2,
          sbp,
          pulse,
          temp,
          consciousness: assumedConsciousness,
          onOxygen: assumedOxygen,
        };
        const missing = NEWS2_PARAMETERS.filter((p) => present[p] === undefined);
        return [{ type: 'news2-incomplete', patientId, ts: now, missing }];
      }
      const values = {
        rr: rr.value,
        spo2: spo2.value,
        spo2Scale: held.spo2Scale?.value ?? 1,
        onOxygen: assumedOxygen,
        sbp: sbp.value,
        pulse: pulse.value,
        consciousness: assumedConsciousness,
        temp: temp.value,
      };
      const parsed = safeParse(News2Input, NEWS2_INPUT_SCHEMA_NAME, values, `news2Scores:${patientId}`);
      if (!parsed.ok) return [{ type: 'news2-rejected', error: parsed.error, input: values }];
      const result = scoreValidNews2(parsed.value);
      const key = `${Object.values(result.subscores).join(',')}`;
      if (key === state.lastKey) return [];
      state.lastKey = key;
      const readingIds = [
        ...new Set(
          [rr, spo2, sbp, pulse, temp, consciousness, onOxygen, held.spo2Scale]
            .filter((h) => h !== undefined)
            .map((h) => h.id),
        ),
      ];
      const out: News2Update[] = [
        { type: 'news2-score', patientId, ts: now, result, input: parsed.value, readingIds },
      ];
      const rank = (risk: News2ClinicalRisk) => NEWS2_CLINICAL_RISKS.indexOf(risk);
      if (rank(result.clinicalRisk) > rank(state.lastRisk)) {
        out.push({ type: 'news2-alert', alert: riskAlert(patientId, now, result, readingIds) });
      }
      state.lastRisk = result.clinicalRisk;
      return out;
    };

    return merge(
      readings$.pipe(map((reading): Input => ({ kind: 'reading', reading }))),
      entries$.pipe(map((entry): Input => ({ kind: 'entry', entry }))),
    ).pipe(flatten(onInput));
  };
}

function flatten<A, B>(fn: (a: A) => B[]): OperatorFunction<A, B> {
  return (source) =>
    new Observable<B>((subscriber) =>
      source.subscribe({
        next: (a) => {
          for (const b of fn(a)) subscriber.next(b);
        },
        error: (e) => subscriber.error(e),
        complete: () => subscriber.complete(),
      }),
    );
}

function riskAlert(patientId: PatientId, ts: number, result: News2Result, readingIds: string[]): Alert {
  const r = news2Response(result);
  const red = result.redScore ? ', red score' : '';
  return {
    id: `news2:${patientId}:${ts}:${result.clinicalRisk}`,
    rule: 'news2',
    severity: result.clinicalRisk,
    message:
      `NEWS2 ${result.total} (${result.clinicalRisk} clinical risk${red}) for ${patientId}: ` +
      `${r.response}; monitoring ${r.monitoring}; ${r.clinicalResponse}`,
    ts,
    patientId,
    readingIds,
  };
}
