/**
 * Signed model artifacts: bytes + spec + metrics + SHA-256 under an Ed25519 signature (core's
 * canonical signatures), approval recorded through the `LedgerSink` port (`model-approve`), and the
 * verifier a gateway runs before it loads a model. Browser-safe.
 * @module
 */
export {
  type ApproveModelOptions,
  approveModel,
  MODEL_APPROVE_RECORD,
  modelApproveRecord,
} from './approve.js';
export { digestsEqual, sha256Hex } from './digest.js';
export {
  LedgerRef,
  MODEL_APPROVAL_DOMAIN,
  MODEL_ARTIFACT_DOMAIN,
  ModelApproval,
  ModelId,
  ModelManifest,
  ModelMetrics,
  ModelVersion,
  SignedManifest,
  type SignedModelArtifact,
  SignedModelArtifactJson,
  SignerRef,
} from './manifest.js';
export {
  type ArtifactSigner,
  type ModelArtifactInput,
  manifestDigest,
  type SignModelArtifactOptions,
  signedArtifactFromJson,
  signedArtifactToJson,
  signModelArtifact,
} from './sign.js';
export { Dim, FeatureSpec, ModelSpec, TENSOR_TYPES, TensorSpec } from './spec.js';
export {
  createModelVerifier,
  MODEL_REFUSALS,
  type ModelRefusal,
  type ModelTrust,
  type ModelVerdict,
  ModelVerificationError,
  type ModelVerifier,
  type TrustedKey,
  type VerifiedModel,
} from './verify.js';
