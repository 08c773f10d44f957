import { AckPolicy, DeliverPolicy, JetStreamApiError, type JetStreamManager } from '@nats-io/jetstream';
import { nanos } from '@nats-io/transport-node';

/** The JetStream API error code of a request about a stream that does not exist. */
export const STREAM_NOT_FOUND = 10059;
/** The JetStream API error code of a request about a consumer that does not exist. */
export const CONSUMER_NOT_FOUND = 10014;

/** What {@link ensureConsumer} makes sure of. */
export interface ConsumerRequirements {
  /** The JetStream stream the consumer reads (the gateway's uplink stream, e.g. `HEALTHIT_WARD_A`). */
  readonly stream: string;
  /** The durable consumer's name; instances using the same name share its messages. */
  readonly durable: string;
  /** `<prefix>.<site>.>`. */
  readonly filterSubject: string;
  /** The consumer's `ack_wait` in ms (sent to JetStream in nanoseconds). */
  readonly ackWaitMs: number;
  /** The consumer's `max_ack_pending`: messages delivered and not yet acknowledged, at most. */
  readonly maxInFlight: number;
}

/** True for the error of a request about a stream that does not exist (yet). */
export function isStreamMissing(e: unknown): boolean {
  return e instanceof JetStreamApiError && e.code === STREAM_NOT_FOUND;
}

/**
 * Creates the durable pull consumer if it does not exist: explicit acknowledgement, every message
 * from the start of the stream, filtered on the site's subjects, `ack_wait` and `max_ack_pending`
 * as asked, unlimited redelivery (poison messages are terminated by the ingest, not dropped by a
 * delivery limit). An existing consumer keeps its position; only the filter, `ack_wait` and
 * `max_ack_pending` are updated when they differ.
 *
 * @throws the JetStream manager's errors (stream missing: `isStreamMissing`; no permission; no JetStream).
 */
export async function ensureConsumer(jsm: JetStreamManager, req: ConsumerRequirements): Promise<void> {
  const ackWait = nanos(req.ackWaitMs);
  let info: Awaited<ReturnType<JetStreamManager['consumers']['info']>>;
  try {
    info = await jsm.consumers.info(req.stream, req.durable);
  } catch (e) {
    if (!(e instanceof JetStreamApiError) || e.code !== CONSUMER_NOT_FOUND) throw e;
    await jsm.consumers.add(req.stream, {
      durable_name: req.durable,
      description: 'Health-IT platform ingest of gateway uplink records',
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
      filter_subject: req.filterSubject,
      ack_wait: ackWait,
      max_ack_pending: req.maxInFlight,
      max_deliver: -1,
    });
    return;
  }
  const c = info.config;
  if (
    c.filter_subject === req.filterSubject &&
    c.ack_wait === ackWait &&
    c.max_ack_pending === req.maxInFlight
  ) {
    return;
  }
  await jsm.consumers.update(req.stream, req.durable, {
    filter_subject: req.filterSubject,
    ack_wait: ackWait,
    max_ack_pending: req.maxInFlight,
  });
}
