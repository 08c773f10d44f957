import { fromBase64Url, toBase64Url, utf8Encode } from '../encoding/bytes.js';
import { canonicalJson } from '../encoding/canonical-json.js';
import type { Envelope } from '../schemas/envelope.js';
import { sha256HexOfText } from './digest.js';
import { ed25519Sign, ed25519VerifyStrict } from './ed25519.js';

/**
 * The domain-separation prefix of envelope signatures (UTF-8, ending in a line feed): a signature
 * made for anything else (a ledger entry, a command, a checkpoint) never verifies as an envelope
 * signature.
 */
export const ENVELOPE_SIGNING_DOMAIN = 'healthit-envelope/v1\n';

/** A key that signs envelopes: the key id receivers look it up by, and the 32-byte Ed25519 secret key. */
export interface EnvelopeSigner {
  /**
   * The key id written to the envelope's `sig.kid`, by which receivers find the public key; usually
   * {@link keyIdOf} it.
   */
  readonly keyId: string;
  /** The 32-byte Ed25519 secret key (seed). Never leaves its owner. */
  readonly secretKey: Uint8Array;
}

/**
 * The bytes an envelope signature covers: {@link ENVELOPE_SIGNING_DOMAIN} ‖ UTF-8 RFC 8785 JSON of
 * `{ contentType, id, payloadSha256, seq, source, ts, v }`, where `payloadSha256` is the lowercase
 * hex SHA-256 of the payload's base64url text. Every field of the envelope but `sig` is covered (a
 * device's whole batch of readings is signed once), and the payload enters through one hash, so
 * the signature's cost stays flat as batches grow.
 */
export function envelopeSigningInput(envelope: Envelope): Uint8Array {
  return utf8Encode(
    ENVELOPE_SIGNING_DOMAIN +
      canonicalJson({
        contentType: envelope.contentType,
        id: envelope.id,
        payloadSha256: sha256HexOfText(envelope.payload),
        seq: envelope.seq,
        source: envelope.source,
        ts: envelope.ts,
        v: envelope.v,
      }),
  );
}

/**
 * Signs an envelope: returns a copy with `sig = { alg: 'Ed25519', kid, value }` (value base64url).
 * Any earlier signature is replaced. Seal first (`sealEnvelope`), then sign, so the signature also
 * covers the ciphertext.
 * @throws {RangeError} when the secret key is not 32 bytes.
 */
export function signEnvelope(envelope: Envelope, signer: EnvelopeSigner): Envelope {
  if (!(signer.secretKey instanceof Uint8Array) || signer.secretKey.length !== 32) {
    throw new RangeError('signer.secretKey must be a 32-byte Ed25519 secret key');
  }
  const value = toBase64Url(ed25519Sign(envelopeSigningInput(envelope), signer.secretKey));
  return { ...envelope, sig: { alg: 'Ed25519', kid: signer.keyId, value } };
}

/** Why {@link verifyEnvelopeSignature} refused an envelope. */
export type EnvelopeSignatureFailure = 'unsigned' | 'unknown-key' | 'bad-signature';

/** The verdict of {@link verifyEnvelopeSignature}. */
export type EnvelopeSignatureVerdict =
  | {
      /** The signature verifies under the key `keyId` maps to. */
      readonly ok: true;
      /** The key id that signed (the envelope's `sig.kid`). */
      readonly keyId: string;
    }
  | {
      /** The envelope was refused. */
      readonly ok: false;
      /** Why, as a code. */
      readonly reason: EnvelopeSignatureFailure;
      /** The envelope's `sig.kid`; undefined when it is `unsigned`. */
      readonly keyId?: string;
    };

/**
 * Checks an envelope's signature under the key its `kid` maps to (strict RFC 8032 rules, native
 * Ed25519 where present). `keys` answers the sender's current public key for a key id, or
 * undefined (unknown, revoked, or not the sender's: a registry should only answer keys of
 * `envelope.source`). Never throws on a valid `Envelope`.
 * @example
 * ```ts
 * const verdict = verifyEnvelopeSignature(envelope, (kid) => registry.signingKey(envelope.source, kid));
 * if (!verdict.ok) events.next({ type: 'message-rejected', reason: verdict.reason });
 * ```
 */
export function verifyEnvelopeSignature(
  envelope: Envelope,
  keys: (keyId: string) => Uint8Array | undefined,
): EnvelopeSignatureVerdict {
  const sig = envelope.sig;
  if (sig === undefined) return { ok: false, reason: 'unsigned' };
  const publicKey = keys(sig.kid);
  if (publicKey === undefined) return { ok: false, reason: 'unknown-key', keyId: sig.kid };
  let signature: Uint8Array;
  try {
    signature = fromBase64Url(sig.value);
  } catch {
    return { ok: false, reason: 'bad-signature', keyId: sig.kid };
  }
  return ed25519VerifyStrict(signature, envelopeSigningInput(envelope), publicKey)
    ? { ok: true, keyId: sig.kid }
    : { ok: false, reason: 'bad-signature', keyId: sig.kid };
}
