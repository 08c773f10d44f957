import { HealthItError } from '../../errors/health-it-error.js';
import type { FirmwareAuthorisationVerifier } from '../authorisation/firmware-authorisation.js';
import { requireFirmwareAuthorisation } from '../authorisation/require-authorisation.js';
import { checkImage } from '../suit/check-image.js';
import { decodeSuitEnvelope } from '../suit/decode-envelope.js';
import { decodeEncryptedImage, decryptImage, type ImageOpener } from '../suit/image-encryption.js';
import type { SuitTrustedKey } from '../suit/types.js';
import { UpdateRejectedError } from '../update-rejected-error.js';
import type { VerifiedUpdate } from '../verified-update.js';
import { compareFirmwareVersions } from './firmware-version.js';
import type { TufClient } from './tuf-client.js';
import { type ImageAssignment, UptaneClient } from './uptane-client.js';

/** Suffix of the TUF target that carries an image's SUIT envelope: `<image path>.suit`. */
export const SUIT_TARGET_SUFFIX = '.suit';
/** Suffix of the TUF target that carries an image's ledger authorisation proof (JSON text). */
export const AUTHORISATION_TARGET_SUFFIX = '.authorisation.json';

/**
 * The TUF targets a release publishes for one image: the image, its SUIT envelope and its ledger
 * authorisation proof, side by side in the image repository (so all three are signed by the
 * repository's targets role and fetched through the same gateway). An image target's custom fields
 * `suit` and `authorisation` override these paths.
 * @example
 * ```ts
 * const paths = releaseTargetPaths('po-200/rev-a/2.5.0.bin');
 * images.addTarget(paths.image, image, { custom: { hardwareId, version } });
 * images.addTarget(paths.suit, envelope);
 * images.addTarget(paths.authorisation, new TextEncoder().encode(JSON.stringify(proof)));
 * ```
 */
export function releaseTargetPaths(imagePath: string): {
  readonly image: string;
  readonly suit: string;
  readonly authorisation: string;
} {
  return {
    image: imagePath,
    suit: `${imagePath}${SUIT_TARGET_SUFFIX}`,
    authorisation: `${imagePath}${AUTHORISATION_TARGET_SUFFIX}`,
  };
}

/**
 * What the device asks for: structurally the device's `UpdateSourceRequest` (`@healthit/device`),
 * redeclared here because core does not depend on the device package.
 */
export interface VerifyingUpdateRequest {
  /** The device's hardware id, e.g. `po-200.rev-a`: it must be the one the source serves. */
  readonly hardwareId: string;
  /** The TUF target the platform's command named: the director must assign exactly it. */
  readonly targetPath?: string;
  /** The version the command named: the director must assign exactly it. */
  readonly version?: string;
  /** What the device runs now (the director assigns by it). */
  readonly installed: { readonly version: string; readonly sequence: number };
  /** The device's anti-rollback counter: the SUIT sequence number must be above it. */
  readonly antiRollbackCounter: number;
}

/** Options of {@link verifyingUpdateSource}. */
export interface VerifyingUpdateSourceOptions {
  /** This device's id: the director's assignments must name it. */
  readonly deviceId: string;
  /** This device's hardware id, e.g. `po-200.rev-a`: requests and assigned images must be for it. */
  readonly hardwareId: string;
  /** A client of this device's director repository (fetching through the gateway). */
  readonly director: TufClient;
  /** A client of the image repository (fetching through the gateway). */
  readonly images: TufClient;
  /** How SUIT envelopes are checked, and what the device is. */
  readonly suit: {
    /** The vendor's manifest keys the device trusts. */
    readonly trustedKeys: readonly SuitTrustedKey[];
    /** Distinct trusted keys that must have signed (default 1). */
    readonly requiredSignatures?: number;
    /** The device's SUIT vendor id (16 bytes). */
    readonly vendorId: Uint8Array;
    /** The device's SUIT class id (16 bytes): one per hardware revision. */
    readonly classId: Uint8Array;
  };
  /** The ledger's `firmware.authorize` check (e.g. `firmwareAuthorisationVerifier` of `@healthit/ledger`). */
  readonly authoriser: FirmwareAuthorisationVerifier;
  /**
   * The device's image-decryption key. Images whose target has `custom.encrypted: true` are the
   * wire form of `encodeEncryptedImage`; without this key they are refused (`decryption`).
   */
  readonly opener?: ImageOpener;
}

/** An update source that verifies everything: structurally the device's `UpdateSource`. */
export interface VerifyingUpdateSource {
  /**
   * Fetches the image the director assigns to this device and checks it end to end.
   * @throws {UpdateRejectedError} the reason of the first check that refused (nothing is returned).
   * @throws {HealthItError} `update/unavailable` when nothing is assigned or a file cannot be fetched.
   */
  fetch(request: VerifyingUpdateRequest): Promise<VerifiedUpdate>;
}

const decoder = new TextDecoder('utf-8', { fatal: false });

/**
 * The device's verifying update source: every check an image passes before the update agent may
 * install it, in this order —
 *
 * 1. **TUF + Uptane** (`UptaneClient`): both repositories refreshed (signatures, thresholds,
 *    expiry, rollback, mix-and-match), the director's assignment for this device and hardware
 *    agrees with the image repository (U8, U11), and is the target and version the command named
 *    (`director-mismatch` otherwise);
 * 2. **SUIT**: the envelope (TUF target `<image>.suit`) is downloaded through TUF and decoded with
 *    the vendor's trusted keys — signature before anything else is parsed (U1);
 * 3. the image is downloaded through TUF (length and hashes of the signed target) and, when its
 *    target says `encrypted: true`, decrypted with the device's key (U15);
 * 4. `checkImage`: vendor and class id, sequence number above `request.antiRollbackCounter` (U3),
 *    size and SHA-256 of the plaintext;
 * 5. **ledger**: the proof (TUF target `<image>.authorisation.json`) must verify for the image's
 *    digest, version and hardware (U14); a missing proof is refused the same way. An authorisation's
 *    `minPreviousVersion` above the installed version is refused too (`not-authorised`).
 *
 * The result is a `VerifiedUpdate` whose `sequence` is the manifest's and whose `image` is a
 * private copy of exactly the bytes checked. Fetches run one at a time.
 *
 * @example
 * ```ts
 * const source = verifyingUpdateSource({ deviceId, hardwareId, director, images, suit, authoriser });
 * agent.update(source, { campaignId, targetPath, version }).subscribe(report);
 * ```
 */
export function verifyingUpdateSource(options: VerifyingUpdateSourceOptions): VerifyingUpdateSource {
  const { deviceId, hardwareId, images, authoriser, opener } = options;
  const suit = options.suit;
  let installedVersion = '0.0.0';
  const uptane = new UptaneClient({
    deviceId,
    hardwareId,
    installedVersion: () => installedVersion,
    director: options.director,
    images,
  });
  let queue: Promise<unknown> = Promise.resolve();

  const pick = (
    assignments: readonly ImageAssignment[],
    request: VerifyingUpdateRequest,
  ): ImageAssignment => {
    const wanted = assignments.filter(
      (a) =>
        (request.targetPath === undefined || a.targetPath === request.targetPath) &&
        (request.version === undefined || a.version === request.version),
    );
    const chosen = wanted[0];
    if (chosen === undefined) {
      if (assignments.length > 0 || request.targetPath !== undefined)
        throw new UpdateRejectedError(
          'director-mismatch',
          `The director assigns ${assignments.map((a) => a.targetPath).join(', ') || 'nothing'} to ${deviceId}, not ${request.targetPath ?? request.version} as commanded`,
          { subject: request.targetPath ?? deviceId },
        );
      throw new HealthItError('update/unavailable', `The director assigns no update to ${deviceId}`, {
        detail: { deviceId },
      });
    }
    return chosen;
  };

  const sidecar = (assignment: ImageAssignment, kind: 'suit' | 'authorisation'): string => {
    const named = assignment.custom[kind];
    return typeof named === 'string' ? named : releaseTargetPaths(assignment.targetPath)[kind];
  };

  const run = async (request: VerifyingUpdateRequest): Promise<VerifiedUpdate> => {
    if (request.hardwareId !== hardwareId)
      throw new UpdateRejectedError(
        'wrong-hardware',
        `The request is for ${request.hardwareId}, this source serves ${hardwareId}`,
        { subject: deviceId },
      );
    installedVersion = request.installed.version;
    await uptane.refresh();
    const assignment = pick(await uptane.assignments(), request);
    const path = assignment.targetPath;

    // SUIT: signature first, then the manifest.
    const envelope = await images.download(sidecar(assignment, 'suit'));
    const manifest = decodeSuitEnvelope(envelope.bytes, {
      trustedKeys: suit.trustedKeys,
      ...(suit.requiredSignatures === undefined ? {} : { requiredSignatures: suit.requiredSignatures }),
    });

    // The image, as the image repository signed it (ciphertext when encrypted).
    const downloaded = await uptane.download(assignment);
    let plaintext = downloaded.image;
    if (assignment.custom.encrypted === true) {
      if (opener === undefined)
        throw new UpdateRejectedError('decryption', `${path} is encrypted and this device holds no key`, {
          subject: path,
        });
      plaintext = decryptImage(decodeEncryptedImage(downloaded.image), opener);
    }
    const checked = checkImage(manifest, plaintext, {
      vendorId: suit.vendorId,
      classId: suit.classId,
      sequence: request.antiRollbackCounter,
    });

    // The ledger: a witnessed, endorsed firmware.authorize entry for exactly these bytes.
    const proofPath = sidecar(assignment, 'authorisation');
    const proof =
      (await images.targetInfo(proofPath)) === undefined
        ? undefined
        : decoder.decode((await images.download(proofPath)).bytes);
    const identity = { sha256: checked.sha256, version: assignment.version, hardwareId };
    const authorisation = requireFirmwareAuthorisation(authoriser, proof, identity);
    const floor = authorisation.minPreviousVersion;
    if (floor !== undefined && compareFirmwareVersions(request.installed.version, floor) < 0)
      throw new UpdateRejectedError(
        'not-authorised',
        `${path} may only be installed over ${floor} or later; ${deviceId} runs ${request.installed.version}`,
        { subject: path, detail: { step: 'min-previous-version' } },
      );

    return {
      targetPath: path,
      version: assignment.version,
      sequence: checked.sequenceNumber,
      hardwareId,
      sha256: checked.sha256,
      length: checked.length,
      image: checked.image,
    };
  };

  return {
    fetch(request) {
      const next = queue.then(() => run(request));
      queue = next.catch(() => undefined);
      return next;
    },
  };
}
