import type { AccessDecision, Alert, AlertSeverity, HealthItError } from '@healthit/core';

/** The states of a managed alert, in lifecycle order. */
export const ALERT_STATES = ['open', 'acknowledged', 'resolved'] as const;
/** One of {@link ALERT_STATES}. */
export type AlertState = (typeof ALERT_STATES)[number];

/** Who acknowledged an alert, when, and the access rule that allowed it. */
export interface AlertAcknowledgement {
  /** The principal's id. */
  readonly by: string;
  /** Epoch ms (the manager's clock). */
  readonly at: number;
  /** The access-control rule that allowed it (e.g. `nurse-ward`). */
  readonly rule?: string;
  /** The acknowledger's free-text note, at most 500 characters, if one was given. */
  readonly note?: string;
}

/** Who resolved an alert, when and why. */
export interface AlertResolution {
  /** The principal's id, or `system:<name>` for an automatic resolution. */
  readonly by: string;
  /** When it was resolved, epoch ms (the manager's clock). */
  readonly at: number;
  /** Why it was resolved, as the resolver wrote it (1-500 characters). */
  readonly reason: string;
}

/**
 * One alert episode as the platform manages it: the first occurrence's id, the latest occurrence,
 * how often it recurred, its state, escalation and history. Records are immutable snapshots: every
 * transition stores a new one.
 */
export interface ManagedAlert {
  /** The id of the episode's first core `Alert`. */
  readonly id: string;
  /** The de-duplication key (see {@link episodeKey}). */
  readonly key: string;
  /** Where the episode is in its lifecycle: `open`, `acknowledged` or `resolved`. */
  readonly state: AlertState;
  /** The latest occurrence, as raised by a gateway or a platform rule. */
  readonly alert: Alert;
  /** The highest severity of any occurrence. */
  readonly severity: AlertSeverity;
  /** Who should hear about it (e.g. `ward-7-nurses`, `rapid-response`), union of all occurrences. */
  readonly route: readonly string[];
  /** The ward of the patient, used as the access-control scope. */
  readonly ward?: string;
  /** Where it came from, e.g. `gateway:gw-1` or `business-rules`. */
  readonly source: string;
  /** When the platform first received it (epoch ms, the manager's clock). */
  readonly openedAt: number;
  /** When the platform last received an occurrence. */
  readonly lastSeenAt: number;
  /** Occurrences de-duplicated into this episode, the first included. */
  readonly occurrences: number;
  /** Escalation levels reached (0: not escalated). */
  readonly escalationLevel: number;
  /** When the latest escalation happened (epoch ms, the manager's clock); absent when never escalated. */
  readonly escalatedAt?: number;
  /** Who acknowledged it and when; present from the `acknowledged` state on. */
  readonly acknowledged?: AlertAcknowledgement;
  /** Who resolved it, when and why; present in the `resolved` state only. */
  readonly resolved?: AlertResolution;
}

/**
 * An alert as a source submits it: a core `Alert` plus routing and scope. A bare core `Alert` is
 * accepted too (route from the manager's `routeOf`, ward from `wardOf`).
 */
export interface AlertSubmission {
  /** The core `Alert` raised by the source; its `id` identifies the occurrence. */
  readonly alert: Alert;
  /**
   * Route names to notify (each 1-128 of letters, digits and `._:@/-`, at most 32); default the
   * manager's `routeOf`, else none.
   */
  readonly route?: readonly string[];
  /**
   * The patient's ward, the access-control scope (same name rules as a route); default the
   * manager's `wardOf`.
   */
  readonly ward?: string;
  /** Where it came from, e.g. `gateway:gw-1`; overrides the source name given to `connect` or `submit`. */
  readonly source?: string;
}

/** A history query; every field narrows it. Results are ordered by `openedAt`, then id. */
export interface AlertQuery {
  /** Only alerts about this patient (the alert's `patientId`). */
  readonly patientId?: string;
  /** Only alerts about this device (the alert's `deviceId`). */
  readonly deviceId?: string;
  /** Only alerts raised by this rule (the alert's `rule`, e.g. `threshold:spo2-low`). */
  readonly rule?: string;
  /** Only alerts scoped to this ward. */
  readonly ward?: string;
  /** One state or any of several. */
  readonly state?: AlertState | readonly AlertState[];
  /** Exactly these severities. */
  readonly severity?: AlertSeverity | readonly AlertSeverity[];
  /** At least this severity. */
  readonly minSeverity?: AlertSeverity;
  /** `openedAt` ≥ from (epoch ms, inclusive). */
  readonly from?: number;
  /** `openedAt` < to (epoch ms, exclusive). */
  readonly to?: number;
  /** At most this many (default 1 000), the earliest first. */
  readonly limit?: number;
}

interface EventBase {
  /** Epoch ms (the manager's clock). */
  readonly ts: number;
  readonly alertId: string;
}

/** A new episode was opened. */
export interface AlertOpened extends EventBase {
  /** Discriminant: `alert.opened`. */
  readonly type: 'alert.opened';
  /** The new episode, in state `open`. */
  readonly alert: ManagedAlert;
}
/** An occurrence was folded into an unresolved episode. */
export interface AlertDeduplicated extends EventBase {
  /** Discriminant: `alert.deduplicated`. */
  readonly type: 'alert.deduplicated';
  /** The episode after folding: latest occurrence, count, last-seen time, severity and routes updated. */
  readonly alert: ManagedAlert;
  /** The id of the folded occurrence. */
  readonly occurrenceId: string;
}
/** An open alert was not acknowledged in time. */
export interface AlertEscalated extends EventBase {
  /** Discriminant: `alert.escalated`. */
  readonly type: 'alert.escalated';
  /** The episode after escalation, with its new `escalationLevel` and `escalatedAt`. */
  readonly alert: ManagedAlert;
  /** 1 for the first escalation, 2 for the second ... */
  readonly level: number;
  /** Whom this level notifies (from the escalation policy). */
  readonly notify: readonly string[];
  /** How long it had been open, ms. */
  readonly openForMs: number;
}
/** An alert was acknowledged by a permitted principal. */
export interface AlertAcknowledged extends EventBase {
  /** Discriminant: `alert.acknowledged`. */
  readonly type: 'alert.acknowledged';
  /** The episode after acknowledgement, in state `acknowledged`. */
  readonly alert: ManagedAlert;
  /** The access-control decision that allowed it: the principal and the deciding rule. */
  readonly decision: AccessDecision;
}
/** An acknowledgement (or a resolution) was refused by access control: the audit record of a denial. */
export interface AlertAccessDenied extends EventBase {
  /** Which action was refused: `alert.acknowledge-denied` or `alert.resolve-denied`. */
  readonly type: 'alert.acknowledge-denied' | 'alert.resolve-denied';
  /** The access-control decision that refused it, with its reason. */
  readonly decision: AccessDecision;
}
/** An alert was resolved. */
export interface AlertResolved extends EventBase {
  /** Discriminant: `alert.resolved`. */
  readonly type: 'alert.resolved';
  /** The episode after resolution, in state `resolved`. */
  readonly alert: ManagedAlert;
  /**
   * The access-control decision for a principal; absent when a platform service (a `SystemActor`)
   * resolved it.
   */
  readonly decision?: AccessDecision;
}
/**
 * An input was refused: not an `Alert`/`AlertSubmission` (`validation/invalid`), or the store was
 * full of unresolved alerts (`buffer/overflow`). The input travels with it so it can still be paged.
 */
export interface AlertRejected {
  /** Discriminant: `alert.rejected`. */
  readonly type: 'alert.rejected';
  /** When it was refused, epoch ms (the manager's clock). */
  readonly ts: number;
  /**
   * The occurrence's id, when the input was a valid alert (the store refused it); absent for
   * invalid input.
   */
  readonly alertId?: string;
  /**
   * Why: `validation/invalid` naming the bad fields, `buffer/overflow` when the store is full, or
   * `state/invalid` when a connected source failed.
   */
  readonly error: HealthItError;
  /** The input as received (`undefined` when a connected source errored), so it can still be paged. */
  readonly input: unknown;
}

/** What the alert manager emits, discriminated on `type`. */
export type AlertEvent =
  | AlertOpened
  | AlertDeduplicated
  | AlertEscalated
  | AlertAcknowledged
  | AlertAccessDenied
  | AlertResolved
  | AlertRejected;

/** The event types, e.g. for filtering. */
export const ALERT_EVENT_TYPES = [
  'alert.opened',
  'alert.deduplicated',
  'alert.escalated',
  'alert.acknowledged',
  'alert.acknowledge-denied',
  'alert.resolve-denied',
  'alert.resolved',
  'alert.rejected',
] as const satisfies readonly AlertEvent['type'][];

/**
 * The de-duplication key of an alert: the same rule, patient and metric (and, for an alert without
 * a patient, the same device) is one episode while it is unresolved.
 */
export function episodeKey(alert: Alert): string {
  const who = alert.patientId !== undefined ? `p:${alert.patientId}` : `d:${alert.deviceId ?? ''}`;
  return `${alert.rule}\u0000${who}\u0000${alert.metric ?? ''}`;
}
