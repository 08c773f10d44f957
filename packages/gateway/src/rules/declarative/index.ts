/**
 * Declarative threshold rules: JSON rule sets validated with zod, evaluated per series with a
 * duration requirement, hysteresis and one alert per episode.
 * @packageDocumentation
 */

export type { ScopedRuleIndex } from '../scope.js';
export { type Episode, type EpisodeStep, stepEpisode } from './episode.js';
export {
  type DeclarativeAlertsOptions,
  declarativeAlerts,
  type RuleAlertCleared,
  type RuleAlertRaised,
  type RuleEpisodeEvicted,
  type RuleEvent,
} from './operator.js';
export { indexRules, type RuleIndex } from './resolve.js';
export {
  breaches,
  COMPARISONS,
  Comparison,
  DEFAULT_MAX_GAP_SECONDS,
  MAX_ALERT_READING_IDS,
  parseRuleSet,
  RULE_SET_SCHEMA_NAME,
  RuleScope,
  ThresholdRuleSet,
  ThresholdRuleSpec,
} from './spec.js';
