import {
  type Clock,
  canonicalJson,
  HealthItError,
  isHealthItError,
  type JsonValue,
  Reading,
  type ReadingStore,
  ValidationError,
} from '@healthit/core';
import { asyncScheduler, filter, map, Observable, type SchedulerLike, type Subscription, share } from 'rxjs';
import type { AlertSubmission } from '../alerts/types.js';
import { deviceOfflineRuntime } from './device-offline.js';
import {
  type RuleAlertRaised,
  type RuleEngineEvent,
  type RuleInputStream,
  toAlertSubmission,
} from './events.js';
import { parseNews2ScoreEvent, parseSignOfLife } from './inputs.js';
import { news2SustainedRuntime } from './news2-sustained.js';
import type { RuleContext, RuleRuntime } from './runtime.js';
import { type BusinessRule, checkRunnable, parseBusinessRuleSet } from './spec.js';
import { weightGainRuntime } from './weight-gain.js';

/** The engine's input streams; each may carry anything: bad items become `input-rejected` events. */
export interface BusinessRuleInputs {
  /** Rule sets (JSON text or values); each valid one replaces the running set. */
  readonly ruleSets$: Observable<unknown>;
  /** Readings (weights for `weight-gain`; signs of life for `device-offline` unless `heartbeats$` is given). */
  readonly readings$?: Observable<unknown>;
  /** NEWS2 score events per patient (see `News2ScoreEvent`; the gateway's `news2Scores` output fits). */
  readonly news2$?: Observable<unknown>;
  /** Heartbeats (`{ type: 'heartbeat', deviceId, ts }`) or readings per device. Default: `readings$`. */
  readonly heartbeats$?: Observable<unknown>;
}

/** Options of {@link businessRules}. */
export interface BusinessRuleOptions {
  /** Stored history for `weight-gain` rules (required when the set has one). */
  readonly store?: ReadingStore;
  /** A patient's condition tags, e.g. `['heart-failure']` (required for `weight-gain` rules). */
  readonly conditionsOf?: (patientId: string) => readonly string[] | Promise<readonly string[]>;
  /** A patient's ward: ward-scoped rules, and the access-control scope of the alerts. */
  readonly wardOf?: (patientId: string) => string | undefined;
  /** Runs the duration timers (default `asyncScheduler`; tests pass a `TestScheduler`). */
  readonly scheduler?: SchedulerLike;
  /** Time source (default `scheduler.now()`). */
  readonly clock?: Clock;
  /** Patients or devices each rule tracks (default 10 000); past it the least recently updated is forgotten. */
  readonly maxTrackedPerRule?: number;
  /** Evaluations waiting per asynchronous rule (default 1 000); past it, reject-newest. */
  readonly maxPendingPerRule?: number;
}

/** The engine's outputs (cold and shared: the first subscriber starts it, the last stops it). */
export interface BusinessRuleEngine {
  /** Everything: alerts, clearings, rule-set changes and refusals, rejected inputs, failures. */
  readonly events$: Observable<RuleEngineEvent>;
  /** Just the alerts, as submissions for the alert manager (`manager.connect(engine.alerts$, 'business-rules')`). */
  readonly alerts$: Observable<AlertSubmission>;
}

interface Running {
  readonly canonical: string;
  readonly runtime: RuleRuntime;
}

function positiveInteger(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 1)
    throw new RangeError(`${name} must be a positive integer, got ${value}`);
  return value;
}

function createRuntime(rule: BusinessRule, ctx: RuleContext): RuleRuntime {
  switch (rule.type) {
    case 'weight-gain':
      return weightGainRuntime(rule, ctx);
    case 'news2-sustained':
      return news2SustainedRuntime(rule, ctx);
    case 'device-offline':
      return deviceOfflineRuntime(rule, ctx);
  }
}

/**
 * The platform's business-rule engine: rules as zod-validated JSON (see `BusinessRuleSet`),
 * hot-reloaded from `ruleSets$`, evaluated over streams (NEWS2 scores, signs of life) and over
 * stored history (weights through the `ReadingStore`), producing routed alerts.
 *
 * Hot reload: a new valid set replaces the running one; rules whose definition is unchanged keep
 * running with their state (pending durations, open episodes); changed rules restart; removed
 * rules stop. An invalid set is refused (`rule-set-rejected` with a `ValidationError` or a
 * `config/invalid` `HealthItError` naming the rule and field) and the previous set keeps running.
 * Until the first valid set arrives no rule runs.
 *
 * @throws {RangeError} for a non-positive `maxTrackedPerRule` or `maxPendingPerRule`.
 * @example
 * ```ts
 * const rules = businessRules(
 *   { ruleSets$: watchFile('rules.json'), readings$, news2$: gatewayScores$ },
 *   { store, conditionsOf: (p) => ehr.conditionTags(p), wardOf: (p) => adt.wardOf(p) },
 * );
 * manager.connect(rules.alerts$, 'business-rules');
 * ```
 */
export function businessRules(
  inputs: BusinessRuleInputs,
  options: BusinessRuleOptions = {},
): BusinessRuleEngine {
  const maxTracked = positiveInteger('maxTrackedPerRule', options.maxTrackedPerRule ?? 10_000);
  const maxPending = positiveInteger('maxPendingPerRule', options.maxPendingPerRule ?? 1_000);
  const scheduler = options.scheduler ?? asyncScheduler;
  const clock: Clock = options.clock ?? { now: () => scheduler.now() };
  const has = {
    hasStore: options.store !== undefined,
    hasConditions: options.conditionsOf !== undefined,
    hasWards: options.wardOf !== undefined,
  };

  const events$ = new Observable<RuleEngineEvent>((subscriber) => {
    const emit = (e: RuleEngineEvent): void => subscriber.next(e);
    const ctx: RuleContext = {
      scheduler,
      clock,
      emit,
      wardOf: options.wardOf,
      store: options.store,
      conditionsOf: options.conditionsOf,
      maxTracked,
      maxPending,
    };
    let running = new Map<string, Running>();

    const reject = (stream: RuleInputStream, error: HealthItError, input: unknown, ruleId?: string): void =>
      emit({
        type: 'input-rejected',
        ts: clock.now(),
        stream,
        error,
        input,
        ...(ruleId === undefined ? {} : { ruleId }),
      });

    const apply = (input: unknown): void => {
      const ts = clock.now();
      const created: RuleRuntime[] = [];
      try {
        const set = parseBusinessRuleSet(input);
        checkRunnable(set, has);
        const next = new Map<string, Running>();
        const added: string[] = [];
        const replaced: string[] = [];
        const kept: string[] = [];
        for (const rule of set.rules) {
          if (!rule.enabled) continue;
          const canonical = canonicalJson(rule as unknown as JsonValue);
          const old = running.get(rule.id);
          if (old !== undefined && old.canonical === canonical) {
            next.set(rule.id, old);
            kept.push(rule.id);
            continue;
          }
          const runtime = createRuntime(rule, ctx);
          created.push(runtime);
          next.set(rule.id, { canonical, runtime });
          (old === undefined ? added : replaced).push(rule.id);
        }
        const removed: string[] = [];
        for (const [id, old] of running) {
          if (next.get(id) !== old) {
            old.runtime.dispose();
            if (!next.has(id)) removed.push(id);
          }
        }
        running = next;
        emit({
          type: 'rule-set-applied',
          ts,
          ...(set.version === undefined ? {} : { version: set.version }),
          added,
          replaced,
          removed,
          kept,
        });
      } catch (e) {
        for (const r of created) r.dispose();
        const error = isHealthItError(e)
          ? e
          : new HealthItError('config/invalid', `rule set refused: ${String(e)}`, { cause: e });
        emit({ type: 'rule-set-rejected', ts, error, input });
      }
    };

    const dispatch = (call: (runtime: RuleRuntime) => void, input: unknown): void => {
      for (const [id, { runtime }] of running) {
        try {
          call(runtime);
        } catch (e) {
          emit({
            type: 'evaluation-failed',
            ts: clock.now(),
            ruleId: id,
            error: isHealthItError(e)
              ? e
              : new HealthItError('state/invalid', `rule "${id}" failed: ${String(e)}`, { cause: e }),
            input,
          });
        }
      }
    };

    const subscriptions: Subscription[] = [];
    const feed = (
      stream: RuleInputStream,
      source: Observable<unknown> | undefined,
      onItem: (x: unknown) => void,
    ) => {
      if (source === undefined) return;
      subscriptions.push(
        source.subscribe({
          next: onItem,
          error: (e: unknown) =>
            reject(
              stream,
              new HealthItError('state/invalid', `the ${stream} input failed and stopped: ${String(e)}`, {
                cause: e,
              }),
              undefined,
            ),
        }),
      );
    };

    feed('rule-sets', inputs.ruleSets$, apply);
    const heartbeatsFromReadings = inputs.heartbeats$ === undefined;
    feed('readings', inputs.readings$, (input) => {
      const parsed = Reading.safeParse(input);
      if (!parsed.success) {
        reject('readings', ValidationError.fromZod('Reading', parsed.error), input);
        return;
      }
      const r = parsed.data;
      dispatch((rt) => rt.onReading?.(r), r);
      if (heartbeatsFromReadings) {
        const sign = { deviceId: r.deviceId, ts: r.ts, id: r.id };
        dispatch((rt) => rt.onSignOfLife?.(sign), r);
      }
    });
    feed('news2', inputs.news2$, (input) => {
      const parsed = parseNews2ScoreEvent(input);
      if (!parsed.ok) reject('news2', parsed.error, input);
      else dispatch((rt) => rt.onNews2?.(parsed.value), input);
    });
    feed('heartbeats', inputs.heartbeats$, (input) => {
      const parsed = parseSignOfLife(input);
      if (!parsed.ok) reject('heartbeats', parsed.error, input);
      else dispatch((rt) => rt.onSignOfLife?.(parsed.value), input);
    });

    return () => {
      for (const s of subscriptions) s.unsubscribe();
      for (const { runtime } of running.values()) runtime.dispose();
      running.clear();
    };
  }).pipe(share());

  return Object.freeze({
    events$,
    alerts$: events$.pipe(
      filter((e): e is RuleAlertRaised => e.type === 'rule-alert'),
      map(toAlertSubmission),
    ),
  });
}
