/**
 * Security primitives every layer speaks: identities (Ed25519 signing + X25519 sealing keys),
 * strict Ed25519 (native node:crypto where present, `@noble/curves` elsewhere, one RFC 8032 rule set),
 * signed envelopes (one signature per batch), sealed envelopes (X25519 + HKDF-SHA256 +
 * ChaCha20-Poly1305, end to end across brokers), and replay protection.
 * @packageDocumentation
 */

export {
  ACTIONS,
  type AccessControl,
  type AccessDecision,
  AccessPolicy,
  type AccessResource,
  AccessRule,
  type Action,
  createAccessControl,
  DEFAULT_ACCESS_POLICY,
  issueRoleClaim,
  type Principal,
  ROLE_CLAIM_DOMAIN,
  ROLES,
  type Role,
  RoleClaim,
  type RoleClaimFailure,
  verifyRoleClaim,
} from './access-control.js';
export {
  ATTESTATION_DOMAIN,
  type AttestationFailure,
  type AttestationFields,
  type AttestationVerdict,
  DeviceAttestation,
  signAttestation,
  verifyAttestation,
} from './attestation.js';
export { canonicalSigningInput, signCanonical, verifyCanonical } from './canonical-signature.js';
export {
  CERTIFICATE_REQUEST_DOMAIN,
  type CertificateRequestStatement,
  certificateRequestDigest,
  proveCertificateRequest,
  verifyCertificateRequestProof,
} from './certificate-request-proof.js';
export {
  authoriseCommand,
  authoriseCommandUnderOrder,
  COMMAND_DOMAIN,
  type CommandAuthFailure,
  type CommandAuthOptions,
  verifyCommandAuthorisation,
} from './command-authorisation.js';
export {
  ED25519_KEY_CACHE_SIZE,
  type Ed25519Backend,
  ed25519PublicKey,
  ed25519Sign,
  ed25519Verify,
  ed25519VerifyStrict,
  isEd25519PublicKey,
  isStrictEd25519PublicKey,
  nativeEd25519Available,
  randomSeed,
} from './ed25519.js';
export {
  ENROLMENT_DOMAIN,
  type EnrolmentStatement,
  proveEnrolment,
  verifyEnrolmentProof,
} from './enrolment.js';
export {
  ENVELOPE_SIGNING_DOMAIN,
  type EnvelopeSignatureFailure,
  type EnvelopeSignatureVerdict,
  type EnvelopeSigner,
  envelopeSigningInput,
  signEnvelope,
  verifyEnvelopeSignature,
} from './envelope-signature.js';
export {
  type CreateIdentityOptions,
  createIdentity,
  IDENTITY_KINDS,
  type Identity,
  type IdentityKind,
  keyIdOf,
  type PublicIdentity,
  publicIdentity,
} from './identity.js';
export {
  issueOwnershipVoucher,
  OwnershipVoucher,
  VOUCHER_DOMAIN,
  type VoucherFailure,
  verifyOwnershipVoucher,
} from './ownership-voucher.js';
export {
  createReplayGuard,
  type ReplayFailure,
  type ReplayGuard,
  type ReplayGuardOptions,
  type ReplayVerdict,
} from './replay-guard.js';
export {
  MAX_SEALED_PLAINTEXT,
  type OpenedEnvelope,
  openBytes,
  openEnvelope,
  SEAL_ALG,
  SEAL_DOMAIN,
  SEALED_CONTENT_TYPE,
  SealError,
  SealedBox,
  type SealedBytes,
  type SealFailure,
  type SealRecipient,
  sealBytes,
  sealEnvelope,
} from './seal.js';
export type { Ephemeral, SealBackend } from './seal-backend.js';
export {
  issueStandingOrder,
  STANDING_ORDER_DOMAIN,
  StandingOrder,
  standingOrderBody,
  verifyStandingOrderSignature,
} from './standing-order.js';
