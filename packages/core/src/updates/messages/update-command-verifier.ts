import { type Clock, systemClock } from '../../ports/clock.js';
import { UpdateRejectedError } from '../update-rejected-error.js';
import { firstIssue, verifyMessage } from './signed-message.js';
import { UPDATE_COMMAND_DOMAIN, UpdateCommand } from './update-command.js';

/** Default of {@link UpdateCommandVerifierOptions.maxClockSkewMs}: 5 minutes. */
export const DEFAULT_UPDATE_COMMAND_MAX_SKEW_MS = 5 * 60_000;

/** Options of {@link createUpdateCommandVerifier}. */
export interface UpdateCommandVerifierOptions {
  /** The device this verifier guards: a command for any other device is refused (`wrong-device`). */
  readonly deviceId: string;
  /** The platform keys the device trusts to command updates: key id → Ed25519 public key. */
  readonly issuerKey: (keyId: string) => Uint8Array | undefined;
  /**
   * The highest command sequence this device accepted before (from its persistent storage), so that
   * a reboot does not reopen replays. Default 0 (none accepted).
   */
  readonly lastSequence?: number;
  /**
   * Called with a command's sequence after every check passed and before the command is accepted:
   * persist it here (write-ahead). When it throws (e.g. the write failed), the command is not
   * accepted and the error propagates.
   */
  readonly persistSequence?: (sequence: number) => void;
  /** How far ahead of the device's clock `issuedAt` may be, ms. Default 5 minutes. */
  readonly maxClockSkewMs?: number;
  /** The device's clock, against which `expiresAt` and `issuedAt` are judged (default: the system clock). */
  readonly clock?: Clock;
}

/** Verifies the update commands that reach one device (see {@link createUpdateCommandVerifier}). */
export interface UpdateCommandVerifier {
  /**
   * Checks a command (any input) and, when it passes, accepts it: its sequence becomes
   * {@link UpdateCommandVerifier.lastSequence}.
   * @throws {UpdateRejectedError} `malformed` (not an UpdateCommand), `signature` (unknown key id or
   * a signature that does not verify), `wrong-device` (addressed to another device), `expired`
   * (at or after `expiresAt`, or `issuedAt` further ahead than the allowed clock skew), `replay`
   * (a sequence at or below the highest accepted). Nothing is accepted when it throws.
   */
  verify(input: unknown): UpdateCommand;
  /** The highest sequence accepted so far. */
  readonly lastSequence: number;
}

/**
 * The device side of update commands. Checks, in order: the schema, the signature (a trusted
 * platform key, strict Ed25519, domain `healthit-update-command/v1\n`), the addressee, the validity
 * period, then the sequence — only authenticated commands for this device can move the replay
 * state.
 *
 * Replay state and its bound: ONE number, the highest sequence accepted. A command is accepted
 * only with a sequence above it (strictly in order: update commands are rare and issued in order,
 * so no reordering window is kept; a command overtaken by a newer one is refused as a `replay`).
 * Unlike the gateway's sliding-window `ReplayGuard`, this state is meant to be persisted
 * ({@link UpdateCommandVerifierOptions.persistSequence}): a replay must stay refused after a
 * power cycle.
 * @throws {RangeError} for an invalid option.
 * @example
 * ```ts
 * const commands = createUpdateCommandVerifier({
 *   deviceId: 'po-12', issuerKey: (kid) => trustedPlatformKeys.get(kid),
 *   lastSequence: stored.lastCommandSequence, persistSequence: (s) => store.save(s),
 * });
 * const command = commands.verify(JSON.parse(message)); // throws UpdateRejectedError
 * ```
 */
export function createUpdateCommandVerifier(options: UpdateCommandVerifierOptions): UpdateCommandVerifier {
  let lastSequence = options.lastSequence ?? 0;
  if (!Number.isSafeInteger(lastSequence) || lastSequence < 0) {
    throw new RangeError(`lastSequence must be an integer ≥ 0, got ${lastSequence}`);
  }
  const skewMs = options.maxClockSkewMs ?? DEFAULT_UPDATE_COMMAND_MAX_SKEW_MS;
  if (!Number.isSafeInteger(skewMs) || skewMs < 0) {
    throw new RangeError(`maxClockSkewMs must be an integer ≥ 0, got ${skewMs}`);
  }
  const clock = options.clock ?? systemClock;
  const deviceId = options.deviceId;

  return {
    get lastSequence() {
      return lastSequence;
    },
    verify(input) {
      const parsed = UpdateCommand.safeParse(input);
      if (!parsed.success) {
        throw new UpdateRejectedError('malformed', `Not an update command: ${firstIssue(parsed.error)}`, {
          subject: 'update command',
        });
      }
      const command = parsed.data;
      const subject = `update command ${command.sequence} of campaign ${command.campaignId}`;
      const key = options.issuerKey(command.sig.kid);
      if (key === undefined) {
        throw new UpdateRejectedError(
          'signature',
          `The ${subject} is signed by unknown key ${command.sig.kid}`,
          {
            subject,
            detail: { kid: command.sig.kid },
          },
        );
      }
      if (!verifyMessage(UPDATE_COMMAND_DOMAIN, command, key)) {
        throw new UpdateRejectedError(
          'signature',
          `The signature of the ${subject} does not verify under key ${command.sig.kid}`,
          { subject, detail: { kid: command.sig.kid } },
        );
      }
      if (command.deviceId !== deviceId) {
        throw new UpdateRejectedError(
          'wrong-device',
          `The ${subject} is addressed to ${command.deviceId}, this device is ${deviceId}`,
          { subject, detail: { addressedTo: command.deviceId, deviceId } },
        );
      }
      const now = clock.now();
      if (now >= command.expiresAt) {
        throw new UpdateRejectedError(
          'expired',
          `The ${subject} expired at ${new Date(command.expiresAt).toISOString()}`,
          { subject, detail: { expiresAt: command.expiresAt, now } },
        );
      }
      if (command.issuedAt > now + skewMs) {
        throw new UpdateRejectedError(
          'expired',
          `The ${subject} is not valid yet: issued ${command.issuedAt - now} ms ahead of this device's clock (at most ${skewMs} ms allowed)`,
          { subject, detail: { issuedAt: command.issuedAt, now } },
        );
      }
      if (command.sequence <= lastSequence) {
        throw new UpdateRejectedError(
          'replay',
          `The ${subject} is a replay: sequence ${command.sequence} is not above ${lastSequence}, the highest accepted`,
          { subject, detail: { sequence: command.sequence, lastSequence } },
        );
      }
      options.persistSequence?.(command.sequence);
      lastSequence = command.sequence;
      return command;
    },
  };
}
