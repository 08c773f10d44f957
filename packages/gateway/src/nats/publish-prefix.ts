/** How one publish ended, as {@link publishPrefix} needs to know it. */
export type PublishOutcome =
  /** Durably stored (a duplicate that was already stored counts). */
  | { readonly type: 'acknowledged' }
  /** Not stored for now (no connection, no acknowledgement in time, predecessor missing): retry later. */
  | { readonly type: 'unavailable'; readonly error?: unknown }
  /** Never storable as it is (too large for the server): retrying cannot help. */
  | { readonly type: 'permanent'; readonly error: unknown };

/** What {@link publishPrefix} found. */
export interface PrefixResult {
  /** How many items, counted from the first, were acknowledged. */
  readonly acknowledged: number;
  /** Set when the item right after the acknowledged prefix failed permanently. */
  readonly permanent?: { readonly index: number; readonly error: unknown };
}

/**
 * Publishes items `0 … count-1` in index order with at most `maxInFlight` awaiting their outcome,
 * and resolves with the length of the acknowledged prefix.
 *
 * - Items are started strictly in order; after the first outcome that is not `acknowledged`,
 *   nothing more is started (the caller re-sends from the first unacknowledged item anyway).
 * - It resolves when every started publish has settled, or at once when `signal` aborts (the
 *   connection dropped: waiting for time-outs would only delay the retry); late outcomes are then
 *   ignored. A rejected `publish` counts as `unavailable`.
 *
 * @throws {RangeError} when `count` is negative or `maxInFlight` is below 1.
 */
export function publishPrefix(
  count: number,
  maxInFlight: number,
  publish: (index: number) => Promise<PublishOutcome>,
  signal?: AbortSignal,
): Promise<PrefixResult> {
  if (!Number.isSafeInteger(count) || count < 0) throw new RangeError(`count must be ≥ 0, got ${count}`);
  if (!Number.isSafeInteger(maxInFlight) || maxInFlight < 1) {
    throw new RangeError(`maxInFlight must be an integer ≥ 1, got ${maxInFlight}`);
  }
  return new Promise<PrefixResult>((resolve) => {
    const done = new Uint8Array(count);
    let acknowledged = 0;
    let next = 0;
    let inFlight = 0;
    let stopped = false;
    let settled = false;
    let permanent: PrefixResult['permanent'];

    const finish = (): void => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener('abort', finish);
      resolve(
        permanent !== undefined && permanent.index === acknowledged
          ? { acknowledged, permanent }
          : { acknowledged },
      );
    };

    const onOutcome = (index: number, outcome: PublishOutcome): void => {
      inFlight -= 1;
      if (settled) return;
      if (outcome.type === 'acknowledged') {
        done[index] = 1;
        while (acknowledged < count && done[acknowledged] === 1) acknowledged += 1;
      } else {
        stopped = true;
        if (outcome.type === 'permanent' && (permanent === undefined || index < permanent.index)) {
          permanent = { index, error: outcome.error };
        }
      }
      pump();
    };

    const pump = (): void => {
      while (!stopped && inFlight < maxInFlight && next < count) {
        const index = next++;
        inFlight += 1;
        let started: Promise<PublishOutcome>;
        try {
          started = publish(index);
        } catch (error) {
          started = Promise.resolve({ type: 'unavailable', error });
        }
        started.then(
          (outcome) => onOutcome(index, outcome),
          (error: unknown) => onOutcome(index, { type: 'unavailable', error }),
        );
      }
      if (inFlight === 0 && (stopped || next === count)) finish();
    };

    if (signal?.aborted) {
      finish();
      return;
    }
    signal?.addEventListener('abort', finish, { once: true });
    pump();
  });
}
