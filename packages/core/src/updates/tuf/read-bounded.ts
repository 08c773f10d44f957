import { UpdateRejectedError } from '../update-rejected-error.js';

/**
 * Reads a stream of chunks into one array, refusing as soon as it holds more than `maxLength`
 * bytes (`too-large`) or when `signal` aborts (`timeout`, or the signal's own reason): the helper
 * for an {@link UpdateFetcher} over a byte stream, so endless data never fills memory and a
 * drip-fed transfer stops at the caller's deadline.
 *
 * @throws {UpdateRejectedError} `too-large` or `timeout`, with `subject`.
 * @example
 * ```ts
 * fetch: (path, { maxLength, signal }) => readBounded(socket.stream(path), { maxLength, signal, subject: path })
 * ```
 */
export async function readBounded(
  chunks: AsyncIterable<Uint8Array>,
  options: { readonly maxLength: number; readonly signal?: AbortSignal; readonly subject: string },
): Promise<Uint8Array> {
  const { maxLength, signal, subject } = options;
  const parts: Uint8Array[] = [];
  let total = 0;
  const aborted = () =>
    signal?.reason instanceof UpdateRejectedError
      ? signal.reason
      : new UpdateRejectedError('timeout', `Reading ${subject} was aborted before it completed`, { subject });
  if (signal?.aborted) throw aborted();
  const iterator = chunks[Symbol.asyncIterator]();
  try {
    while (true) {
      const next = await (signal === undefined ? iterator.next() : raceAbort(iterator.next(), signal));
      if (next === ABORTED) throw aborted();
      if (next.done) break;
      total += next.value.length;
      if (total > maxLength)
        throw new UpdateRejectedError(
          'too-large',
          `${subject} is longer than its limit of ${maxLength} bytes`,
          {
            subject,
            detail: { maxLength },
          },
        );
      parts.push(next.value);
    }
  } finally {
    void iterator.return?.()?.catch(() => undefined);
  }
  const out = new Uint8Array(total);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

const ABORTED = Symbol('aborted');

function raceAbort<T>(promise: Promise<T>, signal: AbortSignal): Promise<T | typeof ABORTED> {
  if (signal.aborted) return Promise.resolve(ABORTED);
  return new Promise((resolve, reject) => {
    const onAbort = () => resolve(ABORTED);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}
