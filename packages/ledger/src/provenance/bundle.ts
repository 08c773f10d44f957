import { z } from 'zod';
import { HashHex, LeafIndex, LoggedEntrySchema, ProofHashes } from '../log-proof/index.js';
import { MAX_NOTE_BYTES } from '../note/index.js';

export { MAX_PROOF_HASHES } from '../log-proof/index.js';

/** The `format` member of every provenance bundle. */
export const PROVENANCE_FORMAT = 'healthit-provenance-bundle';

/** The bundle version this module writes and verifies. */
export const PROVENANCE_VERSION = 1;

/**
 * zod schema of a provenance bundle (version 1): exactly these members, unknown ones rejected.
 * Only the shape is checked here; `verifyProvenanceBundle` checks what it proves.
 */
export const ProvenanceBundleSchema = z.strictObject({
  format: z.literal(PROVENANCE_FORMAT),
  version: z.literal(PROVENANCE_VERSION),
  /** The reading being proven, as a `Reading` object (its Merkle leaf is its RFC 8785 JSON). */
  reading: z.unknown(),
  /**
   * Where the reading sits in its batch's Merkle tree (`seq` order), its inclusion proof and, for a
   * salted batch, the reading's own leaf salt.
   */
  batch: z.strictObject({ leafIndex: LeafIndex, proof: ProofHashes, salt: HashHex.optional() }),
  /** The batch's `reading.batch` entry: its canonical bytes (base64), log index and inclusion proof. */
  entry: LoggedEntrySchema,
  /** The signed, witness-cosigned checkpoint note the log proof leads to. */
  checkpoint: z.string().max(MAX_NOTE_BYTES),
});

/**
 * A self-contained, JSON-serialisable proof that one reading was anchored in a transparency log:
 * reading → batch Merkle root (in the batch entry) → log Merkle root (in a signed, cosigned
 * checkpoint). Carries the one reading (and its leaf salt when the batch is salted), hashes of the
 * rest, never another reading, another reading's salt, the leaf key or the patient salt.
 */
export interface ProvenanceBundle {
  /** Always {@link PROVENANCE_FORMAT}: names the document type. */
  readonly format: typeof PROVENANCE_FORMAT;
  /** Always {@link PROVENANCE_VERSION}: the bundle format version. */
  readonly version: typeof PROVENANCE_VERSION;
  /** The reading being proven (plain JSON of a core `Reading`). */
  readonly reading: unknown;
  /**
   * Where the reading sits in its batch's Merkle tree (`seq` order), its inclusion proof and, for a
   * salted batch, its leaf salt.
   */
  readonly batch: {
    /** The reading's leaf index in its batch (readings sorted by `seq`). */
    readonly leafIndex: number;
    /** RFC 9162 inclusion proof of the reading's leaf in the batch root (lowercase hex hashes). */
    readonly proof: readonly string[];
    /** The reading's leaf salt (lowercase hex), present exactly when the batch body is `salted`. */
    readonly salt?: string;
  };
  /** The batch's `reading.batch` entry: its log index, canonical bytes (base64) and inclusion proof. */
  readonly entry: {
    /** The batch entry's index in the log. */
    readonly index: number;
    /** Standard padded base64 of the entry's canonical bytes (its Merkle leaf data). */
    readonly bytes: string;
    /** RFC 9162 inclusion proof of the entry's leaf in the checkpoint's tree. */
    readonly proof: readonly string[];
  };
  /** The checkpoint note (C2SP signed note), with the log's signature and witness cosignatures. */
  readonly checkpoint: string;
}
