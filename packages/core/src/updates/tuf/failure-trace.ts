/** One failure seen inside tuf-js, with the file it concerned. @internal */
export interface TracedFailure {
  readonly error: unknown;
  readonly subject: string;
}

/**
 * The last failure seen while tuf-js fetched or verified a file. tuf-js wraps the errors of
 * snapshot and targets loading into a message-only `RuntimeError`; the fetcher adapter and the
 * store hooks record the original here so the client can report the precise reason. Cleared at the
 * start of every fetch, so a stale failure (a local file tuf-js tried and then replaced from the
 * repository) never explains a later one.
 * @internal
 */
export class FailureTrace {
  #last: TracedFailure | undefined;

  record(error: unknown, subject: string): void {
    this.#last = { error, subject };
  }

  clear(): void {
    this.#last = undefined;
  }

  last(): TracedFailure | undefined {
    return this.#last;
  }
}
