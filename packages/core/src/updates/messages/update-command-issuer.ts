import { type Clock, systemClock } from '../../ports/clock.js';
import type { UpdateMessageSigner } from './signed-message.js';
import { signUpdateCommand, type UpdateCommand } from './update-command.js';

/** Default of {@link UpdateCommandIssuerOptions.lifetimeMs}: 24 h. */
export const DEFAULT_UPDATE_COMMAND_LIFETIME_MS = 24 * 60 * 60 * 1000;

/** Options of {@link createUpdateCommandIssuer}. */
export interface UpdateCommandIssuerOptions {
  /** The platform key that signs commands (devices trust it by its key id). */
  readonly signer: UpdateMessageSigner;
  /** How long a command stays usable, ms (`expiresAt = issuedAt + lifetimeMs`). Default 24 h. */
  readonly lifetimeMs?: number;
  /**
   * The highest sequence issued to a device before this issuer started (the platform's store), or
   * `undefined` for a device never commanded. Asked once per device. Default: none issued.
   */
  readonly lastSequence?: (deviceId: string) => number | undefined;
  /** The clock that sets each command's `issuedAt` (default: the system clock). */
  readonly clock?: Clock;
}

/** What the platform says in a command; the issuer adds times, sequence, nonce and signature. */
export interface UpdateCommandRequest {
  /** The update campaign the command belongs to (1 to 128 characters). */
  readonly campaignId: string;
  /** The device to update; its next sequence number is used. */
  readonly deviceId: string;
  /** The TUF target path of the image, e.g. `po-200/rev-a/2.4.1.bin`. */
  readonly targetPath: string;
  /** The version the image carries, e.g. `2.4.1`. */
  readonly version: string;
  /** Default false. */
  readonly urgent?: boolean;
  /** Default `issuedAt + lifetimeMs`. */
  readonly expiresAt?: number;
}

/** Signs update commands with a per-device sequence (see {@link createUpdateCommandIssuer}). */
export interface UpdateCommandIssuer {
  /**
   * Signs the next command for `request.deviceId` (sequence = last + 1).
   * @throws {ZodError} when a field is malformed.
   */
  issue(request: UpdateCommandRequest): UpdateCommand;
  /** The highest sequence issued to a device (0 when none). */
  lastSequence(deviceId: string): number;
}

/**
 * The platform side of update commands: one counter per device, each command signed with the next
 * sequence. Memory: one number per device commanded (the fleet), never evicted, because forgetting
 * a device would reissue a sequence the device already refuses; persist `lastSequence(deviceId)`
 * after each `issue` and pass it back through {@link UpdateCommandIssuerOptions.lastSequence} on a
 * restart.
 * @throws {RangeError} for a `lifetimeMs` that is not a positive integer.
 * @example
 * ```ts
 * const issuer = createUpdateCommandIssuer({ signer: { keyId: platform.keyId, secretKey: platform.signing.secretKey } });
 * const command = issuer.issue({ campaignId: 'c-7', deviceId: 'po-12', targetPath, version: '2.4.1' });
 * ```
 */
export function createUpdateCommandIssuer(options: UpdateCommandIssuerOptions): UpdateCommandIssuer {
  const lifetimeMs = options.lifetimeMs ?? DEFAULT_UPDATE_COMMAND_LIFETIME_MS;
  if (!Number.isSafeInteger(lifetimeMs) || lifetimeMs < 1) {
    throw new RangeError(`lifetimeMs must be a positive integer, got ${lifetimeMs}`);
  }
  const clock = options.clock ?? systemClock;
  const sequences = new Map<string, number>();
  const last = (deviceId: string): number => {
    let seq = sequences.get(deviceId);
    if (seq === undefined) {
      seq = options.lastSequence?.(deviceId) ?? 0;
      sequences.set(deviceId, seq);
    }
    return seq;
  };
  return {
    lastSequence: last,
    issue(request) {
      const issuedAt = clock.now();
      const sequence = last(request.deviceId) + 1;
      const command = signUpdateCommand(
        {
          campaignId: request.campaignId,
          deviceId: request.deviceId,
          targetPath: request.targetPath,
          version: request.version,
          urgent: request.urgent ?? false,
          issuedAt,
          expiresAt: request.expiresAt ?? issuedAt + lifetimeMs,
          sequence,
        },
        options.signer,
      );
      sequences.set(request.deviceId, sequence);
      return command;
    },
  };
}
