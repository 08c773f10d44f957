/** The signature algorithms accepted and produced: ES256 (P-256, COSE -7) and EdDSA (Ed25519, COSE -8). */
export type SuitSignatureAlgorithm = 'ES256' | 'EdDSA';

/**
 * A key whose signatures a device trusts. `publicKey` is an SEC 1 P-256 point (65 bytes
 * uncompressed or 33 compressed) for ES256, or the 32-byte Ed25519 key for EdDSA.
 */
export interface SuitTrustedKey {
  /** The algorithm the key verifies: `ES256` or `EdDSA`. */
  readonly algorithm: SuitSignatureAlgorithm;
  /** The public key: an SEC 1 P-256 point (65 or 33 bytes) for ES256, 32 bytes for EdDSA. */
  readonly publicKey: Uint8Array;
  /** A name for logs and for {@link SuitManifest.signedBy}, e.g. `manufacturer-release-2026`. */
  readonly name?: string;
}

/** A key that signs manifests: a 32-byte P-256 scalar (ES256) or a 32-byte Ed25519 seed (EdDSA). */
export interface SuitSigner {
  /** The algorithm the key signs with: `ES256` or `EdDSA`. */
  readonly algorithm: SuitSignatureAlgorithm;
  /** The 32-byte secret: a P-256 scalar (ES256) or an Ed25519 seed (EdDSA). Never leaves the signer. */
  readonly secretKey: Uint8Array;
  /** Written as `kid` into the protected header (so it is signed too); informational only. */
  readonly keyId?: Uint8Array;
}

/** A `SUIT_Digest`: COSE algorithm id (-16, SHA-256) and the digest bytes. */
export interface SuitDigest {
  /** The COSE algorithm id of the hash, e.g. -16 for SHA-256 (the only one this module makes). */
  readonly algorithm: number;
  /** The digest bytes (32 for SHA-256). */
  readonly bytes: Uint8Array;
}

/**
 * The `SUIT_Parameters` this module gives meaning to, as a `directive-override-parameters` sets
 * them. Absent when the manifest does not set them.
 */
export interface SuitParameters {
  /** `vendor-identifier` (1), usually a 16-byte UUID (see `suitVendorId`). */
  readonly vendorId?: Uint8Array;
  /** `class-identifier` (2), usually a 16-byte UUID (see `suitClassId`). */
  readonly classId?: Uint8Array;
  /** `image-digest` (3): the digest of the image as installed (the plaintext, for an encrypted image). */
  readonly imageDigest?: SuitDigest;
  /** `image-size` (14), bytes. */
  readonly imageSize?: number;
  /** `component-slot` (5). */
  readonly slot?: number;
  /** `uri` (21): where the image is fetched from (read from the install and payload-fetch sequences too). */
  readonly uri?: string;
}

/**
 * One component of a manifest: its identifier and the parameters the shared sequence (and, for
 * `uri`, the install and payload-fetch sequences) set for it.
 */
export interface SuitComponent extends SuitParameters {
  /** The `SUIT_Component_Identifier`: an array of byte strings. */
  readonly id: readonly Uint8Array[];
  /**
   * Parameter sets of a `directive-try-each` in the shared sequence, one per branch (e.g. one image
   * per A/B slot); each applies on top of the component's own parameters. Absent when none.
   */
  readonly alternatives?: readonly SuitParameters[];
}

/**
 * A decoded manifest whose signature, digest and severed members were all verified. Nothing of a
 * manifest is available before that.
 */
export interface SuitManifest {
  /** `manifest-version`: always 1. */
  readonly version: 1;
  /** `manifest-sequence-number`: the anti-rollback counter a device compares with its own. */
  readonly sequenceNumber: number;
  /** The manifest's components, in manifest order: the index `checkImage` takes. */
  readonly components: readonly SuitComponent[];
  /** `reference-uri` (4), when present. */
  readonly referenceUri?: string;
  /**
   * The other manifest members, as decoded and otherwise uninterpreted, by key: command sequences
   * (`validate` 7, `load` 8, `invoke` 9, `payload-fetch` 16, `install` 20) and `text` (23) as their
   * byte strings, a severed member that the envelope did not carry as its {@link SuitDigest}.
   * A severed member the envelope carried is here as its bytes, after its digest was checked.
   */
  readonly members: ReadonlyMap<number, unknown>;
  /** SHA-256 over the manifest's byte string as signed (the authentication wrapper's digest). */
  readonly digest: SuitDigest;
  /** Names (or `#index`) of the distinct trusted keys whose signatures verified. */
  readonly signedBy: readonly string[];
}

/** What `encodeSuitEnvelope` needs to know of a component. */
export interface SuitComponentSpec {
  /** The `SUIT_Component_Identifier`: an array of byte strings. */
  readonly id: readonly Uint8Array[];
  /** `vendor-identifier`, at most 64 bytes, usually a 16-byte UUID (see `suitVendorId`). */
  readonly vendorId: Uint8Array;
  /** `class-identifier`, at most 64 bytes, usually a 16-byte UUID (see `suitClassId`). */
  readonly classId: Uint8Array;
  /** `image-digest`: the SHA-256 `SUIT_Digest` of the image as installed (see `suitDigestOf`). */
  readonly imageDigest: SuitDigest;
  /** `image-size`: the image's length, bytes (a non-negative safe integer). */
  readonly imageSize: number;
  /** Written into the install sequence with `directive-fetch`. */
  readonly uri?: string;
}

/** What `encodeSuitEnvelope` writes. */
export interface SuitManifestSpec {
  /** A non-negative safe integer, strictly greater than every earlier release's. */
  readonly sequenceNumber: number;
  /** The components, 1 to 64, in manifest order. */
  readonly components: readonly SuitComponentSpec[];
  /** `reference-uri` (4): where the manifest itself can be found; not written when undefined. */
  readonly referenceUri?: string;
}
