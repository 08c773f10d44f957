/**
 * Publishing readings as devices do: batching per device and tick, envelopes, transport.
 * @packageDocumentation
 */
export { type BatchReadingsOptions, batchReadingsByDevice, type ReadingBatch } from './batch-readings.js';
export { type PublishEvent, type PublishReadingsOptions, publishReadings } from './publish-readings.js';
