/**
 * Turns values into bytes and back: how a protocol (GATT, HL7 v2, JSON) plugs into a transport.
 *
 * Implementations must be pure and must not keep state between calls.
 */
export interface Codec<T> {
  /** The media type of the encoded bytes, e.g. `application/vnd.healthit.readings+json`. */
  readonly contentType: string;
  /**
   * Encodes a value.
   * @throws {HealthItError} `codec/encode` when the value cannot be represented.
   */
  encode(value: T): Uint8Array;
  /**
   * Decodes and validates bytes.
   * @throws {HealthItError} `codec/decode` on malformed bytes;
   * @throws {ValidationError} when the decoded value does not match its schema.
   */
  decode(bytes: Uint8Array): T;
}
