/**
 * NEWS2 (Royal College of Physicians, 2017) at the edge: the chart as data, the scorer and the
 * streaming operator.
 * @packageDocumentation
 */
export {
  NEWS2_BANDS,
  NEWS2_CLINICAL_RISKS,
  NEWS2_CONSCIOUSNESS_SCORE,
  NEWS2_OXYGEN_SCORE,
  NEWS2_RESPONSES,
  type News2Band,
  type News2ClinicalRisk,
  type News2Response,
  type News2Subscore,
} from './chart.js';
export { isNews2Input, isTenths, NEWS2_INPUT_SCHEMA_NAME, News2Input } from './input.js';
export {
  NEWS2_DEFAULT_MAX_AGE_MS,
  NEWS2_DEFAULT_MAX_AHEAD_MS,
  NEWS2_METRICS,
  NEWS2_PARAMETERS,
  type News2AlertRaised,
  News2Entry,
  type News2Incomplete,
  type News2Parameter,
  type News2Rejected,
  type News2ScoresOptions,
  type News2ScoreUpdate,
  type News2Update,
  news2Scores,
} from './operator.js';
export {
  type News2Result,
  type News2Subscores,
  news2,
  news2ClinicalRisk,
  news2Response,
  news2Spo2Subscore,
  scoreValidNews2,
} from './score.js';
