import { sha256 } from '@noble/hashes/sha2.js';
import { z } from 'zod';
import { fromBase64Url, toBase64Url, utf8Decode, utf8Encode } from '../encoding/bytes.js';
import { canonicalJson } from '../encoding/canonical-json.js';
import { HealthItError } from '../errors/index.js';
import type { Envelope } from '../schemas/envelope.js';
import { type Ephemeral, type SealBackend, sealBackend } from './seal-backend.js';

/** The content type of an envelope whose payload is a sealed box. */
export const SEALED_CONTENT_TYPE = 'application/vnd.healthit.sealed+json';
/** The one algorithm suite: ephemeral-static X25519, HKDF-SHA256, ChaCha20-Poly1305. */
export const SEAL_ALG = 'X25519-HKDF-SHA256-ChaCha20Poly1305' as const;
/** Domain prefix of the associated data and the HKDF info (UTF-8, ending in a line feed). */
export const SEAL_DOMAIN = 'healthit-seal/v1\n';
/** The largest plaintext sealed or opened, bytes (1 MiB): larger input is refused before any work. */
export const MAX_SEALED_PLAINTEXT = 1 << 20;

const DOMAIN_BYTES = utf8Encode(SEAL_DOMAIN);
const KEY_BYTES = 32;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;

/** Why a seal or an open was refused. */
export type SealFailure = 'malformed' | 'oversized' | 'misdirected' | 'authentication';

/** A sealed message could not be made or opened: `reason` says why, nothing else leaks. */
export class SealError extends HealthItError {
  /** Always `SealError`. */
  override readonly name = 'SealError';
  /**
   * Why the seal or open was refused: `malformed` and `oversized` input (code `codec/decode`),
   * `misdirected` or failed `authentication` (code `security/unauthenticated`).
   */
  readonly reason: SealFailure;
  /**
   * Makes a seal error; its code follows from `reason`, which is also put in `detail`.
   * @param reason - Why the seal or open was refused.
   * @param message - The human-readable message; it must not reveal key material or plaintext.
   */
  constructor(reason: SealFailure, message: string) {
    super(
      reason === 'malformed' || reason === 'oversized' ? 'codec/decode' : 'security/unauthenticated',
      message,
      {
        detail: { reason },
      },
    );
    this.reason = reason;
  }
}

function key32(bytes: Uint8Array, what: string): Uint8Array {
  if (!(bytes instanceof Uint8Array) || bytes.length !== 32) throw new RangeError(`${what} must be 32 bytes`);
  return bytes;
}

/** key ‖ nonce from the shared secret, bound to both public keys and the associated data. */
function deriveKeyAndNonce(
  backend: SealBackend,
  shared: Uint8Array,
  epk: Uint8Array,
  rpk: Uint8Array,
  aad: Uint8Array,
): Uint8Array {
  const salt = new Uint8Array(64);
  salt.set(epk, 0);
  salt.set(rpk, 32);
  const info = new Uint8Array(DOMAIN_BYTES.length + 32);
  info.set(DOMAIN_BYTES, 0);
  info.set(sha256(aad), DOMAIN_BYTES.length);
  return backend.hkdfSha256(shared, salt, info, KEY_BYTES + NONCE_BYTES);
}

function sharedSecret(backend: SealBackend, secretKey: Uint8Array, publicKey: Uint8Array): Uint8Array {
  try {
    return backend.x25519Agree(secretKey, publicKey);
  } catch {
    throw new SealError(
      'authentication',
      'The X25519 key agreement failed (a low-order or invalid public key: the all-zero secret)',
    );
  }
}

/** A sealed message: the sender's ephemeral X25519 public key and the ciphertext with its 16-byte tag. */
export interface SealedBytes {
  /** The sender's one-time X25519 public key, 32 bytes; the recipient agrees a key with it. */
  readonly ephemeralPublicKey: Uint8Array;
  /** The ChaCha20-Poly1305 ciphertext followed by its 16-byte tag: plaintext length + 16 bytes. */
  readonly ciphertext: Uint8Array;
}

/**
 * Seals `plaintext` to the holder of `recipientPublicKey` (X25519): a fresh ephemeral key pair,
 * X25519, HKDF-SHA256 (salt = ephemeral ‖ recipient public key, info = domain ‖ SHA-256(aad)) to a
 * one-time key and nonce, ChaCha20-Poly1305 with `aad` as associated data. Only the recipient can
 * open it; changing any byte of the ciphertext, the ephemeral key or the associated data makes
 * opening fail. The low-level primitive: {@link sealEnvelope} binds the envelope's fields.
 * @throws {SealError} `oversized` beyond {@link MAX_SEALED_PLAINTEXT}, `authentication` for a
 *   low-order recipient key; {RangeError} for a key that is not 32 bytes.
 */
export function sealBytes(
  plaintext: Uint8Array,
  recipientPublicKey: Uint8Array,
  aad: Uint8Array,
  options: {
    readonly ephemeralSecretKey?: Uint8Array;
    readonly ephemeral?: Ephemeral;
    readonly backend?: SealBackend;
  } = {},
): SealedBytes {
  const backend = options.backend ?? sealBackend;
  key32(recipientPublicKey, 'recipientPublicKey');
  if (plaintext.length > MAX_SEALED_PLAINTEXT) {
    throw new SealError(
      'oversized',
      `The plaintext is ${plaintext.length} bytes, more than ${MAX_SEALED_PLAINTEXT}`,
    );
  }
  const ephemeral =
    options.ephemeral ??
    backend.ephemeral(
      options.ephemeralSecretKey === undefined
        ? undefined
        : key32(options.ephemeralSecretKey, 'ephemeralSecretKey'),
    );
  const epk = ephemeral.publicKey;
  let shared: Uint8Array;
  try {
    shared = ephemeral.agree(recipientPublicKey);
  } catch {
    throw new SealError(
      'authentication',
      'The X25519 key agreement failed (a low-order or invalid public key: the all-zero secret)',
    );
  }
  const okm = deriveKeyAndNonce(backend, shared, epk, recipientPublicKey, aad);
  return {
    ephemeralPublicKey: epk,
    ciphertext: backend.seal(okm.subarray(0, KEY_BYTES), okm.subarray(KEY_BYTES), aad, plaintext),
  };
}

/**
 * Opens what {@link sealBytes} sealed, with the recipient's X25519 secret key and the same
 * associated data.
 * @throws {SealError} `authentication` when anything was changed or it was sealed to another key;
 *   `oversized` / `malformed` for input of an impossible size.
 */
export function openBytes(
  sealed: SealedBytes,
  recipientSecretKey: Uint8Array,
  aad: Uint8Array,
  options: { readonly backend?: SealBackend } = {},
): Uint8Array {
  const backend = options.backend ?? sealBackend;
  key32(recipientSecretKey, 'recipientSecretKey');
  const { ephemeralPublicKey: epk, ciphertext } = sealed;
  if (!(epk instanceof Uint8Array) || epk.length !== 32)
    throw new SealError('malformed', 'The ephemeral key is not 32 bytes');
  if (!(ciphertext instanceof Uint8Array) || ciphertext.length < TAG_BYTES) {
    throw new SealError('malformed', 'The ciphertext is shorter than its 16-byte tag');
  }
  if (ciphertext.length > MAX_SEALED_PLAINTEXT + TAG_BYTES) {
    throw new SealError('oversized', `The ciphertext is ${ciphertext.length} bytes, more than allowed`);
  }
  const rpk = backend.x25519PublicKey(recipientSecretKey);
  const okm = deriveKeyAndNonce(backend, sharedSecret(backend, recipientSecretKey, epk), epk, rpk, aad);
  try {
    return backend.open(okm.subarray(0, KEY_BYTES), okm.subarray(KEY_BYTES), aad, ciphertext);
  } catch {
    throw new SealError(
      'authentication',
      'The sealed message failed authentication: changed, or not sealed to this key',
    );
  }
}

/** The box a sealed envelope carries as its payload (RFC 8785 JSON, base64url in the envelope). */
export const SealedBox = z.strictObject({
  v: z.literal(1),
  alg: z.literal(SEAL_ALG),
  /** The recipient's id: only it can open the box. */
  rcp: z.string().min(1).max(128),
  /** The device the payload is about (the sender itself for a device's own readings). */
  dev: z.string().min(1).max(128),
  /** The content type of the sealed payload. */
  cty: z.string().min(1).max(256),
  /** Ephemeral X25519 public key, base64url. */
  epk: z.string().regex(/^[A-Za-z0-9_-]{43}$/, 'must be 32 bytes of base64url'),
  /** Ciphertext ‖ tag, base64url. */
  ct: z
    .string()
    .min(22)
    .max(Math.ceil(((MAX_SEALED_PLAINTEXT + TAG_BYTES) * 4) / 3)),
});
export type SealedBox = z.infer<typeof SealedBox>;

/** The associated data of a sealed envelope: the box header and the envelope's id, source, seq and ts. */
function envelopeAad(envelope: Envelope, box: Omit<SealedBox, 'ct'>): Uint8Array {
  return utf8Encode(
    SEAL_DOMAIN +
      canonicalJson({
        alg: box.alg,
        cty: box.cty,
        dev: box.dev,
        epk: box.epk,
        id: envelope.id,
        rcp: box.rcp,
        seq: envelope.seq,
        src: envelope.source,
        ts: envelope.ts,
        v: box.v,
      }),
  );
}

/** The recipient of a sealed envelope, as the sender knows it: its id and X25519 public key. */
export interface SealRecipient {
  /** The recipient's id, written to the box's `rcp`: only a recipient of that id opens it. */
  readonly id: string;
  /** The recipient's X25519 public key, 32 bytes (its {@link PublicIdentity.sealingKey}). */
  readonly sealingKey: Uint8Array;
}

/**
 * Seals an envelope's payload end to end for one recipient (e.g. the platform), across every broker
 * hop: the payload becomes a {@link SealedBox} (content type {@link SEALED_CONTENT_TYPE}) whose
 * associated data binds the sender (`source`), the recipient, the device, the envelope id, `seq`
 * and `ts`, and the inner content type. A broker that relays it can neither read it nor change any of
 * those without the recipient noticing. Any signature is dropped: sign the sealed envelope
 * (`signEnvelope`) so the signature covers the ciphertext.
 * @throws {SealError} `oversized` for a payload beyond {@link MAX_SEALED_PLAINTEXT}.
 * @example
 * ```ts
 * const sealed = signEnvelope(sealEnvelope(envelope, { id: 'platform', sealingKey }), device);
 * ```
 */
export function sealEnvelope(
  envelope: Envelope,
  recipient: SealRecipient,
  options: { readonly deviceId?: string; readonly ephemeralSecretKey?: Uint8Array } = {},
): Envelope {
  const ephemeral = sealBackend.ephemeral(
    options.ephemeralSecretKey === undefined
      ? undefined
      : key32(options.ephemeralSecretKey, 'ephemeralSecretKey'),
  );
  const header = {
    v: 1 as const,
    alg: SEAL_ALG,
    rcp: recipient.id,
    dev: options.deviceId ?? envelope.source,
    cty: envelope.contentType,
    epk: toBase64Url(ephemeral.publicKey),
  };
  const plaintext = fromBase64Url(envelope.payload);
  const { ciphertext } = sealBytes(plaintext, recipient.sealingKey, envelopeAad(envelope, header), {
    ephemeral,
  });
  const box: SealedBox = { ...header, ct: toBase64Url(ciphertext) };
  const { sig: _sig, ...rest } = envelope;
  return { ...rest, contentType: SEALED_CONTENT_TYPE, payload: toBase64Url(utf8Encode(canonicalJson(box))) };
}

/** What {@link openEnvelope} returns. */
export interface OpenedEnvelope {
  /** The envelope as the sender made it before sealing (no signature). */
  readonly envelope: Envelope;
  /** The device the payload is about. */
  readonly deviceId: string;
}

/**
 * Opens a sealed envelope addressed to `recipient`.
 * @throws {SealError} `malformed` (not a sealed envelope, or a box that is not valid JSON of the
 *   right shape), `oversized`, `misdirected` (sealed for another recipient), `authentication`
 *   (any change to the box, the envelope's id, source, seq or ts, or a box not sealed to this key).
 */
export function openEnvelope(
  envelope: Envelope,
  recipient: { readonly id: string; readonly secretKey: Uint8Array },
): OpenedEnvelope {
  if (envelope.contentType !== SEALED_CONTENT_TYPE) {
    throw new SealError(
      'malformed',
      `Envelope ${envelope.id} is not sealed (content type ${envelope.contentType})`,
    );
  }
  if (envelope.payload.length > Math.ceil(((MAX_SEALED_PLAINTEXT + TAG_BYTES) * 4) / 3) + 1024) {
    throw new SealError('oversized', `Envelope ${envelope.id}: the sealed box is too large`);
  }
  let box: SealedBox;
  try {
    box = SealedBox.parse(JSON.parse(utf8Decode(fromBase64Url(envelope.payload))));
  } catch {
    throw new SealError('malformed', `Envelope ${envelope.id}: the payload is not a sealed box`);
  }
  if (box.rcp !== recipient.id) {
    throw new SealError(
      'misdirected',
      `Envelope ${envelope.id} is sealed for "${box.rcp}", not "${recipient.id}"`,
    );
  }
  let sealed: SealedBytes;
  try {
    sealed = { ephemeralPublicKey: fromBase64Url(box.epk), ciphertext: fromBase64Url(box.ct) };
  } catch {
    throw new SealError('malformed', `Envelope ${envelope.id}: the box's epk or ct is not base64url`);
  }
  const plaintext = openBytes(sealed, recipient.secretKey, envelopeAad(envelope, box));
  const { sig: _sig, ...rest } = envelope;
  return {
    envelope: { ...rest, contentType: box.cty, payload: toBase64Url(plaintext) },
    deviceId: box.dev,
  };
}
