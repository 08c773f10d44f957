export {
  type DownsampledReading,
  type DownsampleLate,
  type DownsampleOptions,
  type DownsampleOutput,
  downsample,
} from './downsample.js';
export {
  type LateReading,
  type ReorderedReading,
  type ReorderOptions,
  type ReorderOutput,
  type ReorderOverflow,
  reorder,
} from './reorder.js';
export {
  WINDOW_STATS,
  type WindowAggregate,
  type WindowLate,
  type WindowOutput,
  type WindowStatName,
  type WindowStatsOptions,
  windowStats,
} from './window-stats.js';
