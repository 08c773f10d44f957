import { z } from 'zod';
import type { JsonValue } from '../../schemas/index.js';
import { signCanonical, verifyCanonical, withoutSignature } from '../../security/canonical-signature.js';

/**
 * Who signs an update message: the key id others know the key by (`keyIdOf` the public key, as an
 * `Identity`'s `keyId`) and the 32-byte Ed25519 secret key. From an identity:
 * `{ keyId: id.keyId, secretKey: id.signing.secretKey }`.
 */
export interface UpdateMessageSigner {
  /** The key id written to the message's `sig.kid`: `keyIdOf` the signer's public key. */
  readonly keyId: string;
  /** The signer's 32-byte Ed25519 secret key (seed). Never leaves its owner. */
  readonly secretKey: Uint8Array;
}

/** The signature member of a signed update message: the signer's key id and Ed25519 (base64url). */
export const UpdateMessageSignature = z.strictObject({
  kid: z.string().min(1).max(128),
  value: z.string().regex(/^[A-Za-z0-9_-]{86}$/, 'must be a 64-byte Ed25519 signature in base64url'),
});
export type UpdateMessageSignature = z.infer<typeof UpdateMessageSignature>;

/** The signed part of a message: every member but `sig`, as plain JSON. @internal */
export function signedBody(message: object): { [key: string]: JsonValue } {
  return withoutSignature(message, 'sig');
}

/** Signs `unsigned` for `domain` (RFC 8785 JSON, domain-separated Ed25519). @internal */
export function signMessage(
  domain: string,
  unsigned: object,
  signer: UpdateMessageSigner,
): UpdateMessageSignature {
  return { kid: signer.keyId, value: signCanonical(domain, signedBody(unsigned), signer.secretKey) };
}

/** True when `message.sig` verifies for `domain` under `publicKey`. Never throws. @internal */
export function verifyMessage(
  domain: string,
  message: { readonly sig: UpdateMessageSignature },
  publicKey: Uint8Array,
): boolean {
  return verifyCanonical(domain, signedBody(message), message.sig.value, publicKey);
}

/** The first zod issue in words: `path: message`. @internal */
export function firstIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  return `${issue?.path.join('.') || '(root)'}: ${issue?.message ?? 'invalid'}`;
}
