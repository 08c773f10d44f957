import type { LedgerRecord, LedgerSink } from '@healthit/core';
import type { SchedulerLike, Subscription } from 'rxjs';
import { RolloutAuditError, RolloutLimitError } from './errors.js';

/** How the engine batches audit records to its `LedgerSink`. */
export interface RolloutAuditOptions {
  /** Records per `append` call (default 100; the ledger takes at most 10 000). */
  readonly maxBatch?: number;
  /** A batch is cut at the latest this long after its first record (default 0: one batch per burst). */
  readonly maxWaitMs?: number;
  /**
   * Records waiting for the ledger, those being appended included (default 100 000). Past it a new
   * record is not queued: it goes out at once as a {@link RolloutAuditError} (reject-newest), for the
   * caller to park.
   */
  readonly maxPendingRecords?: number;
}

/** Serial, batched, bounded appends to a ledger sink. @internal */
export interface AuditWriter {
  write(record: LedgerRecord): void;
  /** Resolves once every record written so far was appended or reported as failed. */
  flush(): Promise<void>;
  /** Cuts the open batch now; nothing may be written after. */
  close(): void;
}

function positive(name: string, v: number, min: number): number {
  if (!Number.isSafeInteger(v) || v < min)
    throw new RangeError(`${name} must be an integer >= ${min}, got ${v}`);
  return v;
}

/**
 * Appends records to `sink` in order, in batches, one `append` at a time; a failed append is
 * reported through `onError` with its records and the next batch goes on.
 * @throws {RangeError} for a bad option.
 * @internal
 */
export function createAuditWriter(
  sink: LedgerSink,
  scheduler: SchedulerLike,
  onError: (error: RolloutAuditError) => void,
  options: RolloutAuditOptions = {},
): AuditWriter {
  const maxBatch = positive('audit.maxBatch', options.maxBatch ?? 100, 1);
  const maxWaitMs = positive('audit.maxWaitMs', options.maxWaitMs ?? 0, 0);
  const maxPending = positive('audit.maxPendingRecords', options.maxPendingRecords ?? 100_000, 1);
  let open: LedgerRecord[] = [];
  const batches: LedgerRecord[][] = [];
  let pending = 0;
  let appending = false;
  let timer: Subscription | undefined;
  let waiters: (() => void)[] = [];

  const idle = (): boolean => !appending && batches.length === 0 && open.length === 0;
  const wake = (): void => {
    const w = waiters;
    waiters = [];
    for (const resolve of w) resolve();
  };

  const pump = (): void => {
    if (appending) return;
    const batch = batches.shift();
    if (batch === undefined) {
      if (idle()) wake();
      return;
    }
    appending = true;
    const done = (): void => {
      appending = false;
      pending -= batch.length;
      pump();
    };
    let appended: Promise<unknown>;
    try {
      appended = sink.append(batch);
    } catch (e) {
      appended = Promise.reject(e);
    }
    appended.then(done, (e: unknown) => {
      onError(
        new RolloutAuditError(
          `the ledger refused ${batch.length} rollout audit records: ${e instanceof Error ? e.message : String(e)}`,
          batch,
          e,
        ),
      );
      done();
    });
  };

  const cut = (): void => {
    timer?.unsubscribe();
    timer = undefined;
    if (open.length === 0) return;
    batches.push(open);
    open = [];
    pump();
  };

  return {
    write(record) {
      if (pending >= maxPending) {
        const cause = new RolloutLimitError(
          'maxPendingAuditRecords',
          maxPending,
          `${maxPending} rollout audit records are waiting for the ledger; this one was not queued`,
        );
        onError(new RolloutAuditError(cause.message, [record], cause));
        return;
      }
      open.push(record);
      pending++;
      if (open.length >= maxBatch) cut();
      else if (timer === undefined) timer = scheduler.schedule(cut, maxWaitMs);
    },
    flush() {
      cut();
      if (idle()) return Promise.resolve();
      return new Promise<void>((resolve) => waiters.push(resolve));
    },
    close: cut,
  };
}
