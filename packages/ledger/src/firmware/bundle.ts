import { z } from 'zod';
import { type LoggedEntryProof, LoggedEntrySchema } from '../log-proof/index.js';

/** The `format` member of every firmware authorisation proof. */
export const FIRMWARE_AUTHORISATION_FORMAT = 'healthit-firmware-authorisation';

/** The proof version this module writes and verifies. */
export const FIRMWARE_AUTHORISATION_VERSION = 1;

/**
 * The longest checkpoint note a firmware authorisation proof may carry (32 768 characters): a checkpoint with
 * the log's signature and the cosignatures of up to 64 witnesses fits several times over. Smaller
 * than the signed-note limit, so a device never parses a megabyte of signature lines.
 */
export const MAX_FIRMWARE_CHECKPOINT_CHARS = 32_768;

/**
 * The longest proof accepted as JSON text (160 KiB): the largest entry in base64 (87 384
 * characters), 63 proof hashes and the largest checkpoint with every character escaped. Longer text
 * is refused before it is parsed.
 */
export const MAX_FIRMWARE_AUTHORISATION_CHARS = 163_840;

/**
 * zod schema of a firmware authorisation proof (version 1): exactly these members, unknown ones
 * rejected, every size bounded. Only the shape is checked here; `verifyFirmwareAuthorisationProof`
 * checks what it proves.
 */
export const FirmwareAuthorisationProofSchema = z.strictObject({
  format: z.literal(FIRMWARE_AUTHORISATION_FORMAT),
  version: z.literal(FIRMWARE_AUTHORISATION_VERSION),
  /**
   * The `firmware.authorize` entry: its canonical bytes (base64; they carry the endorsers'
   * signatures), its log index and its inclusion proof.
   */
  entry: LoggedEntrySchema,
  /** The signed, witness-cosigned checkpoint note the inclusion proof leads to. */
  checkpoint: z.string().max(MAX_FIRMWARE_CHECKPOINT_CHARS),
});

/**
 * A self-contained, JSON-serialisable proof that a firmware release was authorised in a
 * transparency log: its `firmware.authorize` entry, whose canonical bytes carry the body (image
 * digest, version, hardware ids) and the endorsers' signatures, proven by an RFC 9162 inclusion
 * proof against a checkpoint signed by the log and cosigned by witnesses. Ships next to the image
 * (in the update metadata or beside it); the device checks it with nothing but what it trusts.
 */
export interface FirmwareAuthorisationProof {
  /** Always {@link FIRMWARE_AUTHORISATION_FORMAT}: names the document type. */
  readonly format: typeof FIRMWARE_AUTHORISATION_FORMAT;
  /** Always {@link FIRMWARE_AUTHORISATION_VERSION}: the proof format version. */
  readonly version: typeof FIRMWARE_AUTHORISATION_VERSION;
  /** The `firmware.authorize` entry: index, canonical bytes (base64) and inclusion proof. */
  readonly entry: LoggedEntryProof;
  /** The checkpoint note (C2SP signed note), with the log's signature and witness cosignatures. */
  readonly checkpoint: string;
}
