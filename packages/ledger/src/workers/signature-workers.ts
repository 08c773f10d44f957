import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { HealthItError } from '@healthit/core';
import { isStrictEd25519PublicKey } from '../note/ed25519.js';
import type { ParallelSignatureVerifier, SignatureJob } from '../tlog/parallel-verifier.js';

/**
 * The worker's code (CommonJS, run with `eval`, so it needs no file next to the compiled module
 * and runs the same from TypeScript sources and from `dist`). It receives one chunk of jobs as an
 * ArrayBuffer — a `u32` count, then per job its 32-byte key, 64-byte signature, `u32` message
 * length and message — and answers with one byte per job (1 = verifies). node:crypto's Ed25519
 * (OpenSSL) checks S < L and the cofactorless equation; the key rule of `ed25519VerifyStrict` is
 * checked on the calling thread before a job is sent. KeyObjects are cached per key (at most
 * 1 024, the oldest evicted first).
 */
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const { createPublicKey, verify } = require('node:crypto');
const keys = new Map();
function keyObject(bytes) {
  const x = Buffer.from(bytes).toString('base64url');
  let key = keys.get(x);
  if (key === undefined) {
    if (keys.size >= 1024) keys.delete(keys.keys().next().value);
    key = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x }, format: 'jwk' });
    keys.set(x, key);
  }
  return key;
}
parentPort.on('message', (buffer) => {
  const view = new DataView(buffer);
  const bytes = new Uint8Array(buffer);
  const count = view.getUint32(0);
  const verdicts = new Uint8Array(count);
  let at = 4;
  for (let i = 0; i < count; i++) {
    const key = bytes.subarray(at, at + 32);
    const signature = bytes.subarray(at + 32, at + 96);
    const length = view.getUint32(at + 96);
    const message = bytes.subarray(at + 100, at + 100 + length);
    at += 100 + length;
    try {
      verdicts[i] = verify(null, message, keyObject(key), signature) ? 1 : 0;
    } catch {
      verdicts[i] = 0;
    }
  }
  parentPort.postMessage(verdicts, [verdicts.buffer]);
});
`;

/** Options of {@link createWorkerSignatureVerifier}. */
export interface WorkerSignatureVerifierOptions {
  /** Worker threads (≥ 1). Default: one per core but one (at least one). */
  readonly threads?: number;
  /** Jobs sent to a worker in one message (≥ 1, default 64): fewer messages, more batching delay. */
  readonly chunkSize?: number;
  /**
   * The most jobs sent and not yet answered (default 65 536). Beyond it `verify` rejects at once
   * with a retryable `buffer/overflow` error (a log then checks those signatures on its own thread).
   */
  readonly maxPending?: number;
  /** @internal The worker's code (tests replace it with one that dies). */
  readonly workerSource?: string;
}

/** A pool of worker threads checking Ed25519 signatures (see {@link createWorkerSignatureVerifier}). */
export interface WorkerSignatureVerifier extends ParallelSignatureVerifier {
  /** The number of worker threads. */
  readonly threads: number;
  /** Jobs sent and not yet answered. */
  readonly pending: number;
  /** Stops the workers; calls still waiting reject with `state/invalid`. Idempotent. */
  close(): Promise<void>;
}

/** One `verify` call waiting for its verdicts: its jobs are `[start, start + count)` of a chunk. */
interface Call {
  readonly start: number;
  readonly count: number;
  readonly resolve: (verdicts: readonly boolean[]) => void;
  readonly reject: (error: unknown) => void;
}

/** Jobs gathered for one worker message. */
interface Chunk {
  readonly jobs: SignatureJob[];
  readonly calls: Call[];
  /** Verdicts of jobs answered here without a worker (a key that fails the strict key rule). */
  readonly refused: Set<number>;
}

interface Slot {
  worker: Worker | undefined;
  /** Chunks sent to this worker, answered in order. */
  readonly inFlight: Chunk[];
}

function intOption(value: number | undefined, fallback: number, what: string): number {
  const v = value ?? fallback;
  if (!Number.isSafeInteger(v) || v < 1) throw new RangeError(`${what} must be an integer ≥ 1, got ${v}`);
  return v;
}

function pack(chunk: Chunk): ArrayBuffer {
  let size = 4;
  for (const job of chunk.jobs) size += 100 + job.message.length;
  const buffer = new ArrayBuffer(size);
  const view = new DataView(buffer);
  const bytes = new Uint8Array(buffer);
  view.setUint32(0, chunk.jobs.length);
  let at = 4;
  for (const job of chunk.jobs) {
    bytes.set(job.publicKey, at);
    bytes.set(job.signature, at + 32);
    view.setUint32(at + 96, job.message.length);
    bytes.set(job.message, at + 100);
    at += 100 + job.message.length;
  }
  return buffer;
}

function emptyChunk(): Chunk {
  return { jobs: [], calls: [], refused: new Set() };
}

/**
 * Creates a pool of worker threads that check Ed25519 signatures with the strict rule set of
 * `ed25519VerifyStrict` (the key rule on this thread, node:crypto in the workers). Calls made in
 * the same tick are gathered into chunks of `chunkSize` jobs, spread over the workers; a call's
 * jobs stay in one chunk. Workers start on first use, are unreferenced while idle (they never keep
 * the process alive) and are replaced when one dies (its calls reject). Give it to
 * `createTransparencyLog({ signatureVerifier })` to use a second core for appends.
 *
 * @throws {RangeError} for an invalid option.
 * @example
 * ```ts
 * const verifier = createWorkerSignatureVerifier();
 * const log = tlog.createTransparencyLog({ ...options, signatureVerifier: verifier });
 * // ... appends ...
 * await log.close();
 * await verifier.close();
 * ```
 */
export function createWorkerSignatureVerifier(
  options: WorkerSignatureVerifierOptions = {},
): WorkerSignatureVerifier {
  const threads = intOption(options.threads, Math.max(1, availableParallelism() - 1), 'threads');
  const chunkSize = intOption(options.chunkSize, 64, 'chunkSize');
  const maxPending = intOption(options.maxPending, 65_536, 'maxPending');
  const slots: Slot[] = Array.from({ length: threads }, () => ({ worker: undefined, inFlight: [] }));
  let gathering: Chunk[] = [];
  let flushScheduled = false;
  let pending = 0;
  let next = 0;
  let closed = false;

  function settle(chunk: Chunk, verdicts: Uint8Array | undefined, error?: unknown): void {
    pending -= chunk.jobs.length;
    for (const call of chunk.calls) {
      if (verdicts === undefined) {
        call.reject(error);
        continue;
      }
      const out: boolean[] = [];
      for (let i = call.start; i < call.start + call.count; i++)
        out.push(!chunk.refused.has(i) && verdicts[i] === 1);
      call.resolve(out);
    }
  }

  function fail(slot: Slot, error: unknown): void {
    const worker = slot.worker;
    slot.worker = undefined;
    void worker?.terminate();
    const cause = new HealthItError('state/invalid', 'A signature worker thread stopped', { cause: error });
    for (const chunk of slot.inFlight.splice(0)) settle(chunk, undefined, cause);
  }

  function spawn(slot: Slot): Worker {
    const worker = new Worker(options.workerSource ?? WORKER_SOURCE, { eval: true });
    worker.on('message', (verdicts: Uint8Array) => {
      const chunk = slot.inFlight.shift();
      if (chunk !== undefined) settle(chunk, verdicts);
      if (slot.inFlight.length === 0) worker.unref();
    });
    worker.on('error', (error) => {
      if (slot.worker === worker) fail(slot, error);
    });
    worker.on('exit', (code) => {
      if (slot.worker === worker) fail(slot, new Error(`exited with code ${code}`));
    });
    return worker;
  }

  function send(chunk: Chunk): void {
    const slot = slots[next] as Slot;
    next = (next + 1) % slots.length;
    slot.worker ??= spawn(slot);
    slot.inFlight.push(chunk);
    slot.worker.ref();
    const buffer = pack(chunk);
    slot.worker.postMessage(buffer, [buffer]);
  }

  function flush(): void {
    flushScheduled = false;
    const chunks = gathering;
    gathering = [];
    for (const chunk of chunks) {
      if (closed)
        settle(chunk, undefined, new HealthItError('state/invalid', 'The signature verifier is closed'));
      else send(chunk);
    }
  }

  return {
    threads,
    get pending() {
      return pending;
    },
    verify(jobs) {
      return new Promise<readonly boolean[]>((resolve, reject) => {
        if (closed) throw new HealthItError('state/invalid', 'The signature verifier is closed');
        if (jobs.length === 0) {
          resolve([]);
          return;
        }
        if (pending + jobs.length > maxPending) {
          throw new HealthItError(
            'buffer/overflow',
            `${pending} signatures already wait for a worker (maxPending ${maxPending}): retry later`,
            { detail: { maxPending } },
          );
        }
        let chunk = gathering[gathering.length - 1];
        if (chunk === undefined || chunk.jobs.length >= chunkSize) {
          chunk = emptyChunk();
          gathering.push(chunk);
        }
        const start = chunk.jobs.length;
        for (const job of jobs) {
          if (!isStrictEd25519PublicKey(job.publicKey) || job.signature.length !== 64) {
            chunk.refused.add(chunk.jobs.length);
            // still sent (with a zero key), so verdict positions stay aligned
            chunk.jobs.push({
              signature: new Uint8Array(64),
              message: new Uint8Array(0),
              publicKey: new Uint8Array(32),
            });
          } else {
            chunk.jobs.push(job);
          }
        }
        chunk.calls.push({ start, count: jobs.length, resolve, reject });
        pending += jobs.length;
        if (!flushScheduled) {
          flushScheduled = true;
          queueMicrotask(flush);
        }
      });
    },
    async close() {
      if (closed) return;
      closed = true;
      const stopped = new HealthItError('state/invalid', 'The signature verifier is closed');
      await Promise.all(
        slots.map(async (slot) => {
          const worker = slot.worker;
          slot.worker = undefined;
          for (const chunk of slot.inFlight.splice(0)) settle(chunk, undefined, stopped);
          await worker?.terminate();
        }),
      );
    },
  };
}
