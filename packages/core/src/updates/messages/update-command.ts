import { randomBytes } from '@noble/hashes/utils.js';
import { z } from 'zod';
import { toBase64Url } from '../../encoding/bytes.js';
import { DeviceId, EpochMs } from '../../schemas/ids.js';
import { signMessage, UpdateMessageSignature, type UpdateMessageSigner } from './signed-message.js';

/** The signing domain of update commands. */
export const UPDATE_COMMAND_DOMAIN = 'healthit-update-command/v1\n';

const UpdateCommandBody = z.strictObject({
  v: z.literal(1),
  campaignId: z.string().min(1).max(128),
  deviceId: DeviceId,
  /** The TUF target path of the image, e.g. `po-200/rev-a/2.4.1.bin`. */
  targetPath: z.string().min(1).max(512),
  /** The version the image carries, e.g. `2.4.1`. */
  version: z.string().min(1).max(64),
  /**
   * A security fix: the campaign may install it while the device is in active therapy (never
   * otherwise). The campaign's maintenance windows still apply.
   */
  urgent: z.boolean(),
  issuedAt: EpochMs,
  /** The device must not act on the command at or after this time. */
  expiresAt: EpochMs,
  nonce: z.string().regex(/^[A-Za-z0-9_-]{22,86}$/, 'must be 16 to 64 bytes of base64url'),
  /** Per device, strictly increasing, from 1. */
  sequence: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER),
});

const expiresAfterIssue = (c: { readonly issuedAt: number; readonly expiresAt: number }): boolean =>
  c.expiresAt > c.issuedAt;
const EXPIRES_AFTER_ISSUE = { message: 'expiresAt must be after issuedAt', path: ['expiresAt'] };

/**
 * An instruction from the platform to one device: install `version` (the TUF target
 * `targetPath`) for campaign `campaignId`. Signed by a platform key the device trusts (Ed25519 over
 * RFC 8785 JSON of every member but `sig`, domain {@link UPDATE_COMMAND_DOMAIN}).
 *
 * Replay protection: `sequence` increases with every command the platform signs for this device,
 * and the device accepts only a sequence above the highest it accepted before; `expiresAt` bounds
 * how long a command that was never delivered stays usable. `nonce` (16 random bytes) makes every
 * command unique, also across platform restarts, for logs and audit.
 */
export const UpdateCommand = UpdateCommandBody.extend({ sig: UpdateMessageSignature }).refine(
  expiresAfterIssue,
  EXPIRES_AFTER_ISSUE,
);
export type UpdateCommand = z.infer<typeof UpdateCommand>;

/** What {@link signUpdateCommand} signs: the command's members but `v` and `sig` (`nonce` optional). */
export interface UpdateCommandFields {
  /** The update campaign the command belongs to (1 to 128 characters). */
  readonly campaignId: string;
  /** The device the command is for: only it may act on it. */
  readonly deviceId: string;
  /** The TUF target path of the image, e.g. `po-200/rev-a/2.4.1.bin`. */
  readonly targetPath: string;
  /** The version the image carries, e.g. `2.4.1`. */
  readonly version: string;
  /** A security fix: it may be installed during active therapy (maintenance windows still apply). */
  readonly urgent: boolean;
  /** When the command was signed, ms since the Unix epoch. */
  readonly issuedAt: number;
  /** The device must not act on the command at or after this time, epoch ms; after `issuedAt`. */
  readonly expiresAt: number;
  /**
   * Per device, strictly increasing from 1: the device accepts only a sequence above the highest it
   * accepted.
   */
  readonly sequence: number;
  /** Default: 16 fresh bytes from the CSPRNG, base64url. */
  readonly nonce?: string;
}

/**
 * Signs an update command with a platform key.
 * @throws {ZodError} when a field is malformed (e.g. `expiresAt` not after `issuedAt`).
 * @example
 * ```ts
 * const command = signUpdateCommand(
 *   { campaignId: 'c-7', deviceId: 'po-12', targetPath: 'po-200/rev-a/2.4.1.bin', version: '2.4.1',
 *     urgent: false, issuedAt: now, expiresAt: now + 3_600_000, sequence: 4 },
 *   { keyId: platform.keyId, secretKey: platform.signing.secretKey },
 * );
 * ```
 */
export function signUpdateCommand(fields: UpdateCommandFields, signer: UpdateMessageSigner): UpdateCommand {
  const body = UpdateCommandBody.refine(expiresAfterIssue, EXPIRES_AFTER_ISSUE).parse({
    v: 1,
    campaignId: fields.campaignId,
    deviceId: fields.deviceId,
    targetPath: fields.targetPath,
    version: fields.version,
    urgent: fields.urgent,
    issuedAt: fields.issuedAt,
    expiresAt: fields.expiresAt,
    nonce: fields.nonce ?? toBase64Url(randomBytes(16)),
    sequence: fields.sequence,
  });
  return { ...body, sig: signMessage(UPDATE_COMMAND_DOMAIN, body, signer) };
}
