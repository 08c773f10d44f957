import type { JournalSettlement, MessageJournal } from './message-journal.js';

/**
 * `appendToOutbox`'s bookkeeping of which journaled messages may leave the journal: a message is
 * settled once its delivery has finished and none of its records is still waiting (in the batch
 * being gathered, or held after a refusal). A message one of whose records was dropped (over
 * `maxHeld`) is never settled by this process: a restarted one delivers it again.
 *
 * Records are tagged with the message being delivered when they arrive ({@link tag}), so the
 * pipeline from the transport to `appendToOutbox` must be synchronous (the gateway's is).
 * @internal
 */
export class JournalSettler {
  /** Per message, its records not yet stored (in the batch or held). */
  private readonly outstanding = new Map<number, number>();
  /** Messages with a dropped record. Bounded by the journal, which keeps them. */
  private readonly poisoned = new Set<number>();
  /** Messages delivered and not yet settled, oldest first. */
  private ready: number[] = [];

  constructor(private readonly journal: MessageJournal) {}

  /** The message of a record arriving now (undefined: from none), counted as outstanding. */
  tag(): number | undefined {
    const seq = this.journal.current;
    if (seq !== undefined) this.outstanding.set(seq, (this.outstanding.get(seq) ?? 0) + 1);
    return seq;
  }

  /**
   * What an append of records tagged `tags` settles: the delivered messages all of whose
   * outstanding records are in it (the outbox keeps those of refused records).
   */
  plan(tags: readonly (number | undefined)[]): JournalSettlement {
    this.collect();
    if (this.ready.length === 0) return { seqs: [], tags };
    const inAppend = new Map<number, number>();
    for (const t of tags) if (t !== undefined) inAppend.set(t, (inAppend.get(t) ?? 0) + 1);
    const seqs = this.ready.filter(
      (seq) => !this.poisoned.has(seq) && (this.outstanding.get(seq) ?? 0) === (inAppend.get(seq) ?? 0),
    );
    return { seqs, tags };
  }

  /** Whether an append may settle something even without records. */
  get hasPending(): boolean {
    this.collect();
    return this.ready.length > 0;
  }

  /** Moves the deliveries finished since the last call into `ready`. */
  private collect(): void {
    const delivered = this.journal.takeDelivered();
    if (delivered.length > 0) this.ready = this.ready.length === 0 ? delivered : this.ready.concat(delivered);
  }

  /**
   * After an append: the outbox `settled` these messages; `stored` records left the operator
   * (accepted, or given up by the outbox's policy) and `dropped` ones were dropped over `maxHeld`.
   */
  appended(
    settled: readonly number[],
    stored: readonly (number | undefined)[],
    dropped: readonly (number | undefined)[],
  ): void {
    for (const t of stored) this.release(t);
    for (const t of dropped) {
      this.release(t);
      if (t !== undefined) this.poisoned.add(t);
    }
    const gone = new Set(settled);
    this.ready = this.ready.filter((seq) => !gone.has(seq) && !this.poisoned.has(seq));
  }

  private release(tag: number | undefined): void {
    if (tag === undefined) return;
    const n = (this.outstanding.get(tag) ?? 0) - 1;
    if (n <= 0) this.outstanding.delete(tag);
    else this.outstanding.set(tag, n);
  }
}
