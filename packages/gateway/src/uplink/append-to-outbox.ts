import {
  asyncScheduler,
  Observable,
  type OperatorFunction,
  type SchedulerLike,
  type Subscription,
} from 'rxjs';
import { JournalSettler } from './journal-settlement.js';
import type { MessageJournal } from './message-journal.js';
import type { DroppedAlert, Outbox } from './outbox.js';
import type { UplinkRecord } from './uplink.js';

/** Options of {@link appendToOutbox}. */
export interface AppendToOutboxOptions {
  /** A batch is appended when it holds this many records (one `append` call per batch). */
  readonly maxBatch: number;
  /** ... or this many ms after its first record arrived, whichever is first. */
  readonly maxWaitMs: number;
  /** Runs the batch and retry timers (default `asyncScheduler`; tests pass a `TestScheduler`). */
  readonly scheduler?: SchedulerLike;
  /**
   * While records are held (the outbox refused them), they are appended again this often, ms
   * (default 100) — and before every new batch, which is appended after them in the same call.
   */
  readonly retryMs?: number;
  /**
   * Bound of the hold queue, in records (default 10 000; 0 drops every refused record at once).
   * When refused records would exceed it, the newest readings are dropped (then, only if no
   * reading is left to drop, the newest commands, command statuses and events); alerts never are.
   */
  readonly maxHeld?: number;
  /**
   * The outbox's message journal (`outbox.journal`, also given to the transport): each append
   * then settles, in its own transaction, the journaled messages whose records it stores — and
   * those that produced none — so a message the broker was told is delivered is either in the
   * journal or in the outbox, whenever the process dies. Records are tagged with the message
   * being delivered when they arrive: every step from the transport to this operator must be
   * synchronous (the gateway's pipeline, `readingBatchRecords`, `map` are). Use one
   * `appendToOutbox` per journal.
   */
  readonly journal?: MessageJournal;
}

/** One `append` call stored `count` records (held ones retried included). */
export interface OutboxAppendedEvent {
  /** Discriminant of {@link AppendToOutboxEvent}: always `appended`. */
  readonly type: 'appended';
  /** How many records the call stored (at least 1). */
  readonly count: number;
}

/**
 * The outbox refused these records (policy `refuse-new`, the outbox is full) on their first
 * attempt: they are now held and appended again, in order, every `retryMs`. Each record is
 * reported in at most one `refused` event, however often it is retried.
 */
export interface OutboxRefusedEvent {
  /** Discriminant of {@link AppendToOutboxEvent}: always `refused`. */
  readonly type: 'refused';
  /** The records refused for the first time, in order; they are now held. */
  readonly records: readonly UplinkRecord[];
}

/** The outbox deleted `count` older records to make room (policy `shed-oldest-readings`). */
export interface OutboxShedEvent {
  /** Discriminant of {@link AppendToOutboxEvent}: always `shed`. */
  readonly type: 'shed';
  /**
   * How many stored non-alert records the outbox deleted: readings first, then other non-alert
   * records, oldest first, never one in flight.
   */
  readonly count: number;
}

/**
 * The number of held records changed: `count` records wait for room in the outbox (0 once the
 * back-pressure is over).
 */
export interface OutboxHeldEvent {
  /** Discriminant of {@link AppendToOutboxEvent}: always `held`. */
  readonly type: 'held';
  /** How many records are held now, waiting for room (0 to `maxHeld`). */
  readonly count: number;
}

/**
 * These refused records were given up because holding them would exceed `maxHeld`: the newest
 * readings (never alerts). They were never stored.
 */
export interface OutboxDroppedEvent {
  /** Discriminant of {@link AppendToOutboxEvent}: always `dropped`. */
  readonly type: 'dropped';
  /** The records given up, never stored. */
  readonly records: readonly UplinkRecord[];
}

/**
 * The outbox gave up these alerts under its alert bound (`maxAlertBytes`): stored alerts deleted
 * because a newer alert of the same series at least as severe is pending (`superseded`) or to make
 * room for a more severe alert (`displaced`), and new alerts not stored because the bound is full
 * of alerts at least as severe (`no-room`). Log or page on it: these alerts will not reach the
 * platform.
 */
export interface OutboxAlertsDroppedEvent {
  /** Discriminant of {@link AppendToOutboxEvent}: always `alerts-dropped`. */
  readonly type: 'alerts-dropped';
  /** The alerts, each with its reason, in the order the outbox gave them up. */
  readonly alerts: readonly DroppedAlert[];
}

/**
 * What {@link appendToOutbox} reports; every record is counted in exactly one outcome: `appended`
 * (then possibly `shed`, or for an alert `alerts-dropped` as `superseded` / `displaced`), `dropped`,
 * or for an alert never stored `alerts-dropped` as `no-room`.
 */
export type AppendToOutboxEvent =
  | OutboxAppendedEvent
  | OutboxRefusedEvent
  | OutboxShedEvent
  | OutboxHeldEvent
  | OutboxDroppedEvent
  | OutboxAlertsDroppedEvent;

function integerAtLeast(name: string, value: unknown, min: number): number {
  if (typeof value !== 'number')
    throw new TypeError(`appendToOutbox ${name} must be a number, got ${typeof value}`);
  if (!Number.isSafeInteger(value) || value < min) {
    throw new RangeError(`appendToOutbox ${name} must be an integer >= ${min}, got ${value}`);
  }
  return value;
}

function positiveMs(name: string, value: unknown): number {
  if (typeof value !== 'number')
    throw new TypeError(`appendToOutbox ${name} must be a number, got ${typeof value}`);
  if (!Number.isFinite(value) || value <= 0) {
    throw new RangeError(`appendToOutbox ${name} must be a finite number > 0, got ${value}`);
  }
  return value;
}

/**
 * Journal bookkeeping after an append: which records left (stored or given up by the outbox's
 * policy), which were dropped, which are held; returns the tags of the held ones.
 */
function settle(
  settler: JournalSettler,
  settled: readonly number[],
  input: readonly UplinkRecord[],
  tags: readonly (number | undefined)[],
  refused: readonly UplinkRecord[],
  kept: readonly UplinkRecord[],
  dropped: readonly UplinkRecord[],
): (number | undefined)[] {
  const tagOf = new Map<UplinkRecord, number | undefined>();
  const refusedSet = new Set(refused);
  const stored: (number | undefined)[] = [];
  input.forEach((r, i) => {
    if (refusedSet.has(r)) tagOf.set(r, tags[i]);
    else stored.push(tags[i]);
  });
  settler.appended(
    settled,
    stored,
    dropped.map((r) => tagOf.get(r)),
  );
  return kept.map((r) => tagOf.get(r));
}

/**
 * Splits refused records into those kept (at most `maxHeld`, in order) and those dropped: the
 * newest readings first, then the newest other non-alert records; alerts are always kept.
 */
export function dropNewestOverBound(
  records: readonly UplinkRecord[],
  maxHeld: number,
): { readonly kept: readonly UplinkRecord[]; readonly dropped: readonly UplinkRecord[] } {
  let excess = records.length - maxHeld;
  if (excess <= 0) return { kept: records, dropped: [] };
  const drop = new Uint8Array(records.length);
  for (const readingsOnly of [true, false]) {
    for (let i = records.length - 1; i >= 0 && excess > 0; i--) {
      const kind = records[i]!.kind;
      if (
        drop[i] === 1 ||
        kind === 'alert' ||
        (readingsOnly && kind !== 'reading' && kind !== 'reading-batch')
      )
        continue;
      drop[i] = 1;
      excess--;
    }
  }
  const kept: UplinkRecord[] = [];
  const dropped: UplinkRecord[] = [];
  records.forEach((r, i) => {
    (drop[i] === 1 ? dropped : kept).push(r);
  });
  return { kept, dropped };
}

/**
 * The gateway's side of store-and-forward: micro-batches {@link UplinkRecord}s (an `append` costs
 * per call — one SQLite transaction — so batches of hundreds are ~20× cheaper per record than
 * single appends) and appends each batch to `outbox`, reporting what happened to every record.
 *
 * - A batch is appended when it holds `maxBatch` records or `maxWaitMs` after its first record,
 *   whichever is first; idle, no timer runs.
 * - Policy `refuse-new` ("block"): records the outbox refuses are held, in order, in a queue of
 *   at most `maxHeld` records, and appended again every `retryMs` — and first, in the same call,
 *   before each new batch, so a device's readings are never reordered. Alerts are never refused
 *   by an outbox, so they never wait behind held readings. Past `maxHeld`, the newest readings are
 *   dropped (`dropped`); alerts never are.
 * - Policy `shed-oldest-readings`: nothing is held; the outbox's shed count is reported (`shed`).
 * - Alerts the outbox gives up under its alert bound are reported (`alerts-dropped`, with the
 *   reason); they are not held or retried.
 * - Every record ends up counted once: `appended` (stored), `dropped`, or — an alert never stored
 *   — `alerts-dropped` with reason `no-room`; `refused` and `held` report the back-pressure on the
 *   way, `shed` and the other `alerts-dropped` what the outbox deleted later.
 * - When the source completes, the last batch is appended and held records are retried until the
 *   outbox takes them all (a running forwarder makes room), then the output completes; a source
 *   error is forwarded at the same point. Unsubscribing gives up held records (never stored).
 * - An outbox that throws (closed, disk failure) errors the output: records of that call were not
 *   stored.
 *
 * Wake the forwarder on `appended` so it sends at once instead of at its next poll.
 *
 * @throws {TypeError} / {RangeError} for an option of the wrong type or out of range.
 * @example
 * ```ts
 * merge(gateway.readings$.pipe(map(readingRecord)), gateway.alerts$.pipe(map(alertRecord)))
 *   .pipe(appendToOutbox(outbox, { maxBatch: 500, maxWaitMs: 50 }))
 *   .subscribe((e) => {
 *     if (e.type === 'appended') forwarder.wake();
 *     if (e.type === 'dropped') log.warn(`${e.records.length} readings dropped: outbox full`);
 *   });
 * ```
 */
export function appendToOutbox(
  outbox: Pick<Outbox, 'append'> & Partial<Pick<Outbox, 'journal'>>,
  options: AppendToOutboxOptions,
): OperatorFunction<UplinkRecord, AppendToOutboxEvent> {
  if (typeof outbox?.append !== 'function')
    throw new TypeError('appendToOutbox needs an Outbox with append()');
  const journal = options.journal;
  if (journal !== undefined && journal !== outbox.journal) {
    throw new TypeError(
      "appendToOutbox journal must be the outbox's own journal (outbox.journal): a message is settled in the append's transaction",
    );
  }
  const maxBatch = integerAtLeast('maxBatch', options.maxBatch, 1);
  const maxWaitMs = positiveMs('maxWaitMs', options.maxWaitMs);
  const retryMs = positiveMs('retryMs', options.retryMs ?? 100);
  const maxHeld = integerAtLeast('maxHeld', options.maxHeld ?? 10_000, 0);
  const scheduler = options.scheduler ?? asyncScheduler;

  return (source) =>
    new Observable<AppendToOutboxEvent>((subscriber) => {
      let batch: UplinkRecord[] = [];
      let held: readonly UplinkRecord[] = [];
      // With a journal: the message of each record of `batch` and of `held`, index for index.
      const settler = journal === undefined ? undefined : new JournalSettler(journal);
      let batchTags: (number | undefined)[] = [];
      let heldTags: readonly (number | undefined)[] = [];
      let batchTimer: Subscription | undefined;
      let retryTimer: Subscription | undefined;
      let ended: { readonly error?: unknown; readonly failed: boolean } | undefined;

      function finishIfDone(): void {
        if (ended === undefined || held.length > 0 || batch.length > 0) return;
        if (ended.failed) subscriber.error(ended.error);
        else subscriber.complete();
      }

      /** Appends held records, then `fresh`, in one call; holds what the outbox refuses. */
      function attempt(fresh: readonly UplinkRecord[], freshTags: readonly (number | undefined)[]): void {
        retryTimer?.unsubscribe();
        retryTimer = undefined;
        const before = held.length;
        const input = before === 0 ? fresh : held.concat(fresh);
        if (input.length === 0 && settler?.hasPending !== true) return;
        const tags = settler === undefined ? [] : before === 0 ? freshTags : heldTags.concat(freshTags);
        const settlement = settler?.plan(tags);
        let result: ReturnType<Outbox['append']>;
        try {
          result = settlement === undefined ? outbox.append(input) : outbox.append(input, settlement);
        } catch (error) {
          subscriber.error(error);
          return;
        }
        if (result.accepted > 0) subscriber.next({ type: 'appended', count: result.accepted });
        if (result.shed > 0) subscriber.next({ type: 'shed', count: result.shed });
        if (result.alertsDropped.length > 0) {
          subscriber.next({ type: 'alerts-dropped', alerts: result.alertsDropped });
        }
        const refused = result.refused;
        if (refused.length > 0) {
          // Refusal is monotone within a call (once one non-alert record is refused, every later
          // one is), so the newly refused records are the last ones of `refused`.
          let freshNonAlerts = 0;
          for (const r of fresh) if (r.kind !== 'alert') freshNonAlerts++;
          const newlyRefused = refused.slice(Math.max(0, refused.length - freshNonAlerts));
          if (newlyRefused.length > 0) subscriber.next({ type: 'refused', records: newlyRefused });
        }
        const { kept, dropped } = dropNewestOverBound(refused, maxHeld);
        if (dropped.length > 0) subscriber.next({ type: 'dropped', records: dropped });
        if (settler !== undefined) {
          heldTags = settle(settler, result.settled ?? [], input, tags, refused, kept, dropped);
        }
        held = kept;
        if (held.length !== before) subscriber.next({ type: 'held', count: held.length });
        if (held.length > 0) {
          retryTimer = scheduler.schedule(() => attempt([], []), retryMs);
        } else {
          finishIfDone();
        }
      }

      function flush(): void {
        batchTimer?.unsubscribe();
        batchTimer = undefined;
        const out = batch;
        const outTags = batchTags;
        batch = [];
        batchTags = [];
        attempt(out, outTags);
      }

      function end(state: { readonly error?: unknown; readonly failed: boolean }): void {
        ended = state;
        stopWatching?.();
        if (batch.length > 0 || settler?.hasPending === true) flush();
        finishIfDone();
      }

      // A delivery that produced no record still has to be settled: by the next append, at the
      // latest `maxWaitMs` later.
      const stopWatching = journal?.onDelivered(() => {
        batchTimer ??= scheduler.schedule(flush, maxWaitMs);
      });

      const reader = source.subscribe({
        next(record) {
          if (settler !== undefined) batchTags.push(settler.tag());
          batch.push(record);
          if (batch.length >= maxBatch) flush();
          else batchTimer ??= scheduler.schedule(flush, maxWaitMs);
        },
        error: (error: unknown) => end({ error, failed: true }),
        complete: () => end({ failed: false }),
      });

      return () => {
        stopWatching?.();
        reader.unsubscribe();
        batchTimer?.unsubscribe();
        retryTimer?.unsubscribe();
      };
    });
}
