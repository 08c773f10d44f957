/**
 * One onnxruntime session runs one call at a time: onnxruntime-web's single-threaded WebAssembly
 * build is not re-entrant (overlapping `session.run` calls on one session have crashed it with
 * `RuntimeError: null function or function signature mismatch`), so every handle of a session
 * goes through its gate. A call that finds the session idle starts at once (no extra promise hop,
 * the common case at concurrency 1); others wait in call order. The queue holds one closure per
 * waiting call: it is as long as the callers' own outstanding runs, each bounded by its caller
 * (the `infer` operators' `concurrency`).
 * @internal
 */
export class RunGate {
  private busy = false;
  private readonly waiting: (() => void)[] = [];
  private head = 0;

  /** Runs `task` when the session is free; settles as `task`'s promise does. */
  run<T>(task: () => Promise<T>): Promise<T> {
    if (!this.busy) {
      this.busy = true;
      return this.start(task);
    }
    return new Promise<T>((resolve, reject) => {
      this.waiting.push(() => {
        this.start(task).then(resolve, reject);
      });
    });
  }

  /** Calls waiting for the session. */
  get queued(): number {
    return this.waiting.length - this.head;
  }

  private start<T>(task: () => Promise<T>): Promise<T> {
    let pending: Promise<T>;
    try {
      pending = task();
    } catch (e) {
      pending = Promise.reject(e);
    }
    pending.then(this.next, this.next);
    return pending;
  }

  private readonly next = (): void => {
    if (this.head === this.waiting.length) {
      this.busy = false;
      return;
    }
    const start = this.waiting[this.head] as () => void;
    this.waiting[this.head++] = undefined as unknown as () => void;
    if (this.head === this.waiting.length) {
      this.waiting.length = 0;
      this.head = 0;
    }
    start();
  };
}
