import type { Observable } from 'rxjs';

/** The connection states of a transport. `closed` is final. */
export type ConnectionState = 'connecting' | 'connected' | 'disconnected' | 'closed';

/** Delivery options for {@link Transport.publish}, with MQTT semantics. */
export interface PublishOptions {
  /** 0 at most once, 1 at least once, 2 exactly once. Default 1. */
  readonly qos?: 0 | 1 | 2;
  /** Keep this message as the topic's last known value for future subscribers. Default false. */
  readonly retain?: boolean;
}

/** A message received from a transport. */
export interface TransportMessage {
  /** The concrete topic it was published on (never a filter), levels separated by `/`. */
  readonly topic: string;
  /** The message body, bytes, exactly as published. */
  readonly payload: Uint8Array;
  /** True when the message was delivered from the retained store rather than live. */
  readonly retained: boolean;
}

/**
 * Moves bytes between devices, gateways and platforms over topics with MQTT semantics: topic
 * levels separated by `/`, filters with the single-level wildcard `+` and the multi-level
 * wildcard `#` (last level only).
 *
 * Implementations: the in-process transport (`createInProcessTransport`, the reference), MQTT
 * (`@healthit/gateway/mqtt`). Every implementation passes `describeTransportConformance` from
 * `@healthit/core/testing`.
 */
export interface Transport {
  /** Hot; replays the latest state to each new subscriber; completes after `closed`. */
  readonly state$: Observable<ConnectionState>;
  /**
   * Publishes `payload` on `topic` (no wildcards). Resolves when the transport has accepted the
   * message at the requested QoS.
   * @throws {HealthItError} `transport/invalid-topic` for an empty topic or one with wildcards;
   * @throws {HealthItError} `transport/closed` after {@link close}.
   */
  publish(topic: string, payload: Uint8Array, options?: PublishOptions): Promise<void>;
  /**
   * Cold: subscribing subscribes to `filter`, unsubscribing unsubscribes. Messages are delivered in
   * the order each publisher published them. Errors with `transport/invalid-topic` for a malformed
   * filter; completes when the transport closes.
   */
  subscribe(filter: string): Observable<TransportMessage>;
  /** Closes the transport: completes every subscription and `state$`. Idempotent. */
  close(): Promise<void>;
}
