import {
  type ChannelDecoder,
  HealthItError,
  parse,
  type Transport,
  type TransportMessage,
} from '@healthit/core';
import { z } from 'zod';
import type { AcquisitionEvent } from '../events.js';
import type { MessageAuthenticator } from '../security/authenticator.js';
import type { CodecRegistry } from './codec-registry.js';
import { decodeChannelMessage } from './decode-channel.js';
import { type DecodedMessage, decodeReadingsMessage } from './decode-message.js';
import { compileTopicPattern, type TopicPattern } from './topic-pattern.js';

/** The decoder name of inputs whose payloads are core `Envelope`s, decoded by content type. */
export const ENVELOPE_DECODER = 'envelope';

/** The name of the input `createGateway({ transport })` makes when no `inputs` are given. */
export const DEFAULT_INPUT_NAME = 'default';

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const NAME_MESSAGE = 'must be 1-64 letters, digits, ".", "_", "-", starting with a letter or digit';

/** The name of an input, transport or decoder in a gateway configuration. */
const ConfigName = z.string().regex(NAME, NAME_MESSAGE);

/** A topic pattern: an MQTT filter whose levels may be named, `ble/{deviceId}/{characteristic}`. */
const TopicPatternText = z.string().superRefine((pattern, ctx) => {
  try {
    compileTopicPattern(pattern);
  } catch (e) {
    ctx.addIssue({ code: 'custom', message: e instanceof Error ? e.message : String(e) });
  }
});

/**
 * One gateway input as data (JSON-friendly): where to listen and how to decode. `transport` and
 * `decoder` name entries of `createGateway`'s `transports` and `decoders` (`decoder: "envelope"`
 * decodes core envelopes with the codec registry); without `transport`, the gateway's `transport`.
 *
 * @example
 * ```json
 * [{ "name": "ble", "transport": "mqtt", "topicFilter": "ble/{deviceId}/{characteristic}", "decoder": "gatt" },
 *  { "name": "monitors", "transport": "mllp", "topicFilter": "mllp/#", "decoder": "oru" },
 *  { "name": "json-devices", "transport": "mqtt", "topicFilter": "devices/{deviceId}/readings", "decoder": "envelope" }]
 * ```
 */
export const GatewayInputSpec = z.strictObject({
  name: ConfigName,
  transport: ConfigName.optional(),
  topicFilter: TopicPatternText,
  decoder: ConfigName,
});
/** One gateway input as data. */
export type GatewayInputSpec = z.infer<typeof GatewayInputSpec>;

const TransportValue = z.custom<Transport>(
  (v) =>
    typeof v === 'object' &&
    v !== null &&
    typeof (v as Transport).subscribe === 'function' &&
    typeof (v as Transport).publish === 'function',
  { message: 'must be a transport name or a Transport (with subscribe and publish)' },
);

const DecoderValue = z.custom<ChannelDecoder>(
  (v) =>
    typeof v === 'object' &&
    v !== null &&
    typeof (v as ChannelDecoder).name === 'string' &&
    typeof (v as ChannelDecoder).decode === 'function',
  { message: 'must be "envelope", a decoder name or a ChannelDecoder (with name and decode)' },
);

/**
 * One gateway input: {@link GatewayInputSpec}, where `transport` and `decoder` may also be the
 * objects themselves.
 *
 * @example
 * ```ts
 * const input: GatewayInput = {
 *   name: 'ble', transport: mqtt, topicFilter: 'ble/{deviceId}/{characteristic}',
 *   decoder: gattChannelDecoder({ patients: { 'hr-1': 'P-1' } }),
 * };
 * ```
 */
export const GatewayInput = z.strictObject({
  name: ConfigName,
  transport: z.union([ConfigName, TransportValue]).optional(),
  topicFilter: TopicPatternText,
  decoder: z.union([ConfigName, DecoderValue]),
});
/** One gateway input. */
export type GatewayInput = z.infer<typeof GatewayInput>;

/**
 * Validates gateway inputs read from a configuration file.
 * @throws {ValidationError} naming every offending field.
 */
export function parseGatewayInputs(json: unknown, source?: string): GatewayInputSpec[] {
  return parse(z.array(GatewayInputSpec), 'GatewayInputSpec[]', json, source);
}

/** An input ready to run: its transport, its compiled topic pattern, and how it decodes. */
export interface ResolvedInput {
  readonly name: string;
  readonly transport: Transport;
  readonly topic: TopicPattern;
  /** The decoder's name (`envelope` for envelope inputs). */
  readonly decoderName: string;
  /** Decodes one message; never throws. Every event names this input. */
  decode(message: TransportMessage, receivedAt: number): DecodedMessage;
}

/** What inputs may refer to by name. */
export interface InputSources {
  /** The transport of inputs that name none. */
  readonly transport?: Transport | undefined;
  readonly transports?: Readonly<Record<string, Transport>> | undefined;
  readonly decoders?: Readonly<Record<string, ChannelDecoder>> | undefined;
  /** The codec registry of envelope inputs. */
  readonly codecs: () => CodecRegistry;
  /** Authenticates envelopes before decoding (envelope inputs). */
  readonly authenticate?: MessageAuthenticator | undefined;
}

function configError(message: string, detail: Record<string, unknown>): HealthItError {
  return new HealthItError('config/invalid', message, { detail });
}

function named(events: readonly AcquisitionEvent[], inputName: string): AcquisitionEvent[] {
  return events.map((e) => (e.inputName === inputName ? e : { ...e, inputName }));
}

/**
 * An envelope input: payloads are core `Envelope`s decoded by content type. `deviceFromTopic`
 * gives the device a topic belongs to (checked against the envelope's source), if any.
 */
export function envelopeInput(
  name: string,
  transport: Transport,
  topic: TopicPattern,
  codecs: CodecRegistry,
  deviceFromTopic: (topic: string) => string | undefined,
  authenticate?: MessageAuthenticator,
): ResolvedInput {
  return {
    name,
    transport,
    topic,
    decoderName: ENVELOPE_DECODER,
    decode(message) {
      const decoded = decodeReadingsMessage(message, codecs, deviceFromTopic, authenticate);
      return decoded.events.length === 0 ? decoded : { ...decoded, events: named(decoded.events, name) };
    },
  };
}

/** A channel input: payloads are raw bytes of one protocol, decoded by `decoder` with topic context. */
export function channelInput(
  name: string,
  transport: Transport,
  topic: TopicPattern,
  decoder: ChannelDecoder,
): ResolvedInput {
  return {
    name,
    transport,
    topic,
    decoderName: decoder.name,
    decode(message, receivedAt) {
      const params = topic.match(message.topic) ?? {};
      return decodeChannelMessage(message, decoder, {
        inputName: name,
        topic: message.topic,
        params,
        receivedAt,
      });
    },
  };
}

/**
 * Validates configured inputs and resolves their transports and decoders.
 *
 * @throws {ValidationError} when an input does not match {@link GatewayInput};
 * @throws {HealthItError} `config/invalid` for a repeated input name, an unknown transport or
 *   decoder name, an input without a transport, or a topic pattern that lacks a level its
 *   decoder requires (e.g. `{deviceId}`).
 */
export function resolveInputs(inputs: readonly unknown[], sources: InputSources): ResolvedInput[] {
  const specs = parse(z.array(GatewayInput).min(1), 'GatewayInput[]', inputs, 'createGateway options.inputs');
  const seen = new Set<string>();
  const transports = sources.transports ?? {};
  const decoders = sources.decoders ?? {};
  if (Object.hasOwn(decoders, ENVELOPE_DECODER)) {
    throw configError(`"${ENVELOPE_DECODER}" is reserved for envelope inputs; name the decoder otherwise`, {
      decoder: ENVELOPE_DECODER,
    });
  }
  return specs.map((spec) => {
    if (seen.has(spec.name))
      throw configError(`Two gateway inputs are named "${spec.name}"`, { input: spec.name });
    seen.add(spec.name);
    let transport: Transport;
    if (spec.transport === undefined) {
      if (sources.transport === undefined) {
        throw configError(
          `Input "${spec.name}" names no transport and the gateway has no default "transport"`,
          {
            input: spec.name,
          },
        );
      }
      transport = sources.transport;
    } else if (typeof spec.transport === 'string') {
      const found = Object.hasOwn(transports, spec.transport) ? transports[spec.transport] : undefined;
      if (found === undefined) {
        throw configError(
          `Input "${spec.name}" names transport "${spec.transport}"; known: ${Object.keys(transports).join(', ') || '(none)'}`,
          { input: spec.name, transport: spec.transport },
        );
      }
      transport = found;
    } else {
      transport = spec.transport;
    }
    const topic = compileTopicPattern(spec.topicFilter);
    if (spec.decoder === ENVELOPE_DECODER) {
      const checksDevice = topic.params.includes('deviceId');
      return envelopeInput(
        spec.name,
        transport,
        topic,
        sources.codecs(),
        (t) => (checksDevice ? topic.match(t)?.deviceId : undefined),
        sources.authenticate,
      );
    }
    let decoder: ChannelDecoder;
    if (typeof spec.decoder === 'string') {
      const found = Object.hasOwn(decoders, spec.decoder) ? decoders[spec.decoder] : undefined;
      if (found === undefined) {
        throw configError(
          `Input "${spec.name}" names decoder "${spec.decoder}"; known: ${[ENVELOPE_DECODER, ...Object.keys(decoders)].join(', ')}`,
          { input: spec.name, decoder: spec.decoder },
        );
      }
      decoder = found;
    } else {
      decoder = spec.decoder;
    }
    const missing = (decoder.requiredParams ?? []).filter((p) => !topic.params.includes(p));
    if (missing.length > 0) {
      throw configError(
        `Input "${spec.name}": decoder "${decoder.name}" needs the topic level(s) ${missing.map((p) => `{${p}}`).join(', ')}, ` +
          `which "${spec.topicFilter}" does not name (e.g. "ble/{deviceId}/{characteristic}")`,
        { input: spec.name, decoder: decoder.name, missing },
      );
    }
    return channelInput(spec.name, transport, topic, decoder);
  });
}
