import { HealthItError, utf8Decode } from '@healthit/core';
import { concatMap, from, type OperatorFunction } from 'rxjs';
import { isJsonObject, type JsonObject, type JsonValue, parseJsonText } from './json.js';
import type { CompiledContentTemplate, ContentTemplateSet, TemplateEvaluator } from './load.js';
import { formatTicks, requireTicks } from './time.js';

/** One named value of a measurement; values are strings, as in iomt-fhir. */
export interface MeasurementProperty {
  /** The template's `valueName`, e.g. `hr`. */
  readonly name: string;
  /** The selected value as text: a JSON string verbatim, a number or boolean in its JSON form. */
  readonly value: string;
}

/**
 * A normalised measurement, shaped and serialised like iomt-fhir's `Measurement`: absent ids are
 * left out, `occurrenceTimeUtc` is UTC ISO 8601 with up to 7 fractional digits (trailing zeros dropped).
 */
export interface NormalizedMeasurement {
  /** The measurement type: the content template's `typeName`. */
  readonly type: string;
  /** When it was measured: UTC ISO 8601 with up to 7 fractional digits, trailing zeros dropped. */
  readonly occurrenceTimeUtc: string;
  /** The device's id, from `deviceIdExpression` (or the IoT Hub connection device id). */
  readonly deviceId: string;
  /**
   * The patient's id from `patientIdExpression`; absent when the template has none or it selected
   * nothing.
   */
  readonly patientId?: string;
  /**
   * The encounter's id from `encounterIdExpression`; absent when the template has none or it
   * selected nothing.
   */
  readonly encounterId?: string;
  /**
   * The correlation id from `correlationIdExpression` (groups measurements for `periodInterval`
   * -1); absent when the template has none.
   */
  readonly correlationId?: string;
  /**
   * The values the template's `values` selected, in template order; optional ones that selected
   * nothing are left out.
   */
  readonly properties: readonly MeasurementProperty[];
}

/** A template that matched part of a message but could not make a measurement of it. */
export interface NormalizationError {
  /** Position of the template in the CollectionContent array (0 for a single template). */
  readonly templateIndex: number;
  /** The template's `typeName`. */
  readonly typeName: string;
  /**
   * Why (code `validation/invalid`), e.g. a required value the expressions did not find, or a
   * timestamp that is not ISO 8601.
   */
  readonly error: HealthItError;
}

/** What one message produced. */
export interface NormalizeResult {
  /** The measurements made, template by template in set order, token by token within a template. */
  readonly measurements: readonly NormalizedMeasurement[];
  /** The tokens (or templates) that made no measurement; the rest are still in `measurements`. */
  readonly errors: readonly NormalizationError[];
}

function scalarText(v: JsonValue, what: string): string | undefined {
  if (v === null) return undefined;
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  throw new HealthItError(
    'validation/invalid',
    `${what} is an ${Array.isArray(v) ? 'array' : 'object'}, not a single value`,
  );
}

function evaluate(
  exprs: readonly TemplateEvaluator[],
  data: JsonValue,
  name: string,
  required: boolean,
): string | undefined {
  const failures: string[] = [];
  for (const e of exprs) {
    const token = e.selectOne(data);
    if (token === undefined) continue;
    try {
      const text = scalarText(token, `[${name}] (${e.expression})`);
      if (text !== undefined) return text;
    } catch (err) {
      failures.push((err as Error).message);
    }
  }
  if (required) {
    const using = exprs.map((e) => e.expression).join(', ');
    throw new HealthItError(
      'validation/invalid',
      `Unable to extract required value for [${name}] using ${using}${failures.length > 0 ? `: ${failures.join('; ')}` : ''}`,
      { detail: { name, expressions: exprs.map((e) => e.expression), fields: exprs.map((e) => e.field) } },
    );
  }
  return undefined;
}

function measurementOf(t: CompiledContentTemplate, data: JsonValue): NormalizedMeasurement {
  const deviceId = evaluate(t.deviceId, data, 'DeviceIdExpression', true) as string;
  const time = evaluate(t.timestamp, data, 'TimestampExpression', true) as string;
  const occurrenceTimeUtc = formatTicks(requireTicks(time, 'TimestampExpression value'));
  const correlationId =
    t.correlationId === undefined
      ? undefined
      : evaluate([t.correlationId], data, 'CorrelationIdExpression', true);
  const patientId =
    t.patientId === undefined ? undefined : evaluate([t.patientId], data, 'PatientIdExpression', false);
  const encounterId =
    t.encounterId === undefined ? undefined : evaluate([t.encounterId], data, 'EncounterIdExpression', false);
  const properties: MeasurementProperty[] = [];
  for (const v of t.values) {
    const value = evaluate([v.expr], data, v.name, v.required);
    if (value !== undefined) properties.push({ name: v.name, value });
  }
  return {
    type: t.typeName,
    occurrenceTimeUtc,
    deviceId,
    ...(patientId === undefined ? {} : { patientId }),
    ...(encounterId === undefined ? {} : { encounterId }),
    ...(correlationId === undefined ? {} : { correlationId }),
    properties,
  };
}

function asHealthItError(e: unknown): HealthItError {
  if (e instanceof HealthItError) return e;
  return new HealthItError('validation/invalid', (e as Error).message ?? String(e), { cause: e });
}

/**
 * Runs a device-content template set over one device message, as iomt-fhir's normalisation stage
 * does: every template, in order, selects tokens with its `typeMatchExpression` and makes one
 * measurement per token. CalculatedContent expressions see the message with the token added as
 * `matchedToken`; JsonPathContent and IotJsonPathContent expressions see only the token.
 *
 * Unlike iomt-fhir, which drops the whole message when one token fails, a failing token is
 * reported in `errors` and the other measurements are kept.
 *
 * @example
 * ```ts
 * const { measurements, errors } = normalizeMessage(set, { heartRate: '78', endDate: '2023-03-13T22:46:01.875Z', deviceId: 'd1' });
 * ```
 */
export function normalizeMessage(set: ContentTemplateSet, message: JsonValue): NormalizeResult {
  const measurements: NormalizedMeasurement[] = [];
  const errors: NormalizationError[] = [];
  for (const t of set.templates) {
    try {
      if (t.scope === 'calculated' && !isJsonObject(message)) {
        throw new HealthItError(
          'validation/invalid',
          'a CalculatedContent template needs a JSON object message',
        );
      }
      for (const token of t.typeMatch.selectAll(message)) {
        const data: JsonValue =
          t.scope === 'calculated' ? { ...(message as JsonObject), matchedToken: token } : token;
        try {
          measurements.push(measurementOf(t, data));
        } catch (e) {
          errors.push({ templateIndex: t.index, typeName: t.typeName, error: asHealthItError(e) });
        }
      }
    } catch (e) {
      errors.push({ templateIndex: t.index, typeName: t.typeName, error: asHealthItError(e) });
    }
  }
  return { measurements, errors };
}

/** An Azure IoT Hub message as delivered to MedTech: body plus application and system properties. */
export interface IotHubMessageInit {
  /** The body: bytes or text of JSON, or an already-parsed value. */
  readonly body: Uint8Array | string | JsonValue;
  /** IoT Hub application properties, reachable as `$.Properties.*` (e.g. `iothub-creation-time-utc`). */
  readonly properties?: Readonly<Record<string, JsonValue>>;
  /**
   * IoT Hub system properties, reachable as `$.SystemProperties.*` (e.g.
   * `iothub-connection-device-id`, `iothub-enqueuedtime`).
   */
  readonly systemProperties?: Readonly<Record<string, JsonValue>>;
}

/**
 * Builds the `{ Body, Properties, SystemProperties }` object that IotJsonPathContent templates
 * (and CalculatedContent templates written for IoT Hub) are evaluated against.
 * @throws {HealthItError} `validation/invalid` when the body bytes are not JSON.
 */
export function iotHubMessage(init: IotHubMessageInit): JsonObject {
  const body =
    init.body instanceof Uint8Array
      ? parseJsonText(utf8Decode(init.body), 'IoT Hub message body')
      : typeof init.body === 'string'
        ? parseJsonText(init.body, 'IoT Hub message body')
        : init.body;
  return {
    Body: body,
    Properties: { ...(init.properties ?? {}) },
    SystemProperties: { ...(init.systemProperties ?? {}) },
  };
}

/** What {@link normalizeMessages} emits per input message. */
export type NormalizeEvent =
  | {
      /** A measurement was made. */
      readonly type: 'measurement';
      /** The measurement, as {@link normalizeMessage} makes it. */
      readonly measurement: NormalizedMeasurement;
    }
  | {
      /** A message, or one token of it, made no measurement. */
      readonly type: 'measurement-rejected';
      /** The template that failed; `undefined` when the message itself is not JSON. */
      readonly templateIndex: number | undefined;
      /** That template's `typeName`; `undefined` when the message itself is not JSON. */
      readonly typeName: string | undefined;
      /** Why (code `validation/invalid`). */
      readonly error: HealthItError;
      /** The input message as received. */
      readonly input: unknown;
    };

/**
 * RxJS operator: device messages (parsed JSON, or JSON text/bytes) in, measurements and typed
 * rejections out, in order. A bad message or token becomes a `measurement-rejected` event; the
 * stream never errors because of input.
 */
export function normalizeMessages(set: ContentTemplateSet): OperatorFunction<unknown, NormalizeEvent> {
  return concatMap((input: unknown) => {
    let message: JsonValue;
    try {
      message =
        input instanceof Uint8Array
          ? parseJsonText(utf8Decode(input))
          : typeof input === 'string'
            ? parseJsonText(input)
            : (input as JsonValue);
    } catch (e) {
      return from([
        {
          type: 'measurement-rejected',
          templateIndex: undefined,
          typeName: undefined,
          error: asHealthItError(e),
          input,
        } as const,
      ]);
    }
    const { measurements, errors } = normalizeMessage(set, message);
    const events: NormalizeEvent[] = [
      ...measurements.map((measurement) => ({ type: 'measurement', measurement }) as const),
      ...errors.map((e) => ({ type: 'measurement-rejected', ...e, input }) as const),
    ];
    return from(events);
  });
}
