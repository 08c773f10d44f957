import { logIdOf } from '../key.js';
import { createNoteVerifier, type NoteVerifier, SignatureTypes } from '../note/index.js';

/** What a verifier of logged entries trusts about the log: its key, its witnesses, its origin. */
export interface CheckpointTrustOptions {
  /** The log's verifier key string (`name+keyid+base64`, Ed25519 type 0x01). */
  readonly logKey: string;
  /** The witnesses' verifier key strings (cosignature type 0x04). Default none. */
  readonly witnesses?: readonly string[];
  /** How many distinct witnesses must have cosigned. Default: all of `witnesses`. */
  readonly witnessThreshold?: number;
  /** The log origin the checkpoint must carry. Default: the log key's name. */
  readonly origin?: string;
}

/** {@link CheckpointTrustOptions}, parsed once. */
export interface CheckpointTrust {
  readonly log: NoteVerifier;
  /** Hex SHA-256 of the log key (the `logId` of receipts). */
  readonly logId: string;
  readonly witnesses: readonly NoteVerifier[];
  /** Distinct witness cosignatures required. */
  readonly k: number;
  readonly origin: string;
}

/**
 * Parses the log key and witness keys and checks the threshold.
 * @throws {NoteError} `bad-key` for a malformed key string;
 * @throws {RangeError} for a log key that is not Ed25519, a witness key that is not a
 *   cosignature/v1 key, or a threshold outside `[0, witnesses.length]`.
 */
export function checkpointTrust(options: CheckpointTrustOptions): CheckpointTrust {
  const log = createNoteVerifier(options.logKey);
  if (log.type !== SignatureTypes.ed25519) {
    throw new RangeError('logKey must be an Ed25519 note key (type 0x01), not a witness key');
  }
  const witnesses = (options.witnesses ?? []).map((w) => createNoteVerifier(w));
  for (const w of witnesses) {
    if (w.type !== SignatureTypes.cosignatureV1) {
      throw new RangeError(`witness key ${w.name} is not a cosignature/v1 (type 0x04) key`);
    }
  }
  const k = options.witnessThreshold ?? witnesses.length;
  if (!Number.isInteger(k) || k < 0 || k > witnesses.length) {
    throw new RangeError(`witnessThreshold must be an integer in [0, ${witnesses.length}], got ${k}`);
  }
  return { log, logId: logIdOf(log.publicKey), witnesses, k, origin: options.origin ?? log.name };
}
