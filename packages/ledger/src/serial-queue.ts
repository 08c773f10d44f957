/** Runs async tasks one at a time, in the order they were submitted. */
export interface SerialQueue {
  /** Runs `task` after every task submitted before it has settled; resolves or rejects as it does. */
  run<T>(task: () => Promise<T> | T): Promise<T>;
}

/** A {@link SerialQueue}. A failing task does not stop the tasks after it. */
export function createSerialQueue(): SerialQueue {
  let tail: Promise<unknown> = Promise.resolve();
  return {
    run<T>(task: () => Promise<T> | T): Promise<T> {
      const result = tail.then(task);
      tail = result.then(
        () => undefined,
        () => undefined,
      );
      return result;
    },
  };
}
