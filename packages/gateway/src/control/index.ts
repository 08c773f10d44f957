/**
 * The gateway's local M2M control loop: JSON control rules turn readings into actuator commands
 * within gateway-side limits, honour clinician overrides, and track every command's outcome,
 * raising an alert when one fails or times out. Needs no uplink.
 * @packageDocumentation
 */
export { controlCommandId, MAX_CONTROL_COMMAND_ID_LENGTH } from './command-id.js';
export {
  type CompiledControlRule,
  type ControlRuleIndex,
  compileControlRule,
  indexControlRules,
} from './compile.js';
export {
  CONDITION_COMPARISONS,
  type ConditionKey,
  ControlCondition,
  conditionsOverlap,
  describeCondition,
  MAX_CONDITION_MS,
  type ResolvedCondition,
  resolveCondition,
  tryResolveCondition,
} from './condition.js';
export { type ControlLoop, createControlLoop } from './create-control-loop.js';
export type {
  ControlAlertRaised,
  ControlCommandHeld,
  ControlCommandIssued,
  ControlCommandLimited,
  ControlCommandOutcome,
  ControlCommandReason,
  ControlCommandSettled,
  ControlCommandStatus,
  ControlEvent,
  ControlHoldReason,
  ControlOutput,
  ControlOverrideChanged,
  ControlOverrideRejected,
} from './events.js';
export {
  type ControlLimitName,
  LIMIT_TOLERANCE,
  type LimitApplied,
  type LimitDecision,
  limitChange,
  MAX_RATE_ENTRIES,
  RATE_WINDOW_MS,
  type RecordedChange,
} from './limits.js';
export {
  type ControlLoopOptions,
  controlLoop,
  DEFAULT_MAX_ACTUATORS,
  DEFAULT_MAX_REMEMBERED_COMMANDS,
} from './operator.js';
export {
  ControlOverride,
  type ControlOverrideInput,
  DEFAULT_MAX_OVERRIDES,
  overrideKey,
} from './override.js';
export {
  CONTROL_RULE_SET_SCHEMA_NAME,
  ControlActuator,
  ControlLimits,
  ControlRuleSet,
  ControlRuleSpec,
  ControlStep,
  ControlStepDown,
  DEFAULT_COMMAND_TIMEOUT_MS,
  DEFAULT_CONTROL_MAX_GAP_MS,
  DEFAULT_RETRY_AFTER_MS,
  MAX_CONTROL_DELAY_MS,
  MAX_CONTROL_STEPS,
  parseControlRules,
} from './spec.js';
