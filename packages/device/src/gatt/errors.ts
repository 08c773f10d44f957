import { HealthItError } from '@healthit/core';
import { describeCharacteristic, formatUuid16 } from './characteristics.js';

/**
 * A GATT frame could not be decoded: it is truncated, has bytes after the last field its flags
 * announce, or contradicts its flags. A permanent `codec/decode` {@link HealthItError}: the same
 * bytes always fail the same way.
 *
 * @example
 * ```ts
 * try { decodeGatt(0x2a35, bytes) } catch (e) {
 *   if (e instanceof GattDecodeError) log(e.characteristic, e.offset, e.reason);
 * }
 * ```
 */
export class GattDecodeError extends HealthItError {
  /** Always `GattDecodeError`. */
  override readonly name = 'GattDecodeError';
  /** The 16-bit UUID of the characteristic being decoded. */
  readonly characteristic: number;
  /** The byte offset in the frame where decoding failed. */
  readonly offset: number;
  /** Why, e.g. `Pulse Rate (SFLOAT, 2 bytes) is announced by flags bit 2 but the frame ends at 9 bytes`. */
  readonly reason: string;
  /** The frame's length in bytes. */
  readonly frameLength: number;

  /**
   * Creates the error, with code `codec/decode` and a message naming the characteristic.
   * @param characteristic - The 16-bit UUID of the characteristic being decoded, e.g. `0x2a35`.
   * @param offset - The byte offset in the frame where decoding failed.
   * @param reason - Why, in words; ends up in the message and `detail`.
   * @param frameLength - The frame's length in bytes.
   */
  constructor(characteristic: number, offset: number, reason: string, frameLength: number) {
    super(
      'codec/decode',
      `Cannot decode ${describeCharacteristic(characteristic)} frame of ${frameLength} byte(s) at offset ` +
        `${offset}: ${reason}. Check that the bytes are the whole characteristic value as notified.`,
      { detail: { characteristic: formatUuid16(characteristic), offset, reason, frameLength } },
    );
    this.characteristic = characteristic;
    this.offset = offset;
    this.reason = reason;
    this.frameLength = frameLength;
  }
}

/**
 * A measurement could not be encoded as a GATT frame: a field is missing, out of its range, not
 * representable in its wire format, or contradicts another field. A permanent `codec/encode`
 * {@link HealthItError}.
 */
export class GattEncodeError extends HealthItError {
  /** Always `GattEncodeError`. */
  override readonly name = 'GattEncodeError';
  /** The 16-bit UUID of the characteristic being encoded. */
  readonly characteristic: number;
  /** The offending field, e.g. `systolic`. */
  readonly field: string;
  /** Why. */
  readonly reason: string;

  /**
   * Creates the error, with code `codec/encode` and a message naming the characteristic.
   * @param characteristic - The 16-bit UUID of the characteristic being encoded, e.g. `0x2a35`.
   * @param field - The offending field of the encoder input, e.g. `systolic`.
   * @param reason - Why, in words, e.g. `must be an integer 0…255, got 300`.
   */
  constructor(characteristic: number, field: string, reason: string) {
    super('codec/encode', `Cannot encode ${describeCharacteristic(characteristic)}: ${field}: ${reason}`, {
      detail: { characteristic: formatUuid16(characteristic), field, reason },
    });
    this.characteristic = characteristic;
    this.field = field;
    this.reason = reason;
  }
}
