import type { Alert, Clock, MetricId, PatientId, Reading, ReadingStore } from '@healthit/core';
import type { SchedulerLike } from 'rxjs';
import type { RuleEngineEvent } from './events.js';
import type { News2ScoreEvent, SignOfLife } from './inputs.js';
import type { BusinessRule, PatientScope } from './spec.js';

/** What a running rule gets from the engine. */
export interface RuleContext {
  readonly scheduler: SchedulerLike;
  readonly clock: Clock;
  readonly emit: (event: RuleEngineEvent) => void;
  readonly wardOf?: ((patientId: string) => string | undefined) | undefined;
  readonly store?: ReadingStore | undefined;
  readonly conditionsOf?: ((patientId: string) => readonly string[] | Promise<readonly string[]>) | undefined;
  /** Patients or devices tracked per rule. */
  readonly maxTracked: number;
  /** Evaluations waiting per rule (async rules). */
  readonly maxPending: number;
}

/** A running rule: handles the inputs it cares about; `dispose` stops its timers. */
export interface RuleRuntime {
  onReading?(reading: Reading): void;
  onNews2?(event: News2ScoreEvent): void;
  onSignOfLife?(signal: SignOfLife): void;
  dispose(): void;
}

/** The largest number of reading ids a rule alert carries. */
export const MAX_RULE_ALERT_READING_IDS = 100;

/**
 * A bounded table of per-subject state, least recently updated evicted first (`onEvict` sees it).
 * @internal
 */
export class BoundedTable<S> {
  readonly #map = new Map<string, S>();
  constructor(
    private readonly max: number,
    private readonly onEvict: (key: string, state: S) => void,
  ) {}
  get(key: string): S | undefined {
    return this.#map.get(key);
  }
  /** The state of `key`, created with `init` if missing, marked as most recently updated. */
  touch(key: string, init: () => S): S {
    let s = this.#map.get(key);
    if (s !== undefined) this.#map.delete(key);
    else s = init();
    this.#map.set(key, s);
    if (this.#map.size > this.max) {
      const [oldKey, oldState] = this.#map.entries().next().value as [string, S];
      this.#map.delete(oldKey);
      this.onEvict(oldKey, oldState);
    }
    return s;
  }
  delete(key: string): void {
    this.#map.delete(key);
  }
  values(): IterableIterator<S> {
    return this.#map.values();
  }
  clear(): void {
    this.#map.clear();
  }
}

/** True when a patient rule's scope covers `patientId`. @internal */
export function inPatientScope(
  scope: PatientScope | undefined,
  patientId: string,
  ctx: RuleContext,
): boolean {
  if (scope === undefined) return true;
  if (scope.patientIds !== undefined) return scope.patientIds.includes(patientId);
  const ward = ctx.wardOf?.(patientId);
  return ward !== undefined && (scope.wardIds ?? []).includes(ward);
}

/** Builds and emits a rule alert. @internal */
export function raiseRuleAlert(
  ctx: RuleContext,
  rule: BusinessRule,
  fields: {
    readonly subject: string;
    readonly patientId?: PatientId;
    readonly deviceId?: Alert['deviceId'];
    readonly metric?: MetricId;
    readonly value?: number;
    readonly message: string;
    readonly readingIds: readonly string[];
  },
): Alert {
  const ts = ctx.clock.now();
  const alert: Alert = {
    id: `business:${rule.id}:${fields.subject}:${ts}`,
    rule: `business:${rule.id}`,
    severity: rule.severity,
    message: rule.message ?? fields.message,
    ts,
    ...(fields.patientId === undefined ? {} : { patientId: fields.patientId }),
    ...(fields.deviceId === undefined ? {} : { deviceId: fields.deviceId }),
    ...(fields.metric === undefined ? {} : { metric: fields.metric }),
    ...(fields.value === undefined ? {} : { value: fields.value }),
    readingIds:
      fields.readingIds.length > 0
        ? fields.readingIds.slice(-MAX_RULE_ALERT_READING_IDS)
        : [`${fields.subject}@${ts}`],
  };
  const ward = fields.patientId === undefined ? undefined : ctx.wardOf?.(fields.patientId);
  ctx.emit({
    type: 'rule-alert',
    ts,
    ruleId: rule.id,
    alert,
    route: rule.route,
    ...(ward === undefined ? {} : { ward }),
  });
  return alert;
}
