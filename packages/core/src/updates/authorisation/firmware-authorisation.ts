import type { LedgerReceipt } from '../../ports/ledger-sink.js';
import type { UpdateRejectedError } from '../update-rejected-error.js';

/**
 * The image an authorisation must cover: what the device or gateway has already established about
 * the bytes it holds (a `VerifiedUpdate` fits: its other members are ignored).
 */
export interface FirmwareImageIdentity {
  /** Lower-case hex SHA-256 of the image bytes (64 characters). */
  readonly sha256: string;
  /** The firmware version the image carries, e.g. `2.4.1`. */
  readonly version: string;
  /** The hardware id of the device that would install it, e.g. `po-200.rev-a`. */
  readonly hardwareId: string;
}

/** A member whose endorsement of the release counted. */
export interface FirmwareEndorser {
  /** The signing key's id. */
  readonly keyId: string;
  /** The organisation the key belongs to. */
  readonly organisation: string;
  /** The roles the key holds, e.g. `manufacturer.release`, `hospital.biomed`. */
  readonly roles: readonly string[];
}

/** What a verified authorisation proves about an image. */
export interface FirmwareAuthorisation {
  /** The authorised image digest (equal to the image's `sha256`). */
  readonly sha256: string;
  /** The authorised version (equal to the image's `version`). */
  readonly version: string;
  /** The hardware id that was checked (one of `hardwareIds`). */
  readonly hardwareId: string;
  /** Every hardware id the authorisation lists. */
  readonly hardwareIds: readonly string[];
  /**
   * When present, the release may only be installed over this version or a later one (the
   * authorisation's anti-rollback bound): the installer compares it with the running version.
   */
  readonly minPreviousVersion?: string;
  /** The members whose endorsements counted, in the order they signed. */
  readonly endorsers: readonly FirmwareEndorser[];
  /** Where the authorisation is recorded: which log, which entry. */
  readonly receipt: LedgerReceipt;
  /** The signed checkpoint the proof leads to (`rootHash` in lower-case hex). */
  readonly checkpoint: { readonly origin: string; readonly size: number; readonly rootHash: string };
  /** The witnesses whose cosignatures on that checkpoint counted. */
  readonly witnesses: readonly string[];
}

/** An authorisation proof that verified for the image. */
export interface FirmwareAuthorised {
  /** The proof verified: the image is authorised. */
  readonly ok: true;
  /** What the proof established: the release, its endorsers and where it is recorded. */
  readonly authorisation: FirmwareAuthorisation;
}

/** An authorisation proof that did not verify for the image: the first check that failed, and why. */
export interface FirmwareNotAuthorised {
  /** The proof did not verify: do not install the image. */
  readonly ok: false;
  /** The check that failed, named by the verifier (e.g. `image-digest`, `endorsement`, `witnesses`). */
  readonly step: string;
  /** Why, in words. */
  readonly reason: string;
  /**
   * The refusal to throw or report: reason `not-authorised`, `detail.step` = {@link step},
   * `subject` naming the image.
   */
  readonly error: UpdateRejectedError;
}

/** The verdict of {@link FirmwareAuthorisationVerifier.verify}. */
export type FirmwareAuthorisationVerdict = FirmwareAuthorised | FirmwareNotAuthorised;

/**
 * Checks that a firmware release is authorised: a proof, carried next to the image, that the
 * release's authorisation was recorded and endorsed as policy requires. Device and gateway code
 * require this port; `@healthit/ledger` implements it over `firmware.authorize` entries proven
 * against a witnessed checkpoint (`firmwareAuthorisationVerifier`), and an integrator wires the
 * two. The verifier holds what the device trusts (keys, witnesses, policy) from its creation.
 *
 * @example
 * ```ts
 * const verdict = authoriser.verify(release.authorisation, { sha256, version, hardwareId });
 * if (!verdict.ok) throw verdict.error; // UpdateRejectedError 'not-authorised', detail.step
 * ```
 */
export interface FirmwareAuthorisationVerifier {
  /**
   * Verifies `proof` (untrusted: anything, from anywhere) for `image`. Pure and offline.
   * Never throws on `proof` or `image`, whatever they hold: a refusal is a verdict.
   */
  verify(proof: unknown, image: FirmwareImageIdentity): FirmwareAuthorisationVerdict;
}
