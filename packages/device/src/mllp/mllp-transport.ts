import {
  assertValidTopic,
  type ConnectionState,
  createInProcessTransport,
  isHealthItError,
  type PublishOptions,
  type Transport,
  type TransportMessage,
  topicMatches,
} from '@healthit/core';
import { BehaviorSubject, Observable } from 'rxjs';
import { encodeHl7Text } from '../hl7v2/charset.js';
import type { Hl7Message } from '../hl7v2/message.js';
import {
  createMllpServer,
  type MllpHandlerResult,
  type MllpMessageContext,
  type MllpServer,
  type MllpServerOptions,
} from './server.js';

/** The topic prefix of messages received by {@link createMllpTransport}. */
export const MLLP_TOPIC_PREFIX = 'mllp';

/** Options of {@link createMllpTransport}: the server's options (it owns the server), and the topic of each message. */
export interface MllpTransportOptions extends Omit<MllpServerOptions, 'onMessage'> {
  /**
   * The topic a received message is delivered on. Default `mllp/<remote address>` (e.g.
   * `mllp/10.1.2.3`, `mllp/::ffff:127.0.0.1`): a gateway input subscribes with `mllp/#` or
   * `mllp/{remote}`. Must return a valid topic (no `+`, `#`); a message whose topic is invalid is
   * answered AE.
   * @example `(message) => \`mllp/${message.header.sendingFacility}/${message.header.sendingApplication}\``
   */
  readonly topic?: (message: Hl7Message, context: MllpMessageContext) => string;
}

/** A {@link Transport} fed by an MLLP server: every HL7 v2 message received becomes a transport message. */
export interface MllpTransport extends Transport {
  /** The server (owned: `close()` closes it). Call `server.listen()` to start accepting; watch `server.events$`. */
  readonly server: MllpServer;
}

const NO_CONSUMER =
  'no consumer is subscribed to this message yet (the gateway is not running); resend it later';

/**
 * An MLLP server as a gateway transport (Node only): each HL7 v2 message a monitor sends is
 * published, as its bytes (in the character set MSH-18 declares), on topic `mllp/<remote address>`
 * (see `options.topic`) to this transport's subscribers — e.g. a gateway input with
 * `oruChannelDecoder` from `@healthit/device`.
 *
 * Acknowledgements (original mode, sent after delivery):
 * - AA when at least one subscriber's filter matched the topic: delivery is synchronous, so the
 *   gateway has already decoded the message when the ACK leaves. A message the gateway then
 *   refuses (e.g. a malformed OBX) is reported on the gateway's `events$`, not in the ACK.
 * - AR with ERR 207 when no subscription matches (the gateway is not subscribed yet, or was
 *   unsubscribed): HL7 v2 (2.9.2) reserves AR for "system down" conditions the sender may
 *   retry, so the monitor keeps the message and resends it. Nothing is buffered here; the bound is
 *   the server's `maxPendingFrames` per connection and the sender's own queue.
 * - Parse errors, oversize frames and unaccepted types are answered by the server as before.
 *
 * `publish` delivers locally, to this transport's own subscribers (for tests and replays): MLLP
 * here only receives. `state$` is `connecting` until the server listens, then `connected`, and
 * `closed` after `close()` (which closes the server).
 *
 * Nothing happens until `server.listen()`.
 *
 * @throws {RangeError} / {TypeError} for invalid server options.
 * @example
 * ```ts
 * const mllp = createMllpTransport({ port: 2575, host: '0.0.0.0', acceptMessageTypes: ['ORU^R01'] });
 * const gw = createGateway({ inputs: [{ name: 'monitors', transport: mllp, topicFilter: 'mllp/#', decoder: oruChannelDecoder() }] });
 * gw.readings$.subscribe(store);
 * await mllp.server.listen();
 * ```
 */
export function createMllpTransport(options: MllpTransportOptions = {}): MllpTransport {
  const { topic: topicOf, ...serverOptions } = options;
  const local = createInProcessTransport();
  const state$ = new BehaviorSubject<ConnectionState>('connecting');
  /** Filters with at least one live subscriber, with their subscriber counts. */
  const filters = new Map<string, number>();

  const hasConsumer = (topic: string): boolean => {
    for (const filter of filters.keys()) if (topicMatches(filter, topic)) return true;
    return false;
  };

  const onMessage = async (
    message: Hl7Message,
    context: MllpMessageContext,
  ): Promise<MllpHandlerResult | undefined> => {
    let topic: string;
    try {
      topic = topicOf?.(message, context) ?? `${MLLP_TOPIC_PREFIX}/${context.remoteAddress || 'unknown'}`;
      assertValidTopic(topic);
    } catch (e) {
      const why = isHealthItError(e) || e instanceof Error ? e.message : String(e);
      return { ack: 'AE', errors: [{ hl7ErrorCode: 207, message: `no topic for this message: ${why}` }] };
    }
    if (!hasConsumer(topic)) {
      return { ack: 'AR', text: NO_CONSUMER, errors: [{ hl7ErrorCode: 207, message: NO_CONSUMER }] };
    }
    await local.publish(topic, encodeHl7Text(context.text));
    return undefined;
  };

  const server = createMllpServer({ ...serverOptions, onMessage });
  server.events$.subscribe((e) => {
    if (e.type === 'listening' && state$.value === 'connecting') state$.next('connected');
  });

  return {
    server,
    state$: state$.asObservable(),
    publish(topic: string, payload: Uint8Array, publishOptions?: PublishOptions): Promise<void> {
      return local.publish(topic, payload, publishOptions);
    },
    subscribe(filter: string): Observable<TransportMessage> {
      return new Observable<TransportMessage>((subscriber) => {
        let counted = false;
        const inner = local.subscribe(filter).subscribe({
          next: (m) => subscriber.next(m),
          error: (e: unknown) => subscriber.error(e),
          complete: () => subscriber.complete(),
        });
        if (!inner.closed) {
          filters.set(filter, (filters.get(filter) ?? 0) + 1);
          counted = true;
        }
        return () => {
          inner.unsubscribe();
          if (!counted) return;
          const n = (filters.get(filter) ?? 1) - 1;
          if (n === 0) filters.delete(filter);
          else filters.set(filter, n);
        };
      });
    },
    async close(): Promise<void> {
      if (state$.value === 'closed') return;
      await server.close();
      filters.clear();
      await local.close();
      state$.next('closed');
      state$.complete();
    },
  };
}
