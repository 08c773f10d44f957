import { signCanonical, verifyCanonical } from './canonical-signature.js';

/** The signing domain of a device's proof of possession at enrolment. */
export const ENROLMENT_DOMAIN = 'healthit-enrolment/v1\n';

/** What a device signs to prove it holds its key: the gateway's fresh challenge, bound to both parties. */
export interface EnrolmentStatement {
  /** The gateway's challenge (base64url), single use. */
  readonly challenge: string;
  /** The id of the enrolling device. */
  readonly deviceId: string;
  /** The gateway the device enrols with. */
  readonly gatewayId: string;
  /** The attested serial number. */
  readonly serial: string;
}

function statementJson(s: EnrolmentStatement): { [key: string]: string } {
  return { challenge: s.challenge, deviceId: s.deviceId, gatewayId: s.gatewayId, serial: s.serial };
}

/** The device's proof of possession: its Ed25519 signature (base64url) of the statement. */
export function proveEnrolment(statement: EnrolmentStatement, deviceSecretKey: Uint8Array): string {
  return signCanonical(ENROLMENT_DOMAIN, statementJson(statement), deviceSecretKey);
}

/** True when `proof` is the device key's signature of exactly this statement. Never throws. */
export function verifyEnrolmentProof(
  statement: EnrolmentStatement,
  proof: string,
  devicePublicKey: Uint8Array,
): boolean {
  return verifyCanonical(ENROLMENT_DOMAIN, statementJson(statement), proof, devicePublicKey);
}
