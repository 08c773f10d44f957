/**
 * The edge side of the model lifecycle: deploy signed, approved models to a gateway (verified before
 * they load), shadow first, then promote; hot-swap inside the scoring pipeline without dropping or
 * double-scoring an input; roll back on command, on a monitoring alarm or on the failure rate.
 * Browser-safe.
 * @module
 */
export { type RollbackOnAlarmOptions, rollbackOnAlarm } from './alarm-rollback.js';
export {
  CommandId,
  DeployCommand,
  DeploymentCommand,
  type DeploymentCommandType,
  DiscardShadowCommand,
  PromoteCommand,
  ROLLBACK_TRIGGERS,
  RollbackCommand,
  type RollbackTrigger,
} from './commands.js';
export {
  type AutoRollbackPolicy,
  createModelDeployment,
  type FeatureColumnRef,
  type ModelDeployment,
  type ModelDeploymentOptions,
  type PromotionPolicy,
} from './deployment.js';
export {
  type CommandResult,
  type DeployedVersionStatus,
  type DeploymentEvent,
  type DeploymentEventType,
  type DeploymentStatus,
  type DeployRefusal,
  ModelDeploymentError,
  type ScoringEvent,
  type ScoringStage,
  type VersionRole,
} from './events.js';
