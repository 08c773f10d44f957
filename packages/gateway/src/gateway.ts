import type { StandingOrder } from '@healthit/core';
import {
  type Alert,
  type ChannelDecoder,
  type Clock,
  type Codec,
  type Command,
  HealthItError,
  type Reading,
  systemClock,
  Topics,
  type Transport,
} from '@healthit/core';
import { merge, Observable, type SchedulerLike, share } from 'rxjs';
import { type CodecRegistry, createCodecRegistry } from './acquisition/codec-registry.js';
import {
  DEFAULT_INPUT_NAME,
  envelopeInput,
  type GatewayInput,
  type ResolvedInput,
  resolveInputs,
} from './acquisition/inputs.js';
import type { ReadingBatch } from './acquisition/reading-batch.js';
import { compileTopicPattern } from './acquisition/topic-pattern.js';
import { gatewayControl } from './control/gateway-control.js';
import type { ControlOverrideInput } from './control/override.js';
import type { ControlRuleSpec } from './control/spec.js';
import type { AcquisitionEvent, GatewayEvent, ReadingRateLimited } from './events.js';
import { normaliseReading } from './preprocessing/normalise.js';
import {
  createRateLimiter,
  type RateLimitOptions,
  type RateLimitState,
} from './preprocessing/rate-limiter.js';
import { createSequenceGuard, type SequenceGuard } from './preprocessing/sequence-guard.js';
import { type ThresholdRule, thresholdAlerts } from './rules/threshold.js';
import type { MessageAuthenticator } from './security/authenticator.js';

/** Options of {@link createGateway}. */
export interface GatewayOptions {
  /**
   * Where devices publish. Without `inputs`, the gateway has one envelope input on it, named
   * `default` (as before inputs existed); with `inputs`, the transport of inputs that name none.
   */
  readonly transport?: Transport;
  /**
   * Without `inputs`: the topic filter of the `default` input (default `devices/+/readings`).
   * Refused together with `inputs` (give each input its `topicFilter`).
   */
  readonly topicFilter?: string;
  /**
   * Without `inputs`: which topic level holds the device id, for checking that a device speaks
   * only for itself (default 1, as in `devices/{deviceId}/readings`); `null` to skip the check.
   * Refused together with `inputs` (name the level `{deviceId}` in the input's topic pattern).
   */
  readonly deviceIdTopicLevel?: number | null;
  /**
   * Where and how to acquire: each input subscribes to its topic pattern on its transport and
   * decodes with `"envelope"` (core envelopes, codec by content type) or a {@link ChannelDecoder}
   * (raw BLE GATT frames, HL7 v2 over MLLP, …). See `docs/gateway/acquisition.md`.
   */
  readonly inputs?: readonly GatewayInput[];
  /** Transports inputs may name. */
  readonly transports?: Readonly<Record<string, Transport>>;
  /** Channel decoders inputs may name (`envelope` is reserved). */
  readonly decoders?: Readonly<Record<string, ChannelDecoder>>;
  /** Extra codecs by content type for envelope inputs (the JSON readings codec is built in). */
  readonly codecs?: readonly Codec<Reading[]>[];
  /** Threshold rules raising alerts at the edge. */
  readonly rules?: readonly ThresholdRule[];
  /** Devices remembered for de-duplication (default 100 000; least recently heard forgotten first). */
  readonly maxDevices?: number;
  /**
   * Seqs remembered per device for de-duplication (default 1024; a multiple of 32 up to 65 536;
   * `window / 8` bytes per device): a reading whose `seq` is below the device's highest but inside
   * the window and not seen before is accepted (`reading-late`), a repeat is a `reading-duplicate`,
   * one `window` or more below the highest is refused as `reading-too-old`.
   */
  readonly sequenceWindow?: number;
  /**
   * Per-device admission control (default: none — every valid reading is admitted). A token bucket
   * per device: `readingsPerSecond` sustained, `burst` at once, `perDevice(deviceId)` to give a
   * device its own limit (`null`: unlimited; `undefined`: these defaults), `maxDevices` buckets
   * (default 100 000, least recently heard forgotten first: it returns with a full bucket). Time
   * is `clock`. A reading over its device's rate is dropped before de-duplication and counted in a
   * `reading-rate-limited` event (one per message and device); it reaches no output — not
   * `readings$`, the threshold rules nor the control loop — and is not remembered as seen. See
   * `docs/gateway/acquisition.md#rate-limiting-admission-control`.
   * @throws {TypeError} / {RangeError} (from `createGateway`) for an invalid limit or bound.
   */
  readonly rateLimit?: RateLimitOptions;
  /**
   * Time source (ms since the epoch) for the `receivedAt` given to channel decoders, threshold
   * alerts' `ts` and the control loop's commands and events. Default the system clock.
   */
  readonly clock?: Clock;
  /** The local sensor → rule → actuator loop; see {@link GatewayControlOptions}. */
  readonly control?: GatewayControlOptions;
  /**
   * Authenticates every envelope before it is decoded (e.g. `createMessageAuthenticator`: a
   * registered, active device, its signature, no replay, sealed envelopes opened). Refused messages
   * become `message-rejected` events with a `security/*` error. Applies to envelope inputs;
   * channel inputs (raw BLE frames, HL7 v2 over MLLP) carry no envelope: secure their transport.
   */
  readonly authenticate?: MessageAuthenticator;
}

/**
 * The gateway's local control loop (docs/gateway/control-loop.md): control rules turn readings into
 * actuator commands, published as JSON on `Topics.deviceCommands(deviceId)`; the actuators' JSON
 * statuses on `Topics.deviceCommandStatus('+')` close the loop. Needs no uplink.
 */
export interface GatewayControlOptions {
  /** Control rules: JSON text or values, validated with `parseControlRules`. */
  readonly rules: unknown;
  /** Where commands go and statuses come from. Default: the gateway's `transport`. */
  readonly transport?: Transport;
  /** Clinician overrides turning automatic control off and on per actuator or patient. */
  readonly overrides$?: Observable<ControlOverrideInput>;
  /** The ward of a reading's patient, for ward-scoped rules. */
  readonly wardOf?: (reading: Reading) => string | undefined;
  /** The actuator serving a series, for rules without a fixed `actuator.deviceId`. */
  readonly actuatorOf?: (series: string, rule: ControlRuleSpec, reading: Reading) => string | undefined;
  /** Actuators tracked at most (see `controlLoop`). */
  readonly maxActuators?: number;
  /** Runs command timeouts (default `asyncScheduler`). */
  readonly scheduler?: SchedulerLike;
  /**
   * Signs each command under the clinician's standing order for its device and action (core's
   * `issueStandingOrder`), with this gateway's key (the one the order names), so that actuators
   * checking `verifyCommandAuthorisation` accept it. A command no order covers goes out unsigned
   * (an actuator that requires authorisation rejects it, and the loop raises the alert).
   */
  readonly standingOrders?: {
    readonly orders: readonly StandingOrder[];
    readonly gatewaySecretKey: Uint8Array;
  };
}

/**
 * The gateway's outputs. All are cold and share one subscription per input while any is
 * subscribed.
 */
export interface Gateway {
  /** Accepted readings: valid, from the device they name, in canonical units, plausible, not seen before. */
  readonly readings$: Observable<Reading>;
  /**
   * The same readings, one {@link ReadingBatch} per transport message (messages with none accepted
   * are skipped): for batch consumers such as `readingBatchRecords` → outbox.
   */
  readonly readingBatches$: Observable<ReadingBatch>;
  /** Alerts raised at the edge by the rules, and by the control loop when a command fails or times out. */
  readonly alerts$: Observable<Alert>;
  /** Commands the control loop issued (each is also published to its actuator). Empty without `control`. */
  readonly commands$: Observable<Command>;
  /**
   * Everything refused, with the reason and the offending input; and, for observability, readings
   * accepted out of order (`reading-late`).
   */
  readonly events$: Observable<GatewayEvent>;
}

/** What one transport message turned into: its accepted readings and the events about the rest. */
interface MessageOutput {
  readonly readings: readonly Reading[];
  readonly events: readonly AcquisitionEvent[];
  /** The message's accepted readings as a batch (undefined when none was accepted). */
  readonly batch: ReadingBatch | undefined;
}

const NO_EVENTS: readonly AcquisitionEvent[] = [];
const NO_BATCHES: readonly ReadingBatch[] = [];

/** A {@link ReadingRateLimited} while its message is decoded. */
type MutableRateLimited = {
  -readonly [K in keyof ReadingRateLimited]: K extends 'readingIds' ? string[] : ReadingRateLimited[K];
};

/** The event of a reading the sequence guard refused. */
function refusal(
  verdict: 'duplicate' | 'too-old',
  guard: SequenceGuard,
  window: number,
  inputName: string,
  topic: string,
  reading: Reading,
): AcquisitionEvent {
  const lastSeq = guard.highestSeq(reading.deviceId) ?? reading.seq;
  return verdict === 'duplicate'
    ? { type: 'reading-duplicate', inputName, topic, readingId: reading.id, lastSeq }
    : { type: 'reading-too-old', inputName, topic, readingId: reading.id, seq: reading.seq, lastSeq, window };
}

/**
 * Emits each element of the array `pick` selects from every input value. Cheaper than
 * `mergeMap(array)`, which subscribes an inner Observable per value: the gateway's hot path.
 */
function flatten<T, R>(pick: (value: T) => readonly R[]): (source: Observable<T>) => Observable<R> {
  return (source) =>
    new Observable<R>((subscriber) =>
      source.subscribe({
        next(value) {
          for (const item of pick(value)) subscriber.next(item);
        },
        error: (err: unknown) => subscriber.error(err),
        complete: () => subscriber.complete(),
      }),
    );
}

function gatewayInputs(options: GatewayOptions): ResolvedInput[] {
  let registry: CodecRegistry | undefined;
  const codecs = (): CodecRegistry => {
    registry ??= createCodecRegistry(options.codecs);
    return registry;
  };
  if (options.inputs === undefined) {
    if (options.transport === undefined) {
      throw new HealthItError('config/invalid', 'createGateway needs a `transport` or `inputs`', {
        detail: {},
      });
    }
    const level = options.deviceIdTopicLevel === undefined ? 1 : options.deviceIdTopicLevel;
    const deviceFromTopic = (topic: string): string | undefined =>
      level === null ? undefined : topic.split('/')[level];
    const topic = compileTopicPattern(options.topicFilter ?? Topics.allDeviceReadings);
    return [
      envelopeInput(
        DEFAULT_INPUT_NAME,
        options.transport,
        topic,
        codecs(),
        deviceFromTopic,
        options.authenticate,
      ),
    ];
  }
  for (const legacy of ['topicFilter', 'deviceIdTopicLevel'] as const) {
    if (options[legacy] !== undefined) {
      throw new HealthItError(
        'config/invalid',
        `createGateway: \`${legacy}\` applies only without \`inputs\`; give each input its own topicFilter ` +
          '(name the device level `{deviceId}`)',
        { detail: { option: legacy } },
      );
    }
  }
  return resolveInputs(options.inputs, {
    transport: options.transport,
    transports: options.transports,
    decoders: options.decoders,
    codecs,
    authenticate: options.authenticate,
  });
}

/**
 * The smart gateway's acquisition path: for each input, transport messages → decoder (core
 * envelopes with a codec chosen by content type, or a channel decoder for raw BLE GATT frames,
 * HL7 v2 over MLLP, …) → readings → unit normalisation and plausibility → per-device rate limit
 * (with `rateLimit`) → de-duplication by (device, seq) in a sliding window, across all inputs →
 * edge rules. Bad input never stops it: each refusal is an event on `events$` naming the input and
 * the topic. A transport subscription that errors is fatal.
 *
 * @throws {ValidationError} / {HealthItError} `config/invalid` for invalid inputs (see
 *   `resolveInputs`), or neither `transport` nor `inputs`.
 * @throws {TypeError} / {RangeError} for an invalid `maxDevices`, `sequenceWindow` or `rateLimit`.
 * @example
 * ```ts
 * const gw = createGateway({ transport, rules: [{ id: 'spo2-low', metric: 'spo2', below: 92, severity: 'high' }] });
 * gw.alerts$.subscribe((a) => console.log(a.message));
 *
 * const multi = createGateway({
 *   transports: { mqtt, mllp },
 *   decoders: { gatt: gattChannelDecoder({ patients: { 'hr-1': 'P-1' } }), oru: oruChannelDecoder() },
 *   inputs: [
 *     { name: 'ble', transport: 'mqtt', topicFilter: 'ble/{deviceId}/{characteristic}', decoder: 'gatt' },
 *     { name: 'monitors', transport: 'mllp', topicFilter: 'mllp/#', decoder: 'oru' },
 *   ],
 * });
 * ```
 */
export function createGateway(options: GatewayOptions): Gateway {
  const inputs = gatewayInputs(options);
  const clock = options.clock ?? systemClock;
  const rules = options.rules ?? [];

  const guardOptions = {
    ...(options.maxDevices === undefined ? {} : { maxDevices: options.maxDevices }),
    ...(options.sequenceWindow === undefined ? {} : { window: options.sequenceWindow }),
  };
  const { window } = createSequenceGuard(guardOptions); // validate now, at the call site
  const rateLimit = options.rateLimit;
  if (rateLimit !== undefined) createRateLimiter(rateLimit);

  const output$: Observable<MessageOutput> = new Observable<MessageOutput>((subscriber) => {
    const guard = createSequenceGuard(guardOptions);
    const limiter = rateLimit === undefined ? undefined : createRateLimiter(rateLimit);
    let open = inputs.length;
    const subscriptions = inputs.map((input) =>
      input.transport.subscribe(input.topic.filter).subscribe({
        next(message) {
          const receivedAt = clock.now();
          const decoded = input.decode(message, receivedAt);
          let events: AcquisitionEvent[] | undefined =
            decoded.events.length === 0 ? undefined : [...decoded.events];
          const readings: Reading[] = [];
          // The device's JSON stays reusable while every reading is accepted as it came.
          let json = decoded.json;
          // The message's rate-limit event of the device being limited (one per message and device).
          let limited: MutableRateLimited | undefined;
          for (const reading of decoded.readings) {
            const normalised = normaliseReading(reading);
            if (!normalised.ok) {
              json = undefined;
              events ??= [];
              events.push({
                type: 'reading-rejected',
                inputName: input.name,
                topic: message.topic,
                readingId: reading.id,
                error: normalised.error,
                input: reading,
              });
              continue;
            }
            const { deviceId, seq } = normalised.reading;
            // Without a limiter, judge and record at once; with one, record only what it admits.
            const verdict = limiter === undefined ? guard.check(deviceId, seq) : guard.peek(deviceId, seq);
            if (verdict === 'duplicate' || verdict === 'too-old') {
              json = undefined;
              events ??= [];
              events.push(refusal(verdict, guard, window, input.name, message.topic, reading));
              continue;
            }
            if (limiter !== undefined) {
              let admitted: boolean;
              try {
                admitted = limiter.take(deviceId, receivedAt);
              } catch (err) {
                // An invalid limit from `perDevice`: a configuration error, fatal.
                subscriber.error(err);
                return;
              }
              if (!admitted) {
                json = undefined;
                if (limited === undefined || limited.deviceId !== deviceId) {
                  const state = limiter.state(deviceId) as RateLimitState;
                  limited = {
                    type: 'reading-rate-limited',
                    inputName: input.name,
                    topic: message.topic,
                    deviceId,
                    count: 0,
                    readingIds: [],
                    droppedTotal: 0,
                    readingsPerSecond: state.limit?.readingsPerSecond ?? 0,
                    burst: state.limit?.burst ?? 0,
                  };
                  events ??= [];
                  events.push(limited);
                }
                limited.count++;
                limited.readingIds.push(reading.id);
                limited.droppedTotal = (limiter.state(deviceId) as RateLimitState).dropped;
                continue;
              }
              guard.record(deviceId, seq);
            }
            if (verdict === 'late') {
              events ??= [];
              events.push({
                type: 'reading-late',
                inputName: input.name,
                topic: message.topic,
                readingId: reading.id,
                seq,
                lastSeq: guard.highestSeq(deviceId) ?? seq,
              });
            }
            if (normalised.reading !== reading) json = undefined;
            readings.push(normalised.reading);
          }
          const batch =
            readings.length === 0 ? undefined : json === undefined ? { readings } : { readings, json };
          subscriber.next({ readings, events: events ?? NO_EVENTS, batch });
        },
        error: (err: unknown) => subscriber.error(err),
        // Like `merge`: complete once every input has completed.
        complete: () => {
          open -= 1;
          if (open === 0) subscriber.complete();
        },
      }),
    );
    return () => {
      for (const s of subscriptions) s.unsubscribe();
    };
  }).pipe(share());

  const readings$ = output$.pipe(
    flatten((o) => o.readings),
    share(),
  );
  const events$ = output$.pipe(flatten((o) => o.events));
  const readingBatches$ = output$.pipe(flatten((o) => (o.batch === undefined ? NO_BATCHES : [o.batch])));
  const ruleAlerts = rules.map((rule) => readings$.pipe(thresholdAlerts(rule, clock)));
  if (options.control === undefined) {
    return Object.freeze({
      readings$,
      readingBatches$,
      alerts$: merge(...ruleAlerts),
      commands$: new Observable<Command>((subscriber) => subscriber.complete()),
      events$,
    });
  }
  const control = gatewayControl(options.control, readings$, options.transport, clock);
  return Object.freeze({
    readings$,
    readingBatches$,
    alerts$: merge(...ruleAlerts, control.alerts$),
    commands$: control.commands$,
    events$: merge(events$, control.events$),
  });
}
