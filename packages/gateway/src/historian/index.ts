/**
 * The historian: a bounded short-term store of recent readings per series, in typed arrays.
 * @packageDocumentation
 */
export {
  createHistorian,
  type Historian,
  type HistorianOptions,
  type HistorianStats,
  type SeriesColumns,
  type SeriesInfo,
  type SeriesKey,
  seriesKeyOf,
} from './historian.js';
export { BYTES_PER_POINT, MAX_DEVICES_PER_SERIES, MAX_SEQ_SPAN, MAX_SPAN_MS } from './layout.js';
export { AppendOutcome, REFUSALS, type Refusal } from './outcome.js';
export { recordTo } from './record-to.js';
export type { EvictionCounters } from './series-buffer.js';
