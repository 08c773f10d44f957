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
import { EMPTY, Observable, type OperatorFunction } from 'rxjs';
import { z } from 'zod';
import { SeriesTable } from '../preprocessing/operators/series.js';
import { NEWS2_CLINICAL_RISKS, type News2ClinicalRisk } from './chart.js';
import { isNews2Input, NEWS2_INPUT_SCHEMA_NAME, News2Input } from './input.js';
import { type News2Result, type News2Subscores, news2Response, scoreValidNews2 } from './score.js';

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

/**
 * Default tolerance for values stamped ahead of the clock (60 s, as the replay guard's
 * `maxAheadMs`): a value stamped further in the future comes from a clock that is ahead (or a
 * wrong time stamp) and is not used.
 */
export const NEWS2_DEFAULT_MAX_AHEAD_MS = 60_000;

/** Options of {@link news2Scores}. */
export interface News2ScoresOptions {
  /** Manual entries and clinical context (consciousness, oxygen status, SpO2 scale). */
  readonly entries$?: Observable<unknown>;
  /** Staleness limit per parameter, overriding {@link NEWS2_DEFAULT_MAX_AGE_MS}. */
  readonly maxAgeMs?: Partial<Record<News2Parameter, number>>;
  /**
   * How far ahead of `clock` a value may be stamped and still be used (default
   * {@link NEWS2_DEFAULT_MAX_AHEAD_MS}, 60 s; `Infinity` to trust any future time stamp). A value
   * stamped further ahead (a device clock running fast) is never fresh: without this it would count
   * as fresh until its time stamp plus its staleness limit. Such parameters are listed in the
   * `ahead` of {@link News2Incomplete}.
   */
  readonly maxAheadMs?: number;
  /**
   * Values assumed when a patient has no fresh entry for them. Nothing is assumed by default: a
   * patient without a charted consciousness level or oxygen status is not scored.
   */
  readonly assume?: { readonly consciousness?: News2Input['consciousness']; readonly onOxygen?: boolean };
  /** Patients tracked at once (default 10 000); past it the least recently updated one is forgotten. */
  readonly maxPatients?: number;
  /**
   * Time source (ms since the epoch) for staleness checks and the `ts` of scores and alerts.
   * Default the system clock.
   */
  readonly clock?: Clock;
}

/** A patient's score changed (or was first computed). */
export interface News2ScoreUpdate {
  /** Discriminant of {@link News2Update}: always `news2-score`. */
  readonly type: 'news2-score';
  /** The patient scored. */
  readonly patientId: PatientId;
  /** When the patient was scored, in ms since the epoch by the operator's clock. */
  readonly ts: number;
  /** The new score: subscores, aggregate, red score and clinical risk. */
  readonly result: News2Result;
  /** The values scored, rounded to the chart's resolution. */
  readonly input: News2Input;
  /** The readings and entries the score was computed from. */
  readonly readingIds: readonly string[];
}

/**
 * A patient cannot be scored: some parameters have no usable value. Emitted once when a patient
 * that had a score loses it, and once for a patient never scored (or not since the last report)
 * as soon as one of its values is unusable because of its time stamp (`stale` or `ahead`: a device
 * clock behind or ahead) — a patient is never left unscored silently for that. A patient merely
 * waiting for its first values is not reported.
 */
export interface News2Incomplete {
  /** Discriminant of {@link News2Update}: always `news2-incomplete`. */
  readonly type: 'news2-incomplete';
  /** The patient that can no longer be scored. */
  readonly patientId: PatientId;
  /** When the patient was found incomplete, in ms since the epoch by the operator's clock. */
  readonly ts: number;
  /**
   * The parameters with no fresh value (none within its staleness limit, and none assumed), in
   * {@link NEWS2_PARAMETERS} order.
   */
  readonly missing: readonly News2Parameter[];
  /**
   * The parameters of `missing` that have a value, older than its staleness limit (`maxAgeMs`):
   * the device fell silent, or its clock is behind.
   */
  readonly stale: readonly News2Parameter[];
  /**
   * The parameters of `missing` whose value is stamped more than `maxAheadMs` ahead of the clock:
   * the device's clock is ahead (or its time stamps are wrong).
   */
  readonly ahead: readonly News2Parameter[];
}

/** The clinical risk of a patient rose; the alert carries the RCP response. */
export interface News2AlertRaised {
  /** Discriminant of {@link News2Update}: always `news2-alert`. */
  readonly type: 'news2-alert';
  /**
   * The alert: id `news2:<patientId>:<ts>:<risk>`, rule `news2`, severity the new clinical risk,
   * message the aggregate and the RCP response, monitoring frequency and clinical response (Charts
   * 3 and 4).
   */
  readonly alert: Alert;
}

/** A manual entry or a set of values was refused, with the reason. Nothing else is affected. */
export interface News2Rejected {
  /** Discriminant of {@link News2Update}: always `news2-rejected`. */
  readonly type: 'news2-rejected';
  /** Why it was refused: a `ValidationError` against the `News2Entry` or `News2Input` schema. */
  readonly error: HealthItError;
  /**
   * The refused input: the entry as it arrived on `entries$`, or the set of values that was to be
   * scored.
   */
  readonly input: unknown;
}

/** What {@link news2Scores} emits. */
export type News2Update = News2ScoreUpdate | News2Incomplete | News2AlertRaised | News2Rejected;

/** A parameter's latest value (updated in place: one object per patient and parameter). */
interface Held<T> {
  value: T;
  ts: number;
  id: string;
  /** The device of the reading (undefined for an entry). */
  deviceId: string | undefined;
  /** The reading's `seq` (-1 for an entry). */
  seq: number;
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
  /** The subscores of the last emitted score ({@link subscoresKey}), or undefined when none / incomplete since. */
  lastKey: number | undefined;
  /** The clinical risk last alerted on or scored; a rise above it raises an alert. */
  lastRisk: News2ClinicalRisk;
  /** The values `lastKey` was scored from (while `lastKey` is set): the same values score the same. */
  lastInput: News2Input | undefined;
  /** A `news2-incomplete` was emitted since the last score (or since the patient was first seen). */
  reported: boolean;
}

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
 *   is not used, nor is one stamped more than `maxAheadMs` ahead of `clock`; a patient missing a
 *   parameter is not scored. A patient that had a score gets one `news2-incomplete`; so does a
 *   patient never scored as soon as one of its values is stale or ahead (its `stale` and `ahead`
 *   say which): a patient is never left unscored silently because of a device clock.
 * - A reading that arrived late — from the device of the value held for its parameter, with a
 *   lower `seq` and an earlier time stamp — does not replace it (the gateway accepts readings out
 *   of order); any other reading does, the latest arrival winning as before.
 * - Risk rises are measured from `low`: the first score alerts only above low; after a gap the last
 *   known risk is kept, so the same risk does not alert twice; a fall re-arms the higher levels.
 * - Bounded: `maxPatients` patients; when full the least recently updated patient is forgotten.
 *
 * @throws {RangeError} for a negative or non-numeric staleness limit or `maxAheadMs`, or
 *   `maxPatients` < 1.
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
  const maxAheadMs = options.maxAheadMs ?? NEWS2_DEFAULT_MAX_AHEAD_MS;
  if (typeof maxAheadMs !== 'number' || Number.isNaN(maxAheadMs) || maxAheadMs < 0) {
    throw new RangeError(`news2Scores: maxAheadMs must be a number >= 0, got ${String(maxAheadMs)}`);
  }
  const maxPatients = options.maxPatients ?? 10_000;
  if (!Number.isInteger(maxPatients) || maxPatients < 1) {
    throw new RangeError(`news2Scores: maxPatients must be an integer >= 1, got ${maxPatients}`);
  }
  const clock = options.clock ?? systemClock;
  const entries$ = options.entries$ ?? EMPTY;

  const assume = options.assume;

  return (readings$) =>
    new Observable<News2Update>((subscriber) => {
      // Least recently updated patient forgotten first.
      const patients = new SeriesTable<PatientState>(maxPatients, () => {});
      const newPatient = (): PatientState => ({
        held: {},
        lastKey: undefined,
        lastRisk: 'low',
        lastInput: undefined,
        reported: false,
      });
      const stateOf = (patientId: string): PatientState => patients.touch(patientId, newPatient);
      const emit = (update: News2Update): void => subscriber.next(update);

      const onReading = (r: Reading): void => {
        const parameter = (NEWS2_METRICS as Partial<Record<MetricId, News2Parameter>>)[r.metric];
        if (parameter === undefined || r.patientId === undefined || r.quality === 'bad') return;
        const canonical = toCanonicalUnit(r.metric, r.value, r.unit);
        const value = parameter === 'temp' ? Math.round(canonical * 10) / 10 : Math.round(canonical);
        const state = stateOf(r.patientId);
        const held = state.held as Record<string, Held<number> | undefined>;
        const h = held[parameter];
        if (h === undefined)
          held[parameter] = { value, ts: r.ts, id: r.id, deviceId: r.deviceId, seq: r.seq };
        // A reading of the held value's device that is older by both seq and time stamp arrived
        // late (out of order): the newer value stays. A clock that jumps back (higher seq) or a
        // device that restarted its seqs (newer time stamp) still replaces it.
        else if (h.deviceId !== r.deviceId || r.seq > h.seq || r.ts >= h.ts) {
          h.value = value;
          h.ts = r.ts;
          h.id = r.id;
          h.deviceId = r.deviceId;
          h.seq = r.seq;
        }
        score(r.patientId, state);
      };

      const onEntry = (entry: unknown): void => {
        const parsed = safeParse(News2Entry, 'News2Entry', entry);
        if (!parsed.ok) {
          emit({ type: 'news2-rejected', error: parsed.error, input: entry });
          return;
        }
        const e = parsed.value;
        const state = stateOf(e.patientId);
        const from = { ts: e.ts, id: e.id, deviceId: undefined, seq: -1 };
        if (e.consciousness !== undefined) state.held.consciousness = { value: e.consciousness, ...from };
        if (e.onOxygen !== undefined) state.held.onOxygen = { value: e.onOxygen, ...from };
        if (e.spo2Scale !== undefined) state.held.spo2Scale = { value: e.spo2Scale, ...from };
        score(e.patientId, state);
      };

      const score = (patientId: PatientId, state: PatientState): void => {
        const now = clock.now();
        const { held } = state;
        const rr = fresh(held.rr, now, maxAgeMs.rr, maxAheadMs);
        const spo2 = fresh(held.spo2, now, maxAgeMs.spo2, maxAheadMs);
        const sbp = fresh(held.sbp, now, maxAgeMs.sbp, maxAheadMs);
        const pulse = fresh(held.pulse, now, maxAgeMs.pulse, maxAheadMs);
        const temp = fresh(held.temp, now, maxAgeMs.temp, maxAheadMs);
        const consciousness = fresh(held.consciousness, now, maxAgeMs.consciousness, maxAheadMs);
        const onOxygen = fresh(held.onOxygen, now, maxAgeMs.onOxygen, maxAheadMs);
        const assumedConsciousness = consciousness?.value ?? assume?.consciousness;
        const assumedOxygen = onOxygen?.value ?? assume?.onOxygen;
        if (
          rr === undefined ||
          spo2 === undefined ||
          sbp === undefined ||
          pulse === undefined ||
          temp === undefined ||
          assumedConsciousness === undefined ||
          assumedOxygen === undefined
        ) {
          // Reported once: when a score is lost, or (never scored, or not since the last report)
          // as soon as a value is unusable because of its time stamp.
          if (state.lastKey === undefined && state.reported) return;
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
          const stale: News2Parameter[] = [];
          const ahead: News2Parameter[] = [];
          for (const p of missing) {
            const h = held[p];
            if (h === undefined) continue;
            if (h.ts - now > maxAheadMs) ahead.push(p);
            else stale.push(p);
          }
          if (state.lastKey === undefined && stale.length === 0 && ahead.length === 0) return;
          state.lastKey = undefined;
          state.lastInput = undefined;
          state.reported = true;
          emit({ type: 'news2-incomplete', patientId, ts: now, missing, stale, ahead });
          return;
        }
        const spo2Scale = held.spo2Scale?.value ?? 1;
        const last = state.lastInput;
        if (
          last !== undefined &&
          last.rr === rr.value &&
          last.spo2 === spo2.value &&
          last.spo2Scale === spo2Scale &&
          last.onOxygen === assumedOxygen &&
          last.sbp === sbp.value &&
          last.pulse === pulse.value &&
          last.consciousness === assumedConsciousness &&
          last.temp === temp.value
        ) {
          return; // the score of these values is `lastKey` already: nothing changed
        }
        const values = {
          rr: rr.value,
          spo2: spo2.value,
          spo2Scale,
          onOxygen: assumedOxygen,
          sbp: sbp.value,
          pulse: pulse.value,
          consciousness: assumedConsciousness,
          temp: temp.value,
        };
        let input: News2Input;
        if (isNews2Input(values)) input = values;
        else {
          const parsed = safeParse(News2Input, NEWS2_INPUT_SCHEMA_NAME, values, `news2Scores:${patientId}`);
          if (!parsed.ok) {
            emit({ type: 'news2-rejected', error: parsed.error, input: values });
            return;
          }
          input = parsed.value;
        }
        const result = scoreValidNews2(input);
        const key = subscoresKey(result.subscores);
        state.lastInput = input;
        if (key === state.lastKey) return;
        state.lastKey = key;
        state.reported = false;
        const readingIds = [
          ...new Set(
            [rr, spo2, sbp, pulse, temp, consciousness, onOxygen, held.spo2Scale]
              .filter((h) => h !== undefined)
              .map((h) => h.id),
          ),
        ];
        emit({ type: 'news2-score', patientId, ts: now, result, input, readingIds });
        const rank = (risk: News2ClinicalRisk) => NEWS2_CLINICAL_RISKS.indexOf(risk);
        if (rank(result.clinicalRisk) > rank(state.lastRisk)) {
          emit({ type: 'news2-alert', alert: riskAlert(patientId, now, result, readingIds) });
        }
        state.lastRisk = result.clinicalRisk;
      };

      // One subscriber for both sources (cheaper than `merge` + `map` per reading); completes
      // once both have, like `merge`.
      let open = 2;
      const done = (): void => {
        open -= 1;
        if (open === 0) subscriber.complete();
      };
      const error = (e: unknown): void => subscriber.error(e);
      const readings = readings$.subscribe({ next: onReading, error, complete: done });
      const entries = entries$.subscribe({ next: onEntry, error, complete: done });
      return () => {
        readings.unsubscribe();
        entries.unsubscribe();
      };
    });
}

/** The subscores as one number, each a base-4 digit (a subscore is 0–3): equal keys, equal subscores. */
function subscoresKey(s: News2Subscores): number {
  return (
    (((((s.rr * 4 + s.spo2) * 4 + s.airOrOxygen) * 4 + s.sbp) * 4 + s.pulse) * 4 + s.consciousness) * 4 +
    s.temp
  );
}

/** `h` when it is at most `maxAgeMs` old at `now` and stamped at most `maxAheadMs` after it. */
function fresh<T>(
  h: Held<T> | undefined,
  now: number,
  maxAgeMs: number,
  maxAheadMs: number,
): Held<T> | undefined {
  return h !== undefined && now - h.ts <= maxAgeMs && h.ts - now <= maxAheadMs ? h : undefined;
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
