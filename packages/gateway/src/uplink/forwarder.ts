import { isHealthItError } from '@healthit/core';
import { asyncScheduler, type Observable, type SchedulerLike, Subject, Subscription } from 'rxjs';
import type { Outbox } from './outbox.js';
import type { Uplink, UplinkState } from './uplink.js';

/** Exponential backoff between attempts while the uplink is down or acknowledges only part. */
export interface ForwarderRetryOptions {
  /** The first delay (default 100 ms). */
  readonly initialMs?: number;
  /** The largest delay (default 30 000 ms); each attempt without progress doubles the delay. */
  readonly maxMs?: number;
}

/** Options of {@link createForwarder}. */
export interface ForwarderOptions {
  /** Where records wait; caller-owned (never closed by the forwarder). */
  readonly outbox: Outbox;
  /** Where they go; caller-owned (never closed by the forwarder). */
  readonly uplink: Uplink;
  /** Records per send: pending alerts first, then the other records, each oldest first (default 500). */
  readonly batchSize?: number;
  /** Backoff between attempts that made no progress (default 100 ms doubling up to 30 000 ms). */
  readonly retry?: ForwarderRetryOptions;
  /**
   * How often an idle forwarder looks for new records (default 100 ms). Call
   * {@link Forwarder.wake} after an append to send at once instead.
   */
  readonly pollMs?: number;
  /** Runs every delay and tells the time (default `asyncScheduler`). */
  readonly scheduler?: SchedulerLike;
  /** The jitter source, in [0, 1) (default `Math.random`). */
  readonly random?: () => number;
}

/** A batch the uplink acknowledged (wholly or its first `count` records), now removed from the outbox. */
export interface ForwarderSent {
  /** Discriminant of {@link ForwarderEvent}: always `sent`. */
  readonly type: 'sent';
  /** How many records the uplink acknowledged (at least 1). */
  readonly count: number;
  /** How many of them were alerts (a batch starts with the pending alerts). */
  readonly alerts: number;
  /** The outbox position of the first acknowledged record, in send order. */
  readonly firstPosition: number;
  /**
   * The outbox position of the last acknowledged record, in send order (alerts first, so not
   * necessarily the highest position acknowledged).
   */
  readonly lastPosition: number;
}

/** A send that was not wholly acknowledged; the rest is sent again after `delayMs`. */
export interface ForwarderRetried {
  /** Discriminant of {@link ForwarderEvent}: always `retried`. */
  readonly type: 'retried';
  /** Attempts without progress so far (1 after a partial acknowledgement). */
  readonly attempt: number;
  /**
   * The wait before the next attempt, in ms: `initialMs · 2^(attempt − 1)` capped at `maxMs`, times
   * a random factor in [0.5, 1); at least 1. Cut short when the uplink comes up.
   */
  readonly delayMs: number;
  /** Records of the batch acknowledged by this send. */
  readonly acknowledged: number;
  /** Records of the batch to send again. */
  readonly unacknowledged: number;
  /** Present when the send rejected with a retryable error. */
  readonly error?: unknown;
}

/** The uplink's `state$` went down; `pending` records wait in the outbox. */
export interface ForwarderUplinkDown {
  /** Discriminant of {@link ForwarderEvent}: always `uplink-down`. */
  readonly type: 'uplink-down';
  /** Records waiting in the outbox (`outbox.stats().pending`; -1 if the outbox could not tell). */
  readonly pending: number;
}

/** The uplink's `state$` came back up; forwarding resumes at once. */
export interface ForwarderUplinkUp {
  /** Discriminant of {@link ForwarderEvent}: always `uplink-up`. */
  readonly type: 'uplink-up';
  /** Records waiting in the outbox (`outbox.stats().pending`; -1 if the outbox could not tell). */
  readonly pending: number;
  /** How long it was down, by the scheduler's clock. */
  readonly downForMs: number;
}

/**
 * The forwarder stopped on a permanent error (a closed uplink or outbox); nothing was lost —
 * unacknowledged records stay in the outbox.
 */
export interface ForwarderFailed {
  /** Discriminant of {@link ForwarderEvent}: always `failed`. */
  readonly type: 'failed';
  /** What stopped it: the uplink's permanent `HealthItError` or the outbox's error, as thrown. */
  readonly error: unknown;
}

/** What a forwarder reports on {@link Forwarder.events$}. */
export type ForwarderEvent =
  | ForwarderSent
  | ForwarderRetried
  | ForwarderUplinkDown
  | ForwarderUplinkUp
  | ForwarderFailed;

/** What a forwarder is doing. */
export type ForwarderState = 'stopped' | 'idle' | 'sending' | 'backing-off' | 'failed';

/** Counters of a forwarder. */
export interface ForwarderStats {
  /** What the forwarder is doing now. */
  readonly state: ForwarderState;
  /** The uplink's last known state. */
  readonly uplink: UplinkState;
  /** Records acknowledged by the uplink and removed from the outbox. */
  readonly sent: number;
  /** Sends made (each at most `batchSize` records). */
  readonly sends: number;
  /** Sends not wholly acknowledged (each followed by a retry). */
  readonly retries: number;
  /** The position of the last record acknowledged, in send order (0 before the first). */
  readonly lastAckedPosition: number;
}

/** Drains an {@link Outbox} into an {@link Uplink}; see {@link createForwarder}. */
export interface Forwarder {
  /** Starts forwarding (no-op when running). */
  start(): void;
  /** Stops after the send in flight, if any, settles (its acknowledgement is still applied). */
  stop(): Promise<void>;
  /** Sends at once if idle (call after appending) instead of waiting for the next poll. */
  wake(): void;
  /** Hot: events while subscribed. */
  readonly events$: Observable<ForwarderEvent>;
  /** The forwarder's state and counters now. */
  stats(): ForwarderStats;
}

function positiveInteger(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw new RangeError(`forwarder ${name} must be a positive integer, got ${String(value)}`);
  }
  return value;
}

/**
 * The store-and-forward loop: leases the next unacknowledged records from the outbox (at most
 * `batchSize`; `outbox.lease` hands out the pending alerts first, then the other records, each
 * oldest first), sends them, and acknowledges in the outbox exactly the records of the prefix the
 * uplink acknowledged. Exactly one batch is in flight at a time, so per-key order is kept within
 * each lane; an alert waits at most for the batch in flight, never behind the backlog of readings.
 * The batch is leased: the outbox never sheds it while the send is in flight, so a record the
 * uplink delivered is never counted as shed; what the uplink did not acknowledge is released (may
 * be shed again) until the next attempt. A record is removed from the outbox only after the uplink acknowledged
 * it, so delivery is at-least-once (a record is sent again only if it was not acknowledged — e.g. a
 * lost acknowledgement or a restart mid-send).
 *
 * When a send is not wholly acknowledged (uplink down, partial acknowledgement, retryable
 * error), the rest is sent again after an exponential backoff with jitter (`initialMs · 2ⁿ`,
 * capped at `maxMs`, times a random factor in [0.5, 1)); a partial acknowledgement resets the
 * backoff. When the uplink's `state$` goes up, the forwarder retries at once. A rejection with a
 * permanent `HealthItError` (closed uplink) or an outbox error stops it with a `failed` event;
 * any other rejection is retried.
 *
 * @throws {RangeError} for a non-positive `batchSize`, `pollMs`, or retry delays.
 *
 * @example
 * ```ts
 * const forwarder = createForwarder({ outbox, uplink, batchSize: 500, retry: { initialMs: 200, maxMs: 30_000 } });
 * forwarder.events$.subscribe((e) => log.info(e));
 * forwarder.start();
 * outbox.append(records); forwarder.wake();
 * await forwarder.stop();
 * ```
 */
export function createForwarder(options: ForwarderOptions): Forwarder {
  const { outbox, uplink } = options;
  const batchSize = positiveInteger('batchSize', options.batchSize ?? 500);
  const initialMs = positiveInteger('retry.initialMs', options.retry?.initialMs ?? 100);
  const maxMs = positiveInteger('retry.maxMs', options.retry?.maxMs ?? 30_000);
  if (maxMs < initialMs)
    throw new RangeError(`forwarder retry.maxMs (${maxMs}) is below initialMs (${initialMs})`);
  const pollMs = positiveInteger('pollMs', options.pollMs ?? 100);
  const scheduler = options.scheduler ?? asyncScheduler;
  const random = options.random ?? Math.random;

  const events$ = new Subject<ForwarderEvent>();
  // Interrupts a wait: 'wake' only an idle one, 'up' and 'stop' any.
  const signal$ = new Subject<'wake' | 'up' | 'stop'>();
  let state: ForwarderState = 'stopped';
  let uplinkState: UplinkState = 'up';
  let downSince = 0;
  let running = false;
  let woken = false;
  let cameUp = false;
  let loop: Promise<void> | undefined;
  let stateSub: Subscription | undefined;
  let sent = 0;
  let sends = 0;
  let retries = 0;
  let lastAckedPosition = 0;

  function pendingCount(): number {
    try {
      return outbox.stats().pending;
    } catch {
      return -1;
    }
  }

  function wait(ms: number, idle: boolean): Promise<void> {
    return new Promise((resolve) => {
      const sub = new Subscription();
      const done = () => {
        sub.unsubscribe();
        resolve();
      };
      sub.add(
        signal$.subscribe((s) => {
          if (s !== 'wake' || idle) done();
        }),
      );
      sub.add(scheduler.schedule(done, ms));
    });
  }

  function backoffMs(attempt: number): number {
    const base = Math.min(maxMs, initialMs * 2 ** Math.min(attempt - 1, 52));
    return Math.max(1, Math.round(base * (0.5 + random() * 0.5)));
  }

  function fail(error: unknown): void {
    try {
      outbox.release();
    } catch {
      // The outbox failed too: nothing to release.
    }
    running = false;
    state = 'failed';
    stateSub?.unsubscribe();
    stateSub = undefined;
    events$.next({ type: 'failed', error });
  }

  async function run(): Promise<void> {
    let attempt = 0;
    while (running) {
      let entries: ReturnType<Outbox['lease']>;
      try {
        entries = outbox.lease(batchSize);
      } catch (e) {
        fail(e);
        return;
      }
      if (entries.length === 0) {
        state = 'idle';
        if (!woken) await wait(pollMs, true);
        woken = false;
        continue;
      }
      state = 'sending';
      cameUp = false;
      sends++;
      let acked = 0;
      let error: unknown;
      let rejected = false;
      try {
        const n = await uplink.send(entries);
        acked = Number.isFinite(n) ? Math.min(entries.length, Math.max(0, Math.floor(n))) : 0;
      } catch (e) {
        error = e;
        rejected = true;
      }
      if (acked > 0) {
        const done = entries.slice(0, acked);
        const last = done[acked - 1]!.position;
        try {
          outbox.ack(done.map((e) => e.position));
        } catch (e) {
          fail(e);
          return;
        }
        sent += acked;
        lastAckedPosition = last;
        let alerts = 0;
        for (const e of done) if (e.kind === 'alert') alerts++;
        events$.next({
          type: 'sent',
          count: acked,
          alerts,
          firstPosition: done[0]!.position,
          lastPosition: last,
        });
      }
      if (rejected && isHealthItError(error) && !error.retryable) {
        fail(error);
        return;
      }
      if (acked === entries.length) {
        attempt = 0;
        continue;
      }
      try {
        // The rest is no longer in flight: the outbox may shed it while we back off.
        outbox.release();
      } catch (e) {
        fail(e);
        return;
      }
      attempt = acked > 0 ? 1 : attempt + 1;
      retries++;
      const delayMs = backoffMs(attempt);
      events$.next({
        type: 'retried',
        attempt,
        delayMs,
        acknowledged: acked,
        unacknowledged: entries.length - acked,
        ...(rejected ? { error } : {}),
      });
      if (!running) break;
      if (cameUp) {
        // The uplink came back during the send: retry at once.
        attempt = 0;
        continue;
      }
      state = 'backing-off';
      await wait(delayMs, false);
      if (cameUp) attempt = 0;
    }
  }

  function onUplinkState(s: UplinkState): void {
    const previous = uplinkState;
    uplinkState = s;
    if (s === 'down' && previous === 'up') {
      downSince = scheduler.now();
      events$.next({ type: 'uplink-down', pending: pendingCount() });
    } else if (s === 'up' && previous === 'down') {
      events$.next({ type: 'uplink-up', pending: pendingCount(), downForMs: scheduler.now() - downSince });
      cameUp = true;
      signal$.next('up');
    }
  }

  return {
    start(): void {
      if (running) return;
      running = true;
      woken = false;
      state = 'idle';
      uplinkState = 'up';
      stateSub = uplink.state$.subscribe({ next: onUplinkState });
      const previous = loop ?? Promise.resolve();
      loop = previous.then(run);
    },

    async stop(): Promise<void> {
      running = false;
      stateSub?.unsubscribe();
      stateSub = undefined;
      signal$.next('stop');
      await loop;
      if (state !== 'failed') state = 'stopped';
    },

    wake(): void {
      woken = true;
      signal$.next('wake');
    },

    events$: events$.asObservable(),

    stats(): ForwarderStats {
      return { state, uplink: uplinkState, sent, sends, retries, lastAckedPosition };
    },
  };
}
