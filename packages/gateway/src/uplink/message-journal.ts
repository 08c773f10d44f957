import type { TransportMessage } from '@healthit/core';

/** A received message as its journal recorded it. */
export interface JournalEntry extends TransportMessage {
  /**
   * Its sequence number in the journal: increasing within a process, and above every number still
   * in the journal when the process started.
   */
  readonly seq: number;
}

/** Counters of a {@link MessageJournal}. */
export interface MessageJournalStats {
  /** Messages recorded and not yet settled. */
  readonly unsettled: number;
  /** Their bytes (payloads and topics, plus a fixed overhead per entry). */
  readonly bytes: number;
  /** The bound on `bytes`: a message that would exceed it is refused. */
  readonly maxBytes: number;
  /** Messages recorded by this process. */
  readonly recorded: number;
  /** Messages settled by this process. */
  readonly settled: number;
  /** Messages refused by this process because the journal was full. */
  readonly refused: number;
}

/**
 * A write-ahead journal of received messages: it closes the window between a broker's
 * acknowledgement and the outbox append, where a killed process would lose what the broker had
 * already been told was delivered (MQTT's PUBACK).
 *
 * - The transport **records** each message before acknowledging it and hands it to its
 *   subscribers inside {@link deliver}, so whatever they derive from it synchronously is tagged
 *   with its sequence number ({@link current}).
 * - `appendToOutbox` **settles** a message in the same transaction as the outbox append that stores
 *   the last of its records (or at the next append, for a message that produced none).
 * - A restarted process finds what was recorded and not settled in {@link unsettled}; the
 *   transport delivers it again before anything new.
 *
 * The SQLite outbox provides one in its own file (`createSqliteOutbox({ journal: {} })`).
 */
export interface MessageJournal {
  /**
   * Stores a received message durably (it survives the process being killed once this returns).
   * @returns its sequence number.
   * @throws {HealthItError} `buffer/overflow` when the journal is full: the message must not be
   *   acknowledged (the broker keeps it).
   */
  record(message: TransportMessage): number;
  /** The messages recorded and not settled, oldest first (bounded by `maxBytes`). */
  unsettled(): readonly JournalEntry[];
  /** Runs `handOver` (the delivery of message `seq` to the subscribers) with {@link current} = `seq`. */
  deliver(seq: number, handOver: () => void): void;
  /** The message being delivered now, or undefined outside a delivery. */
  readonly current: number | undefined;
  /** The messages whose delivery has finished since the last call, in order. */
  takeDelivered(): number[];
  /** Calls `listener` after each delivery; returns the function that removes it. */
  onDelivered(listener: () => void): () => void;
  /** The journal's counters: unsettled messages and bytes against the bound, and refusals. */
  stats(): MessageJournalStats;
}

/**
 * What an outbox append settles in its journal, in the same transaction: `seqs`, except a
 * message one of whose records in this append was refused (`tags[i]` is the message of
 * `records[i]`, undefined for a record that came from none).
 */
export interface JournalSettlement {
  /** The messages to settle (sequence numbers), unless one of their records is refused. */
  readonly seqs: readonly number[];
  /** Per record of the append, index for index, the message it came from (undefined: none). */
  readonly tags: readonly (number | undefined)[];
}

/**
 * The in-memory half of a journal: which message is being delivered, and which deliveries have
 * finished. Bounded by the journal: each recorded message is delivered at most once per process.
 * @internal
 */
export class DeliveryTracker {
  current: number | undefined;
  private delivered: number[] = [];
  private readonly listeners = new Set<() => void>();

  deliver(seq: number, handOver: () => void): void {
    const outer = this.current;
    this.current = seq;
    try {
      handOver();
    } finally {
      this.current = outer;
      this.delivered.push(seq);
    }
    for (const l of this.listeners) l();
  }

  onDelivered(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  takeDelivered(): number[] {
    const out = this.delivered;
    this.delivered = [];
    return out;
  }
}
