import { type Clock, systemClock } from '@healthit/core';
import { ed25519Sign } from '../signing.js';
import { parseCheckpoint } from './checkpoint.js';
import { type Ed25519Backend, ed25519VerifyStrict } from './ed25519.js';
import { NoteError } from './errors.js';
import { noteKeyId, SignatureTypes } from './key-id.js';
import { addNoteSignatures, type NoteSignature, verifyNote } from './note.js';
import {
  checkNamedPublicKey,
  checkNamedSecretKey,
  type NamedPublicKey,
  type NamedSecretKey,
  type NoteSigner,
  type NoteVerifier,
} from './signer.js';

/** First line of the message a cosignature/v1 signs (domain separation). */
export const COSIGNATURE_V1_HEADER = 'cosignature/v1';

/** Length of a cosignature/v1 signature: u64 big-endian timestamp ‖ 64-byte Ed25519 signature. */
export const COSIGNATURE_V1_BYTES = 72;

const MAX_TIMESTAMP = 2n ** 63n - 1n;
const utf8 = new TextEncoder();

/**
 * The message a witness signs (C2SP tlog-cosignature, Ed25519): `cosignature/v1`, `time <seconds>`,
 * then the whole checkpoint note text (with its extension lines, without signature lines).
 * @throws {RangeError} when the timestamp is not a non-negative integer below 2^63.
 */
export function cosignatureMessage(
  checkpointText: string | Uint8Array,
  timestampSec: number | bigint,
): Uint8Array {
  const t = BigInt(timestampSec);
  if (t < 0n || t > MAX_TIMESTAMP) throw new RangeError('timestamp must be in [0, 2^63 - 1] seconds');
  const head = utf8.encode(`${COSIGNATURE_V1_HEADER}\ntime ${t}\n`);
  const body = typeof checkpointText === 'string' ? utf8.encode(checkpointText) : checkpointText;
  const msg = new Uint8Array(head.length + body.length);
  msg.set(head, 0);
  msg.set(body, head.length);
  return msg;
}

/** The timestamp (POSIX seconds) of a cosignature/v1 signature, or undefined when it is malformed. */
export function cosignatureTimestamp(signature: Uint8Array): bigint | undefined {
  if (signature.length !== COSIGNATURE_V1_BYTES) return undefined;
  const t = new DataView(signature.buffer, signature.byteOffset, 8).getBigUint64(0);
  return t > MAX_TIMESTAMP ? undefined : t;
}

/** Options of {@link createCosigner}. */
export interface CosignerOptions extends NamedSecretKey {
  /** Source of the cosignature timestamp (epoch ms, floored to seconds). Default: the system clock. */
  readonly clock?: Clock;
}

/**
 * A witness's cosigner (signature type 0x04, cosignature/v1): `sign(checkpointText)` returns the
 * 8-byte big-endian timestamp followed by the Ed25519 signature of {@link cosignatureMessage}.
 * Use a key reserved for cosigning (the message does not commit to the witness name).
 * @throws {NoteError} `bad-key` for an invalid name or secret key.
 */
export function createCosigner(options: CosignerOptions): NoteSigner {
  const publicKey = checkNamedSecretKey(options);
  const secretKey = Uint8Array.from(options.secretKey);
  const clock = options.clock ?? systemClock;
  return Object.freeze({
    name: options.name,
    keyId: noteKeyId(options.name, SignatureTypes.cosignatureV1, publicKey),
    type: SignatureTypes.cosignatureV1,
    publicKey,
    sign(text: Uint8Array): Uint8Array {
      const now = clock.now();
      if (!Number.isFinite(now) || now < 0) throw new RangeError(`the clock returned ${now}`);
      const t = BigInt(Math.floor(now / 1000));
      const out = new Uint8Array(COSIGNATURE_V1_BYTES);
      new DataView(out.buffer).setBigUint64(0, t);
      out.set(ed25519Sign(cosignatureMessage(text, t), secretKey), 8);
      return out;
    },
  });
}

/**
 * A verifier of a witness's cosignature/v1 signatures (type 0x04), strict Ed25519 rules.
 * @throws {NoteError} `bad-key` for an invalid name or public key.
 */
export function createCosignatureVerifier(
  key: NamedPublicKey,
  backend: Ed25519Backend = 'auto',
): NoteVerifier {
  checkNamedPublicKey(key);
  const publicKey = Uint8Array.from(key.publicKey);
  return Object.freeze({
    name: key.name,
    keyId: noteKeyId(key.name, SignatureTypes.cosignatureV1, publicKey),
    type: SignatureTypes.cosignatureV1,
    publicKey,
    verify(text: Uint8Array, signature: Uint8Array): boolean {
      const t = cosignatureTimestamp(signature);
      if (t === undefined) return false;
      return ed25519VerifyStrict(signature.subarray(8), cosignatureMessage(text, t), publicKey, backend);
    },
  });
}

/** A verified witness cosignature. */
export interface Cosignature {
  /** The witness key name. */
  readonly name: string;
  /** Its key ID. */
  readonly keyId: number;
  /** When it cosigned (POSIX seconds). */
  readonly timestamp: bigint;
  /** The signature line's fields. */
  readonly signature: NoteSignature;
}

/**
 * Adds `cosigner`'s cosignature line to a signed checkpoint note (replacing an older one of the
 * same key). Only checks that the text is a checkpoint: a witness must first verify the log's
 * signature and consistency (see {@link createWitness}).
 * @throws {NoteError} `malformed` / `checkpoint` for a bad note.
 */
export function cosignCheckpoint(note: string, cosigner: NoteSigner): string {
  if (cosigner.type !== SignatureTypes.cosignatureV1) {
    throw new NoteError('bad-key', `cosigner ${cosigner.name} is not a cosignature/v1 (type 0x04) signer`);
  }
  return addNoteSignatures(note, [cosigner]);
}

/**
 * Verifies one witness's cosignature on a checkpoint note (other signature lines are ignored).
 * @throws {NoteError} `unverified` when the witness did not cosign; `bad-signature` when its line
 * does not verify; `malformed` / `checkpoint` for a bad note.
 */
export function verifyCosignature(note: string, witness: NoteVerifier): Cosignature {
  if (witness.type !== SignatureTypes.cosignatureV1) {
    throw new NoteError('bad-key', `verifier ${witness.name} is not a cosignature/v1 (type 0x04) verifier`);
  }
  const { text, verified } = verifyNote(note, [witness]);
  parseCheckpoint(text);
  const sig = verified[0] as NoteSignature;
  return Object.freeze({
    name: sig.name,
    keyId: sig.keyId,
    timestamp: cosignatureTimestamp(sig.signature) as bigint,
    signature: sig,
  });
}
