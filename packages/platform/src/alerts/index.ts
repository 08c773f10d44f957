/**
 * Alert management: one place for gateway and platform-rule alerts, with de-duplication,
 * acknowledgement under access control, escalation, resolution, history and an audit trail.
 * @packageDocumentation
 */
export {
  ALERT_LEDGER_RECORD_TYPE,
  type AlertAuditOutcome,
  type AuditAlertEventsOptions,
  alertEventToLedgerRecord,
  auditAlertEvents,
} from './audit.js';
export {
  DEFAULT_ESCALATION_POLICY,
  type EscalationPolicy,
  type EscalationStep,
  MAX_ESCALATION_LEVELS,
  validateEscalationPolicy,
} from './escalation.js';
export {
  type AcknowledgeRequest,
  type AlertManager,
  type AlertManagerOptions,
  createAlertManager,
  type ResolveRequest,
  type SubmitResult,
  type SystemActor,
  type TransitionRefusal,
  type TransitionResult,
} from './manager.js';
export {
  type AlertStore,
  createInMemoryAlertStore,
  DEFAULT_ALERT_CAPACITY,
  DEFAULT_ALERT_QUERY_LIMIT,
  DEFAULT_RETAIN_RESOLVED_MS,
  type InMemoryAlertStoreOptions,
} from './store.js';
export { ALERT_SUBMISSION_SCHEMA_NAME, MAX_ROUTES, parseAlertSubmission } from './submission.js';
export {
  ALERT_EVENT_TYPES,
  ALERT_STATES,
  type AlertAccessDenied,
  type AlertAcknowledged,
  type AlertAcknowledgement,
  type AlertDeduplicated,
  type AlertEscalated,
  type AlertEvent,
  type AlertOpened,
  type AlertQuery,
  type AlertRejected,
  type AlertResolution,
  type AlertResolved,
  type AlertState,
  type AlertSubmission,
  episodeKey,
  type ManagedAlert,
} from './types.js';
