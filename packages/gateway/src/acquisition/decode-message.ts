import {
  type Codec,
  type Envelope,
  envelopeJsonCodec,
  envelopePayload,
  HealthItError,
  type Reading,
  readingsJsonCodec,
  type TransportMessage,
} from '@healthit/core';
import type { AcquisitionEvent } from '../events.js';
import type { MessageAuthenticator } from '../security/authenticator.js';
import type { CodecRegistry } from './codec-registry.js';

/** What one transport message turned into. */
export interface DecodedMessage {
  /**
   * The message's envelope as decoded (after `authenticate`, the opened one); undefined when the
   * message was rejected.
   */
  readonly envelope?: Envelope;
  /**
   * The readings accepted from the message, in message order (those whose `deviceId` is the
   * envelope's `source`); empty when the message was rejected.
   */
  readonly readings: readonly Reading[];
  /**
   * What went wrong: one `message-rejected` event for a rejected message, or a `reading-rejected`
   * event per refused reading; empty when everything was accepted.
   */
  readonly events: readonly AcquisitionEvent[];
  /**
   * The payload bytes, when they are exactly the UTF-8 JSON array of `readings` as the built-in
   * readings codec validated it (no reading refused): a batch uplink record can reuse them.
   */
  readonly json?: Uint8Array;
}

/** `e` as a HealthItError: itself, or wrapped as `codec/decode` with `fallback` and its message. */
export function asHealthItError(e: unknown, fallback: string): HealthItError {
  if (e instanceof HealthItError) return e;
  return new HealthItError('codec/decode', `${fallback}: ${(e as Error)?.message ?? String(e)}`, {
    cause: e,
  });
}

/**
 * Decodes one transport message: envelope → codec by content type → readings. A device may only
 * speak for itself: the envelope's `source` must equal the device id in the topic (when
 * `deviceFromTopic` finds one), and every reading's `deviceId` must equal the `source`.
 *
 * With `authenticate`, the envelope must pass it first (signature, registry, replay, sealing) and
 * the opened envelope is decoded. Never throws: a bad or unauthenticated message becomes a
 * `message-rejected` event, a bad reading inside a good message a `reading-rejected` event.
 */
export function decodeReadingsMessage(
  message: TransportMessage,
  codecs: CodecRegistry,
  deviceFromTopic: (topic: string) => string | undefined,
  authenticate?: MessageAuthenticator,
): DecodedMessage {
  const reject = (error: HealthItError): DecodedMessage => ({
    readings: [],
    events: [
      { type: 'message-rejected', topic: message.topic, error, payloadHead: message.payload.slice(0, 256) },
    ],
  });
  let envelope: Envelope;
  let readings: Reading[];
  let payload: Uint8Array;
  let codec: Codec<Reading[]>;
  try {
    envelope = envelopeJsonCodec.decode(message.payload);
  } catch (e) {
    return reject(asHealthItError(e, `Envelope on "${message.topic}" could not be decoded`));
  }
  const topicDevice = deviceFromTopic(message.topic);
  if (topicDevice !== undefined && topicDevice !== envelope.source) {
    return reject(
      new HealthItError(
        'validation/invalid',
        `Envelope ${envelope.id} on "${message.topic}" claims source "${envelope.source}" but the topic belongs to "${topicDevice}"`,
        { detail: { topic: message.topic, source: envelope.source } },
      ),
    );
  }
  if (authenticate !== undefined) {
    const verdict = authenticate.authenticate(envelope);
    if (!verdict.ok) return reject(verdict.error);
    envelope = verdict.envelope;
  }
  try {
    codec = codecs.get(envelope.contentType);
    payload = envelopePayload(envelope);
    readings = codec.decode(payload);
  } catch (e) {
    return reject(
      asHealthItError(e, `Payload of envelope ${envelope.id} on "${message.topic}" could not be decoded`),
    );
  }
  const accepted: Reading[] = [];
  const events: AcquisitionEvent[] = [];
  for (const reading of readings) {
    if (reading.deviceId !== envelope.source) {
      events.push({
        type: 'reading-rejected',
        topic: message.topic,
        readingId: reading.id,
        input: reading,
        error: new HealthItError(
          'validation/invalid',
          `Reading ${reading.id} names device "${reading.deviceId}" but arrived in an envelope from "${envelope.source}"`,
          { detail: { readingId: reading.id, deviceId: reading.deviceId, source: envelope.source } },
        ),
      });
    } else {
      accepted.push(reading);
    }
  }
  if (events.length === 0 && codec === readingsJsonCodec) {
    return { envelope, readings: accepted, events, json: payload };
  }
  return { envelope, readings: accepted, events };
}
