/**
 * Staged firmware rollouts: campaigns targeting part of the fleet, released in waves with success
 * and failure thresholds, maintenance windows and a therapy guard, a per-device update state
 * machine driven by verified device reports, a fleet view, and an audit trail in the ledger.
 * @packageDocumentation
 */
export {
  ROLLOUT_CAMPAIGN_RECORD_TYPE,
  ROLLOUT_DEVICE_STATE_RECORD_TYPE,
  ROLLOUT_SYSTEM_ACTOR,
  RolloutCampaignBody,
  RolloutDeviceStateBody,
} from './audit.js';
export type { RolloutAuditOptions } from './audit-writer.js';
export {
  CAMPAIGN_SCHEMA_NAME,
  CampaignDefinition,
  type CampaignDefinitionInput,
  CampaignId,
  CampaignRelease,
  MAX_DEVICE_TIMEOUT_MS,
  MAX_MAINTENANCE_WINDOWS,
  MAX_WAVES,
  parseCampaignDefinition,
  waveQuotas,
} from './campaign.js';
export {
  type CampaignControl,
  type CampaignResult,
  createRolloutEngine,
  DEFAULT_ROLLOUT_LIMITS,
  type InventoryResult,
  type ReportResult,
  type RolloutEngine,
  type RolloutEngineOptions,
  type RolloutLimits,
} from './engine.js';
export {
  RolloutAuditError,
  RolloutLimitError,
  type RolloutLimitName,
  RolloutStateError,
  type RolloutStateRefusal,
  RolloutTransitionError,
  type RolloutTransitionRefusal,
} from './errors.js';
export { CampaignTarget, compileTarget, FLEET_DEVICE_SCHEMA_NAME, FleetDevice } from './inventory.js';
export { MAX_REPORT_DETAIL_CHARS, ROLLOUT_REPORT_SCHEMA_NAME, RolloutReport } from './reports.js';
export {
  canTransition,
  DEVICE_UPDATE_STATES,
  type DeviceUpdateState,
  FAILURE_STATES,
  isFailureState,
  isSettledState,
  isTerminalState,
  type StateCounts,
  TERMINAL_STATES,
} from './states.js';
export {
  CAMPAIGN_DECISIONS,
  CAMPAIGN_PHASES,
  type CampaignDecision,
  type CampaignPhase,
  type CampaignStatus,
  DEFAULT_FLEET_QUERY_LIMIT,
  type DeviceChangeCause,
  type FleetEntry,
  type FleetQuery,
  type RolloutCommand,
  type WaveStatus,
} from './types.js';
export { isWindowOpen, MaintenanceWindow, minuteOfDay, msUntilWindowOpens } from './windows.js';
