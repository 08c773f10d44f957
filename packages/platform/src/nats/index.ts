/**
 * `@healthit/platform/nats`: ingestion of a gateway site's uplink from NATS JetStream (Node only;
 * `@nats-io/transport-node` and `@nats-io/jetstream` are optional peer dependencies). The
 * gateway side is `createNatsUplink` in `@healthit/gateway/nats`; the record contract is in
 * `@healthit/core`.
 * @packageDocumentation
 */
export { type ConsumerRequirements, ensureConsumer } from './consumer.js';
export type {
  IngestedRecord,
  NatsIngestCommitted,
  NatsIngestConnection,
  NatsIngestEvent,
  NatsIngestFailed,
  NatsIngestNotice,
  NatsIngestPoison,
  NatsIngestRecordsFailed,
  NatsIngestStats,
  NatsIngestStoreFailed,
  NatsMessageRef,
  UplinkRecordHandler,
} from './events.js';
export { createNatsIngest, type NatsIngest } from './ingest.js';
export { type MessageRecord, messageRecord } from './message-record.js';
export {
  type NatsIngestConnectOptions,
  type NatsIngestOptions,
  type ResolvedNatsIngestOptions,
  resolveNatsIngestOptions,
} from './options.js';
