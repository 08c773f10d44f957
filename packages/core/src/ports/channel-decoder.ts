import type { Reading } from '../schemas/reading.js';

/**
 * Where the bytes given to {@link ChannelDecoder.decode} came from. The gateway builds it for
 * every message of an input; a decoder takes from it what the bytes do not carry themselves (a
 * raw BLE frame names neither its device nor its characteristic).
 */
export interface ChannelContext {
  /** The name of the gateway input (from its configuration) that received the bytes. */
  readonly inputName: string;
  /** The topic the bytes arrived on. */
  readonly topic: string;
  /**
   * The named levels of the input's topic pattern: `ble/{deviceId}/{characteristic}` and topic
   * `ble/hr-1/2a37` give `{ deviceId: 'hr-1', characteristic: '2a37' }`. Empty when the pattern
   * names no level.
   */
  readonly params: Readonly<Record<string, string>>;
  /** When the gateway received the bytes, epoch ms (the gateway's clock). */
  readonly receivedAt: number;
}

/**
 * Something a decoder reports beside its readings that is not an error: a special value that made
 * no reading, an observation it does not map, a time stamp it could not use.
 */
export interface ChannelNotice {
  /** What kind of notice, e.g. `special-value`, `observation-unmapped`. */
  readonly type: string;
  /** What happened, for people. */
  readonly message: string;
  /** Structured detail for logs (the decoder's own event, without `type` and `message`). */
  readonly detail?: Readonly<Record<string, unknown>>;
}

/** What {@link ChannelDecoder.decode} made of one message. */
export interface ChannelDecoded {
  /** The readings, in the order the device reported them. */
  readonly readings: readonly Reading[];
  /** Everything that did not become a reading but is no reason to refuse the message. */
  readonly notices?: readonly ChannelNotice[];
}

/**
 * Turns the raw payload of one transport channel into readings: how a protocol whose bytes are
 * not a core `Envelope` (a BLE GATT characteristic value, an HL7 v2 ORU^R01 received over MLLP)
 * plugs into the gateway. The gateway maps topics to decoders by configuration.
 *
 * Implementations: `gattChannelDecoder` and `oruChannelDecoder` in `@healthit/device`.
 *
 * @example
 * ```ts
 * const decoder: ChannelDecoder = {
 *   name: 'my-scale',
 *   requiredParams: ['deviceId'],
 *   decode: (bytes, { params, receivedAt }) => ({ readings: [toReading(bytes, params.deviceId, receivedAt)] }),
 * };
 * ```
 */
export interface ChannelDecoder {
  /** A short name for events and logs, e.g. `ble-gatt`, `hl7v2-oru`. */
  readonly name: string;
  /**
   * Topic parameters the decoder cannot work without (e.g. `deviceId`): the gateway refuses, when
   * it is created, an input whose topic pattern does not name them.
   */
  readonly requiredParams?: readonly string[];
  /**
   * Decodes one message. May keep bounded state between calls (e.g. per-device sequence numbers).
   * @throws {HealthItError} `codec/decode` when the bytes are malformed; the gateway refuses the
   *   whole message with an event and goes on (any other exception is treated the same way).
   */
  decode(bytes: Uint8Array, context: ChannelContext): ChannelDecoded;
}
