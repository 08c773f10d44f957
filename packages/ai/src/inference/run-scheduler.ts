import type { Observable, Subscriber, Subscription } from 'rxjs';
import type { ResolvedInferOptions } from './infer-options.js';

/** What a {@link RunScheduler} needs to know of the waiting inputs. @internal */
export interface RunQueue {
  /** Units waiting for a run (not in flight): inputs for `infer`, rows (or empty blocks) for `inferBatches`. */
  readonly waiting: number;
  /** Arrival time of the oldest waiting unit (a lower bound). */
  oldestArrival(): number;
  /** Takes the next batch (up to `maxBatch` units) and starts its run; the run counts in `inFlight`. */
  startNext(): void;
}

/**
 * When runs start, shared by `infer` and `inferBatches`: a run starts when `maxBatch` units wait,
 * or `maxWaitMs` after the oldest arrived (`0`: at once), or when the source is done — as long as
 * fewer than `concurrency` runs are in flight. It also owns the operator's lifecycle flags and
 * forwards the source's `error` and `complete`.
 *
 * One per subscription. The operator increments {@link inFlight} when a run starts and decrements
 * it when the run settles, then calls {@link pump}.
 * @internal
 */
export class RunScheduler {
  inFlight = 0;
  sourceDone = false;
  closed = false;
  private timer: Subscription | undefined;
  private timerAt = Number.NaN;

  constructor(
    private readonly queue: RunQueue,
    private readonly options: ResolvedInferOptions,
  ) {}

  /** True when another run may start now. */
  get hasSlot(): boolean {
    return this.inFlight < this.options.concurrency;
  }

  /**
   * Starts every run that is due and has a slot; arms the timer for the next deadline. `now` is
   * the caller's `scheduler.now()` when it has one (NaN: read it if needed). On an arrival
   * (`arrival`), only the count can make the waiting batch due — its deadline is the timer's
   * business — so the clock is not read per input.
   */
  pump(now: number, arrival: boolean): void {
    const { maxBatch, maxWaitMs, concurrency, scheduler } = this.options;
    const queue = this.queue;
    while (!this.closed && this.inFlight < concurrency && queue.waiting > 0) {
      let due = queue.waiting >= maxBatch || this.sourceDone || maxWaitMs === 0;
      if (!due && !arrival) {
        if (Number.isNaN(now)) now = scheduler.now();
        due = now >= queue.oldestArrival() + maxWaitMs;
      }
      if (!due) break;
      queue.startNext();
      arrival = false; // the next head arrived earlier: it may be overdue
    }
    if (this.closed) return;
    // A timer is needed only when a partial batch waits for its deadline and a slot is free to
    // run it then; when every slot is busy, the next run's completion pumps again.
    if (queue.waiting === 0 || this.inFlight >= concurrency || maxWaitMs === 0 || this.sourceDone) {
      if (this.timer !== undefined) this.cancelTimer();
      return;
    }
    const deadline = queue.oldestArrival() + maxWaitMs;
    if (this.timer !== undefined && this.timerAt === deadline) return;
    this.cancelTimer();
    this.timerAt = deadline;
    if (Number.isNaN(now)) now = scheduler.now();
    this.timer = scheduler.schedule(
      () => {
        this.timer = undefined;
        this.timerAt = Number.NaN;
        this.pump(Number.NaN, false);
      },
      Math.max(0, deadline - now),
    );
  }

  /** Stops for good: no more runs or emissions; the timer is cancelled. */
  close(): void {
    this.closed = true;
    this.cancelTimer();
  }

  /**
   * Subscribes to `source`, handing each input to `next` (while open) and handling `error` and
   * `complete`: an error closes and errors `subscriber`; completion runs what waits at once, and
   * `emitFinished` completes `subscriber` once the last result is out. Returns the teardown.
   */
  subscribe<In>(
    source: Observable<In>,
    subscriber: Subscriber<unknown>,
    next: (input: In) => void,
    emitFinished: () => void,
  ): () => void {
    const subscription = source.subscribe({
      next: (input) => {
        if (!this.closed) next(input);
      },
      error: (e: unknown) => {
        if (this.closed) return;
        this.close();
        subscriber.error(e);
      },
      complete: () => {
        if (this.closed) return;
        this.sourceDone = true;
        this.pump(Number.NaN, false);
        emitFinished();
      },
    });
    return () => {
      this.close();
      subscription.unsubscribe();
    };
  }

  private cancelTimer(): void {
    this.timer?.unsubscribe();
    this.timer = undefined;
    this.timerAt = Number.NaN;
  }
}
