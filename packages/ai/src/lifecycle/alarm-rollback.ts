import { concatMap, EMPTY, from, type OperatorFunction } from 'rxjs';
import type { MonitorEvent } from '../monitoring/monitor.js';
import type { AlarmKind } from '../monitoring/retrain-request.js';
import type { ModelDeployment } from './deployment.js';
import type { CommandResult } from './events.js';

/** Options of {@link rollbackOnAlarm}. */
export interface RollbackOnAlarmOptions {
  /**
   * How long after its promotion a version is on probation, in the time of the monitor's data
   * (the deployment's clock must tell the same time: inject one clock into both). An alarm for the
   * active version within it may roll back; after it, an alarm is a reason to retrain, not to roll back.
   */
  readonly probationMs: number;
  /** The alarm kinds that may roll back (default `accuracy` only: drift alone does not say the new version is worse). */
  readonly kinds?: readonly AlarmKind[];
  /**
   * Roll back only to a version that did better (default true): an accuracy alarm rolls back only
   * when the alarming version's rolling AUROC is below the last rolling AUROC the monitor reported
   * for the previous version while it was active, by more than `margin`. A new version that misses
   * its own held-out promise but still beats the one it replaced stays (a rollback would make
   * things worse); without a report of the previous version, or for other kinds, the alarm alone
   * decides.
   */
  readonly onlyToBetter?: boolean;
  /** Default 0.01. */
  readonly margin?: number;
}

/**
 * Rolls a freshly promoted version back on a monitoring alarm: for each raised alarm of one of
 * `kinds` about the active version, while it is on probation and a previous version is kept (and,
 * with `onlyToBetter`, that version did better), a `rollback` command with `trigger: 'alarm'` is
 * executed; emits its {@link CommandResult}. Commands run one at a time, in alarm order. Reads the
 * monitor's `report` events to know how each version did while it was active.
 *
 * @throws {RangeError} when `probationMs` or `margin` is not a finite number >= 0.
 * @example
 * ```ts
 * monitorEvents$.pipe(rollbackOnAlarm(deployment, { probationMs: 2 * 3_600_000 })).subscribe();
 * ```
 */
export function rollbackOnAlarm(
  deployment: ModelDeployment,
  options: RollbackOnAlarmOptions,
): OperatorFunction<MonitorEvent, CommandResult> {
  const { probationMs } = options;
  const margin = options.margin ?? 0.01;
  for (const [what, v] of [
    ['probationMs', probationMs],
    ['margin', margin],
  ] as const) {
    if (!(v >= 0 && Number.isFinite(v)))
      throw new RangeError(`rollbackOnAlarm: ${what} must be a finite number >= 0, got ${v}`);
  }
  const kinds = new Set<AlarmKind>(options.kinds ?? ['accuracy']);
  const onlyToBetter = options.onlyToBetter ?? true;
  return (source) => {
    /** The last rolling AUROC of each version while active (bounded: the versions the deployment keeps). */
    const lastAuroc = new Map<string, number>();
    let n = 0;
    return source.pipe(
      concatMap((event) => {
        if (event.type === 'report') {
          const active = event.report.active;
          if (active?.accuracy.auroc !== null && active?.accuracy.auroc !== undefined) {
            lastAuroc.delete(active.version);
            lastAuroc.set(active.version, active.accuracy.auroc);
            while (lastAuroc.size > 16) lastAuroc.delete(lastAuroc.keys().next().value as string);
          }
          return EMPTY;
        }
        if (event.type !== 'alarm' || !event.alarm.raised || !kinds.has(event.alarm.kind)) return EMPTY;
        const { alarm } = event;
        const status = deployment.status();
        const active = status.active;
        const previous = status.previous.at(-1);
        if (active === undefined || active.version !== alarm.version || previous === undefined) return EMPTY;
        if (alarm.ts - active.since > probationMs) return EMPTY;
        const f = alarm.finding;
        const before = lastAuroc.get(previous.version);
        if (
          onlyToBetter &&
          f.kind === 'accuracy' &&
          f.auroc !== null &&
          before !== undefined &&
          f.auroc >= before - margin
        ) {
          return EMPTY;
        }
        return from(
          deployment.execute({
            type: 'rollback',
            commandId: `alarm-rollback-${++n}`,
            trigger: 'alarm',
            reason: `${alarm.kind} alarm on ${deployment.modelId}@${alarm.version} within ${probationMs} ms of its promotion${
              f.kind === 'accuracy' && before !== undefined && f.auroc !== null
                ? ` (rolling AUROC ${f.auroc.toFixed(3)}; ${previous.version} had ${before.toFixed(3)})`
                : ''
            }`,
          }),
        );
      }),
    );
  };
}
