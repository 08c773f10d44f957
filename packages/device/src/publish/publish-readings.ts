import {
  type Clock,
  createEnvelope,
  type DeviceId,
  type Envelope,
  envelopeJsonCodec,
  HealthItError,
  isHealthItError,
  type Reading,
  readingsJsonCodec,
  systemClock,
  Topics,
  type Transport,
} from '@healthit/core';
import { Observable, type OperatorFunction, type SchedulerLike } from 'rxjs';
import { batchReadingsByDevice, type ReadingBatch } from './batch-readings.js';

/** Options of {@link publishReadings}. */
export interface PublishReadingsOptions {
  /** Stamps each envelope's `ts` (when it was made). Default the system clock. */
  readonly clock?: Clock;
  /** MQTT QoS of every publish. Default 1 (at least once). */
  readonly qos?: 0 | 1 | 2;
  /**
   * The envelope `seq` of each device's first batch in a subscription: a safe integer >= 0.
   * Default 1. A device that restarts should continue above the last seq it used, since a
   * gateway rejects repeated sequence numbers as replays.
   */
  readonly firstSeq?: number;
  /** At most this many readings per envelope (see {@link batchReadingsByDevice}). Default 256. */
  readonly maxBatchSize?: number;
  /**
   * At most this many batches wait for the transport: an integer >= 1. When full, the OLDEST
   * waiting batch is dropped (the freshest vital signs matter most) and reported as a
   * `batch-dropped` event. Should be at least the number of devices publishing per tick.
   * Default 16 384.
   */
  readonly maxQueuedBatches?: number;
  /**
   * At most this many publishes in flight at once, never two of the same device (so each
   * device's envelopes go out in order): an integer >= 1. Default 16.
   */
  readonly maxInFlight?: number;
  /** Scheduler of the end-of-burst flush of batching (default `asapScheduler`). */
  readonly scheduler?: SchedulerLike;
  /**
   * Secures each envelope before it is published: e.g. seal it for the platform and sign it with
   * the device key, one signature per batch —
   * `(e) => signEnvelope(sealEnvelope(e, platform), deviceSigner)` (core's security module).
   * A throw makes the batch a `publish-failed` event.
   */
  readonly secure?: (envelope: Envelope, deviceId: DeviceId) => Envelope;
}

/** What happened to one batch of readings, emitted by {@link publishReadings}. */
export type PublishEvent =
  /** The transport accepted the envelope at the requested QoS. */
  | {
      /** Discriminates the event. */
      readonly type: 'published';
      /** The device whose readings the batch holds. */
      readonly deviceId: DeviceId;
      /** The topic it was published on, `Topics.deviceReadings(deviceId)`. */
      readonly topic: string;
      /** The envelope as published (after `secure`, when given), with its per-device `seq`. */
      readonly envelope: Envelope;
      /** The readings the envelope carries, in arrival order. */
      readonly readings: readonly Reading[];
    }
  /**
   * Encoding or publishing failed (e.g. `transport/closed`, `transport/disconnected`, or
   * `transport/publish-failed` wrapping a non-SDK error as `cause`). The batch is not retried;
   * `error.retryable` says whether publishing `envelope` again could succeed.
   */
  | {
      /** Discriminates the event. */
      readonly type: 'publish-failed';
      /** The device whose readings the batch holds. */
      readonly deviceId: DeviceId;
      /** The topic it was to be published on, `Topics.deviceReadings(deviceId)`. */
      readonly topic: string;
      /** The envelope that failed to publish (absent when it could not be made). */
      readonly envelope?: Envelope;
      /** The readings of the failed batch, in arrival order. */
      readonly readings: readonly Reading[];
      /** Why it failed; a non-SDK error is wrapped as `transport/publish-failed` with it as `cause`. */
      readonly error: HealthItError;
    }
  /** The queue was full and this batch, the oldest waiting, was dropped (`buffer/overflow`). */
  | {
      /** Discriminates the event. */
      readonly type: 'batch-dropped';
      /** The device whose readings the batch holds. */
      readonly deviceId: DeviceId;
      /** The readings of the dropped batch, in arrival order. */
      readonly readings: readonly Reading[];
      /** The `buffer/overflow` error that says so. */
      readonly error: HealthItError;
    };

function positiveInteger(value: number, what: string): number {
  if (!Number.isInteger(value) || value < 1)
    throw new RangeError(`${what} must be an integer >= 1, got ${value}`);
  return value;
}

function asHealthItError(e: unknown, topic: string, batch: ReadingBatch): HealthItError {
  if (isHealthItError(e)) return e;
  const message = e instanceof Error ? e.message : String(e);
  return new HealthItError(
    'transport/publish-failed',
    `Publishing ${batch.readings.length} readings of device "${batch.deviceId}" to "${topic}" failed: ${message}. ` +
      'The batch was not retried; check the transport connection.',
    { cause: e, detail: { topic, deviceId: batch.deviceId, readings: batch.readings.length } },
  );
}

/**
 * Publishes readings as a monitor does: groups each tick's readings per device into one batch
 * ({@link batchReadingsByDevice}), encodes it with core's `readingsJsonCodec`, wraps it in an
 * envelope (`createEnvelope`: source = device id, seq strictly increasing per device from
 * `firstSeq`, contentType `READINGS_JSON`, ts from `clock`) and publishes
 * `envelopeJsonCodec.encode(envelope)` on `Topics.deviceReadings(deviceId)` with QoS 1.
 *
 * The output is the outcome of every batch as a {@link PublishEvent}; per-batch failures
 * (`publish-failed`, `batch-dropped`) are values, so a failing transport never ends the stream.
 * Each device's envelopes are published in order, at most `maxInFlight` publishes at once; events
 * come in completion order. The stream completes when the source has completed and every batch is
 * settled, and errors only when the source errors (waiting batches are then abandoned).
 * Unsubscribing stops publishing; a publish already in flight finishes unobserved.
 *
 * @throws {RangeError} for an option out of range.
 * @example
 * ```ts
 * ward.readings$
 *   .pipe(publishReadings(transport))
 *   .subscribe((e) => { if (e.type !== 'published') console.warn(e.type, e.error.message); });
 * ```
 */
export function publishReadings(
  transport: Transport,
  options: PublishReadingsOptions = {},
): OperatorFunction<Reading, PublishEvent> {
  const clock = options.clock ?? systemClock;
  const qos = options.qos ?? 1;
  if (qos !== 0 && qos !== 1 && qos !== 2) throw new RangeError(`qos must be 0, 1 or 2, got ${String(qos)}`);
  const firstSeq = options.firstSeq ?? 1;
  if (!Number.isSafeInteger(firstSeq) || firstSeq < 0) {
    throw new RangeError(`firstSeq must be a safe integer >= 0, got ${firstSeq}`);
  }
  const maxQueued = positiveInteger(options.maxQueuedBatches ?? 16_384, 'maxQueuedBatches');
  const maxInFlight = positiveInteger(options.maxInFlight ?? 16, 'maxInFlight');
  const batching = batchReadingsByDevice({
    ...(options.maxBatchSize === undefined ? {} : { maxBatchSize: options.maxBatchSize }),
    ...(options.scheduler === undefined ? {} : { scheduler: options.scheduler }),
  });

  return (source) =>
    new Observable<PublishEvent>((subscriber) => {
      const queue: ReadingBatch[] = [];
      const busy = new Set<string>();
      const nextSeq = new Map<string, number>();
      let sourceDone = false;
      let stopped = false;

      async function publishOne(batch: ReadingBatch): Promise<PublishEvent> {
        const { deviceId, readings } = batch;
        const topic = Topics.deviceReadings(deviceId);
        const seq = nextSeq.get(deviceId) ?? firstSeq;
        nextSeq.set(deviceId, seq + 1);
        let envelope: Envelope | undefined;
        try {
          envelope = createEnvelope({
            source: deviceId,
            seq,
            ts: Math.floor(clock.now()),
            contentType: readingsJsonCodec.contentType,
            payload: readingsJsonCodec.encode([...readings]),
          });
          if (options.secure !== undefined) envelope = options.secure(envelope, deviceId);
          await transport.publish(topic, envelopeJsonCodec.encode(envelope), { qos });
          return { type: 'published', deviceId, topic, envelope, readings };
        } catch (e) {
          const error = asHealthItError(e, topic, batch);
          return envelope === undefined
            ? { type: 'publish-failed', deviceId, topic, readings, error }
            : { type: 'publish-failed', deviceId, topic, envelope, readings, error };
        }
      }

      function pump(): void {
        while (!stopped && busy.size < maxInFlight) {
          const index = queue.findIndex((b) => !busy.has(b.deviceId));
          if (index < 0) break;
          const [batch] = queue.splice(index, 1) as [ReadingBatch];
          busy.add(batch.deviceId);
          void publishOne(batch).then((event) => {
            busy.delete(batch.deviceId);
            if (stopped) return;
            subscriber.next(event);
            pump();
          });
        }
        if (!stopped && sourceDone && queue.length === 0 && busy.size === 0) subscriber.complete();
      }

      const subscription = source.pipe(batching).subscribe({
        next(batch) {
          if (queue.length >= maxQueued) {
            const dropped = queue.shift() as ReadingBatch;
            subscriber.next({
              type: 'batch-dropped',
              deviceId: dropped.deviceId,
              readings: dropped.readings,
              error: new HealthItError(
                'buffer/overflow',
                `The publish queue is full (${maxQueued} batches): dropped the oldest batch, ${dropped.readings.length} readings of device "${dropped.deviceId}" at ${dropped.ts}. ` +
                  'The transport is slower than the devices; raise maxQueuedBatches or maxInFlight, or check the transport.',
                { detail: { deviceId: dropped.deviceId, ts: dropped.ts, readings: dropped.readings.length } },
              ),
            });
          }
          queue.push(batch);
          pump();
        },
        error(e) {
          stopped = true;
          subscriber.error(e);
        },
        complete() {
          sourceDone = true;
          pump();
        },
      });
      return () => {
        stopped = true;
        subscription.unsubscribe();
      };
    });
}
