import type { IClientOptions, MqttClient } from 'mqtt';
import type { MessageJournal } from '../uplink/message-journal.js';
import type { EarlyMessageOptions } from './early-messages.js';

/** Options shared by both ways of creating an MQTT transport. */
export interface MqttTransportCommonOptions {
  /** QoS requested for every SUBSCRIBE (default 1). */
  readonly subscribeQos?: 0 | 1 | 2;
  /**
   * How long `publish` waits for the broker's acknowledgement (PUBACK/PUBCOMP, or the socket write
   * for QoS 0) before it rejects with `transport/publish-failed` (default 10 000 ms). The message
   * may still be delivered later: mqtt.js keeps an unacknowledged QoS 1/2 message and resends it
   * after a reconnect.
   */
  readonly publishTimeoutMs?: number;
  /**
   * Messages that arrive while no subscription matches them are held (bounded) for the first
   * subscription that does, instead of being dropped: with a persistent session the broker delivers
   * what it queued right after reconnecting, before a restarted process has subscribed again, and
   * mqtt.js has acknowledged them by then. Default: at most 10 000 messages for 30 000 ms, oldest
   * dropped first (counted by {@link MqttTransport.earlyMessages}).
   */
  readonly earlyMessages?: EarlyMessageOptions;
  /**
   * A write-ahead journal of received messages (the SQLite outbox's `outbox.journal`): each
   * message is recorded before mqtt.js acknowledges it to the broker and delivered inside
   * `journal.deliver`; what a killed process had recorded and not settled is delivered again, first,
   * by the next one. Give the same journal to `appendToOutbox`. A message the journal refuses
   * (full) is neither delivered nor acknowledged: the broker keeps it and sends it again after a
   * reconnect.
   */
  readonly journal?: MessageJournal;
}

/** Connection settings for a client the transport opens, owns and closes. */
export interface MqttConnectionSettings {
  /** Broker URL, e.g. `mqtt://127.0.0.1:1883`, `mqtts://broker:8883`, `ws://host/mqtt`. */
  readonly url: string;
  /** Client identifier (default: a random `mqttjs_…` id). */
  readonly clientId?: string;
  /**
   * Keep the MQTT session for this long (seconds) after a disconnect: the broker queues QoS 1/2
   * messages for the subscriptions meanwhile and delivers them on reconnect, so a subscriber that
   * reconnects (a network blip, a certificate rotation, a restart) misses nothing. Needs a fixed
   * `clientId`. Default: a clean session (nothing is queued while disconnected).
   */
  readonly sessionExpirySeconds?: number;
  /** User name sent in the MQTT CONNECT packet, for brokers that authenticate by password. */
  readonly username?: string;
  /** Password sent in the MQTT CONNECT packet with `username` (use a TLS URL to keep it secret). */
  readonly password?: string;
  /** MQTT protocol version: 4 (3.1.1) or 5 (default). */
  readonly protocolVersion?: 4 | 5;
  /** Keep-alive interval in seconds (default 30; 0 disables keep-alive). */
  readonly keepaliveSeconds?: number;
  /** Delay between reconnection attempts (default 1 000 ms; 0 disables reconnection). */
  readonly reconnectPeriodMs?: number;
  /** How long to wait for the broker's CONNACK (default 10 000 ms). */
  readonly connectTimeoutMs?: number;
  /**
   * TLS for `mqtts://` (or `wss://`) URLs: the CA that issued the broker's certificate and, for
   * mutual TLS (how hospital brokers and cloud IoT hubs authenticate devices and gateways), this
   * client's certificate and key — PEM text. The broker's certificate is always verified against
   * `ca` (and its host name against the URL, or `servername`).
   */
  readonly tls?: MqttTlsSettings;
}

/** TLS settings of an MQTT connection (PEM text or bytes). */
export interface MqttTlsSettings {
  /** The CA certificate(s) the broker's certificate must chain to. */
  readonly ca: string | Uint8Array;
  /** This client's certificate (mutual TLS). */
  readonly cert?: string | Uint8Array;
  /** This client's private key (mutual TLS). */
  readonly key?: string | Uint8Array;
  /** The name to check the broker's certificate against, when it differs from the URL's host. */
  readonly servername?: string;
}

/**
 * Options of `createMqttTransport`: either a caller-owned `client` (never closed by the
 * transport), or {@link MqttConnectionSettings} for a client the transport owns.
 */
export type MqttTransportOptions = MqttTransportCommonOptions &
  (
    | {
        /**
         * A connected (or connecting) mqtt.js client owned by the caller; the transport never ends
         * it.
         */
        readonly client: MqttClient;
        /** Not allowed with `client`: the connection is the caller's. */
        readonly url?: never;
      }
    | (MqttConnectionSettings & {
        /** Not allowed with connection settings: the transport opens its own client. */
        readonly client?: never;
      })
  );

/** The validated options. */
export interface ResolvedMqttOptions {
  readonly subscribeQos: 0 | 1 | 2;
  readonly publishTimeoutMs: number;
  /** The caller's client, or `undefined` when the transport opens its own. */
  readonly client: MqttClient | undefined;
  /** mqtt.js options for the owned client (`undefined` with a caller-owned client). */
  readonly connect: { readonly url: string; readonly options: IClientOptions } | undefined;
}

function nonNegativeInteger(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number') throw new TypeError(`${name} must be a number, got ${typeof value}`);
  if (!Number.isInteger(value) || value < 0) {
    throw new RangeError(`${name} must be a non-negative integer, got ${value}`);
  }
  return value;
}

function qos(name: string, value: unknown, fallback: 0 | 1 | 2): 0 | 1 | 2 {
  if (value === undefined) return fallback;
  if (value !== 0 && value !== 1 && value !== 2)
    throw new RangeError(`${name} must be 0, 1 or 2, got ${value}`);
  return value;
}

function optionalString(name: string, value: unknown): string | undefined {
  if (value === undefined || typeof value === 'string') return value;
  throw new TypeError(`${name} must be a string, got ${typeof value}`);
}

function pem(name: string, value: unknown): string | Buffer | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'string') return value;
  if (value instanceof Uint8Array) return Buffer.from(value);
  throw new TypeError(`tls.${name} must be PEM text or bytes, got ${typeof value}`);
}

/** A client certificate and its key, checked as {@link MqttTlsSettings} are. */
export function clientCredentials(tls: Pick<MqttTlsSettings, 'cert' | 'key'>): {
  readonly cert: string | Buffer;
  readonly key: string | Buffer;
} {
  const cert = pem('cert', tls.cert);
  const key = pem('key', tls.key);
  if (cert === undefined || key === undefined) throw new TypeError('tls.cert and tls.key go together');
  return { cert, key };
}

/** mqtt.js TLS options: the broker is always verified (`rejectUnauthorized: true`). */
function tlsOptions(tls: MqttTlsSettings | undefined, url: string): Partial<IClientOptions> {
  if (tls === undefined) return {};
  if (!/^(mqtts|wss):/.test(url)) {
    throw new TypeError(`tls is given but the URL ${url} is not mqtts:// or wss://`);
  }
  const ca = pem('ca', tls.ca);
  if (ca === undefined) throw new TypeError('tls.ca is required: the broker certificate must be verified');
  const mutual = tls.cert !== undefined || tls.key !== undefined ? clientCredentials(tls) : undefined;
  return {
    ca,
    rejectUnauthorized: true,
    ...mutual,
    ...(tls.servername === undefined ? {} : { servername: tls.servername }),
  };
}

/**
 * Validates {@link MqttTransportOptions} and derives the mqtt.js options for an owned client:
 * a clean session unless `sessionExpirySeconds`, `resubscribe: true`, `queueQoSZero: false`.
 *
 * @throws {TypeError} when neither or both of `client` and `url` are given, or an option has the wrong type.
 * @throws {RangeError} for an out-of-range number, QoS or protocol version.
 */
export function resolveMqttOptions(options: MqttTransportOptions): ResolvedMqttOptions {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError('createMqttTransport needs an options object with `client` or `url`');
  }
  const subscribeQos = qos('subscribeQos', options.subscribeQos, 1);
  const publishTimeoutMs = nonNegativeInteger('publishTimeoutMs', options.publishTimeoutMs, 10_000);
  if (publishTimeoutMs === 0) throw new RangeError('publishTimeoutMs must be at least 1 ms');

  const hasClient = options.client !== undefined;
  const hasUrl = options.url !== undefined;
  if (hasClient === hasUrl) {
    throw new TypeError(
      'createMqttTransport needs exactly one of `client` (an MqttClient you own) or `url` (connection settings)',
    );
  }
  if (options.client !== undefined) {
    const client = options.client;
    if (typeof client.publish !== 'function' || typeof client.subscribe !== 'function') {
      throw new TypeError('`client` must be an mqtt.js MqttClient');
    }
    return { subscribeQos, publishTimeoutMs, client, connect: undefined };
  }

  const s = options as MqttConnectionSettings;
  if (typeof s.url !== 'string' || s.url.length === 0) {
    throw new TypeError('`url` must be a non-empty broker URL such as mqtt://127.0.0.1:1883');
  }
  const protocolVersion = s.protocolVersion ?? 5;
  if (protocolVersion !== 4 && protocolVersion !== 5) {
    throw new RangeError(`protocolVersion must be 4 (MQTT 3.1.1) or 5, got ${protocolVersion}`);
  }
  const clientId = optionalString('clientId', s.clientId);
  const sessionExpiry =
    s.sessionExpirySeconds === undefined
      ? undefined
      : nonNegativeInteger('sessionExpirySeconds', s.sessionExpirySeconds, 0);
  if (sessionExpiry !== undefined && (clientId === undefined || sessionExpiry === 0)) {
    throw new TypeError('sessionExpirySeconds needs a fixed clientId and a positive number of seconds');
  }
  const username = optionalString('username', s.username);
  const password = optionalString('password', s.password);
  const connectOptions: IClientOptions = {
    protocolVersion,
    keepalive: nonNegativeInteger('keepaliveSeconds', s.keepaliveSeconds, 30),
    reconnectPeriod: nonNegativeInteger('reconnectPeriodMs', s.reconnectPeriodMs, 1000),
    connectTimeout: nonNegativeInteger('connectTimeoutMs', s.connectTimeoutMs, 10_000),
    clean: sessionExpiry === undefined,
    ...(sessionExpiry === undefined
      ? {}
      : protocolVersion === 5
        ? { properties: { sessionExpiryInterval: sessionExpiry } }
        : {}),
    resubscribe: true,
    queueQoSZero: false,
    ...(clientId === undefined ? {} : { clientId }),
    ...(username === undefined ? {} : { username }),
    ...(password === undefined ? {} : { password }),
    ...tlsOptions(s.tls, s.url),
  };
  return {
    subscribeQos,
    publishTimeoutMs,
    client: undefined,
    connect: { url: s.url, options: connectOptions },
  };
}
