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
  readonly note?: string;
}

/** Who resolved an alert, when and why. */
export interface AlertResolution {
  /** The principal's id, or `system:<name>` for an automatic resolution. */
  readonly by: string;
  readonly at: number;
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
  readonly escalatedAt?: number;
  readonly acknowledged?: AlertAcknowledgement;
  readonly resolved?: AlertResolution;
}

/**
 * An alert as a source submits it: a core `Alert` plus routing and scope. A bare core `Alert` is
 * accepted too (route from the manager's `routeOf`, ward from `wardOf`).
 */
export interface AlertSubmission {
  readonly alert: Alert;
  readonly route?: readonly string[];
  readonly ward?: string;
  readonly source?: string;
}

/** A history query; every field narrows it. Results are ordered by `openedAt`, then id. */
export interface AlertQuery {
  readonly patientId?: string;
  readonly deviceId?: string;
  readonly rule?: string;
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
  readonly type: 'alert.opened';
  readonly alert: ManagedAlert;
}
/** An occurrence was folded into an unresolved episode. */
export interface AlertDeduplicated extends EventBase {
  readonly type: 'alert.deduplicated';
  readonly alert: ManagedAlert;
  /** The id of the folded occurrence. */
  readonly occurrenceId: string;
}
/** An open alert was not acknowledged in time. */
export interface AlertEscalated extends EventBase {
  readonly type: 'alert.escalated';
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
  readonly type: 'alert.acknowledged';
  readonly alert: ManagedAlert;
  readonly decision: AccessDecision;
}
/** An acknowledgement (or a resolution) was refused by access control: the audit record of a denial. */
export interface AlertAccessDenied extends EventBase {
  readonly type: 'alert.acknowledge-denied' | 'alert.resolve-denied';
  readonly decision: AccessDecision;
}
/** An alert was resolved. */
export interface AlertResolved extends EventBase {
  readonly type: 'alert.resolved';
  readonly alert: ManagedAlert;
  readonly decision?: AccessDecision;
}
/**
 * An input was refused: not an `Alert`/`AlertSubmission` (`validation/invalid`), or the store was
 * full of unresolved alerts (`buffer/overflow`). The input travels with it so it can still be paged.
 */
export interface AlertRejected {
  readonly type: 'alert.rejected';
  readonly ts: number;
  readonly alertId?: string;
  readonly error: HealthItError;
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
