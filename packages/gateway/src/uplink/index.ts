export {
  type AppendToOutboxEvent,
  type AppendToOutboxOptions,
  appendToOutbox,
  type OutboxAlertsDroppedEvent,
  type OutboxAppendedEvent,
  type OutboxDroppedEvent,
  type OutboxHeldEvent,
  type OutboxRefusedEvent,
  type OutboxShedEvent,
} from './append-to-outbox.js';
export { type DedupeRecordsOptions, dedupeRecords } from './dedupe-records.js';
export {
  createForwarder,
  type Forwarder,
  type ForwarderEvent,
  type ForwarderFailed,
  type ForwarderOptions,
  type ForwarderRetried,
  type ForwarderRetryOptions,
  type ForwarderSent,
  type ForwarderState,
  type ForwarderStats,
  type ForwarderUplinkDown,
  type ForwarderUplinkUp,
} from './forwarder.js';
export {
  createInProcessUplink,
  type InProcessUplink,
  type InProcessUplinkOptions,
} from './in-process-uplink.js';
export { createMemoryOutbox, type MemoryOutboxOptions } from './memory-outbox.js';
export type {
  JournalEntry,
  JournalSettlement,
  MessageJournal,
  MessageJournalStats,
} from './message-journal.js';
export type {
  DroppedAlert,
  DroppedAlertReason,
  Outbox,
  OutboxAppendResult,
  OutboxEntry,
  OutboxStats,
} from './outbox.js';
export {
  OUTBOX_ENTRY_OVERHEAD_BYTES,
  OUTBOX_WHEN_FULL,
  type OutboxBounds,
  type OutboxWhenFull,
  outboxEntryBytes,
} from './outbox-policy.js';
export {
  alertKey,
  alertRecord,
  commandRecord,
  commandStatusRecord,
  commandStatusRecordId,
  type DecodedAlertRecord,
  type DecodedCommandRecord,
  type DecodedCommandStatusRecord,
  type DecodedReadingBatchRecord,
  type DecodedReadingRecord,
  type DecodedUplinkRecord,
  decodeUplinkRecord,
  readingBatchRecordId,
  readingBatchRecords,
  readingRecord,
  WARD_ALERT_KEY,
} from './records.js';
export type { Uplink, UplinkRecord, UplinkRecordKind, UplinkState } from './uplink.js';
