import { HealthItError } from '@healthit/core';
import {
  asyncScheduler,
  BehaviorSubject,
  distinctUntilChanged,
  type Observable,
  type SchedulerLike,
  Subject,
} from 'rxjs';
import type { Uplink, UplinkRecord, UplinkState } from './uplink.js';

/** Options of {@link createInProcessUplink}. */
export interface InProcessUplinkOptions {
  /** For logs and events (default `in-process`). */
  readonly name?: string;
  /**
   * At most this many records are delivered and acknowledged per send (default: all); the rest
   * of the batch is reported unacknowledged, as a far side with a batch limit would.
   */
  readonly maxRecordsPerSend?: number;
  /**
   * Records are delivered at once, and the acknowledgement arrives after this delay (default 0:
   * at once). If the uplink goes down or is closed meanwhile, the acknowledgement is lost (0).
   */
  readonly ackDelayMs?: number;
  /** Runs `ackDelayMs` (default `asyncScheduler`). */
  readonly scheduler?: SchedulerLike;
}

/** The in-process {@link Uplink}, with the receiving side and switches for tests and demos. */
export interface InProcessUplink extends Uplink {
  /**
   * Hot: every record delivered, in send order — redeliveries included (at-least-once). Pipe
   * through {@link dedupeRecords} to drop redeliveries.
   */
  readonly received$: Observable<UplinkRecord>;
  /** Takes the uplink down (sends deliver nothing and resolve 0) or back up. */
  setState(state: UplinkState): void;
  /**
   * The next `sends` sends deliver their records but report none acknowledged — a lost
   * acknowledgement, after which the forwarder sends the same records again.
   */
  loseAcknowledgements(sends: number): void;
}

/**
 * An {@link Uplink} to a platform in the same process: `send` hands the records, in order, to
 * every subscriber of `received$` and resolves with the number delivered. It does not
 * de-duplicate — delivery is at-least-once like any uplink's; the receiver uses
 * {@link dedupeRecords}. Records are passed by reference.
 *
 * @example
 * ```ts
 * const uplink = createInProcessUplink();
 * uplink.received$.pipe(dedupeRecords({ maxIds: 100_000 })).subscribe((r) => platform.ingest(r));
 * const forwarder = createForwarder({ outbox, uplink });
 * ```
 */
export function createInProcessUplink(options: InProcessUplinkOptions = {}): InProcessUplink {
  const name = options.name ?? 'in-process';
  const maxPerSend = options.maxRecordsPerSend ?? Number.POSITIVE_INFINITY;
  if (!(maxPerSend >= 1)) {
    throw new RangeError(`maxRecordsPerSend must be at least 1, got ${String(options.maxRecordsPerSend)}`);
  }
  const ackDelayMs = options.ackDelayMs ?? 0;
  if (!Number.isFinite(ackDelayMs) || ackDelayMs < 0) {
    throw new RangeError(`ackDelayMs must be a non-negative number, got ${String(options.ackDelayMs)}`);
  }
  const scheduler = options.scheduler ?? asyncScheduler;
  const state$ = new BehaviorSubject<UplinkState>('up');
  const received$ = new Subject<UplinkRecord>();
  let lostAcks = 0;
  let closed = false;
  // Bumped on every state change and close, so a delayed acknowledgement can tell it was cut off.
  let epoch = 0;

  return {
    name,
    state$: state$.pipe(distinctUntilChanged()),
    received$: received$.asObservable(),

    async send(records: readonly UplinkRecord[]): Promise<number> {
      if (closed) throw new HealthItError('transport/closed', `Cannot send on uplink ${name}: it is closed`);
      if (state$.value === 'down' || records.length === 0) return 0;
      const n = Math.min(records.length, maxPerSend);
      for (let i = 0; i < n; i++) received$.next(records[i]!);
      let acked = n;
      if (lostAcks > 0) {
        lostAcks--;
        acked = 0;
      }
      if (ackDelayMs === 0) return acked;
      const sentIn = epoch;
      return new Promise<number>((resolve) => {
        scheduler.schedule(() => resolve(epoch === sentIn ? acked : 0), ackDelayMs);
      });
    },

    setState(state: UplinkState): void {
      if (closed) return;
      if (state !== state$.value) epoch++;
      state$.next(state);
    },

    loseAcknowledgements(sends: number): void {
      if (!Number.isSafeInteger(sends) || sends < 0) {
        throw new RangeError(`loseAcknowledgements needs a non-negative integer, got ${sends}`);
      }
      lostAcks = sends;
    },

    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      epoch++;
      state$.next('down');
      state$.complete();
      received$.complete();
    },
  };
}
