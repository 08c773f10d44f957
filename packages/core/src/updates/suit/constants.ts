/**
 * Labels of the SUIT manifest (draft-ietf-suit-manifest) and of COSE (RFC 9052 / 9053) that this
 * module reads and writes, and the bounds every decode enforces.
 */

/** CBOR tag of `SUIT_Envelope_Tagged`. */
export const SUIT_ENVELOPE_TAG = 107;
/** CBOR tag of `COSE_Sign1_Tagged`. */
export const COSE_SIGN1_TAG = 18;

/** Keys of the `SUIT_Envelope` map. */
export const SUIT_ENVELOPE_KEY = {
  authenticationWrapper: 2,
  manifest: 3,
} as const;

/**
 * Severable manifest members (draft-ietf-suit-manifest): the manifest may carry a `SUIT_Digest` of
 * the member instead of the member, and the envelope then carries the member under the same key.
 */
export const SUIT_SEVERABLE_KEYS: readonly number[] = [16, 20, 23];

/** Keys of the `SUIT_Manifest` map. */
export const SUIT_MANIFEST_KEY = {
  version: 1,
  sequenceNumber: 2,
  common: 3,
  referenceUri: 4,
  validate: 7,
  load: 8,
  invoke: 9,
  payloadFetch: 16,
  install: 20,
  text: 23,
} as const;

/** Keys of the `SUIT_Common` map. */
export const SUIT_COMMON_KEY = {
  components: 2,
  sharedSequence: 4,
} as const;

/** Commands (conditions and directives) this module interprets or writes. */
export const SUIT_COMMAND = {
  conditionVendorIdentifier: 1,
  conditionClassIdentifier: 2,
  conditionImageMatch: 3,
  directiveSetComponentIndex: 12,
  directiveTryEach: 15,
  directiveOverrideParameters: 20,
  directiveFetch: 21,
  directiveInvoke: 23,
} as const;

/** Parameters (`SUIT_Parameters` map keys) this module reads and writes. */
export const SUIT_PARAMETER = {
  vendorIdentifier: 1,
  classIdentifier: 2,
  imageDigest: 3,
  componentSlot: 5,
  imageSize: 14,
  uri: 21,
} as const;

/** The reporting policy written after each condition and directive: all four report bits (15). */
export const SUIT_REPORT_ALL = 15;

/** COSE algorithm identifiers (IANA "COSE Algorithms"). */
export const COSE_ALG = {
  /** ECDSA with SHA-256 (P-256 here), RFC 9053. */
  ES256: -7,
  /** EdDSA (Ed25519 here), RFC 9053. */
  EdDSA: -8,
  /** SHA-256, the digest algorithm of `SUIT_Digest`. */
  SHA256: -16,
} as const;

/** COSE header labels. */
export const COSE_HEADER = {
  alg: 1,
  crit: 2,
  kid: 4,
} as const;

/** The default largest envelope decoded, bytes (64 KiB): larger input is refused as `too-large` unread. */
export const MAX_ENVELOPE_BYTES = 64 * 1024;
/** The deepest nesting of CBOR arrays, maps and tags accepted in any one decoded item. */
export const MAX_CBOR_DEPTH = 16;
/** Most `COSE_Sign1` blocks read from one authentication wrapper. */
export const MAX_SIGNATURES = 8;
/** Most trusted keys a caller may pass (each signature is tried against each key of its algorithm). */
export const MAX_TRUSTED_KEYS = 32;
/** Most components a manifest may declare. */
export const MAX_COMPONENTS = 64;
/** Deepest nesting of `directive-try-each` interpreted. */
export const MAX_TRY_EACH_DEPTH = 4;
