import {
  type Alert,
  type AppendResult,
  decodeUplinkRecord,
  HealthItError,
  type Reading,
  UPLINK_HEADERS,
} from '@healthit/core';
import {
  type ConsumerMessages,
  JetStreamApiError,
  type JsMsg,
  jetstream,
  jetstreamManager,
} from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { type Observable, Subject } from 'rxjs';
import { appendWithRetry } from '../ingest/append-with-retry.js';
import { ensureConsumer, isStreamMissing } from './consumer.js';
import type { IngestedRecord, NatsIngestEvent, NatsIngestStats, NatsMessageRef } from './events.js';
import { messageRecord } from './message-record.js';
import { type NatsIngestOptions, resolveNatsIngestOptions } from './options.js';

/** How long `stop()` lets a drain of an owned connection take before it closes it outright. */
const DRAIN_GRACE_MS = 2_000;

/** Consumer notifications worth an event (the others are heartbeats and debugging). */
const NOTICES = new Set([
  'heartbeats_missed',
  'consumer_not_found',
  'stream_not_found',
  'consumer_deleted',
  'exceeded_limits',
  'no_responders',
]);

/** The NATS JetStream ingest: see {@link createNatsIngest}. */
export interface NatsIngest {
  /** For logs, e.g. `nats://127.0.0.1:4222 stream HEALTHIT_WARD_A consumer healthit-platform`. */
  readonly name: string;
  /** Hot: what happened to each batch and message, while subscribed. Completes after `stop()`. */
  readonly events$: Observable<NatsIngestEvent>;
  /** Hot: every alert received, once its message is about to be acknowledged (at least once: de-duplicate by `alert.id`). */
  readonly alerts$: Observable<Alert>;
  /** Hot: every alert, command and command-status record received (alerts too), as `alerts$`. */
  readonly records$: Observable<IngestedRecord>;
  /** Starts consuming (no-op when started or stopped). Subscribe to the streams first. */
  start(): void;
  /**
   * Drains and stops (idempotent): stops pulling, commits and acknowledges the messages already
   * received, negatively acknowledges what cannot be committed, closes an owned connection,
   * completes the streams.
   */
  stop(): Promise<void>;
  /** Counters since creation. */
  stats(): NatsIngestStats;
}

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message || e.constructor.name : String(e);
}

function asHealthItError(e: unknown): HealthItError {
  return e instanceof HealthItError
    ? e
    : new HealthItError('codec/decode', `Cannot decode an uplink record: ${messageOf(e)}`, { cause: e });
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

/** True when the server's version (`2.10.4`) is at least major.minor. */
function serverAtLeast(version: string | undefined, major: number, minor: number): boolean {
  const [a = 0, b = 0] = (version ?? '').split('.').map((t) => Number.parseInt(t, 10) || 0);
  return a > major || (a === major && b >= minor);
}

function ref(msg: JsMsg): NatsMessageRef {
  return {
    subject: msg.subject,
    streamSequence: msg.info.streamSequence,
    deliveryCount: msg.info.deliveryCount,
  };
}

/** One message that carries readings, and its readings. */
interface ReadingEntry {
  readonly msg: JsMsg;
  readonly readings: readonly Reading[];
}

/** One message that carries another record. */
interface RecordEntry {
  readonly msg: JsMsg;
  readonly record: IngestedRecord;
}

/**
 * Ingests a gateway site's uplink from NATS JetStream into a reading store, with a durable pull
 * consumer on the stream the gateway's `createNatsUplink` writes (`@healthit/gateway/nats`).
 *
 * - **Connection.** With `servers`, connects at once (rejects with the retryable
 *   `transport/disconnected` when no server answers) and reconnects forever; `stop()` closes it.
 *   With `connection`, uses the caller's and never closes it.
 * - **Consumer.** `start()` creates or updates the durable consumer `durable` on `stream`
 *   (explicit acks, from the start of the stream, filter `<prefix>.<site>.>`, `ack_wait` =
 *   `ackWaitMs`, `max_ack_pending` = `maxInFlight`); while the stream does not exist yet it
 *   retries (a `notice` event `stream-missing`). A deleted consumer is re-created. Several
 *   platform instances with the same `durable` share the messages.
 * - **Batches.** Messages are pulled (at most `maxInFlight` unacknowledged, at most
 *   `2 · maxBatch` buffered) and committed in batches of up to `maxBatch` messages, closed
 *   `maxWaitMs` after their first message. Each message becomes its record again (`Nats-Msg-Id`,
 *   `Healthit-Kind`, the key from the subject) and is decoded with core's `decodeUplinkRecord`.
 * - **Acknowledge after commit.** A batch's readings (from `reading` and `reading-batch` records)
 *   are appended to `store` in one call, retried with back-off while the error is retryable; only
 *   when the append resolves are their messages acknowledged (`committed` event). When it does not,
 *   nothing is acknowledged: the messages are negatively acknowledged with `redeliverDelayMs`
 *   (`store-failed` event) and come again. Alerts, commands and command statuses are emitted on
 *   `records$` (alerts also on `alerts$`) and acknowledged after `handleRecords` resolved (or at
 *   once without it); they never wait for the reading store.
 * - **Redelivery is idempotent.** A crash between commit and acknowledgement redelivers the
 *   messages after `ack_wait`; the store keeps one reading per id, so they count as `duplicates`
 *   (also when the gateway re-sent a record beyond the stream's duplicate window).
 * - **Poison.** A message that can never be ingested — no record id or kind header, another
 *   content type, a payload that does not decode or validate, a kind without decoder (`event`),
 *   or readings the store refuses permanently while the rest of their batch commits — is
 *   terminated (`term`: never redelivered), counted and reported as a `poison` event; it never
 *   blocks the consumer.
 *
 * @throws {TypeError} / {RangeError} for invalid options (see `resolveNatsIngestOptions`).
 * @throws {HealthItError} `transport/disconnected` (retryable) when `servers` are given and none answers.
 *
 * @example
 * ```ts
 * import { createPgliteReadingStore } from '@healthit/platform/pglite';
 * import { createNatsIngest } from '@healthit/platform/nats';
 *
 * const store = await createPgliteReadingStore({ dataDir: './data/readings' });
 * const ingest = await createNatsIngest({ servers: 'nats://127.0.0.1:4222', site: 'ward-a', store });
 * ingest.alerts$.subscribe((alert) => alertManager.raise(alert));
 * ingest.events$.subscribe((e) => e.type === 'poison' && log.warn(e.error.message));
 * ingest.start();
 * // ...
 * await ingest.stop();
 * ```
 */
export async function createNatsIngest(options: NatsIngestOptions): Promise<NatsIngest> {
  const o = resolveNatsIngestOptions(options);
  const where = o.servers?.join(',') ?? 'caller-owned connection';
  const name = `${where} stream ${o.stream} consumer ${o.durable}`;

  let nc: NatsConnection;
  if (o.connection !== undefined) {
    nc = o.connection;
  } else {
    try {
      nc = await connect({
        ...o.connectOptions,
        servers: [...(o.servers ?? [])],
        reconnect: true,
        maxReconnectAttempts: -1,
      });
    } catch (e) {
      throw new HealthItError(
        'transport/disconnected',
        `Cannot connect to NATS at ${where}: ${messageOf(e)}; check that the server runs and the connection options (TLS, credentials)`,
        { cause: e, detail: { servers: [...(o.servers ?? [])] } },
      );
    }
  }

  const events = new Subject<NatsIngestEvent>();
  const alerts = new Subject<Alert>();
  const records = new Subject<IngestedRecord>();
  const counts = {
    messages: 0,
    acknowledged: 0,
    redelivered: 0,
    inserted: 0,
    duplicates: 0,
    conflicts: 0,
    poison: 0,
    storeFailures: 0,
    records: 0,
  };
  const stopped = new AbortController();
  let started = false;
  let loop: Promise<void> = Promise.resolve();
  let messages: ConsumerMessages | undefined;
  let stopping: Promise<void> | undefined;

  const emit = (e: NatsIngestEvent): void => {
    if (!events.closed) events.next(e);
  };

  // Connection state as events (the client reconnects by itself).
  const status = nc.status();
  void (async () => {
    for await (const s of status) {
      if (s.type === 'disconnect') emit({ type: 'connection', state: 'down' });
      else if (s.type === 'reconnect') emit({ type: 'connection', state: 'up' });
    }
  })().catch(() => {});

  const termReasons = serverAtLeast(nc.info?.version, 2, 10);

  const ack = (msg: JsMsg): void => {
    try {
      msg.ack();
      // A closed connection drops the ack silently: the message comes again after ack_wait.
      if (!nc.isClosed()) counts.acknowledged += 1;
    } catch {
      // The connection is gone: the message is redelivered after ack_wait (idempotently).
    }
  };
  const nak = (msg: JsMsg): void => {
    try {
      msg.nak(o.redeliverDelayMs);
    } catch {
      // As above: redelivered after ack_wait.
    }
  };

  const poison = (
    msg: JsMsg,
    error: HealthItError,
    recordId: string | undefined,
    kind: string | undefined,
  ): void => {
    try {
      // A reason needs nats-server 2.10 (2.9 ignores a `+TERM` with one).
      if (termReasons) msg.term(error.message.slice(0, 200));
      else msg.term();
    } catch {
      // Not terminated: it comes again and is terminated then.
    }
    counts.poison += 1;
    emit({ type: 'poison', error, message: ref(msg), recordId, kind });
  };

  const retry = {
    maxAttempts: o.maxAttempts,
    retryBaseDelayMs: o.retryBaseDelayMs,
    retryMaxDelayMs: o.retryMaxDelayMs,
    signal: stopped.signal,
  };

  /** Acknowledges messages whose readings the store committed, and reports it. */
  const committed = (
    entries: readonly ReadingEntry[],
    result: AppendResult,
    readings: readonly Reading[],
  ): void => {
    for (const e of entries) ack(e.msg);
    counts.inserted += result.inserted;
    counts.duplicates += result.duplicates;
    counts.conflicts += result.conflicts.length;
    const redelivered = entries.filter((e) => e.msg.info.deliveryCount > 1).length;
    emit({ type: 'committed', result, readings, messages: entries.length, redelivered });
  };

  /** Negatively acknowledges messages the store did not commit (redelivered later), and reports it. */
  const failed = (entries: readonly ReadingEntry[], error: HealthItError, attempts: number): void => {
    for (const e of entries) nak(e.msg);
    counts.storeFailures += 1;
    emit({
      type: 'store-failed',
      error,
      readings: entries.reduce((n, e) => n + e.readings.length, 0),
      messages: entries.length,
      attempts,
    });
  };

  /** Appends the readings of `entries` in one call; acknowledges them only once it resolved. */
  const commitReadings = async (entries: readonly ReadingEntry[]): Promise<void> => {
    if (entries.length === 0) return;
    const seen = new Set<string>();
    const readings: Reading[] = [];
    let repeats = 0;
    for (const e of entries) {
      for (const r of e.readings) {
        if (seen.has(r.id)) repeats += 1;
        else {
          seen.add(r.id);
          readings.push(r);
        }
      }
    }
    const out = await appendWithRetry(o.store, readings, retry);
    if (out.ok) {
      committed(entries, { ...out.result, duplicates: out.result.duplicates + repeats }, readings);
      return;
    }
    // A permanent refusal of a batch of several messages: find the messages the store refuses
    // on their own. If none commits alone either, it is the store, not the messages.
    if (!out.error.retryable && entries.length > 1 && !stopped.signal.aborted) {
      const refused: { readonly entry: ReadingEntry; readonly error: HealthItError }[] = [];
      for (const e of entries) {
        const one = await appendWithRetry(o.store, e.readings, retry);
        if (one.ok) committed([e], one.result, e.readings);
        else refused.push({ entry: e, error: one.error });
      }
      if (refused.length < entries.length) {
        const again: typeof refused = [];
        for (const r of refused) {
          if (r.error.retryable) again.push(r);
          else {
            const h = r.entry.msg.headers;
            poison(
              r.entry.msg,
              r.error,
              h?.get(UPLINK_HEADERS.messageId) || undefined,
              h?.get(UPLINK_HEADERS.kind) || undefined,
            );
          }
        }
        if (again.length > 0)
          failed(
            again.map((r) => r.entry),
            (again[0] as (typeof again)[0]).error,
            out.attempts,
          );
        return;
      }
    }
    failed(entries, out.error, out.attempts);
  };

  /** Hands alerts, commands and statuses on; acknowledges them once handled. */
  const deliverRecords = async (entries: readonly RecordEntry[]): Promise<void> => {
    if (entries.length === 0) return;
    if (o.handleRecords !== undefined) {
      try {
        await o.handleRecords(entries.map((e) => e.record));
      } catch (error) {
        for (const e of entries) nak(e.msg);
        emit({ type: 'records-failed', error, records: entries.length });
        return;
      }
    }
    for (const e of entries) {
      counts.records += 1;
      if (e.record.type === 'alert' && !alerts.closed) alerts.next(e.record.alert);
      if (!records.closed) records.next(e.record);
      ack(e.msg);
    }
  };

  const processBatch = async (batch: readonly JsMsg[]): Promise<void> => {
    const readingEntries: ReadingEntry[] = [];
    const recordEntries: RecordEntry[] = [];
    for (const msg of batch) {
      counts.messages += 1;
      if (msg.info.deliveryCount > 1) counts.redelivered += 1;
      const mr = messageRecord(msg, o.contentTypes);
      if (!mr.ok) {
        poison(msg, mr.error, mr.recordId, mr.kind);
        continue;
      }
      let decoded: ReturnType<typeof decodeUplinkRecord>;
      try {
        decoded = decodeUplinkRecord(mr.record);
      } catch (e) {
        poison(msg, asHealthItError(e), mr.record.id, mr.record.kind);
        continue;
      }
      if (decoded.type === 'reading') readingEntries.push({ msg, readings: [decoded.reading] });
      else if (decoded.type === 'reading-batch') readingEntries.push({ msg, readings: decoded.readings });
      else recordEntries.push({ msg, record: decoded });
    }
    // Keep the batch's messages from being redelivered while the store works (retries included).
    const keepAlive = setInterval(
      () => {
        for (const e of [...readingEntries, ...recordEntries]) {
          try {
            e.msg.working();
          } catch {
            // connection gone
          }
        }
      },
      Math.max(250, Math.floor(o.ackWaitMs / 3)),
    );
    try {
      await Promise.all([commitReadings(readingEntries), deliverRecords(recordEntries)]);
    } finally {
      clearInterval(keepAlive);
    }
  };

  /** Creates the consumer, retrying while the stream is missing or the server does not answer. */
  const ensure = async (): Promise<boolean> => {
    let noticed = false;
    while (!stopped.signal.aborted) {
      try {
        const jsm = await jetstreamManager(nc);
        await ensureConsumer(jsm, o);
        return true;
      } catch (e) {
        const permanent =
          (e instanceof JetStreamApiError && !isStreamMissing(e)) ||
          (e instanceof Error && e.name === 'JetStreamNotEnabled') ||
          nc.isClosed();
        if (permanent) {
          emit({
            type: 'failed',
            error: new HealthItError(
              nc.isClosed() ? 'transport/closed' : 'config/invalid',
              `Cannot create the durable consumer ${o.durable} on stream ${o.stream} (${where}): ${messageOf(e)}; ` +
                'is JetStream enabled and may this user manage consumers?',
              { cause: e, detail: { stream: o.stream, durable: o.durable } },
            ),
          });
          return false;
        }
        if (!noticed) {
          noticed = true;
          emit({
            type: 'notice',
            notice: isStreamMissing(e) ? 'stream-missing' : 'consumer-unavailable',
            detail: { stream: o.stream, error: messageOf(e) },
          });
        }
        await sleep(o.retryMaxDelayMs, stopped.signal);
      }
    }
    return false;
  };

  const watchNotices = async (m: ConsumerMessages): Promise<void> => {
    let recreating = false;
    for await (const n of m.status()) {
      if (!NOTICES.has(n.type)) continue;
      emit({ type: 'notice', notice: n.type, detail: n });
      if ((n.type === 'consumer_deleted' || n.type === 'consumer_not_found') && !recreating) {
        recreating = true;
        void ensureConsumer(await jetstreamManager(nc), o)
          .catch(() => {})
          .finally(() => {
            recreating = false;
          });
      }
    }
  };

  const run = async (): Promise<void> => {
    if (!(await ensure())) return;
    const consumer = await jetstream(nc).consumers.get(o.stream, o.durable);
    if (stopped.signal.aborted) return;
    const m = await consumer.consume({ max_messages: Math.min(o.maxInFlight, 2 * o.maxBatch) });
    messages = m;
    if (stopped.signal.aborted) m.stop();
    void watchNotices(m).catch(() => {});
    const it = m[Symbol.asyncIterator]();
    let pending: Promise<IteratorResult<JsMsg>> | undefined;
    const next = (): Promise<IteratorResult<JsMsg>> => {
      pending ??= it.next();
      return pending;
    };
    let done = false;
    while (!done) {
      const first = await next();
      pending = undefined;
      if (first.done) break;
      const batch: JsMsg[] = [first.value];
      const deadline = Date.now() + o.maxWaitMs;
      while (batch.length < o.maxBatch) {
        const left = deadline - Date.now();
        if (left <= 0) break;
        let timer: ReturnType<typeof setTimeout> | undefined;
        const timeout = new Promise<'timeout'>((resolve) => {
          timer = setTimeout(resolve, left, 'timeout');
        });
        const r = await Promise.race([next(), timeout]);
        clearTimeout(timer);
        if (r === 'timeout') break;
        pending = undefined;
        if (r.done) {
          done = true;
          break;
        }
        batch.push(r.value);
      }
      await processBatch(batch);
    }
  };

  return {
    name,
    events$: events.asObservable(),
    alerts$: alerts.asObservable(),
    records$: records.asObservable(),

    start(): void {
      if (started || stopped.signal.aborted) return;
      started = true;
      loop = run().then(
        () => {
          if (!stopped.signal.aborted && nc.isClosed()) {
            emit({
              type: 'failed',
              error: new HealthItError(
                'transport/closed',
                `The NATS connection of the ingest ${name} was closed`,
                {
                  detail: { stream: o.stream, durable: o.durable },
                },
              ),
            });
          }
        },
        (e: unknown) => {
          emit({
            type: 'failed',
            error:
              e instanceof HealthItError
                ? e
                : new HealthItError(
                    nc.isClosed() ? 'transport/closed' : 'transport/disconnected',
                    `The NATS ingest ${name} stopped: ${messageOf(e)}`,
                    { cause: e, detail: { stream: o.stream, durable: o.durable } },
                  ),
          });
        },
      );
    },

    stop(): Promise<void> {
      stopping ??= (async () => {
        stopped.abort();
        messages?.stop();
        await loop;
        const s = status as { stop?: () => void };
        s.stop?.();
        if (o.connection === undefined && !nc.isClosed()) {
          // A drain needs the server; during an outage, close without it after a grace period.
          const drained = nc.drain().then(
            () => true,
            () => false,
          );
          const grace = new Promise<false>((resolve) => setTimeout(resolve, DRAIN_GRACE_MS, false).unref());
          if (!(await Promise.race([drained, grace]))) await nc.close().catch(() => {});
        }
        events.complete();
        alerts.complete();
        records.complete();
      })();
      return stopping;
    },

    stats(): NatsIngestStats {
      return { ...counts };
    },
  };
}
