import { parseCheckpoint } from './checkpoint.js';
import { type ConsistencyVerifier, checkAppendOnly, defaultConsistencyVerifier } from './consistency.js';
import { type Cosignature, cosignatureTimestamp } from './cosignature.js';
import { NoteError } from './errors.js';
import { SignatureTypes } from './key-id.js';
import { parseNote } from './note.js';
import { keyLabel, type NoteVerifier } from './signer.js';
import { type SignedCheckpoint, verifyCheckpoint } from './verify-checkpoint.js';

const utf8 = new TextEncoder();

function hexKey(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += b.toString(16).padStart(2, '0');
  return s;
}

/**
 * Requires cosignatures from at least `k` distinct witnesses among `witnesses` (cosignature/v1
 * verifiers) on a checkpoint note. Lines from other keys are ignored; a known witness's line that
 * fails to verify rejects the note; a witness (one public key, whatever names it is configured
 * under, and however many lines it has) counts once. Does not check the log's own signature: use
 * {@link verifyCheckpoint} (or {@link createCheckpointClient}, which does both).
 *
 * @throws {RangeError} unless `0 <= k <= witnesses.length`;
 * @throws {NoteError} `quorum` when fewer than `k` witnesses cosigned; `bad-signature`,
 * `ambiguous-key`, `malformed`, `checkpoint` as their names say.
 * @example
 * ```ts
 * const cosigs = requireCosignatures(note, [w1.verifier, w2.verifier, w3.verifier], 2);
 * ```
 */
export function requireCosignatures(
  note: string,
  witnesses: readonly NoteVerifier[],
  k: number,
): Cosignature[] {
  if (!Number.isInteger(k) || k < 0 || k > witnesses.length) {
    throw new RangeError(`k must be an integer in [0, ${witnesses.length}], got ${k}`);
  }
  const byId = new Map<string, NoteVerifier>();
  for (const w of witnesses) {
    if (w.type !== SignatureTypes.cosignatureV1) {
      throw new NoteError('bad-key', `witness ${w.name} is not a cosignature/v1 (type 0x04) verifier`);
    }
    const id = keyLabel(w);
    if (byId.has(id))
      throw new NoteError('ambiguous-key', `two witnesses share name and key ID ${id}`, { key: id });
    byId.set(id, w);
  }
  const parsed = parseNote(note);
  parseCheckpoint(parsed.text);
  const text = utf8.encode(parsed.text);
  const counted = new Set<string>();
  const found: Cosignature[] = [];
  for (const sig of parsed.signatures) {
    const id = keyLabel(sig);
    const w = byId.get(id);
    if (w === undefined) continue;
    if (!w.verify(text, sig.signature)) {
      throw new NoteError('bad-signature', `invalid cosignature for witness ${id}`, { key: id });
    }
    const pub = hexKey(w.publicKey);
    if (counted.has(pub)) continue;
    counted.add(pub);
    found.push(
      Object.freeze({
        name: sig.name,
        keyId: sig.keyId,
        timestamp: cosignatureTimestamp(sig.signature) as bigint,
        signature: sig,
      }),
    );
  }
  if (found.length < k) {
    throw new NoteError('quorum', `${found.length} of the required ${k} witnesses cosigned this checkpoint`);
  }
  return found;
}

/** Options of {@link createCheckpointClient}. */
export interface CheckpointClientOptions {
  /** Verifier of the log's checkpoint signatures. */
  readonly log: NoteVerifier;
  /** The log's origin line. Default: the log key's name. */
  readonly origin?: string;
  /** The witnesses' cosignature verifiers. Default: none. */
  readonly witnesses?: readonly NoteVerifier[];
  /** How many distinct witnesses must cosign each checkpoint. Default: 0. */
  readonly k?: number;
  /** Consistency-proof verifier. Default: RFC 9162 `verifyConsistency` of the Merkle module. */
  readonly verifyConsistency?: ConsistencyVerifier;
  /** The last verified checkpoint note (persisted state), if any; checked like an update. */
  readonly latest?: string;
}

/** A client's view of one log: the last checkpoint it verified, never moving backwards. */
export interface CheckpointClient {
  /** The last verified checkpoint (persist its `note`), if any. */
  latest(): SignedCheckpoint | undefined;
  /**
   * Accepts a newer checkpoint: checks the log's signature and origin, the witness quorum, and that
   * it extends the last one (a smaller tree is a `rollback`, another root at the same size an
   * `equivocation` with evidence, a larger tree needs a valid consistency `proof` from the last
   * size). State advances only on success; returns the accepted checkpoint.
   * @throws {NoteError} naming the failed check.
   */
  update(note: string, proof?: readonly Uint8Array[]): SignedCheckpoint;
}

/**
 * A client that keeps the last verified checkpoint of one log and never accepts a smaller or
 * inconsistent one.
 * @throws {RangeError} for a bad `k`; {@link NoteError} for a bad `latest`.
 * @example
 * ```ts
 * const client = createCheckpointClient({ log, witnesses: [w1, w2, w3], k: 2 });
 * client.update(note, proofFromLastSize);
 * ```
 */
export function createCheckpointClient(options: CheckpointClientOptions): CheckpointClient {
  const witnesses = options.witnesses ?? [];
  const k = options.k ?? 0;
  if (!Number.isInteger(k) || k < 0 || k > witnesses.length) {
    throw new RangeError(`k must be an integer in [0, ${witnesses.length}], got ${k}`);
  }
  const origin = options.origin ?? options.log.name;
  const verify = options.verifyConsistency ?? defaultConsistencyVerifier;
  const accept = (note: string): SignedCheckpoint => {
    const next = verifyCheckpoint(note, options.log, { origin });
    requireCosignatures(note, witnesses, k);
    return next;
  };
  let last: SignedCheckpoint | undefined = options.latest === undefined ? undefined : accept(options.latest);
  return Object.freeze({
    latest: () => last,
    update(note: string, proof: readonly Uint8Array[] = []): SignedCheckpoint {
      const next = accept(note);
      if (last !== undefined) checkAppendOnly(last, next, proof, options.log, verify);
      last = next;
      return next;
    },
  });
}
