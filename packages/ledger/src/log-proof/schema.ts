import { z } from 'zod';
import { MAX_ENTRY_BYTES } from '../entries/index.js';
import { fromHex } from '../hex.js';

/** The longest proof a bundle may carry: 63 hashes cover any tree of up to 2^63 leaves. */
export const MAX_PROOF_HASHES = 63;

/** A lowercase hex SHA-256 hash. */
export const HashHex = z.string().regex(/^[0-9a-f]{64}$/, 'must be 64 lowercase hex characters');

/** An RFC 9162 proof: at most {@link MAX_PROOF_HASHES} lowercase hex hashes. */
export const ProofHashes = z.array(HashHex).max(MAX_PROOF_HASHES);

/** A leaf index. */
export const LeafIndex = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);

/**
 * An entry of the log as a bundle carries it: its index, its canonical bytes (standard padded
 * base64, at most {@link MAX_ENTRY_BYTES} bytes) and its inclusion proof in the checkpoint's tree.
 */
export const LoggedEntrySchema = z.strictObject({
  index: LeafIndex,
  bytes: z.string().max(Math.ceil(MAX_ENTRY_BYTES / 3) * 4),
  proof: ProofHashes,
});

/**
 * An entry of a transparency log as a proof bundle carries it (e.g.
 * {@link FirmwareAuthorisationProof.entry}): its index, its canonical bytes (standard padded base64
 * of at most 65 536 bytes) and its inclusion proof in the checkpoint's tree.
 */
export interface LoggedEntryProof {
  /** The entry's index in the log. */
  readonly index: number;
  /** Standard padded base64 of the entry's canonical bytes (its Merkle leaf data). */
  readonly bytes: string;
  /** RFC 9162 inclusion proof of the entry's leaf in the checkpoint's tree (lowercase hex). */
  readonly proof: readonly string[];
}

/** The first issue of a failed parse, as `path: message`. */
export function firstIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  return `${issue?.path.join('.') || '(root)'}: ${issue?.message ?? 'invalid'}`;
}

/** Hex proof hashes as bytes. */
export function proofBytes(proof: readonly string[]): Uint8Array[] {
  return proof.map((h) => fromHex(h, 32, 'proof hash'));
}
