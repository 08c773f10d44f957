import type { Clock } from '../ports/clock.js';
import { systemClock } from '../ports/clock.js';

/** Why {@link ReplayGuard.check} refused a message. */
export type ReplayFailure =
  /** This sender's `seq` was accepted before. */
  | 'replay'
  /** `seq` is older than the window behind the sender's highest accepted `seq`. */
  | 'too-old'
  /** `ts` is older than `maxAgeMs` (or than what a forgotten sender may have sent). */
  | 'expired'
  /** `ts` is further in the future than `maxAheadMs`. */
  | 'future';

/** The verdict of {@link ReplayGuard.check}. */
export type ReplayVerdict =
  | {
      /** The message is fresh and has been remembered. */
      readonly ok: true;
    }
  | {
      /** The message was refused and not remembered. */
      readonly ok: false;
      /** Why it was refused. */
      readonly reason: ReplayFailure;
    };

/** Options of {@link createReplayGuard}. */
export interface ReplayGuardOptions {
  /**
   * How far behind its highest accepted `seq` a sender's message may arrive and still be accepted
   * once (reordering tolerated), 1 to 65 536. Default 64 (as IPsec's anti-replay window).
   */
  readonly window?: number;
  /** Messages whose `ts` is older than this (ms before the clock) are refused as `expired`. */
  readonly maxAgeMs: number;
  /** Messages whose `ts` is more than this ahead of the clock are refused as `future` (default 60 000). */
  readonly maxAheadMs?: number;
  /**
   * Senders remembered at most (default 100 000). When full, the least recently heard is forgotten,
   * and from then on every message with a `ts` at or before the newest `ts` accepted from any
   * forgotten sender is refused as `expired` (so forgetting a sender never lets its old messages
   * back in; a new sender's message that old is refused too).
   */
  readonly maxSenders?: number;
  /** The clock `ts` is judged against for `expired` and `future` (default: the system clock). */
  readonly clock?: Clock;
}

/** Per-sender replay protection with a sliding window and message expiry (see {@link createReplayGuard}). */
export interface ReplayGuard {
  /**
   * Judges a message and, when accepted, remembers it. Call it only for messages that were
   * authenticated (a signature or a sealed box that opened): an attacker must not be able to
   * advance a sender's window.
   */
  check(sender: string, seq: number, ts: number): ReplayVerdict;
  /** Senders remembered now. */
  readonly senders: number;
}

interface SenderState {
  highest: number;
  /** slot `seq % window` holds the last `seq` accepted there. */
  readonly slots: Float64Array;
  lastTs: number;
}

function positive(value: number, what: string, max = Number.MAX_SAFE_INTEGER): number {
  if (!Number.isSafeInteger(value) || value < 1 || value > max) {
    throw new RangeError(`${what} must be an integer in [1, ${max}], got ${value}`);
  }
  return value;
}

/**
 * Creates a replay guard: per sender, the highest accepted `seq` and which of the `window` before
 * it were seen (a reordered message inside the window is accepted once; a repeat is a `replay`;
 * anything older is `too-old`), plus expiry by producer time. Memory is bounded by `maxSenders`
 * × `window` slots. Verdicts are values, never exceptions.
 * @throws {RangeError} for an invalid option.
 * @example
 * ```ts
 * const guard = createReplayGuard({ maxAgeMs: 5 * 60_000 });
 * const verdict = guard.check(envelope.source, envelope.seq, envelope.ts);
 * if (!verdict.ok) events.next({ type: 'message-rejected', reason: verdict.reason });
 * ```
 */
export function createReplayGuard(options: ReplayGuardOptions): ReplayGuard {
  const window = positive(options.window ?? 64, 'window', 65_536);
  const maxAgeMs = positive(options.maxAgeMs, 'maxAgeMs');
  const maxAheadMs = options.maxAheadMs ?? 60_000;
  if (!Number.isSafeInteger(maxAheadMs) || maxAheadMs < 0) {
    throw new RangeError(`maxAheadMs must be an integer ≥ 0, got ${maxAheadMs}`);
  }
  const maxSenders = positive(options.maxSenders ?? 100_000, 'maxSenders');
  const clock = options.clock ?? systemClock;
  const senders = new Map<string, SenderState>();
  /** Messages at or before this ts may come from a forgotten sender: refused. */
  let forgottenUpTo = Number.NEGATIVE_INFINITY;

  return {
    get senders() {
      return senders.size;
    },
    check(sender, seq, ts) {
      if (!Number.isSafeInteger(seq) || seq < 0) return { ok: false, reason: 'too-old' };
      const now = clock.now();
      if (!(ts >= now - maxAgeMs) || ts <= forgottenUpTo) return { ok: false, reason: 'expired' };
      if (ts > now + maxAheadMs) return { ok: false, reason: 'future' };
      let state = senders.get(sender);
      if (state === undefined) {
        if (senders.size >= maxSenders) {
          const [oldest, evicted] = senders.entries().next().value as [string, SenderState];
          senders.delete(oldest);
          if (evicted.lastTs > forgottenUpTo) forgottenUpTo = evicted.lastTs;
          if (ts <= forgottenUpTo) return { ok: false, reason: 'expired' };
        }
        state = { highest: -1, slots: new Float64Array(window).fill(-1), lastTs: ts };
      } else {
        senders.delete(sender); // re-inserted below: the map's order is least recently heard first
      }
      senders.set(sender, state);
      if (seq > state.highest) {
        state.highest = seq;
      } else if (seq <= state.highest - window) {
        return { ok: false, reason: 'too-old' };
      } else if (state.slots[seq % window] === seq) {
        return { ok: false, reason: 'replay' };
      }
      state.slots[seq % window] = seq;
      if (ts > state.lastTs) state.lastTs = ts;
      return { ok: true };
    },
  };
}
