/**
 * core's `LedgerSink` port over the transparency log: records become typed, signed, per-stream
 * ordered entries; `anchorReadings` anchors a device's batch of readings in one call.
 * @packageDocumentation
 */
export {
  type AnchoredBatch,
  type AnchorReadingsByDeviceOptions,
  type AnchorReadingsOptions,
  anchorReadings,
  anchorReadingsByDevice,
} from './anchor.js';
export { PartialAppendError, type RecordFailure } from './errors.js';
export { defaultStreamOf, entryKindOf, RECORD_TYPES, type StreamNaming } from './record-kinds.js';
export {
  createTransparencyLogSink,
  type LogKeyInput,
  type TransparencyLogSink,
  type TransparencyLogSinkOptions,
} from './sink.js';
