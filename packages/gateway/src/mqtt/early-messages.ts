import { type TransportMessage, topicMatches } from '@healthit/core';

/** Bounds of the MQTT transport's hold for messages no subscription matches yet (`earlyMessages`). */
export interface EarlyMessageOptions {
  /** Messages held at most (default 10 000); when full the oldest is dropped and counted. */
  readonly maxMessages?: number;
  /** How long a message is held for a subscription to claim it, ms (default 30 000). */
  readonly graceMs?: number;
}

/** What happened to messages that arrived before any subscription wanted them. */
export interface EarlyMessageCounts {
  /** Held now, waiting for a subscription. */
  readonly held: number;
  /** Handed to a subscription that registered after they arrived. */
  readonly delivered: number;
  /** Given up: the hold was full (oldest first) or its grace period ended before a subscription came. */
  readonly dropped: number;
}

/** The messages a persistent session delivers before this process has subscribed again. */
export interface EarlyMessages {
  /** Holds a message no subscription matched yet. */
  hold(message: TransportMessage): void;
  /** Removes and returns, in arrival order, the held messages `filter` matches. */
  claim(filter: string): TransportMessage[];
  /** The counts so far. */
  counts(): EarlyMessageCounts;
}

/**
 * A bounded hold for messages that arrive with no subscription to take them. With a persistent MQTT
 * session the broker delivers what it queued for the client right after CONNACK — before a process
 * that restarted has subscribed again — and mqtt.js acknowledges each message when its handler
 * returns, so a message dropped there is lost for good. Held instead, a message goes to the first
 * subscription that matches it, within `graceMs`; the hold is bounded by count and the oldest goes
 * first when it is full, counted.
 */
export function createEarlyMessages(
  options: EarlyMessageOptions = {},
  now: () => number = Date.now,
): EarlyMessages {
  const max = options.maxMessages ?? 10_000;
  const graceMs = options.graceMs ?? 30_000;
  if (!Number.isSafeInteger(max) || max < 0)
    throw new RangeError(`earlyMessages.maxMessages must be an integer >= 0, got ${String(max)}`);
  if (!Number.isFinite(graceMs) || graceMs < 0)
    throw new RangeError(`earlyMessages.graceMs must be >= 0, got ${String(graceMs)}`);
  let held: { message: TransportMessage; at: number }[] = [];
  let delivered = 0;
  let dropped = 0;
  const expire = (): void => {
    const cutoff = now() - graceMs;
    let stale = 0;
    while (stale < held.length && (held[stale] as { at: number }).at < cutoff) stale++;
    if (stale > 0) {
      held = held.slice(stale);
      dropped += stale;
    }
  };
  return {
    hold(message) {
      expire();
      if (max === 0) {
        dropped++;
        return;
      }
      if (held.length >= max) {
        held.shift();
        dropped++;
      }
      held.push({ message, at: now() });
    },
    claim(filter) {
      expire();
      if (held.length === 0) return [];
      const out: TransportMessage[] = [];
      const keep: { message: TransportMessage; at: number }[] = [];
      for (const h of held) {
        if (topicMatches(filter, h.message.topic)) out.push(h.message);
        else keep.push(h);
      }
      held = keep;
      delivered += out.length;
      return out;
    },
    counts() {
      expire();
      return { held: held.length, delivered, dropped };
    },
  };
}
