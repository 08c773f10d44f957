import { HealthItError } from '@healthit/core';
import {
  JetStreamApiError,
  type JetStreamClient,
  type JetStreamPublishOptions,
  jetstream,
  jetstreamManager,
} from '@nats-io/jetstream';
import { connect, headers, InvalidArgumentError, type NatsConnection } from '@nats-io/transport-node';
import { BehaviorSubject } from 'rxjs';
import type { Uplink, UplinkRecord, UplinkState } from '../uplink/uplink.js';
import { type NatsUplinkOptions, resolveNatsUplinkOptions } from './options.js';
import { type PublishOutcome, publishPrefix } from './publish-prefix.js';
import { ensureStream } from './stream.js';
import { recordSubject } from './subject.js';

/** The JetStream API error code of a message larger than the stream's `max_msg_size`. */
const MESSAGE_EXCEEDS_MAXIMUM = 10054;
/** The JetStream API error code of a request about a stream that does not exist. */
const STREAM_NOT_FOUND = 10059;

/** How long `close()` lets a drain take before it closes the connection outright. */
const DRAIN_GRACE_MS = 2_000;

/** Header bytes we add at most, besides the key and kind (for the max-payload check). */
const HEADER_ALLOWANCE = 512;

/** True for the errors of a request to a stream that does not exist (any more). */
function isNoStream(e: unknown): boolean {
  if (e instanceof JetStreamApiError) return e.code === STREAM_NOT_FOUND;
  return e instanceof Error && e.name === 'JetStreamNotEnabled'; // no responders on the subject
}

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message || e.constructor.name : String(e);
}

function assertRecords(records: readonly UplinkRecord[]): void {
  if (!Array.isArray(records))
    throw new TypeError(`send needs an array of UplinkRecord, got ${typeof records}`);
  records.forEach((r: UplinkRecord | undefined, i) => {
    if (typeof r !== 'object' || r === null) throw new TypeError(`records[${i}] is not an UplinkRecord`);
    if (typeof r.id !== 'string' || r.id === '' || /[\r\n]/.test(r.id)) {
      throw new TypeError(`records[${i}].id must be a non-empty single-line string`);
    }
    const kind: unknown = r.kind;
    if (typeof kind !== 'string' || kind === '' || /[\r\n]/.test(kind)) {
      throw new TypeError(`records[${i}].kind must be a non-empty single-line string`);
    }
    if (typeof r.key !== 'string') throw new TypeError(`records[${i}].key must be a string`);
    if (!(r.payload instanceof Uint8Array)) throw new TypeError(`records[${i}].payload must be a Uint8Array`);
  });
}

/**
 * An {@link Uplink} to NATS JetStream: a stream per site, de-duplication by record id, pipelined
 * publishes whose acknowledgements drive the outbox.
 *
 * - **Connection.** Connects at once (rejects with the retryable `transport/disconnected` when no
 *   server answers), then reconnects forever. `state$` is `'up'` while connected and `'down'` from
 *   a disconnect until the reconnect; it completes after `close()`.
 * - **Stream.** Ensures the stream (default `HEALTHIT_<SITE>`, file storage, subjects
 *   `<prefix>.<site>.>`, duplicate window `duplicateWindowMs`) exists, creating it or adding the
 *   subjects/window to an existing one; it is re-ensured after a publish finds no stream.
 * - **Publishing.** Each record goes to `<prefix>.<site>.<kind>.<key token>` (see `subjectToken`)
 *   with `Nats-Msg-Id` = `record.id`, `Content-Type` and `Healthit-Kind` headers. Up to
 *   `maxAckPendingPublishes` publishes await their acknowledgement at once; every record but the
 *   first of a `send` also carries `Nats-Expected-Last-Msg-Id` = the previous record's id, so the
 *   server stores a record only right after its predecessor: a record lost in a dropped
 *   connection can never be overtaken by the ones pipelined behind it, and the stream keeps the
 *   outbox's order. `send` resolves with the acknowledged prefix (a duplicate acknowledgement
 *   counts); it returns `0` at once while `'down'` and returns early when the connection drops.
 *   After creation and every reconnect, the first `send` looks up the stream's last message: the
 *   records of the batch up to it were stored although their acknowledgements were lost, and are
 *   counted as acknowledged without being published again, however long the outage lasted.
 *   Requires one writer per stream (one gateway per site).
 * - **Errors.** Unavailability never rejects. `send` rejects with `transport/closed` after
 *   `close()`, a `TypeError` for malformed records, and the permanent `validation/invalid` when the
 *   first record is larger than the server accepts (`detail.id`): the caller must set it aside.
 *   A too-large record later in the batch ends the batch before it.
 * - **`close()`** (idempotent) lets the sends already made finish, drains the connection (closes
 *   it outright if the drain takes over 2 s, e.g. during an outage), emits `'down'` and completes
 *   `state$`.
 *
 * @throws {TypeError} / {RangeError} for invalid options (see `resolveNatsUplinkOptions`).
 * @throws {HealthItError} `transport/disconnected` (retryable) when no server answers the first
 *   connection or the stream request in time; `config/invalid` when the stream cannot be created (JetStream disabled, no permission,
 *   overlapping subjects of another stream).
 *
 * @example
 * ```ts
 * import { createNatsUplink } from '@healthit/gateway/nats';
 *
 * const uplink = await createNatsUplink({ servers: 'nats://127.0.0.1:4222', site: 'ward-a' });
 * const entries = outbox.lease(500); // alerts first; in flight: never shed
 * const acknowledged = await uplink.send(entries); // the prefix stored in JetStream
 * outbox.ack(entries.slice(0, acknowledged).map((e) => e.position));
 * if (acknowledged < entries.length) outbox.release();
 * await uplink.close();
 * ```
 */
export async function createNatsUplink(options: NatsUplinkOptions): Promise<Uplink> {
  const o = resolveNatsUplinkOptions(options);
  const where = o.servers.join(',');
  const name = `${where} stream ${o.stream}`;
  const subjects = `${o.subjectPrefix}.${o.site}.>`;
  const requirements = { stream: o.stream, subjects, duplicateWindowMs: o.duplicateWindowMs };

  let nc: NatsConnection;
  try {
    nc = await connect({
      ...o.connectOptions,
      servers: [...o.servers],
      reconnect: true,
      maxReconnectAttempts: -1,
    });
  } catch (e) {
    throw new HealthItError(
      'transport/disconnected',
      `Cannot connect to NATS at ${where}: ${messageOf(e)}; check that the server runs and the connection options (TLS, credentials)`,
      { cause: e, detail: { servers: [...o.servers] } },
    );
  }

  const state$ = new BehaviorSubject<UplinkState>('up');
  /** Aborted when the connection drops: sends in progress return at once. */
  let dropped = new AbortController();
  let ensureNeeded = false;
  /** Set on creation and after every reconnect: look up where the stream ends before sending. */
  let resumeCheckNeeded = true;
  let closed = false;
  let closing: Promise<void> | undefined;
  /** Sends run one after another, so records keep their order across calls. */
  let tail: Promise<unknown> = Promise.resolve();

  const setState = (s: UplinkState): void => {
    if (!state$.closed && state$.getValue() !== s) state$.next(s);
  };

  void (async () => {
    for await (const s of nc.status()) {
      if (s.type === 'disconnect' || s.type === 'staleConnection' || s.type === 'close') {
        dropped.abort();
        setState('down');
      } else if (s.type === 'reconnect') {
        dropped = new AbortController();
        resumeCheckNeeded = true;
        setState('up');
      }
    }
  })().catch(() => {});
  void nc.closed().then(() => {
    dropped.abort();
    setState('down');
  });

  let js: JetStreamClient;
  const ensure = async (): Promise<void> => {
    await ensureStream(await jetstreamManager(nc, { timeout: o.publishTimeoutMs }), requirements);
  };
  try {
    await ensure();
    js = jetstream(nc, { timeout: o.publishTimeoutMs });
  } catch (e) {
    closed = true;
    await nc.close().catch(() => {});
    // No JetStream or a refusal by the server is a configuration problem; a time-out or a lost
    // connection is not.
    const refused =
      e instanceof JetStreamApiError || (e instanceof Error && e.name === 'JetStreamNotEnabled');
    if (!refused) {
      throw new HealthItError(
        'transport/disconnected',
        `NATS at ${where} did not answer while ensuring the stream ${o.stream}: ${messageOf(e)}; retry later`,
        { cause: e, detail: { stream: o.stream, subjects } },
      );
    }
    throw new HealthItError(
      'config/invalid',
      `Cannot create or update the JetStream stream ${o.stream} (subjects ${subjects}) on ${where}: ${messageOf(e)}; ` +
        'is JetStream enabled (nats-server -js) and may this user manage streams?',
      { cause: e, detail: { stream: o.stream, subjects } },
    );
  }

  const maxPayload = (): number => (nc.info?.max_payload ?? Number.POSITIVE_INFINITY) - HEADER_ALLOWANCE;

  const classify = (e: unknown): PublishOutcome => {
    if (e instanceof JetStreamApiError) {
      if (e.code === MESSAGE_EXCEEDS_MAXIMUM) return { type: 'permanent', error: e };
      return { type: 'unavailable', error: e }; // 10070 wrong last msg id: a predecessor is missing
    }
    if (e instanceof InvalidArgumentError) return { type: 'permanent', error: e };
    if (isNoStream(e)) ensureNeeded = true;
    return { type: 'unavailable', error: e };
  };

  /** The `Nats-Msg-Id` of the stream's last message (undefined when empty). */
  const lastStoredId = async (): Promise<string | undefined> => {
    const jsm = await jetstreamManager(nc, { timeout: o.publishTimeoutMs });
    const info = await jsm.streams.info(o.stream);
    if (info.state.messages === 0) return undefined;
    const last = await jsm.streams.getMessage(o.stream, { seq: info.state.last_seq });
    return last?.header?.get('Nats-Msg-Id') || undefined;
  };

  /** Publishes one record; with `previousId`, only if the stream's last message is that record. */
  const publishOne = (r: UplinkRecord, previousId: string | undefined): Promise<PublishOutcome> => {
    const h = headers();
    h.set('Content-Type', o.contentType);
    h.set('Healthit-Kind', r.kind);
    const opts: Partial<JetStreamPublishOptions> = {
      msgID: r.id,
      headers: h,
      timeout: o.publishTimeoutMs,
      ...(previousId === undefined ? {} : { expect: { lastMsgID: previousId } }),
    };
    return js
      .publish(recordSubject(o.subjectPrefix, o.site, r.kind, r.key), r.payload, opts)
      .then((): PublishOutcome => ({ type: 'acknowledged' }), classify);
  };

  const tooLarge = (r: UplinkRecord, cause?: unknown): HealthItError =>
    new HealthItError(
      'validation/invalid',
      `Record ${r.id} (${r.kind}, ${r.payload.byteLength} bytes) is larger than the NATS server or stream ${o.stream} accepts; ` +
        'it can never be sent: set it aside (dead-letter) or raise max_payload / max_msg_size',
      { cause, detail: { id: r.id, kind: r.kind, bytes: r.payload.byteLength } },
    );

  const sendNow = async (records: readonly UplinkRecord[]): Promise<number> => {
    if (state$.getValue() !== 'up') return 0;
    const limit = maxPayload();
    const oversized = records.findIndex(
      (r) => r.payload.byteLength + r.key.length * 3 + r.kind.length > limit,
    );
    if (oversized === 0) throw tooLarge(records[0] as UplinkRecord);
    const batch = oversized > 0 ? records.slice(0, oversized) : records;
    const signal = dropped.signal;
    try {
      if (ensureNeeded) {
        await ensure();
        ensureNeeded = false;
      }
    } catch {
      return 0;
    }
    // After a (re)connect, records up to the stream's last message were stored even if their
    // acknowledgements were lost: count them without publishing, whatever the duplicate window.
    let skip = 0;
    if (resumeCheckNeeded) {
      let lastId: string | undefined;
      try {
        lastId = await lastStoredId().catch(async (e: unknown) => {
          if (!isNoStream(e)) throw e;
          await ensure(); // the server lost the stream (a restart with an empty store)
          return lastStoredId();
        });
      } catch {
        return 0;
      }
      resumeCheckNeeded = false;
      if (lastId !== undefined) skip = batch.findIndex((r) => r.id === lastId) + 1;
    }
    const rest = skip === 0 ? batch : batch.slice(skip);
    const result = await publishPrefix(
      rest.length,
      o.maxAckPendingPublishes,
      (i) => publishOne(rest[i] as UplinkRecord, (i === 0 ? batch[skip - 1] : rest[i - 1])?.id),
      signal,
    );
    if (result.permanent !== undefined && skip + result.acknowledged === 0) {
      throw tooLarge(batch[0] as UplinkRecord, result.permanent.error);
    }
    return skip + result.acknowledged;
  };

  return {
    name,
    state$: state$.asObservable(),

    send(records: readonly UplinkRecord[]): Promise<number> {
      if (closed) {
        return Promise.reject(
          new HealthItError('transport/closed', `Cannot send: the NATS uplink ${name} is closed`, {
            detail: { stream: o.stream },
          }),
        );
      }
      try {
        assertRecords(records);
      } catch (e) {
        return Promise.reject(e);
      }
      if (records.length === 0) return Promise.resolve(0);
      const run = tail.then(() => sendNow(records));
      tail = run.catch(() => {});
      return run;
    },

    close(): Promise<void> {
      closing ??= (async () => {
        closed = true;
        await tail;
        // A drain needs the server; during an outage, close without it after a grace period.
        const drained = nc.drain().then(
          () => true,
          () => false,
        );
        const grace = new Promise<false>((resolve) => setTimeout(resolve, DRAIN_GRACE_MS, false).unref());
        if (!(await Promise.race([drained, grace]))) await nc.close().catch(() => {});
        setState('down');
        state$.complete();
      })();
      return closing;
    },
  };
}
