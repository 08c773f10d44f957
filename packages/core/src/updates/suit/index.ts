/**
 * SUIT manifests (draft-ietf-suit-manifest): decode with the signature checked before anything
 * else is parsed, encode and sign our own, check an image against a manifest for one device, and
 * encrypt an image to the devices that may read it.
 * @packageDocumentation
 */

export { type CheckedImage, type CheckImageOptions, checkImage, type SuitDevice } from './check-image.js';
export {
  COSE_ALG,
  MAX_CBOR_DEPTH,
  MAX_COMPONENTS,
  MAX_ENVELOPE_BYTES,
  MAX_SIGNATURES,
  MAX_TRUSTED_KEYS,
  SUIT_ENVELOPE_TAG,
} from './constants.js';
export { type DecodeSuitEnvelopeOptions, decodeSuitEnvelope } from './decode-envelope.js';
export { suitDigestOf } from './digest.js';
export { encodeSuitEnvelope, encodeSuitManifest } from './encode-envelope.js';
export {
  decodeEncryptedImage,
  decryptImage,
  type EncryptedImage,
  encodeEncryptedImage,
  encryptImage,
  IMAGE_ENCRYPTION_ALG,
  IMAGE_ENCRYPTION_DOMAIN,
  type ImageEncryptionOptions,
  type ImageOpener,
  type ImageRecipient,
  MAX_ENCRYPTED_IMAGE_BYTES,
  MAX_IMAGE_RECIPIENTS,
  type WrappedImageKey,
} from './image-encryption.js';
export type {
  SuitComponent,
  SuitComponentSpec,
  SuitDigest,
  SuitManifest,
  SuitManifestSpec,
  SuitParameters,
  SuitSignatureAlgorithm,
  SuitSigner,
  SuitTrustedKey,
} from './types.js';
export { parseUuid, suitClassId, suitVendorId, UUID_NAMESPACE_DNS, uuid5, uuidToString } from './uuid.js';
