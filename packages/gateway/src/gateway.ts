import {
  type Alert,
  type Clock,
  type Codec,
  type Reading,
  systemClock,
  Topics,
  type Transport,
} from '@healthit/core';
import { filter, map, merge, mergeMap, Observable, share } from 'rxjs';
import { createCodecRegistry } from './acquisition/codec-registry.js';
import { decodeReadingsMessage } from './acquisition/decode-message.js';
import type { GatewayEvent } from './events.js';
import { normaliseReading } from './preprocessing/normalise.js';
import { createSequenceGuard } from './preprocessing/sequence-guard.js';
import { type ThresholdRule, thresholdAlerts } from './rules/threshold.js';

/** Options of {@link createGateway}. */
export interface GatewayOptions {
  /** Where devices publish. */
  readonly transport: Transport;
  /** Topic filter to acquire from (default `devices/+/readings`). */
  readonly topicFilter?: string;
  /**
   * Which topic level holds the device id, for checking that a device speaks only for itself
   * (default 1, as in `devices/{deviceId}/readings`); `null` to skip the check.
   */
  readonly deviceIdTopicLevel?: number | null;
  /** Extra codecs by content type (the JSON readings codec is built in). */
  readonly codecs?: readonly Codec<Reading[]>[];
  /** Threshold rules raising alerts at the edge. */
  readonly rules?: readonly ThresholdRule[];
  /** Devices remembered for de-duplication (default 100 000; least recently heard forgotten first). */
  readonly maxDevices?: number;
  readonly clock?: Clock;
}

/** The gateway's outputs. All are cold and share one transport subscription while any is subscribed. */
export interface Gateway {
  /** Accepted readings: valid, from the device they name, in canonical units, plausible, not seen before. */
  readonly readings$: Observable<Reading>;
  /** Alerts raised at the edge by the rules. */
  readonly alerts$: Observable<Alert>;
  /** Everything refused, with the reason and the offending input. */
  readonly events$: Observable<GatewayEvent>;
}

type Output =
  | { readonly kind: 'reading'; readonly reading: Reading }
  | { readonly kind: 'event'; readonly event: GatewayEvent };

/**
 * The smart gateway's acquisition path: transport messages → envelopes → codec → readings →
 * unit normalisation and plausibility → de-duplication by (device, seq) → edge rules. Bad input
 * never stops it: each refusal is an event on `events$`.
 *
 * @example
 * ```ts
 * const gw = createGateway({ transport, rules: [{ id: 'spo2-low', metric: 'spo2', below: 92, severity: 'high' }] });
 * gw.alerts$.subscribe((a) => console.log(a.message));
 * ```
 */
export function createGateway(options: GatewayOptions): Gateway {
  const codecs = createCodecRegistry(options.codecs);
  const clock = options.clock ?? systemClock;
  const level = options.deviceIdTopicLevel === undefined ? 1 : options.deviceIdTopicLevel;
  const deviceFromTopic = (topic: string): string | undefined =>
    level === null ? undefined : topic.split('/')[level];
  const rules = options.rules ?? [];

  const output$: Observable<Output> = new Observable<Output>((subscriber) => {
    const guard = createSequenceGuard(options.maxDevices);
    return options.transport
      .subscribe(options.topicFilter ?? Topics.allDeviceReadings)
      .pipe(
        mergeMap((message) => {
          const decoded = decodeReadingsMessage(message, codecs, deviceFromTopic);
          const out: Output[] = decoded.events.map((event) => ({ kind: 'event', event }));
          for (const reading of decoded.readings) {
            const normalised = normaliseReading(reading);
            if (!normalised.ok) {
              out.push({
                kind: 'event',
                event: {
                  type: 'reading-rejected',
                  topic: message.topic,
                  readingId: reading.id,
                  error: normalised.error,
                  input: reading,
                },
              });
              continue;
            }
            const lastSeq = guard.check(reading.deviceId, reading.seq);
            if (lastSeq !== undefined) {
              out.push({
                kind: 'event',
                event: { type: 'reading-duplicate', topic: message.topic, readingId: reading.id, lastSeq },
              });
              continue;
            }
            out.push({ kind: 'reading', reading: normalised.reading });
          }
          return out;
        }),
      )
      .subscribe(subscriber);
  }).pipe(share());

  const readings$ = output$.pipe(
    filter((o): o is Extract<Output, { kind: 'reading' }> => o.kind === 'reading'),
    map((o) => o.reading),
    share(),
  );
  const events$ = output$.pipe(
    filter((o): o is Extract<Output, { kind: 'event' }> => o.kind === 'event'),
    map((o) => o.event),
  );
  const alerts$ = merge(...rules.map((rule) => readings$.pipe(thresholdAlerts(rule, clock))));

  return Object.freeze({ readings$, alerts$, events$ });
}
