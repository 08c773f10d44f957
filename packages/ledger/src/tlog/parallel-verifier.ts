/** One Ed25519 signature to check: the 64-byte signature, the signed message and the 32-byte key. */
export interface SignatureJob {
  /** The Ed25519 signature to check, 64 bytes. */
  readonly signature: Uint8Array;
  /** The exact bytes that were signed (e.g. an entry's signing message). */
  readonly message: Uint8Array;
  /** The 32-byte Ed25519 public key the signature must verify under. */
  readonly publicKey: Uint8Array;
}

/**
 * Checks signatures away from the calling thread (e.g. `createWorkerSignatureVerifier` of
 * `@healthit/ledger/workers`, one worker thread per spare core), with the same strict rules as
 * `ed25519VerifyStrict`. A transparency log given one verifies each entry's signatures ahead of
 * sequencing, while it still admits entries one at a time in call order.
 *
 * The log trusts a verdict only for the key it asked about: whatever the verifier answers, a
 * signature is re-checked on the log's thread when the key in force at admission differs, and when
 * `verify` rejects (a worker died) every signature of those entries is checked there instead.
 */
export interface ParallelSignatureVerifier {
  /** One verdict per job, in order; true when the signature verifies under the strict rules. */
  verify(jobs: readonly SignatureJob[]): Promise<readonly boolean[]>;
}
