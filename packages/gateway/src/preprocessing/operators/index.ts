export type { NonFiniteValue } from './artefact.js';
export { ARTEFACT_DEFAULTS, type ArtefactDefaults } from './artefact-defaults.js';
export {
  type DedupeBySeqOutput,
  type DuplicateReading,
  dedupeBySeq,
  type NewReading,
  type TooOldReading,
} from './dedupe-by-seq.js';
export {
  type DownsampledReading,
  type DownsampleLate,
  type DownsampleOptions,
  type DownsampleOutput,
  downsample,
} from './downsample.js';
export {
  type MedianFilteredReading,
  type MedianFilterOptions,
  type MedianFilterOutput,
  medianFilter,
} from './median-filter.js';
export {
  type ImplausibleReading,
  type NormalisedReading,
  type NormaliseUnitsOutput,
  normaliseUnits,
} from './normalise-units.js';
export {
  type AdmittedReading,
  type RateLimitedReading,
  type RateLimitReadingsOutput,
  rateLimitReadings,
} from './rate-limit-readings.js';
export {
  type LateReading,
  type ReorderedReading,
  type ReorderOptions,
  type ReorderOutput,
  type ReorderOverflow,
  reorder,
} from './reorder.js';
export { MAX_ARTEFACT_WINDOW } from './rolling-window.js';
export {
  MAD_TO_SIGMA,
  type SpikeAction,
  type SpikeCheckedReading,
  type SpikeDetected,
  type SpikeFilterOptions,
  type SpikeFilterOutput,
  type SpikeLimits,
  spikeFilter,
} from './spike-filter.js';
export {
  type StuckCheckedReading,
  type StuckCriteria,
  type StuckEnd,
  type StuckStart,
  type StuckValueOptions,
  type StuckValueOutput,
  stuckValue,
} from './stuck-value.js';
export {
  type InvalidReading,
  type ValidateReadingsOutput,
  type ValidReading,
  validateReadings,
} from './validate-readings.js';
export {
  WINDOW_STATS,
  type WindowAggregate,
  type WindowLate,
  type WindowOutput,
  type WindowStatName,
  type WindowStatsOptions,
  windowStats,
} from './window-stats.js';
