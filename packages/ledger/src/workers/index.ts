/**
 * Node-only helpers of the ledger that use worker threads: signature verification on spare cores
 * for the transparency log's appends.
 * @packageDocumentation
 */

export type { ParallelSignatureVerifier, SignatureJob } from '../tlog/parallel-verifier.js';
export {
  createWorkerSignatureVerifier,
  type WorkerSignatureVerifier,
  type WorkerSignatureVerifierOptions,
} from './signature-workers.js';
