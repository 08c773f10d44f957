/**
 * `@healthit/platform/analytics`: portable analytics over any `ReadingStore` (the port of `@healthit/core`): a patient's
 * trend, rolling statistics, and per-ward cohort summaries (latest values, NEWS2 risk).
 * @packageDocumentation
 */
export { AnalyticsLimitError } from './errors.js';
export { exactSum, percentileCont, summariseValues, type ValueSummary } from './exact.js';
export {
  NEWS2_RISKS,
  type News2Distribution,
  type News2Record,
  type News2Risk,
  news2Distribution,
  news2RiskOf,
  type WardNews2Distribution,
} from './news2-distribution.js';
export { DEFAULT_PAGE_SIZE, readingPages } from './reading-pages.js';
export {
  DEFAULT_ROLLING_MAX_STEPS,
  type RollingStats,
  type RollingStatsQuery,
  type RollingStep,
  rollingStats,
} from './rolling-stats.js';
export {
  DEFAULT_TREND_MAX_BUCKETS,
  defaultTrendBucketMs,
  type PatientTrend,
  type PatientTrendQuery,
  patientTrend,
  type TrendBucket,
  type TrendDirection,
  type TrendFound,
  type TrendInsufficientData,
  trendDirection,
} from './trend.js';
export { STABLE_SLOPE_PER_HOUR } from './trend-thresholds.js';
export {
  type WardCohortQuery,
  type WardCohortSummary,
  type WardMetricSummary,
  type WardOf,
  type WardSummary,
  wardCohortSummary,
} from './ward-cohort.js';
export { type WeightedFit, type WeightedPoint, weightedLinearFit } from './weighted-fit.js';
export type { WindowStats } from './window-buckets.js';
