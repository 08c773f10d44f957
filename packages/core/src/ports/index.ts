export type { ChannelContext, ChannelDecoded, ChannelDecoder, ChannelNotice } from './channel-decoder.js';
export { type Clock, systemClock } from './clock.js';
export type { Codec } from './codec.js';
export type { LedgerReceipt, LedgerRecord, LedgerSink } from './ledger-sink.js';
export type {
  LoadedModel,
  ModelArtifact,
  ModelRuntime,
  Tensor,
  TensorDataMap,
  TensorType,
} from './model-runtime.js';
export type {
  AggregateQuery,
  AggregateRow,
  AggregateStat,
  AppendResult,
  LatestQuery,
  ReadingQuery,
  ReadingStore,
  RetentionOptions,
  RetentionPolicy,
  RetentionResult,
  RollupLevel,
  RollupQuery,
  RollupRow,
} from './reading-store.js';
export type { ConnectionState, PublishOptions, Transport, TransportMessage } from './transport.js';
