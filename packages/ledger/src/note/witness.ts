import type { Clock } from '@healthit/core';
import { type ConsistencyVerifier, checkAppendOnly, defaultConsistencyVerifier } from './consistency.js';
import { cosignCheckpoint, createCosignatureVerifier, createCosigner } from './cosignature.js';
import type { NamedSecretKey, NoteVerifier } from './signer.js';
import { type SignedCheckpoint, verifyCheckpoint } from './verify-checkpoint.js';

/** Options of {@link createWitness}. */
export interface WitnessOptions {
  /** The witness's cosigning key and name (e.g. `witness.example/w1`); reserve the key for cosigning. */
  readonly key: NamedSecretKey;
  /** Verifier of the log's checkpoint signatures (e.g. `createNoteVerifier(logVkey)`). */
  readonly log: NoteVerifier;
  /** The log's origin line. Default: the log key's name. */
  readonly origin?: string;
  /** Consistency-proof verifier. Default: RFC 9162 `verifyConsistency` of the Merkle module. */
  readonly verifyConsistency?: ConsistencyVerifier;
  /** Cosignature timestamps. Default: the system clock. */
  readonly clock?: Clock;
  /**
   * The last checkpoint note this witness cosigned (persisted state), to resume from. It must
   * verify under `log`. Without it the first checkpoint offered is accepted (trust on first use).
   */
  readonly latest?: string;
}

/** A transparency-log witness for one log (C2SP tlog-cosignature/v1). */
export interface Witness {
  /** The witness key name. */
  readonly name: string;
  /** Verifier of this witness's cosignatures, for clients (type 0x04). */
  readonly verifier: NoteVerifier;
  /** The last checkpoint cosigned (persist its `note` to resume), if any. */
  latest(): SignedCheckpoint | undefined;
  /**
   * Cosigns a signed checkpoint when it is consistent with the last one cosigned: verifies the
   * log's signature and origin, refuses a smaller tree (`rollback`), a different root at the same
   * size (`equivocation`, with evidence) and a larger tree without a valid consistency `proof`
   * from the last size (`inconsistent`). Returns the note with this witness's cosignature line
   * added; the state advances only on success.
   * @throws {NoteError} naming the failed check.
   */
  cosign(note: string, proof?: readonly Uint8Array[]): string;
}

/**
 * A witness that cosigns a log's checkpoints only along one append-only history.
 * @throws {NoteError} `bad-key` for a bad key; as {@link verifyCheckpoint} for a bad `latest`.
 * @example
 * ```ts
 * const witness = createWitness({ key: { name: 'witness.example/w1', secretKey }, log: logVerifier });
 * const cosigned = witness.cosign(checkpointNote, tree.consistencyProof(lastSize));
 * ```
 */
export function createWitness(options: WitnessOptions): Witness {
  const cosigner = createCosigner({
    ...options.key,
    ...(options.clock === undefined ? {} : { clock: options.clock }),
  });
  const verifier = createCosignatureVerifier({ name: cosigner.name, publicKey: cosigner.publicKey });
  const origin = options.origin ?? options.log.name;
  const verify = options.verifyConsistency ?? defaultConsistencyVerifier;
  let last: SignedCheckpoint | undefined =
    options.latest === undefined ? undefined : verifyCheckpoint(options.latest, options.log, { origin });
  return Object.freeze({
    name: cosigner.name,
    verifier,
    latest: () => last,
    cosign(note: string, proof: readonly Uint8Array[] = []): string {
      const next = verifyCheckpoint(note, options.log, { origin });
      if (last !== undefined) checkAppendOnly(last, next, proof, options.log, verify);
      const cosigned = cosignCheckpoint(note, cosigner);
      last = next;
      return cosigned;
    },
  });
}
