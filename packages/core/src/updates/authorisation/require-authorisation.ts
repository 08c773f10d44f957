import { UpdateRejectedError } from '../update-rejected-error.js';
import type {
  FirmwareAuthorisation,
  FirmwareAuthorisationVerifier,
  FirmwareImageIdentity,
} from './firmware-authorisation.js';

function subjectOf(image: FirmwareImageIdentity): string {
  return `image ${String(image?.hardwareId)}/${String(image?.version)}`.slice(0, 300);
}

/**
 * Runs `verifier` and returns the authorisation, or throws: the gate an installer puts in front
 * of every install. Fails closed: a verifier that throws, or returns an authorisation for another
 * image than the one asked about, is a refusal too.
 *
 * @throws {UpdateRejectedError} reason `not-authorised`: the verdict's own error (with
 *   `detail.step`), or `detail.step` `verifier` when the verifier misbehaved.
 * @example
 * ```ts
 * const authorisation = requireFirmwareAuthorisation(authoriser, release.authorisation, verified);
 * await slots.install(verified.image); // reached only when authorised
 * ```
 */
export function requireFirmwareAuthorisation(
  verifier: FirmwareAuthorisationVerifier,
  proof: unknown,
  image: FirmwareImageIdentity,
): FirmwareAuthorisation {
  const subject = subjectOf(image);
  let verdict: ReturnType<FirmwareAuthorisationVerifier['verify']>;
  try {
    verdict = verifier.verify(proof, image);
  } catch (cause) {
    throw new UpdateRejectedError(
      'not-authorised',
      `The firmware authorisation verifier failed on ${subject}: ${cause instanceof Error ? cause.message : String(cause)}`,
      { subject, cause, detail: { step: 'verifier' } },
    );
  }
  if (!verdict.ok) throw verdict.error;
  const a = verdict.authorisation;
  if (a.sha256 !== image.sha256 || a.version !== image.version || !a.hardwareIds.includes(image.hardwareId)) {
    throw new UpdateRejectedError(
      'not-authorised',
      `The firmware authorisation verifier vouched for ${a.sha256} ${a.version}, not for ${subject} ${image.sha256}`,
      { subject, detail: { step: 'verifier' } },
    );
  }
  return a;
}
