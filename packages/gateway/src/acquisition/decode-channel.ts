import {
  type ChannelContext,
  type ChannelDecoder,
  type ChannelNotice,
  HealthItError,
  type Reading,
  Reading as ReadingSchema,
  type TransportMessage,
  ValidationError,
} from '@healthit/core';
import type { AcquisitionEvent } from '../events.js';
import type { DecodedMessage } from './decode-message.js';
import { asHealthItError } from './decode-message.js';

/**
 * Decodes one transport message with a channel decoder (raw bytes → readings), for inputs whose
 * payload is not an envelope.
 *
 * - A decoder that throws refuses the whole message: one `message-rejected` event naming the
 *   input, the topic and the reason.
 * - Each notice becomes a `decoder-notice` event.
 * - Each reading is checked against the `Reading` schema (a decoder is third-party code) and,
 *   when the topic names a device (`params.deviceId`), must be of that device: a device speaks
 *   only for itself. A failing reading is a `reading-rejected` event; its siblings go on.
 *
 * Never throws.
 */
export function decodeChannelMessage(
  message: TransportMessage,
  decoder: ChannelDecoder,
  context: ChannelContext,
): DecodedMessage {
  const { inputName, topic } = context;
  let decoded: { readonly readings: readonly Reading[]; readonly notices?: readonly ChannelNotice[] };
  try {
    decoded = decoder.decode(message.payload, context);
    if (decoded === null || typeof decoded !== 'object' || !Array.isArray(decoded.readings)) {
      throw new TypeError(`decoder "${decoder.name}" returned no { readings } object`);
    }
  } catch (e) {
    return {
      readings: [],
      events: [
        {
          type: 'message-rejected',
          inputName,
          topic,
          error: asHealthItError(
            e,
            `Input "${inputName}": ${decoder.name} could not decode the message on "${topic}"`,
          ),
          payloadHead: message.payload.slice(0, 256),
        },
      ],
    };
  }
  const events: AcquisitionEvent[] = [];
  for (const notice of decoded.notices ?? []) {
    events.push({ type: 'decoder-notice', inputName, topic, decoder: decoder.name, notice });
  }
  const topicDevice = context.params.deviceId;
  const readings: Reading[] = [];
  for (const candidate of decoded.readings) {
    const checked = ReadingSchema.safeParse(candidate);
    const readingId = String((candidate as { id?: unknown } | null)?.id ?? '');
    if (!checked.success) {
      events.push({
        type: 'reading-rejected',
        inputName,
        topic,
        readingId,
        input: candidate,
        error: ValidationError.fromZod('Reading', checked.error, `input "${inputName}", topic "${topic}"`),
      });
      continue;
    }
    const reading = checked.data;
    if (topicDevice !== undefined && reading.deviceId !== topicDevice) {
      events.push({
        type: 'reading-rejected',
        inputName,
        topic,
        readingId: reading.id,
        input: reading,
        error: new HealthItError(
          'validation/invalid',
          `Reading ${reading.id} names device "${reading.deviceId}" but arrived on "${topic}", which belongs to "${topicDevice}"`,
          { detail: { readingId: reading.id, deviceId: reading.deviceId, topicDevice } },
        ),
      });
      continue;
    }
    readings.push(reading);
  }
  return { readings, events };
}
