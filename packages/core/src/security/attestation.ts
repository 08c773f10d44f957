import { z } from 'zod';
import { fromBase64Url, toBase64Url } from '../encoding/bytes.js';
import { signCanonical, verifyCanonical, withoutSignature } from './canonical-signature.js';
import { isStrictEd25519PublicKey } from './ed25519.js';

/** The signing domain of manufacturer attestations. */
export const ATTESTATION_DOMAIN = 'healthit-attestation/v1\n';

const B64Key = z.string().regex(/^[A-Za-z0-9_-]{43}$/, 'must be 32 bytes of base64url');

/**
 * A manufacturer's statement that a device with this model and serial holds this key: made at the
 * factory, checked at onboarding against the manufacturers a site trusts.
 */
export const DeviceAttestation = z.strictObject({
  v: z.literal(1),
  manufacturer: z.string().min(1).max(128),
  model: z.string().min(1).max(128),
  serial: z.string().min(1).max(128),
  /** The device's Ed25519 public key, base64url. */
  publicKey: B64Key,
  /** The device's X25519 sealing key, base64url, when it has one. */
  sealingKey: B64Key.optional(),
  /** When the attestation was made (epoch ms). */
  issuedAt: z.number().int().nonnegative(),
  /** The manufacturer's signature: its key id and the Ed25519 signature (base64url). */
  sig: z.strictObject({ kid: z.string().min(1).max(128), value: z.string().regex(/^[A-Za-z0-9_-]{86}$/) }),
});
export type DeviceAttestation = z.infer<typeof DeviceAttestation>;

/** What a manufacturer attests. */
export interface AttestationFields {
  /** The manufacturer's name, as a site's trust list knows it (1 to 128 characters). */
  readonly manufacturer: string;
  /** The device model, e.g. `PM-100` (1 to 128 characters). */
  readonly model: string;
  /** The device's serial number (1 to 128 characters). */
  readonly serial: string;
  /** The device's Ed25519 public key, 32 raw bytes. */
  readonly publicKey: Uint8Array;
  /** The device's X25519 sealing key, 32 raw bytes; undefined when it has none. */
  readonly sealingKey?: Uint8Array;
  /** When the attestation was made, ms since the Unix epoch. */
  readonly issuedAt: number;
}

/** The signed part of an attestation. */
const body = (a: Omit<DeviceAttestation, 'sig'>) => withoutSignature(a);

/**
 * Signs an attestation with the manufacturer's key (`kid` names it to verifiers).
 * @example
 * ```ts
 * const attestation = signAttestation({ manufacturer: 'acme', model: 'PM-100', serial: 'SN123', publicKey, issuedAt: Date.now() }, acmeKey);
 * ```
 */
export function signAttestation(
  fields: AttestationFields,
  manufacturer: { readonly keyId: string; readonly secretKey: Uint8Array },
): DeviceAttestation {
  const unsigned = body({
    v: 1,
    manufacturer: fields.manufacturer,
    model: fields.model,
    serial: fields.serial,
    publicKey: toBase64Url(fields.publicKey),
    ...(fields.sealingKey === undefined ? {} : { sealingKey: toBase64Url(fields.sealingKey) }),
    issuedAt: fields.issuedAt,
  });
  return DeviceAttestation.parse({
    ...unsigned,
    sig: {
      kid: manufacturer.keyId,
      value: signCanonical(ATTESTATION_DOMAIN, unsigned, manufacturer.secretKey),
    },
  });
}

/** Why {@link verifyAttestation} refused an attestation. */
export type AttestationFailure = 'malformed' | 'unknown-manufacturer' | 'bad-signature' | 'weak-key';

/** The verdict of {@link verifyAttestation}. */
export type AttestationVerdict =
  | {
      /** Well-formed, signed by a trusted key of its manufacturer, and naming a usable device key. */
      readonly ok: true;
      /** The attestation, as parsed and checked. */
      readonly attestation: DeviceAttestation;
      /** The attested device's Ed25519 public key, 32 raw bytes (decoded from `publicKey`). */
      readonly publicKey: Uint8Array;
    }
  | {
      /** The attestation was refused. */
      readonly ok: false;
      /** Why, as a code. */
      readonly reason: AttestationFailure;
      /** Why, in words for logs: the offending field, or the manufacturer and key id concerned. */
      readonly detail: string;
    };

/**
 * Checks an attestation (any input) against the manufacturer keys a site trusts: the shape, the
 * manufacturer's key by `kid` (it must belong to the attestation's manufacturer), the signature
 * (strict Ed25519), and a usable device key. Never throws.
 */
export function verifyAttestation(
  input: unknown,
  manufacturerKey: (manufacturer: string, kid: string) => Uint8Array | undefined,
): AttestationVerdict {
  const parsed = DeviceAttestation.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return {
      ok: false,
      reason: 'malformed',
      detail: `${issue?.path.join('.') || '(root)'}: ${issue?.message}`,
    };
  }
  const a = parsed.data;
  const key = manufacturerKey(a.manufacturer, a.sig.kid);
  if (key === undefined) {
    return {
      ok: false,
      reason: 'unknown-manufacturer',
      detail: `no trusted key ${a.sig.kid} of manufacturer ${a.manufacturer}`,
    };
  }
  if (!verifyCanonical(ATTESTATION_DOMAIN, body(a), a.sig.value, key)) {
    return {
      ok: false,
      reason: 'bad-signature',
      detail: `the signature of ${a.manufacturer}'s key ${a.sig.kid} does not verify`,
    };
  }
  const publicKey = fromBase64Url(a.publicKey);
  if (!isStrictEd25519PublicKey(publicKey))
    return { ok: false, reason: 'weak-key', detail: 'the attested device key is not usable' };
  return { ok: true, attestation: a, publicKey };
}
