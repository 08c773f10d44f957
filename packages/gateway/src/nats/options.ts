import type { NodeConnectionOptions } from '@nats-io/transport-node';
import { assertSiteName, assertSubjectPrefix, defaultStreamName } from './subject.js';

/** Connection options passed through to `@nats-io/transport-node`'s `connect` (TLS, credentials, name, timers). */
export type NatsConnectOptions = Omit<
  NodeConnectionOptions,
  'servers' | 'reconnect' | 'maxReconnectAttempts'
>;

/** Options of {@link createNatsUplink}. */
export interface NatsUplinkOptions {
  /** One or more NATS server URLs, e.g. `nats://127.0.0.1:4222` or `tls://nats.hospital:4222`. */
  readonly servers: string | readonly string[];
  /** The gateway's site, one token of letters, digits, `_` and `-` (e.g. `ward-a`). */
  readonly site: string;
  /** The JetStream stream (default `HEALTHIT_<SITE>`: upper-cased, `-` as `_`). */
  readonly stream?: string;
  /** First subject tokens (default `healthit`): records go to `<prefix>.<site>.<kind>.<key>`. */
  readonly subjectPrefix?: string;
  /**
   * The stream's de-duplication window (default 120 000 ms): a record re-sent within this time of
   * its first store is dropped by the server. Must cover the outbox's retry horizon (see docs).
   */
  readonly duplicateWindowMs?: number;
  /** Publishes awaiting their acknowledgement at once, per `send` (default 256). */
  readonly maxAckPendingPublishes?: number;
  /** How long one publish waits for its acknowledgement (default 5 000 ms). */
  readonly publishTimeoutMs?: number;
  /** The `Content-Type` header of every message (default `application/json`). */
  readonly contentType?: string;
  /**
   * Passed through to `connect` (TLS, `authenticator` for creds/NKeys, `user`/`pass`, `token`,
   * `name`, `reconnectTimeWait`, …). Reconnection is always on and unlimited.
   */
  readonly connectOptions?: NatsConnectOptions;
}

/** The validated options. */
export interface ResolvedNatsUplinkOptions {
  readonly servers: readonly string[];
  readonly site: string;
  readonly stream: string;
  readonly subjectPrefix: string;
  readonly duplicateWindowMs: number;
  readonly maxAckPendingPublishes: number;
  readonly publishTimeoutMs: number;
  readonly contentType: string;
  readonly connectOptions: NatsConnectOptions;
}

function positiveInteger(name: string, value: number | undefined, fallback: number, min = 1): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number') throw new TypeError(`${name} must be a number, got ${typeof value}`);
  if (!Number.isSafeInteger(value) || value < min) {
    throw new RangeError(`${name} must be an integer of at least ${min}, got ${value}`);
  }
  return value;
}

/**
 * Validates {@link NatsUplinkOptions} and fills in the defaults.
 *
 * @throws {TypeError} for a missing or wrongly typed option.
 * @throws {RangeError} for a malformed site, stream or prefix, or an out-of-range number.
 */
export function resolveNatsUplinkOptions(options: NatsUplinkOptions): ResolvedNatsUplinkOptions {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError('createNatsUplink needs an options object with `servers` and `site`');
  }
  const servers = typeof options.servers === 'string' ? [options.servers] : options.servers;
  if (
    !Array.isArray(servers) ||
    servers.length === 0 ||
    !servers.every((s) => typeof s === 'string' && s !== '')
  ) {
    throw new TypeError(
      '`servers` must be a NATS URL such as nats://127.0.0.1:4222, or a non-empty array of them',
    );
  }
  assertSiteName(options.site);
  const stream = options.stream ?? defaultStreamName(options.site);
  if (typeof stream !== 'string' || !/^[A-Za-z0-9_-]{1,255}$/.test(stream)) {
    throw new RangeError(`stream "${String(stream)}" must be letters, digits, "_" and "-" only`);
  }
  const subjectPrefix = options.subjectPrefix ?? 'healthit';
  assertSubjectPrefix(subjectPrefix);
  const contentType = options.contentType ?? 'application/json';
  if (typeof contentType !== 'string' || contentType === '' || /[\r\n]/.test(contentType)) {
    throw new TypeError('contentType must be a non-empty single-line string such as application/json');
  }
  const connectOptions = options.connectOptions ?? {};
  if (typeof connectOptions !== 'object' || connectOptions === null) {
    throw new TypeError('connectOptions must be an object of @nats-io/transport-node connection options');
  }
  return {
    servers: [...servers],
    site: options.site,
    stream,
    subjectPrefix,
    duplicateWindowMs: positiveInteger('duplicateWindowMs', options.duplicateWindowMs, 120_000, 100),
    maxAckPendingPublishes: positiveInteger('maxAckPendingPublishes', options.maxAckPendingPublishes, 256),
    publishTimeoutMs: positiveInteger('publishTimeoutMs', options.publishTimeoutMs, 5_000),
    contentType,
    connectOptions,
  };
}
