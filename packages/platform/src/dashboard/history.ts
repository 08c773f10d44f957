import { type Observable, Subject } from 'rxjs';
import type { CommandSource, DashboardCommand, News2Point, News2Source } from './sources.js';

/** Bounds of a {@link PatientHistory}. */
export interface PatientHistoryOptions {
  /**
   * Points kept per patient (default 2 880: a day of one score every 30 s). Policy when full:
   * `drop-oldest` — the oldest point of that patient is forgotten.
   */
  readonly maxPointsPerPatient?: number;
  /**
   * Patients kept (default 10 000). Policy when full: `drop-least-recent` — the patient whose
   * latest point is the oldest is forgotten with its history.
   */
  readonly maxPatients?: number;
}

/** A bounded in-memory history of timestamped points per patient. */
export interface PatientHistory<T extends { readonly patientId: string; readonly ts: number }> {
  /** Adds a point (points may arrive out of order; they are kept ordered by `ts`). */
  add(point: T): void;
  /** The patient's most recent point (greatest `ts`), or `undefined` when none is held. */
  latest(patientId: string): T | undefined;
  /** Points with `from <= ts < to`, oldest first. */
  history(patientId: string, from: number, to: number): readonly T[];
  /** What is held, and what the bounds made it forget. */
  stats(): { readonly patients: number; readonly points: number; readonly dropped: number };
}

function positive(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new RangeError(`${name} must be a positive integer, got ${value}`);
  }
  return value;
}

/**
 * Creates a bounded per-patient history (see {@link PatientHistoryOptions} for the policies).
 * @throws {RangeError} when a bound is not a positive integer.
 */
export function createPatientHistory<T extends { readonly patientId: string; readonly ts: number }>(
  options: PatientHistoryOptions = {},
): PatientHistory<T> {
  const maxPoints = positive('maxPointsPerPatient', options.maxPointsPerPatient ?? 2_880);
  const maxPatients = positive('maxPatients', options.maxPatients ?? 10_000);
  // Map order = least recently updated first (a patient is re-inserted on each add).
  const series = new Map<string, T[]>();
  let points = 0;
  let dropped = 0;
  return {
    add(point) {
      let list = series.get(point.patientId);
      if (list === undefined) {
        if (series.size >= maxPatients) {
          const [oldest, oldList] = series.entries().next().value as [string, T[]];
          series.delete(oldest);
          points -= oldList.length;
          dropped += oldList.length;
        }
        list = [];
      } else {
        series.delete(point.patientId);
      }
      series.set(point.patientId, list);
      let i = list.length;
      while (i > 0 && (list[i - 1] as T).ts > point.ts) i -= 1;
      list.splice(i, 0, point);
      points += 1;
      if (list.length > maxPoints) {
        list.shift();
        points -= 1;
        dropped += 1;
      }
    },
    latest(patientId) {
      const list = series.get(patientId);
      return list?.[list.length - 1];
    },
    history(patientId, from, to) {
      return (series.get(patientId) ?? []).filter((p) => p.ts >= from && p.ts < to);
    },
    stats: () => ({ patients: series.size, points, dropped }),
  };
}

/** A {@link PatientHistory} whose `updates$` (hot) emits every point added. */
export interface LivePatientHistory<T extends { readonly patientId: string; readonly ts: number }>
  extends PatientHistory<T> {
  /** Hot: every point passed to `add`, in the order added (not re-sorted by `ts`). */
  readonly updates$: Observable<T>;
}

function live<T extends { readonly patientId: string; readonly ts: number }>(
  options: PatientHistoryOptions,
): LivePatientHistory<T> {
  const history = createPatientHistory<T>(options);
  const updates = new Subject<T>();
  return {
    ...history,
    add(point) {
      history.add(point);
      updates.next(point);
    },
    updates$: updates.asObservable(),
  };
}

/** A bounded NEWS2 history that is a {@link News2Source}: `add` each score as it comes. */
export function createNews2History(
  options: PatientHistoryOptions = {},
): News2Source & LivePatientHistory<News2Point> {
  return live<News2Point>(options);
}

/** A patient's command, for {@link createCommandHistory}. */
export type PatientCommand = DashboardCommand & {
  /** The patient the command concerns: required here, since the history is kept per patient. */
  readonly patientId: string;
};

/** A bounded command history that is a {@link CommandSource}: `add` each command (or status change). */
export function createCommandHistory(
  options: PatientHistoryOptions = {},
): CommandSource & LivePatientHistory<PatientCommand> {
  return live<PatientCommand>(options);
}
