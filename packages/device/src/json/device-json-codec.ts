import {
  type Codec,
  HealthItError,
  METRICS,
  parse,
  Reading,
  readingId,
  toCanonicalUnit,
  utf8Decode,
  utf8Encode,
  ValidationError,
} from '@healthit/core';
import {
  DEVICE_MESSAGE_VERSIONS,
  type DeviceMeasurementV1,
  type DeviceMessage,
  DeviceMessageV1,
  MAX_MEASUREMENTS_PER_MESSAGE,
} from './device-message.js';
import { UnsupportedVersionError } from './unsupported-version-error.js';

/** The media type of a version-1 JSON device message. */
export const DEVICE_JSON_V1 = 'application/vnd.healthit.device+json;v=1';

/** The default bound on an encoded message, in bytes (256 KiB). */
export const DEFAULT_MAX_MESSAGE_BYTES = 256 * 1024;

/** Options of {@link createDeviceJsonCodec} and {@link decodeDeviceMessage}. */
export interface DeviceJsonOptions {
  /**
   * Larger payloads are rejected (`codec/decode`) before they are parsed: an integer >= 2.
   * Default {@link DEFAULT_MAX_MESSAGE_BYTES}.
   */
  readonly maxMessageBytes?: number;
  /** Where the bytes came from (e.g. the MQTT topic), named in validation errors. */
  readonly source?: string;
}

function maxBytesOf(options: DeviceJsonOptions): number {
  const max = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
  if (typeof max !== 'number') throw new TypeError(`maxMessageBytes must be a number, got ${typeof max}`);
  if (!Number.isSafeInteger(max) || max < 2) {
    throw new RangeError(`maxMessageBytes must be an integer >= 2, got ${max}`);
  }
  return max;
}

const SCHEMA_NAME = 'DeviceMessage';

/**
 * Validates a parsed JSON value as a device message of a supported version.
 *
 * @param json the parsed JSON;
 * @param source where it came from (a topic, a file), named in errors.
 * @throws {UnsupportedVersionError} when `v` is missing or not in {@link DEVICE_MESSAGE_VERSIONS};
 * @throws {ValidationError} when the message does not match its version's schema.
 * @example
 * ```ts
 * const msg = parseDeviceMessage(JSON.parse(text), 'devices/oxi-7/readings');
 * ```
 */
export function parseDeviceMessage(json: unknown, source?: string): DeviceMessage {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    const got = json === null ? 'null' : Array.isArray(json) ? 'an array' : typeof json;
    throw new ValidationError(
      SCHEMA_NAME,
      [{ path: '', code: 'invalid_type', message: `expected a JSON object, got ${got}` }],
      source === undefined ? {} : { source },
    );
  }
  const version = (json as { v?: unknown }).v;
  if (!(DEVICE_MESSAGE_VERSIONS as readonly unknown[]).includes(version)) {
    throw new UnsupportedVersionError(SCHEMA_NAME, 'v', version, DEVICE_MESSAGE_VERSIONS, source);
  }
  return parse(DeviceMessageV1, `${SCHEMA_NAME} v1`, json, source);
}

/**
 * Decodes the bytes of a device message (UTF-8 JSON), keeping every field, e.g. `batteryPct`.
 *
 * @throws {HealthItError} `codec/decode` when the bytes exceed the bound or are not UTF-8 JSON;
 * @throws {UnsupportedVersionError} when the version is missing or unsupported;
 * @throws {ValidationError} when the message does not match its schema.
 */
export function decodeDeviceMessage(bytes: Uint8Array, options: DeviceJsonOptions = {}): DeviceMessage {
  const maxBytes = maxBytesOf(options);
  if (bytes.byteLength > maxBytes) {
    throw new HealthItError(
      'codec/decode',
      `Device message of ${bytes.byteLength} bytes exceeds the bound of ${maxBytes} bytes` +
        `${options.source ? ` (from ${options.source})` : ''}; split it or raise maxMessageBytes`,
      { detail: { byteLength: bytes.byteLength, maxMessageBytes: maxBytes } },
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(utf8Decode(bytes));
  } catch (cause) {
    throw new HealthItError(
      'codec/decode',
      `Device message${options.source ? ` (from ${options.source})` : ''} is not UTF-8 JSON: ${(cause as Error).message}`,
      { cause, detail: { byteLength: bytes.byteLength } },
    );
  }
  return parseDeviceMessage(json, options.source);
}

/**
 * Turns a validated device message into core `Reading`s: measurement `i` gets `seq + i` and the
 * id `${deviceId}:${seq + i}`, the measurement's `ts` (else the message's), and its value converted
 * to the metric's canonical UCUM unit. Plausibility is not checked here (that is the gateway's job).
 *
 * @throws {ValidationError} when a converted value is not finite (e.g. 1e308 g/L as mg/dL).
 */
export function deviceMessageToReadings(message: DeviceMessage, source?: string): Reading[] {
  const readings: Reading[] = [];
  message.measurements.forEach((m, i) => {
    const seq = message.seq + i;
    const ts = (m.ts ?? message.ts) as number;
    const value = toCanonicalUnit(m.metric, m.value, m.unit);
    if (!Number.isFinite(value)) {
      throw new ValidationError(
        `${SCHEMA_NAME} v1`,
        [
          {
            path: `measurements.${i}.value`,
            code: 'too_big',
            message: `${m.value} ${m.unit} is not finite in ${METRICS[m.metric].unit}`,
          },
        ],
        source === undefined ? {} : { source },
      );
    }
    readings.push({
      id: readingId(message.deviceId, seq),
      deviceId: message.deviceId,
      ...(message.patientId === undefined ? {} : { patientId: message.patientId }),
      metric: m.metric,
      value,
      unit: METRICS[m.metric].unit,
      ts,
      seq,
      ...(m.quality === undefined ? {} : { quality: m.quality }),
    });
  });
  return readings;
}

function encodeError(message: string, detail: Record<string, unknown> = {}, cause?: unknown): HealthItError {
  return new HealthItError('codec/encode', message, { detail, ...(cause === undefined ? {} : { cause }) });
}

/** Options of {@link readingsToDeviceMessages}. */
export interface ReadingsToDeviceMessagesOptions {
  /** Device battery charge in percent (0–100) to put on every message. */
  readonly batteryPct?: number;
  /** At most this many measurements per message, 1 to {@link MAX_MEASUREMENTS_PER_MESSAGE} (the default). */
  readonly maxMeasurements?: number;
}

/**
 * Packs readings into as few version-1 device messages as the format allows, in order: a new
 * message starts when the device or patient changes, when `seq` is not the previous one + 1, or
 * when a message is full. Readings that share one `ts` put it on the message; otherwise each
 * measurement carries its own.
 *
 * The wire format has no reading ids: a reading can only be encoded when its id is
 * `${deviceId}:${seq}` (core's `readingId`), so that decoding gives it back unchanged.
 *
 * @throws {HealthItError} `codec/encode` when a reading is invalid or its id does not follow the convention.
 * @throws {RangeError} when `maxMeasurements` or `batteryPct` is out of range.
 * @example
 * ```ts
 * for (const msg of readingsToDeviceMessages(batch)) await transport.publish(topic, encodeDeviceMessage(msg));
 * ```
 */
export function readingsToDeviceMessages(
  readings: readonly Reading[],
  options: ReadingsToDeviceMessagesOptions = {},
): DeviceMessage[] {
  const max = options.maxMeasurements ?? MAX_MEASUREMENTS_PER_MESSAGE;
  if (!Number.isInteger(max) || max < 1 || max > MAX_MEASUREMENTS_PER_MESSAGE) {
    throw new RangeError(
      `maxMeasurements must be an integer from 1 to ${MAX_MEASUREMENTS_PER_MESSAGE}, got ${max}`,
    );
  }
  const battery = options.batteryPct;
  if (battery !== undefined && !(battery >= 0 && battery <= 100)) {
    throw new RangeError(`batteryPct must be a number from 0 to 100, got ${battery}`);
  }
  const groups: Reading[][] = [];
  let current: Reading[] = [];
  readings.forEach((input, i) => {
    const checked = Reading.safeParse(input);
    if (!checked.success) {
      throw encodeError(
        `Cannot encode readings[${i}] as a device message: ${checked.error.issues.map((x) => `${x.path.join('.') || '(root)'}: ${x.message}`).join('; ')}`,
        { index: i },
        checked.error,
      );
    }
    const r = checked.data;
    if (r.id !== readingId(r.deviceId, r.seq)) {
      throw encodeError(
        `Cannot encode readings[${i}] as a device message: its id "${r.id}" is not "${readingId(r.deviceId, r.seq)}"; ` +
          'device messages carry no ids, the decoder derives them from deviceId and seq',
        { index: i, id: r.id },
      );
    }
    const prev = current[current.length - 1];
    if (
      prev !== undefined &&
      (prev.deviceId !== r.deviceId ||
        prev.patientId !== r.patientId ||
        r.seq !== prev.seq + 1 ||
        current.length >= max)
    ) {
      groups.push(current);
      current = [];
    }
    current.push(r);
  });
  if (current.length > 0) groups.push(current);
  return groups.map((group) => toMessage(group, battery));
}

function toMessage(group: readonly Reading[], batteryPct: number | undefined): DeviceMessage {
  const first = group[0]!;
  const sharedTs = group.every((r) => r.ts === first.ts);
  const measurements: DeviceMeasurementV1[] = group.map((r) => ({
    metric: r.metric,
    value: r.value,
    unit: r.unit,
    ...(sharedTs ? {} : { ts: r.ts }),
    ...(r.quality === undefined ? {} : { quality: r.quality }),
  }));
  return {
    v: 1,
    deviceId: first.deviceId,
    ...(first.patientId === undefined ? {} : { patientId: first.patientId }),
    seq: first.seq,
    ...(sharedTs ? { ts: first.ts } : {}),
    measurements,
    ...(batteryPct === undefined ? {} : { batteryPct }),
  };
}

/**
 * Encodes one device message as UTF-8 JSON, validating it first.
 *
 * @throws {HealthItError} `codec/encode` when the message does not match its schema.
 */
export function encodeDeviceMessage(message: DeviceMessage): Uint8Array {
  const checked = DeviceMessageV1.safeParse(message);
  if (!checked.success) {
    throw encodeError(
      `Cannot encode the device message: ${checked.error.issues.map((x) => `${x.path.join('.') || '(root)'}: ${x.message}`).join('; ')}`,
      {},
      checked.error,
    );
  }
  return utf8Encode(JSON.stringify(checked.data));
}

/**
 * A core `Codec<Reading[]>` for version-1 JSON device messages (content type
 * {@link DEVICE_JSON_V1}), to register in the gateway's codec registry.
 *
 * - `decode(bytes)`: one message → its readings (canonical units, ids `${deviceId}:${seq + i}`);
 *   the battery level is not a reading: use {@link decodeDeviceMessage} to read it.
 * - `encode(readings)`: readings that form ONE message (same device and patient, consecutive `seq`,
 *   conventional ids) → its bytes; use {@link readingsToDeviceMessages} to split arbitrary batches.
 *
 * @throws {RangeError} when `maxMessageBytes` is not an integer >= 2.
 * @example
 * ```ts
 * const codec = createDeviceJsonCodec({ maxMessageBytes: 64 * 1024 });
 * const readings = codec.decode(message.payload); // Reading[]
 * ```
 */
export function createDeviceJsonCodec(options: DeviceJsonOptions = {}): Codec<Reading[]> {
  const maxMessageBytes = maxBytesOf(options);
  const decodeOptions = { ...options, maxMessageBytes };
  return Object.freeze({
    contentType: DEVICE_JSON_V1,
    decode(bytes: Uint8Array): Reading[] {
      return deviceMessageToReadings(decodeDeviceMessage(bytes, decodeOptions), options.source);
    },
    encode(readings: Reading[]): Uint8Array {
      if (readings.length === 0)
        throw encodeError('Cannot encode an empty list of readings as a device message');
      const messages = readingsToDeviceMessages(readings);
      if (messages.length !== 1) {
        throw encodeError(
          `These ${readings.length} readings need ${messages.length} device messages (a message holds one device's ` +
            `readings with consecutive seq, at most ${MAX_MEASUREMENTS_PER_MESSAGE}); split them with readingsToDeviceMessages`,
          { messages: messages.length },
        );
      }
      // Valid by construction: every reading was validated by readingsToDeviceMessages.
      const bytes = utf8Encode(JSON.stringify(messages[0]));
      if (bytes.byteLength > maxMessageBytes) {
        throw encodeError(
          `The encoded device message has ${bytes.byteLength} bytes, more than maxMessageBytes ${maxMessageBytes}`,
          { byteLength: bytes.byteLength, maxMessageBytes },
        );
      }
      return bytes;
    },
  });
}

/** The version-1 device message codec with default options. */
export const deviceJsonCodec: Codec<Reading[]> = createDeviceJsonCodec();
