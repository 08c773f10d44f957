import {
  type AccessControl,
  type AccessDecision,
  type AccessResource,
  type Alert,
  type Clock,
  compareSeverity,
  createAccessControl,
  HealthItError,
  isHealthItError,
  type Principal,
} from '@healthit/core';
import { asyncScheduler, type Observable, type SchedulerLike, Subject, type Subscription } from 'rxjs';
import { DEFAULT_ESCALATION_POLICY, type EscalationPolicy, validateEscalationPolicy } from './escalation.js';
import { type AlertStore, createInMemoryAlertStore } from './store.js';
import { MAX_ROUTES, parseAlertSubmission } from './submission.js';
import { type AlertEvent, type AlertQuery, episodeKey, type ManagedAlert } from './types.js';

/** Options of {@link createAlertManager}. */
export interface AlertManagerOptions {
  /** Where episodes live (default {@link createInMemoryAlertStore} on the manager's clock). */
  readonly store?: AlertStore;
  /** Who may acknowledge and resolve (default `createAccessControl()` with the clinical default policy). */
  readonly access?: AccessControl;
  /** Escalation levels per severity (default {@link DEFAULT_ESCALATION_POLICY}). */
  readonly escalation?: EscalationPolicy;
  /** Runs the escalation timers (default `asyncScheduler`; tests pass a `TestScheduler`). */
  readonly scheduler?: SchedulerLike;
  /** Time source of every timestamp (default `scheduler.now()`). */
  readonly clock?: Clock;
  /** The ward of an alert that does not name one (e.g. from the patient's admission). */
  readonly wardOf?: (alert: Alert) => string | undefined;
  /** The routing of an alert that does not carry one (e.g. gateway alerts by severity). */
  readonly routeOf?: (alert: Alert) => readonly string[];
  /**
   * Occurrence ids remembered to recognise re-sends (an outbox redelivering after an outage), even
   * of occurrences folded into an episode that has since been resolved. Default 100 000; past it,
   * the oldest id is forgotten first.
   */
  readonly rememberOccurrenceIds?: number;
}

/** What {@link AlertManager.submit} did. */
export type SubmitResult =
  | {
      /** The alert was accepted (or was a known re-send). */
      readonly ok: true;
      /** `redelivered`: an occurrence id already known (an idempotent re-send): nothing changed. */
      readonly outcome: 'opened' | 'deduplicated' | 'redelivered';
      /** The episode as stored after the submission (for `redelivered`, as it already was). */
      readonly alert: ManagedAlert;
    }
  | {
      /** The alert was refused; an `alert.rejected` event says so too (except when closed). */
      readonly ok: false;
      /**
       * Why: `validation/invalid` for a malformed submission, `buffer/overflow` when the store is
       * full, `state/invalid` when the manager is closed.
       */
      readonly error: HealthItError;
    };

/** Why an acknowledgement or resolution was refused. */
export type TransitionRefusal = 'not-found' | 'denied' | 'already-resolved' | 'invalid' | 'closed';

/** What {@link AlertManager.acknowledge} and {@link AlertManager.resolve} did. */
export type TransitionResult =
  | {
      /** The alert is (now) in the requested state. */
      readonly ok: true;
      /** The alert after the transition (or as it was, when `changed` is false). */
      readonly alert: ManagedAlert;
      /** False when the alert already was in the requested state (an idempotent repeat). */
      readonly changed: boolean;
    }
  | {
      /** The transition was refused; the alert is unchanged. */
      readonly ok: false;
      /** Why, as a code: `not-found`, `denied`, `already-resolved`, `invalid` or `closed`. */
      readonly reason: TransitionRefusal;
      /** Why, in words, e.g. the access decision's reason or the field that is invalid. */
      readonly message: string;
      /** The access decision, for `denied`. */
      readonly decision?: AccessDecision;
    };

/** An acknowledgement request. */
export interface AcknowledgeRequest {
  /** The id of the alert (episode) to acknowledge: `ManagedAlert.id`. */
  readonly alertId: string;
  /** Who acknowledges: a principal from a verified role claim. */
  readonly principal: Principal;
  /** An optional note kept with the acknowledgement, at most 500 characters. */
  readonly note?: string;
}

/** A platform service resolving an alert on its own (e.g. a rule whose condition cleared). */
export interface SystemActor {
  /** The service's name; the resolution is recorded as by `system:<name>`, e.g. `system:business-rules`. */
  readonly system: string;
}

/** A resolution request. */
export interface ResolveRequest {
  /** The id of the alert (episode) to resolve: `ManagedAlert.id`. */
  readonly alertId: string;
  /** A principal (checked like an acknowledgement) or a platform service (not checked). */
  readonly by: Principal | SystemActor;
  /** Why, e.g. `patient reviewed, oxygen started`; 1-500 characters. */
  readonly reason: string;
}

/** The platform's alert manager: one place for gateway and platform-rule alerts. */
export interface AlertManager {
  /** Every lifecycle event, in order (hot: subscribe before connecting sources). */
  readonly events$: Observable<AlertEvent>;
  /**
   * Feeds alerts from a source (core `Alert`s or {@link AlertSubmission}s); bad items become
   * `alert.rejected` events and the source keeps flowing. Unsubscribe the result to disconnect.
   */
  connect(alerts$: Observable<unknown>, source?: string): Subscription;
  /** Submits one alert: opens an episode, folds it into an unresolved one, or ignores a re-send. */
  submit(input: unknown, source?: string): SubmitResult;
  /** Acknowledges an alert if access control allows `principal` to, for the alert's ward and patient. */
  acknowledge(request: AcknowledgeRequest): TransitionResult;
  /** Resolves an alert (open or acknowledged), recording who, when and why. */
  resolve(request: ResolveRequest): TransitionResult;
  /** The alert (episode) with this id as currently stored, or `undefined` when unknown. */
  get(id: string): ManagedAlert | undefined;
  /** History from the store (see {@link AlertQuery}). */
  query(query: AlertQuery): ManagedAlert[];
  /** Stops timers and sources and completes `events$`. Idempotent. */
  close(): void;
}

const MAX_TEXT = 500;

function isSystemActor(by: Principal | SystemActor): by is SystemActor {
  return typeof (by as SystemActor).system === 'string';
}

function resourceOf(a: ManagedAlert): AccessResource {
  return {
    ...(a.ward === undefined ? {} : { ward: a.ward }),
    ...(a.alert.patientId === undefined ? {} : { patientId: a.alert.patientId }),
    ...(a.alert.deviceId === undefined ? {} : { deviceId: a.alert.deviceId }),
  };
}

function mergeRoutes(a: readonly string[], b: readonly string[]): readonly string[] {
  if (b.every((r) => a.includes(r))) return a;
  return [...new Set([...a, ...b])].slice(0, MAX_ROUTES);
}

/**
 * Creates the alert manager. Lifecycle: `open` → `acknowledged` → `resolved` (or `open` →
 * `resolved`). The same episode (rule, patient, metric; device when there is no patient) arriving
 * again while unresolved is folded into one alert (occurrence count, last-seen time, highest
 * severity, union of routes). An open alert not acknowledged in time escalates level by level per
 * its severity's policy. Acknowledging and resolving are decided by core access control
 * (`alert.acknowledge` for the alert's ward and patient); every denial is an event.
 *
 * @throws {RangeError} / {TypeError} for an invalid escalation policy.
 * @example
 * ```ts
 * const manager = createAlertManager({ access, wardOf: (a) => admissions.wardOf(a.patientId) });
 * manager.events$.subscribe(audit);
 * manager.connect(gateway.alerts$, 'gateway:gw-1');
 * manager.connect(rules.alerts$, 'business-rules');
 * manager.acknowledge({ alertId, principal: nurse });
 * ```
 */
export function createAlertManager(options: AlertManagerOptions = {}): AlertManager {
  const scheduler = options.scheduler ?? asyncScheduler;
  const clock: Clock = options.clock ?? { now: () => scheduler.now() };
  const store = options.store ?? createInMemoryAlertStore({ clock });
  const access = options.access ?? createAccessControl();
  const policy = validateEscalationPolicy(options.escalation ?? DEFAULT_ESCALATION_POLICY);
  const remember = options.rememberOccurrenceIds ?? 100_000;
  if (!Number.isSafeInteger(remember) || remember < 1) {
    throw new RangeError(`rememberOccurrenceIds must be a positive integer, got ${remember}`);
  }
  /** Occurrence id → episode id, oldest first (bounded: {@link remember}). */
  const seen = new Map<string, string>();
  const see = (occurrenceId: string, episodeId: string): void => {
    seen.set(occurrenceId, episodeId);
    if (seen.size > remember) seen.delete(seen.keys().next().value as string);
  };
  const events = new Subject<AlertEvent>();
  const timers = new Map<string, Subscription>();
  const sources = new Set<Subscription>();
  let closed = false;

  const emit = (e: AlertEvent): void => events.next(e);

  const cancelEscalation = (id: string): void => {
    timers.get(id)?.unsubscribe();
    timers.delete(id);
  };

  const armEscalation = (a: ManagedAlert): void => {
    cancelEscalation(a.id);
    if (a.state !== 'open' || closed) return;
    const step = policy[a.severity]?.[a.escalationLevel];
    if (step === undefined) return;
    const delay = Math.max(0, a.openedAt + step.afterMs - clock.now());
    timers.set(
      a.id,
      scheduler.schedule(() => {
        timers.delete(a.id);
        escalate(a.id);
      }, delay),
    );
  };

  const escalate = (id: string): void => {
    const current = store.get(id);
    if (current === undefined || current.state !== 'open') return;
    const step = policy[current.severity]?.[current.escalationLevel];
    if (step === undefined) return;
    const now = clock.now();
    const next: ManagedAlert = { ...current, escalationLevel: current.escalationLevel + 1, escalatedAt: now };
    store.save(next);
    emit({
      type: 'alert.escalated',
      ts: now,
      alertId: id,
      alert: next,
      level: next.escalationLevel,
      notify: step.notify ?? [],
      openForMs: now - next.openedAt,
    });
    armEscalation(next);
  };

  const closedError = () => new HealthItError('state/invalid', 'the alert manager is closed');

  const submit = (input: unknown, source = 'unknown'): SubmitResult => {
    if (closed) return { ok: false, error: closedError() };
    const now = clock.now();
    const parsed = parseAlertSubmission(input, source);
    if (!parsed.ok) {
      emit({ type: 'alert.rejected', ts: now, error: parsed.error, input });
      return { ok: false, error: parsed.error };
    }
    const sub = parsed.value;
    const alert = sub.alert;
    const knownAs = seen.get(alert.id);
    const known = store.get(knownAs ?? alert.id);
    if (known !== undefined) return { ok: true, outcome: 'redelivered', alert: known };
    const key = episodeKey(alert);
    const open = store.findUnresolved(key);
    const route = sub.route ?? options.routeOf?.(alert) ?? [];
    if (open !== undefined) {
      const raised = compareSeverity(alert.severity, open.severity) > 0;
      const ward = open.ward ?? sub.ward ?? options.wardOf?.(alert);
      const next: ManagedAlert = {
        ...open,
        alert,
        severity: raised ? alert.severity : open.severity,
        route: mergeRoutes(open.route, route),
        ...(ward === undefined ? {} : { ward }),
        lastSeenAt: now,
        occurrences: open.occurrences + 1,
      };
      store.save(next);
      see(alert.id, next.id);
      emit({ type: 'alert.deduplicated', ts: now, alertId: next.id, alert: next, occurrenceId: alert.id });
      if (raised) armEscalation(next);
      return { ok: true, outcome: 'deduplicated', alert: next };
    }
    const ward = sub.ward ?? options.wardOf?.(alert);
    const record: ManagedAlert = {
      id: alert.id,
      key,
      state: 'open',
      alert,
      severity: alert.severity,
      route: [...new Set(route)].slice(0, MAX_ROUTES),
      ...(ward === undefined ? {} : { ward }),
      source: sub.source ?? source,
      openedAt: now,
      lastSeenAt: now,
      occurrences: 1,
      escalationLevel: 0,
    };
    try {
      store.save(record);
    } catch (e) {
      const error = isHealthItError(e)
        ? e
        : new HealthItError('state/invalid', `alert store failed to save ${alert.id}`, { cause: e });
      emit({ type: 'alert.rejected', ts: now, alertId: alert.id, error, input });
      return { ok: false, error };
    }
    see(alert.id, record.id);
    emit({ type: 'alert.opened', ts: now, alertId: record.id, alert: record });
    armEscalation(record);
    return { ok: true, outcome: 'opened', alert: record };
  };

  const refuse = (reason: TransitionRefusal, message: string): TransitionResult => ({
    ok: false,
    reason,
    message,
  });

  const acknowledge = (request: AcknowledgeRequest): TransitionResult => {
    if (closed) return refuse('closed', 'the alert manager is closed');
    const current = store.get(request.alertId);
    if (current === undefined) return refuse('not-found', `no alert ${request.alertId}`);
    const now = clock.now();
    const decision = access.decide(request.principal, 'alert.acknowledge', resourceOf(current));
    if (!decision.allowed) {
      emit({ type: 'alert.acknowledge-denied', ts: now, alertId: current.id, decision });
      return { ok: false, reason: 'denied', message: decision.reason, decision };
    }
    if (current.state === 'resolved') {
      return refuse('already-resolved', `alert ${current.id} was resolved at ${current.resolved?.at}`);
    }
    if (current.state === 'acknowledged') return { ok: true, alert: current, changed: false };
    if (request.note !== undefined && (typeof request.note !== 'string' || request.note.length > MAX_TEXT)) {
      return refuse('invalid', `note must be a string of at most ${MAX_TEXT} characters`);
    }
    const next: ManagedAlert = {
      ...current,
      state: 'acknowledged',
      acknowledged: {
        by: request.principal.id,
        at: now,
        ...(decision.rule === undefined ? {} : { rule: decision.rule }),
        ...(request.note === undefined ? {} : { note: request.note }),
      },
    };
    store.save(next);
    cancelEscalation(next.id);
    emit({ type: 'alert.acknowledged', ts: now, alertId: next.id, alert: next, decision });
    return { ok: true, alert: next, changed: true };
  };

  const resolve = (request: ResolveRequest): TransitionResult => {
    if (closed) return refuse('closed', 'the alert manager is closed');
    const current = store.get(request.alertId);
    if (current === undefined) return refuse('not-found', `no alert ${request.alertId}`);
    const now = clock.now();
    let decision: AccessDecision | undefined;
    let by: string;
    if (isSystemActor(request.by)) {
      by = `system:${request.by.system}`;
    } else {
      decision = access.decide(request.by, 'alert.acknowledge', resourceOf(current));
      if (!decision.allowed) {
        emit({ type: 'alert.resolve-denied', ts: now, alertId: current.id, decision });
        return { ok: false, reason: 'denied', message: decision.reason, decision };
      }
      by = request.by.id;
    }
    if (current.state === 'resolved') return { ok: true, alert: current, changed: false };
    if (typeof request.reason !== 'string' || request.reason.length < 1 || request.reason.length > MAX_TEXT) {
      return refuse('invalid', `reason must be 1-${MAX_TEXT} characters saying why the alert is resolved`);
    }
    const next: ManagedAlert = {
      ...current,
      state: 'resolved',
      resolved: { by, at: now, reason: request.reason },
    };
    store.save(next);
    cancelEscalation(next.id);
    emit({
      type: 'alert.resolved',
      ts: now,
      alertId: next.id,
      alert: next,
      ...(decision === undefined ? {} : { decision }),
    });
    return { ok: true, alert: next, changed: true };
  };

  return Object.freeze({
    events$: events.asObservable(),
    connect(alerts$: Observable<unknown>, source = 'unknown'): Subscription {
      if (closed) throw new HealthItError('state/invalid', 'the alert manager is closed');
      let subscription: Subscription | undefined;
      let done = false;
      const finish = (): void => {
        done = true;
        if (subscription !== undefined) sources.delete(subscription);
      };
      subscription = alerts$.subscribe({
        next: (input) => {
          submit(input, source);
        },
        error: (e: unknown) => {
          finish();
          if (closed) return;
          const error = new HealthItError('state/invalid', `alert source "${source}" failed: ${String(e)}`, {
            cause: e,
            detail: { source },
          });
          emit({ type: 'alert.rejected', ts: clock.now(), error, input: undefined });
        },
        complete: finish,
      });
      if (!done) sources.add(subscription);
      return subscription;
    },
    submit,
    acknowledge,
    resolve,
    get: (id: string) => store.get(id),
    query: (q: AlertQuery) => store.query(q),
    close() {
      if (closed) return;
      closed = true;
      for (const t of timers.values()) t.unsubscribe();
      timers.clear();
      for (const s of sources) s.unsubscribe();
      sources.clear();
      events.complete();
    },
  });
}
