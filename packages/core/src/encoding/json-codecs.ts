import { z } from 'zod';
import { HealthItError } from '../errors/health-it-error.js';
import type { Codec } from '../ports/codec.js';
import { Alert } from '../schemas/alert.js';
import { Command, CommandStatus } from '../schemas/command.js';
import { Envelope } from '../schemas/envelope.js';
import { isEnvelope } from '../schemas/envelope-guard.js';
import { Reading } from '../schemas/reading.js';
import { isReading } from '../schemas/reading-guard.js';
import { parse } from '../validate.js';
import { utf8Decode, utf8Encode } from './bytes.js';

/** The media type of a JSON batch of readings. */
export const READINGS_JSON = 'application/vnd.healthit.readings+json';
/** The media type of a JSON envelope. */
export const ENVELOPE_JSON = 'application/vnd.healthit.envelope+json';
/** The media type of one JSON command (gateway → actuator, on `Topics.deviceCommands(id)`). */
export const COMMAND_JSON = 'application/vnd.healthit.command+json';
/** The media type of one JSON command status (actuator → gateway, on `Topics.deviceCommandStatus(id)`). */
export const COMMAND_STATUS_JSON = 'application/vnd.healthit.command-status+json';
/** The media type of one JSON alert. */
export const ALERT_JSON = 'application/vnd.healthit.alert+json';

function decodeJson(bytes: Uint8Array, what: string): unknown {
  try {
    return JSON.parse(utf8Decode(bytes));
  } catch (cause) {
    throw new HealthItError('codec/decode', `${what} is not UTF-8 JSON: ${(cause as Error).message}`, {
      cause,
      detail: { byteLength: bytes.byteLength },
    });
  }
}

/**
 * A codec for values that travel as UTF-8 JSON and are validated by a zod schema on decode.
 * With a `guard` (a fast check that never accepts what the schema rejects, e.g. `isReading`),
 * JSON the guard accepts is returned as parsed, without the schema's copy; the schema still
 * decides, and names the offending field, for everything else.
 *
 * @throws {HealthItError} `codec/decode` on bytes that are not UTF-8 JSON;
 * @throws {ValidationError} on JSON that does not match the schema.
 */
export function jsonCodec<S extends z.ZodType>(
  schema: S,
  schemaName: string,
  contentType: string,
  guard?: (json: unknown) => json is z.output<S>,
): Codec<z.output<S>> {
  return {
    contentType,
    encode: (value) => utf8Encode(JSON.stringify(value)),
    decode: (bytes) => {
      const json = decodeJson(bytes, schemaName);
      return guard?.(json) === true ? json : parse(schema, schemaName, json);
    },
  };
}

function isReadingBatch(json: unknown): json is Reading[] {
  if (!Array.isArray(json) || json.length === 0) return false;
  for (const item of json) if (!isReading(item)) return false;
  return true;
}

/** The readings batch codec: a JSON array of {@link Reading}. */
export const readingsJsonCodec: Codec<Reading[]> = jsonCodec(
  z.array(Reading).min(1),
  'Reading[]',
  READINGS_JSON,
  isReadingBatch,
);

/** The envelope codec: one JSON {@link Envelope}. */
export const envelopeJsonCodec: Codec<Envelope> = jsonCodec(Envelope, 'Envelope', ENVELOPE_JSON, isEnvelope);

/** The command codec: one JSON {@link Command}. */
export const commandJsonCodec: Codec<Command> = jsonCodec(Command, 'Command', COMMAND_JSON);

/** The command status codec: one JSON {@link CommandStatus}. */
export const commandStatusJsonCodec: Codec<CommandStatus> = jsonCodec(
  CommandStatus,
  'CommandStatus',
  COMMAND_STATUS_JSON,
);

/** The alert codec: one JSON {@link Alert}. */
export const alertJsonCodec: Codec<Alert> = jsonCodec(Alert, 'Alert', ALERT_JSON);
