/**
 * C2SP signed notes (c2sp.org/signed-note), transparency-log checkpoints (c2sp.org/tlog-checkpoint)
 * and witness cosignatures (c2sp.org/tlog-cosignature), interoperable with Go's
 * `golang.org/x/mod/sumdb/note`; witnesses, k-of-n clients and equivocation evidence.
 * @packageDocumentation
 */
export { decodeBase64, encodeBase64 } from './base64.js';
export {
  type Checkpoint,
  type CheckpointFields,
  formatCheckpoint,
  parseCheckpoint,
  ROOT_HASH_BYTES,
  sameCheckpoint,
} from './checkpoint.js';
export {
  type CheckpointClient,
  type CheckpointClientOptions,
  createCheckpointClient,
  requireCosignatures,
} from './client.js';
export { type ConsistencyVerifier, defaultConsistencyVerifier } from './consistency.js';
export {
  COSIGNATURE_V1_BYTES,
  COSIGNATURE_V1_HEADER,
  type Cosignature,
  type CosignerOptions,
  cosignatureMessage,
  cosignatureTimestamp,
  cosignCheckpoint,
  createCosignatureVerifier,
  createCosigner,
  verifyCosignature,
} from './cosignature.js';
export {
  ED25519_KEY_CACHE_SIZE,
  type Ed25519Backend,
  ed25519VerifyStrict,
  isStrictEd25519PublicKey,
  nativeEd25519Available,
} from './ed25519.js';
export {
  type DetectEquivocationOptions,
  detectEquivocation,
  type EquivocationEvidence,
  verifyEquivocationEvidence,
} from './equivocation.js';
export {
  isNoteError,
  NoteError,
  type NoteErrorDetail,
  type NoteErrorReason,
  NoteErrorReasons,
} from './errors.js';
export { formatKeyId, isValidKeyName, noteKeyId, type SignatureType, SignatureTypes } from './key-id.js';
export {
  createNoteSigner,
  createNoteVerifier,
  formatSignerKey,
  formatVerifierKey,
  generateNoteKey,
  parseSignerKey,
  parseVerifierKey,
  type SignerKey,
  type VerifierKey,
} from './key-strings.js';
export {
  addNoteSignatures,
  MAX_NOTE_BYTES,
  MAX_NOTE_SIGNATURES,
  type NoteSignature,
  type ParsedNote,
  parseNote,
  signNote,
  type VerifiedNote,
  verifyNote,
} from './note.js';
export {
  createEd25519NoteSigner,
  createEd25519NoteVerifier,
  keyLabel,
  type NamedPublicKey,
  type NamedSecretKey,
  type NoteKeyIdentity,
  type NoteSigner,
  type NoteVerifier,
} from './signer.js';
export {
  type SignedCheckpoint,
  signCheckpoint,
  type VerifyCheckpointOptions,
  verifyCheckpoint,
} from './verify-checkpoint.js';
export { createWitness, type Witness, type WitnessOptions } from './witness.js';
