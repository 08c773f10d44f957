import {
  assertValidTopic,
  type ConnectionState,
  filterSubscription,
  HealthItError,
  isHealthItError,
  type PublishOptions,
  type Transport,
  type TransportMessage,
} from '@healthit/core';
import {
  connect,
  type IClientSubscribeOptions,
  type IConnackPacket,
  type IPublishPacket,
  type MqttClient,
  ReasonCodes,
} from 'mqtt';
import { BehaviorSubject, filter, firstValueFrom, type Observable, type Subscriber, skip } from 'rxjs';
import type { MessageJournal } from '../uplink/message-journal.js';
import { createEarlyMessages, type EarlyMessageCounts } from './early-messages.js';
import { clientCredentials, type MqttTransportOptions, resolveMqttOptions } from './options.js';
import { createSubscriptionRegistry, type FilterEntry } from './subscription-registry.js';

type Listener = Subscriber<TransportMessage>;

/** How long a graceful DISCONNECT may take before `close()` stops waiting for it. */
const GRACEFUL_END_MS = 2000;

function initialState(client: MqttClient): ConnectionState {
  if (client.connected) return 'connected';
  if (client.disconnecting || client.disconnected) return 'disconnected';
  return 'connecting';
}

function reasonOf(code: number): string {
  return (ReasonCodes as Record<number, string | undefined>)[code] ?? 'Unspecified error';
}

/** The numeric MQTT reason code mqtt.js attaches to errors caused by a negative acknowledgement. */
function reasonCodeOf(err: unknown): number | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'number' ? code : undefined;
}

/**
 * The MQTT transport: a {@link Transport} whose client certificate can be renewed in place and that
 * counts the messages a persistent session delivered before anything subscribed.
 */
export interface MqttTransport extends Transport {
  /**
   * Messages that arrived before any subscription matched them: held now, handed to a subscription
   * that came later, and dropped (see `earlyMessages` in the options).
   */
  earlyMessages(): EarlyMessageCounts;
  /**
   * Presents a renewed client certificate and key from now on (certificates are renewed before
   * they expire): the connection is ended gracefully, after the broker has acknowledged every
   * in-flight QoS 1/2 publish, and reopened with the new credentials; subscriptions are restored.
   * Resolves once connected again. Publishes made meanwhile fail with `transport/disconnected` and
   * are retried by their caller (the outbox), so nothing is lost.
   * @throws {HealthItError} `state/invalid` on a caller-owned client or one without client TLS;
   * `transport/closed` once closed.
   */
  rotateCredentials(credentials: {
    readonly cert: string | Uint8Array;
    readonly key: string | Uint8Array;
  }): Promise<void>;
}

/**
 * A {@link Transport} over MQTT 3.1.1 or 5 with mqtt.js: one shared connection, QoS 1 by default,
 * retained messages, topic wildcards, and reconnection with resubscription.
 *
 * - **Ownership.** Given connection settings (`url`, …) it opens a client at once (clean session,
 *   `resubscribe: true`, `queueQoSZero: false`) and ends it on {@link Transport.close}. Given a
 *   caller-owned `client`, it only adds its listeners and subscriptions, and on close removes them
 *   (UNSUBSCRIBE) and leaves the client open.
 * - **Subscriptions** are reference-counted per filter: every `subscribe(filter)` Observable on the
 *   same filter shares one broker SUBSCRIBE, and the last unsubscription sends UNSUBSCRIBE. Each
 *   message goes to every subscription it belongs to — with MQTT 5 by subscription identifier (so
 *   overlapping filters each get their copy once), with MQTT 3.1.1 by `topicMatches`. Retained
 *   messages come from the broker on SUBSCRIBE, so a second subscriber to a filter that is
 *   already subscribed receives live messages only.
 * - **Reconnection.** mqtt.js reconnects every `reconnectPeriodMs` and re-sends every live
 *   SUBSCRIBE after a reconnect without a session (for a caller-owned client with
 *   `resubscribe: false`, the transport does it). `state$` reports `connecting` → `connected` →
 *   `disconnected` → `connecting` … → `closed`.
 * - **Publishing while disconnected is refused**, never queued: `publish` rejects with the retryable
 *   `transport/disconnected`, so no unbounded in-memory queue builds up during an outage (durable
 *   buffering is the store-and-forward outbox's job). A QoS 1/2 message already sent when the
 *   connection drops stays in mqtt.js's in-flight store and is resent after the reconnect; its
 *   `publish` resolves on the late acknowledgement or rejects with `transport/publish-failed` after
 *   `publishTimeoutMs`.
 *
 * @throws {TypeError} for options of the wrong shape (see `resolveMqttOptions`).
 * @throws {RangeError} for out-of-range option values.
 *
 * @example
 * ```ts
 * import { createMqttTransport } from '@healthit/gateway/mqtt';
 *
 * const transport = createMqttTransport({ url: 'mqtt://127.0.0.1:1883', clientId: 'gw-ward-3' });
 * transport.subscribe('devices/+/readings').subscribe((m) => console.log(m.topic, m.payload.byteLength));
 * await firstValueFrom(transport.state$.pipe(filter((s) => s === 'connected')));
 * await transport.publish('devices/mon-1/commands', bytes, { qos: 1 });
 * await transport.close();
 * ```
 */
export function createMqttTransport(options: MqttTransportOptions): MqttTransport {
  const resolved = resolveMqttOptions(options);
  const owned = resolved.client === undefined;
  const client: MqttClient = resolved.client ?? connect(resolved.connect!.url, resolved.connect!.options);
  const useIdentifiers = client.options.protocolVersion === 5;
  const clientResubscribes =
    client.options.resubscribe !== false && (client.options.reconnectPeriod ?? 0) > 0;
  const registry = createSubscriptionRegistry<Listener>(useIdentifiers);
  const early = createEarlyMessages(options.earlyMessages);
  const state$ = new BehaviorSubject<ConnectionState>(initialState(client));
  const pendingPublishes = new Set<(error: HealthItError) => void>();
  let hasConnected = client.connected;
  const journal = options.journal;
  if (
    journal !== undefined &&
    (typeof journal.record !== 'function' || typeof journal.deliver !== 'function')
  ) {
    throw new TypeError(
      "MQTT transport journal must be a MessageJournal (e.g. the SQLite outbox's outbox.journal)",
    );
  }
  /** With a journal: the journal sequence number of each message held early or replayed. */
  const seqOf = new WeakMap<TransportMessage, number>();
  /** Packets the journal refused: mqtt.js must not acknowledge them. */
  const refusedPackets = new WeakSet<IPublishPacket>();
  /** Hands `message` over with `handOver`, inside its journal delivery when it has one. */
  const deliver = (message: TransportMessage, handOver: () => void): void => {
    const seq = journal === undefined ? undefined : seqOf.get(message);
    if (seq === undefined) handOver();
    else (journal as MessageJournal).deliver(seq, handOver);
  };
  let lastError: Error | undefined;
  let closed = false;
  let closing: Promise<void> | undefined;

  function setState(state: ConnectionState): void {
    if (!closed && state$.getValue() !== state) state$.next(state);
  }

  function fail(entry: FilterEntry<Listener>, error: HealthItError): void {
    const listeners = [...entry.listeners];
    for (const l of listeners) registry.remove(entry, l);
    // Drops the filter from mqtt.js's resubscribe list as well.
    client.unsubscribe(entry.filter, () => {});
    for (const l of listeners) l.error(error);
  }

  function sendSubscribe(entry: FilterEntry<Listener>): void {
    const subscribeOptions: IClientSubscribeOptions = {
      qos: resolved.subscribeQos,
      ...(entry.id === undefined ? {} : { properties: { subscriptionIdentifier: entry.id } }),
    };
    client.subscribe(entry.filter, subscribeOptions, (err, granted) => {
      if (closed || !registry.isLive(entry)) return;
      const refused = reasonCodeOf(err) ?? granted?.find((g) => g.qos >= 0x80)?.qos;
      if (refused !== undefined) {
        fail(
          entry,
          new HealthItError(
            'transport/subscribe-refused',
            `The MQTT broker refused the subscription to "${entry.filter}" (reason code ${refused}: ` +
              `${reasonOf(refused)}); check the broker's access control and the filter`,
            { cause: err ?? undefined, detail: { filter: entry.filter, reasonCode: refused } },
          ),
        );
      } else if (err && client.disconnecting) {
        fail(
          entry,
          new HealthItError(
            'transport/disconnected',
            `Cannot subscribe to "${entry.filter}": the MQTT client has been ended by its owner`,
            { cause: err, detail: { filter: entry.filter } },
          ),
        );
      }
      // Any other error means the connection dropped before SUBACK: the subscription is re-sent
      // after the reconnect (mqtt.js keeps it in its resubscribe list, or onConnect below does).
    });
  }

  const onConnect = (connack: IConnackPacket): void => {
    const reconnected = hasConnected;
    hasConnected = true;
    lastError = undefined;
    setState('connected');
    if (reconnected && !clientResubscribes && connack.sessionPresent !== true) {
      for (const entry of registry.entries()) sendSubscribe(entry);
    }
  };
  const onReconnect = (): void => setState('connecting');
  const onDisconnected = (): void => setState('disconnected');
  const onError = (error: Error): void => {
    lastError = error;
  };
  const onMessage = (topic: string, payload: Buffer, packet: IPublishPacket): void => {
    if (closed) return;
    const targets = registry.targets(topic, packet.properties?.subscriptionIdentifier);
    const message: TransportMessage = {
      topic,
      payload: new Uint8Array(payload.buffer, payload.byteOffset, payload.byteLength),
      retained: packet.retain === true,
    };
    if (journal !== undefined) {
      // Recorded before mqtt.js acknowledges it (its PUBACK follows this handler).
      try {
        seqOf.set(message, journal.record(message));
      } catch {
        refusedPackets.add(packet);
        return;
      }
    }
    if (targets.length === 0) {
      // A persistent session's queued messages arrive before a restarted process subscribes.
      early.hold(message);
      return;
    }
    deliver(message, () => {
      for (const entry of targets) {
        for (const l of [...entry.listeners]) if (entry.listeners.has(l)) l.next(message);
      }
    });
  };
  // mqtt.js sends a QoS 1/2 acknowledgement when handleMessage calls back without an error: a
  // message the journal refused is not acknowledged (the broker keeps it).
  const ownHandleMessage = client.handleMessage;
  if (journal !== undefined) {
    client.handleMessage = (packet, callback) => {
      if (refusedPackets.has(packet as IPublishPacket)) {
        callback(new Error('refused by the message journal (full)'));
        return;
      }
      ownHandleMessage.call(client, packet, callback);
    };
    // What a killed process recorded and did not settle goes first, to the first subscription
    // that matches (as a persistent session's queued messages do).
    for (const entry of journal.unsettled()) {
      const message: TransportMessage = {
        topic: entry.topic,
        payload: entry.payload,
        retained: entry.retained,
      };
      seqOf.set(message, entry.seq);
      early.hold(message);
    }
  }

  client.on('connect', onConnect);
  client.on('reconnect', onReconnect);
  client.on('offline', onDisconnected);
  client.on('close', onDisconnected);
  client.on('end', onDisconnected);
  client.on('message', onMessage);
  // Only on a client we own: an 'error' listener on the caller's client would hide its errors.
  if (owned) client.on('error', onError);

  function detach(): void {
    client.off('connect', onConnect);
    client.off('reconnect', onReconnect);
    client.off('offline', onDisconnected);
    client.off('close', onDisconnected);
    client.off('end', onDisconnected);
    client.off('message', onMessage);
    if (journal !== undefined) client.handleMessage = ownHandleMessage;
  }

  /** Ends the owned client: gracefully (DISCONNECT) when connected with nothing in flight. */
  function endOwnedClient(force: boolean): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, GRACEFUL_END_MS);
      client.end(force, {}, () => {
        clearTimeout(timer);
        resolve();
      });
    }).finally(() => client.off('error', onError));
  }

  async function rotateCredentials(credentials: {
    readonly cert: string | Uint8Array;
    readonly key: string | Uint8Array;
  }): Promise<void> {
    if (closed)
      throw new HealthItError('transport/closed', 'Cannot rotate credentials: the MQTT transport is closed');
    if (!owned || client.options.cert === undefined) {
      throw new HealthItError(
        'state/invalid',
        'rotateCredentials needs a transport that owns its client and connects with a client certificate (tls.cert)',
      );
    }
    const { cert, key } = clientCredentials(credentials);
    const reconnected = firstValueFrom(
      state$.pipe(
        skip(1),
        filter((s) => s === 'connected' || s === 'closed'),
      ),
    );
    client.options.cert = cert;
    client.options.key = key;
    // A graceful end (mqtt.js waits until every in-flight publish is acknowledged, and refuses new
    // ones meanwhile), then a new connection that presents the new certificate.
    client.reconnect();
    if ((await reconnected) === 'closed') {
      throw new HealthItError(
        'transport/closed',
        'The MQTT transport was closed while rotating its credentials',
      );
    }
  }

  return {
    state$: state$.asObservable(),
    rotateCredentials,

    async publish(topic: string, payload: Uint8Array, opts: PublishOptions = {}): Promise<void> {
      if (closed) {
        throw new HealthItError(
          'transport/closed',
          `Cannot publish to "${topic}": the MQTT transport is closed`,
        );
      }
      assertValidTopic(topic);
      if (!(payload instanceof Uint8Array)) {
        throw new TypeError(`payload must be a Uint8Array, got ${typeof payload}`);
      }
      const qos = opts.qos ?? 1;
      if (qos !== 0 && qos !== 1 && qos !== 2) throw new RangeError(`qos must be 0, 1 or 2, got ${qos}`);
      if (!client.connected || client.disconnecting) {
        throw new HealthItError(
          'transport/disconnected',
          `Cannot publish to "${topic}": not connected to the MQTT broker (state "${state$.getValue()}"); ` +
            'retry once state$ reports "connected"',
          { cause: lastError, detail: { topic } },
        );
      }
      const timeoutMs = resolved.publishTimeoutMs;
      await new Promise<void>((resolve, reject) => {
        let settled = false;
        const settle = (error?: HealthItError): void => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          pendingPublishes.delete(settle);
          if (error === undefined) resolve();
          else reject(error);
        };
        const timer = setTimeout(
          () =>
            settle(
              new HealthItError(
                'transport/publish-failed',
                `The MQTT broker did not acknowledge the QoS ${qos} publish to "${topic}" within ${timeoutMs} ms; ` +
                  'it may still be delivered (mqtt.js resends it after a reconnect)',
                { detail: { topic, qos, timeoutMs } },
              ),
            ),
          timeoutMs,
        );
        pendingPublishes.add(settle);
        client.publish(topic, Buffer.from(payload), { qos, retain: opts.retain === true }, (err) => {
          if (err === undefined || err === null) {
            settle();
            return;
          }
          if (isHealthItError(err)) {
            settle(err);
            return;
          }
          const reasonCode = reasonCodeOf(err);
          settle(
            new HealthItError(
              'transport/publish-failed',
              `Publishing to "${topic}" failed: ${err.message}` +
                (reasonCode === undefined
                  ? ''
                  : ` (MQTT reason code ${reasonCode}: ${reasonOf(reasonCode)})`),
              { cause: err, detail: { topic, qos, ...(reasonCode === undefined ? {} : { reasonCode }) } },
            ),
          );
        });
      });
    },

    subscribe(filter: string): Observable<TransportMessage> {
      return filterSubscription(
        filter,
        () => closed,
        (subscriber) => {
          const { entry, first } = registry.add(filter, subscriber);
          if (first) sendSubscribe(entry);
          // Held messages go out in a microtask, not during this call: a consumer that fans one
          // stream out to several subscribers (share()) attaches them all in the same tick, and a
          // synchronous emission here would reach only the first. Live messages (I/O events) come
          // after them.
          const claimed = early.claim(filter);
          if (claimed.length > 0) {
            queueMicrotask(() => {
              for (const message of claimed) {
                if (subscriber.closed) early.hold(message);
                else deliver(message, () => subscriber.next(message));
              }
            });
          }
          return () => {
            if (closed) return;
            if (registry.remove(entry, subscriber)) client.unsubscribe(filter, () => {});
          };
        },
      );
    },

    earlyMessages: () => early.counts(),

    close(): Promise<void> {
      closing ??= (async () => {
        const entries = registry.clear();
        closed = true;
        detach();
        const force = !client.connected || pendingPublishes.size > 0;
        for (const settle of [...pendingPublishes]) {
          settle(
            new HealthItError(
              'transport/publish-failed',
              'The MQTT transport was closed before the broker acknowledged this publish; it may or may not have been delivered',
            ),
          );
        }
        for (const entry of entries) for (const l of [...entry.listeners]) l.complete();
        if (owned) {
          await endOwnedClient(force);
        } else if (entries.length > 0) {
          // Leave the caller's client as we found it: no subscriptions of ours, on the broker or in
          // mqtt.js's resubscribe list. Not awaited: the client may be offline.
          client.unsubscribe(
            entries.map((e) => e.filter),
            () => {},
          );
        }
        state$.next('closed');
        state$.complete();
      })();
      return closing;
    },
  };
}
