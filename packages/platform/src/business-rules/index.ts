/**
 * The platform's business-rule engine: rules as zod-validated JSON, hot-reloaded, over streams
 * (NEWS2 scores, device signs of life) and stored history (the `ReadingStore`), raising routed
 * alerts for the alert manager.
 * @packageDocumentation
 */
export {
  type BusinessRuleEngine,
  type BusinessRuleInputs,
  type BusinessRuleOptions,
  businessRules,
} from './engine.js';
export {
  type RuleAlertRaised,
  type RuleConditionCleared,
  type RuleEngineEvent,
  type RuleEvaluationFailed,
  type RuleInputRejected,
  type RuleInputStream,
  type RuleSetApplied,
  type RuleSetRejected,
  type RuleStateEvicted,
  toAlertSubmission,
} from './events.js';
export {
  DeviceHeartbeat,
  HEARTBEAT_SCHEMA_NAME,
  NEWS2_SCORE_EVENT_SCHEMA_NAME,
  News2ScoreEvent,
  parseNews2ScoreEvent,
  parseSignOfLife,
  type SignOfLife,
} from './inputs.js';
export { MAX_RULE_ALERT_READING_IDS } from './runtime.js';
export {
  BUSINESS_RULE_SET_SCHEMA_NAME,
  BUSINESS_RULE_TYPES,
  BusinessRule,
  BusinessRuleSet,
  checkRunnable,
  DeviceOfflineRule,
  MAX_BUSINESS_RULES,
  News2SustainedRule,
  PatientScope,
  parseBusinessRuleSet,
  type RuleRequirements,
  WeightGainRule,
} from './spec.js';
export { WEIGHT_HISTORY_LIMIT } from './weight-gain.js';
