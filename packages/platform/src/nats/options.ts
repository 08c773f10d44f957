import {
  type ReadingStore,
  UPLINK_CONTENT_TYPE,
  UPLINK_SUBJECT_PREFIX,
  uplinkStreamName,
  uplinkSubjectFilter,
} from '@healthit/core';
import type { NatsConnection, NodeConnectionOptions } from '@nats-io/transport-node';
import type { UplinkRecordHandler } from './events.js';

/** Connection options passed through to `@nats-io/transport-node`'s `connect` (TLS, credentials, name, timers). */
export type NatsIngestConnectOptions = Omit<
  NodeConnectionOptions,
  'servers' | 'reconnect' | 'maxReconnectAttempts'
>;

/** Options of {@link createNatsIngest}. */
export interface NatsIngestOptions {
  /** Where readings are committed; idempotent by reading id (PGlite, PostgreSQL). */
  readonly store: Pick<ReadingStore, 'append'>;
  /**
   * One or more NATS server URLs (the connection is then owned and closed by the ingest). Not
   * allowed together with `connection`.
   */
  readonly servers?: string | readonly string[];
  /** A caller-owned connection (never closed by the ingest). Not allowed together with `servers`. */
  readonly connection?: NatsConnection;
  /** The gateway's site (one token of letters, digits, `_`, `-`, e.g. `ward-a`). */
  readonly site: string;
  /** The gateway's stream (default `HEALTHIT_<SITE>`, as the gateway's `createNatsUplink`). */
  readonly stream?: string;
  /** The gateway's subject prefix (default `healthit`): the consumer filters `<prefix>.<site>.>`. */
  readonly subjectPrefix?: string;
  /** The durable consumer's name (default `healthit-platform`). Instances with one name share the work. */
  readonly durable?: string;
  /** Messages committed together, at most (default 256). */
  readonly maxBatch?: number;
  /** How long a batch waits for more messages after its first, ms (default 50). */
  readonly maxWaitMs?: number;
  /**
   * Messages delivered and not yet acknowledged, at most (the consumer's `max_ack_pending`,
   * default 1 024; at least `maxBatch`): the bound of memory and of redelivery after a crash.
   */
  readonly maxInFlight?: number;
  /**
   * How long JetStream waits for an acknowledgement before redelivering, ms (the consumer's
   * `ack_wait`, default 30 000). A batch being committed is kept alive with `working()`.
   */
  readonly ackWaitMs?: number;
  /** Store attempts per batch for retryable errors, the first included (default 5). */
  readonly maxAttempts?: number;
  /** Delay before the first store retry (default 100 ms), doubling ... */
  readonly retryBaseDelayMs?: number;
  /** ... up to this (default 5 000 ms). */
  readonly retryMaxDelayMs?: number;
  /** After a batch's store retries are exhausted, its messages are redelivered after this delay (default 5 000 ms). */
  readonly redeliverDelayMs?: number;
  /** Content types accepted (default `['application/json']`); a message without the header is accepted. */
  readonly contentTypes?: readonly string[];
  /**
   * Awaited with every batch's alerts, commands and command statuses before their messages are
   * acknowledged (e.g. the alert manager's durable intake). A rejection redelivers them later.
   * Without it they are acknowledged once emitted on `alerts$` / `records$`.
   */
  readonly handleRecords?: UplinkRecordHandler;
  /** Passed through to `connect` with `servers`; reconnection is always on and unlimited. */
  readonly connectOptions?: NatsIngestConnectOptions;
}

/** The validated options. */
export interface ResolvedNatsIngestOptions {
  /** Where readings are committed (`NatsIngestOptions.store`). */
  readonly store: Pick<ReadingStore, 'append'>;
  /**
   * The NATS server URLs the ingest connects to (a single URL becomes a one-element array);
   * `undefined` when a `connection` was given.
   */
  readonly servers: readonly string[] | undefined;
  /** The caller-owned connection; `undefined` when `servers` were given. */
  readonly connection: NatsConnection | undefined;
  /** The gateway's site, as given. */
  readonly site: string;
  /** The JetStream stream consumed (default `HEALTHIT_<SITE>`). */
  readonly stream: string;
  /** The consumer's subject filter, `<prefix>.<site>.>` (prefix default `healthit`). */
  readonly filterSubject: string;
  /** The durable consumer's name (default `healthit-platform`). */
  readonly durable: string;
  /** Messages committed together, at most (default 256, at least 1). */
  readonly maxBatch: number;
  /** How long a batch waits for more messages after its first, ms (default 50, at least 1). */
  readonly maxWaitMs: number;
  /** The consumer's `max_ack_pending` (default 1 024 or `maxBatch` if larger; at least `maxBatch`). */
  readonly maxInFlight: number;
  /** The consumer's `ack_wait`, ms (default 30 000, at least 1 000). */
  readonly ackWaitMs: number;
  /** Store attempts per batch for retryable errors, the first included (default 5, at least 1). */
  readonly maxAttempts: number;
  /** Delay before the first store retry, ms (default 100), doubling on each retry. */
  readonly retryBaseDelayMs: number;
  /** Longest delay between store retries, ms (default 5 000; at least `retryBaseDelayMs`). */
  readonly retryMaxDelayMs: number;
  /** Delay before the messages of an uncommitted batch are redelivered, ms (default 5 000). */
  readonly redeliverDelayMs: number;
  /** Content types accepted (default `['application/json']`). */
  readonly contentTypes: readonly string[];
  /**
   * Awaited with each batch's alerts, commands and command statuses before they are acknowledged;
   * `undefined` when not given.
   */
  readonly handleRecords: UplinkRecordHandler | undefined;
  /** Passed through to `connect` with `servers` (default `{}`). */
  readonly connectOptions: NatsIngestConnectOptions;
}

function integer(name: string, value: number | undefined, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number') throw new TypeError(`${name} must be a number, got ${typeof value}`);
  if (!Number.isSafeInteger(value) || value < min) {
    throw new RangeError(`${name} must be an integer of at least ${min}, got ${value}`);
  }
  return value;
}

const NAME = /^[A-Za-z0-9_-]{1,255}$/;

/**
 * Validates {@link NatsIngestOptions} and fills in the defaults.
 *
 * @throws {TypeError} for a missing or wrongly typed option, or both / neither of `servers` and `connection`.
 * @throws {RangeError} for a malformed site, stream, prefix or durable name, or an out-of-range number.
 */
export function resolveNatsIngestOptions(options: NatsIngestOptions): ResolvedNatsIngestOptions {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(
      'createNatsIngest needs an options object with `store`, `site` and `servers` or `connection`',
    );
  }
  if (typeof options.store?.append !== 'function') {
    throw new TypeError('store must be a ReadingStore with append()');
  }
  const { connection } = options;
  const servers = typeof options.servers === 'string' ? [options.servers] : options.servers;
  if ((servers === undefined) === (connection === undefined)) {
    throw new TypeError(
      'Pass either `servers` (the ingest connects) or `connection` (caller-owned), not both',
    );
  }
  if (
    servers !== undefined &&
    (!Array.isArray(servers) ||
      servers.length === 0 ||
      !servers.every((s) => typeof s === 'string' && s !== ''))
  ) {
    throw new TypeError(
      '`servers` must be a NATS URL such as nats://127.0.0.1:4222, or a non-empty array of them',
    );
  }
  if (connection !== undefined && typeof connection.subscribe !== 'function') {
    throw new TypeError('connection must be a NatsConnection from @nats-io/transport-node');
  }
  const prefix = options.subjectPrefix ?? UPLINK_SUBJECT_PREFIX;
  const filterSubject = uplinkSubjectFilter(options.site, prefix); // validates site and prefix
  const stream = options.stream ?? uplinkStreamName(options.site);
  if (typeof stream !== 'string' || !NAME.test(stream)) {
    throw new RangeError(`stream "${String(stream)}" must be letters, digits, "_" and "-" only`);
  }
  const durable = options.durable ?? 'healthit-platform';
  if (typeof durable !== 'string' || !NAME.test(durable)) {
    throw new RangeError(`durable "${String(durable)}" must be letters, digits, "_" and "-" only`);
  }
  const maxBatch = integer('maxBatch', options.maxBatch, 256, 1);
  const maxInFlight = integer('maxInFlight', options.maxInFlight, Math.max(1_024, maxBatch), maxBatch);
  const retryBaseDelayMs = integer('retryBaseDelayMs', options.retryBaseDelayMs, 100, 0);
  const retryMaxDelayMs = integer('retryMaxDelayMs', options.retryMaxDelayMs, 5_000, 0);
  if (retryMaxDelayMs < retryBaseDelayMs) {
    throw new RangeError(
      `retryMaxDelayMs (${retryMaxDelayMs}) must be >= retryBaseDelayMs (${retryBaseDelayMs})`,
    );
  }
  const contentTypes = options.contentTypes ?? [UPLINK_CONTENT_TYPE];
  if (!Array.isArray(contentTypes) || !contentTypes.every((t) => typeof t === 'string' && t !== '')) {
    throw new TypeError('contentTypes must be an array of content types such as application/json');
  }
  if (options.handleRecords !== undefined && typeof options.handleRecords !== 'function') {
    throw new TypeError('handleRecords must be a function returning a Promise');
  }
  const connectOptions = options.connectOptions ?? {};
  if (typeof connectOptions !== 'object' || connectOptions === null) {
    throw new TypeError('connectOptions must be an object of @nats-io/transport-node connection options');
  }
  return {
    store: options.store,
    servers: servers === undefined ? undefined : [...servers],
    connection,
    site: options.site,
    stream,
    filterSubject,
    durable,
    maxBatch,
    maxWaitMs: integer('maxWaitMs', options.maxWaitMs, 50, 1),
    maxInFlight,
    ackWaitMs: integer('ackWaitMs', options.ackWaitMs, 30_000, 1_000),
    maxAttempts: integer('maxAttempts', options.maxAttempts, 5, 1),
    retryBaseDelayMs,
    retryMaxDelayMs,
    redeliverDelayMs: integer('redeliverDelayMs', options.redeliverDelayMs, 5_000, 0),
    contentTypes: [...contentTypes],
    handleRecords: options.handleRecords,
    connectOptions,
  };
}
