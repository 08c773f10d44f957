import { type Codec, HealthItError, type Reading, readingsJsonCodec } from '@healthit/core';

/** Finds the codec for an envelope's content type. */
export interface CodecRegistry {
  /** @throws {HealthItError} `codec/unknown-content-type` naming the type and the known ones. */
  get(contentType: string): Codec<Reading[]>;
  /**
   * Every content type that has a codec: the given codecs' in the order given, then the built-in
   * JSON readings codec's (unless a given codec claimed it).
   */
  readonly contentTypes: readonly string[];
}

/**
 * A registry of reading codecs by content type; the JSON readings codec is always present unless
 * another codec claims its content type.
 *
 * @throws {RangeError} when two codecs claim the same content type.
 */
export function createCodecRegistry(codecs: readonly Codec<Reading[]>[] = []): CodecRegistry {
  const byType = new Map<string, Codec<Reading[]>>();
  for (const codec of codecs) {
    if (byType.has(codec.contentType)) {
      throw new RangeError(`Two codecs are registered for content type "${codec.contentType}"`);
    }
    byType.set(codec.contentType, codec);
  }
  if (!byType.has(readingsJsonCodec.contentType))
    byType.set(readingsJsonCodec.contentType, readingsJsonCodec);
  const contentTypes = [...byType.keys()];
  return {
    contentTypes,
    get(contentType) {
      const codec = byType.get(contentType);
      if (codec === undefined) {
        throw new HealthItError(
          'codec/unknown-content-type',
          `No codec for content type "${contentType}"; registered: ${contentTypes.join(', ')}`,
          { detail: { contentType } },
        );
      }
      return codec;
    },
  };
}
