import {
  createReplayGuard,
  type Envelope,
  HealthItError,
  openEnvelope,
  type ReplayGuard,
  type ReplayGuardOptions,
  SEALED_CONTENT_TYPE,
  SealError,
  verifyEnvelopeSignature,
} from '@healthit/core';
import type { DeviceRegistry } from './device-registry.js';

/** Why a message was refused by {@link createMessageAuthenticator}. */
export type AuthFailure =
  | 'unknown-device'
  | 'device-pending'
  | 'device-suspended'
  | 'device-decommissioned'
  | 'unsigned'
  | 'unknown-key'
  | 'bad-signature'
  | 'replay'
  | 'too-old'
  | 'expired'
  | 'future'
  | 'sealed-misdirected'
  | 'sealed-unauthenticated'
  | 'sealed-malformed';

/** The reasons of {@link AuthFailure}, for counters and dashboards. */
export const AUTH_FAILURES: readonly AuthFailure[] = [
  'unknown-device',
  'device-pending',
  'device-suspended',
  'device-decommissioned',
  'unsigned',
  'unknown-key',
  'bad-signature',
  'replay',
  'too-old',
  'expired',
  'future',
  'sealed-misdirected',
  'sealed-unauthenticated',
  'sealed-malformed',
];

/** The verdict on one envelope: the envelope to decode (opened when it was sealed), or why not. */
export type AuthVerdict =
  | {
      /** The envelope passed every check. */
      readonly ok: true;
      /** The envelope to decode: as received, or opened when it was sealed to this gateway. */
      readonly envelope: Envelope;
    }
  | {
      /** The envelope was refused (and counted). */
      readonly ok: false;
      /** Which check refused it. */
      readonly reason: AuthFailure;
      /**
       * The error for the `message-rejected` event: `security/unauthenticated` or `security/replay`,
       * with `detail.reason` and `detail.deviceId`.
       */
      readonly error: HealthItError;
    };

/** Authenticates envelopes before the gateway decodes them (see {@link createMessageAuthenticator}). */
export interface MessageAuthenticator {
  /**
   * Checks one envelope, in the order of {@link createMessageAuthenticator} (registry, signature,
   * replay window, sealing); a refusal is counted in `counts()`.
   */
  authenticate(envelope: Envelope): AuthVerdict;
  /** Messages refused so far, by reason. */
  counts(): Readonly<Record<AuthFailure, number>>;
}

/** Options of {@link createMessageAuthenticator}. */
export interface MessageAuthenticatorOptions {
  /** The devices allowed to send, their state and their public keys (read on every message). */
  readonly registry: DeviceRegistry;
  /** Replay protection: a guard, or its options (e.g. `{ maxAgeMs: 300_000 }`). */
  readonly replay: ReplayGuard | ReplayGuardOptions;
  /** The gateway's sealing identity, to open envelopes sealed to it. */
  readonly recipient?: { readonly id: string; readonly secretKey: Uint8Array };
}

/**
 * Authenticates every envelope a device sends, in this order: the source is a registered, `active`
 * device; the envelope carries a signature by one of its keys that is not revoked (one Ed25519
 * signature per batch, strict rules, native); it is not a replay, too old for the window, expired
 * or from the future (checked only after the signature, so a forger cannot move a device's window);
 * and, when sealed, it is sealed to this gateway and opens. Anything else is refused with a typed
 * `HealthItError` (`security/unauthenticated` or `security/replay`, `detail.reason`, `detail.deviceId`)
 * and counted — never passed on. A revocation or suspension takes effect on the next message.
 * @example
 * ```ts
 * const authenticate = createMessageAuthenticator({ registry, replay: { maxAgeMs: 300_000 } });
 * const gateway = createGateway({ transport, authenticate });
 * ```
 */
export function createMessageAuthenticator(options: MessageAuthenticatorOptions): MessageAuthenticator {
  const { registry, recipient } = options;
  const guard = 'check' in options.replay ? options.replay : createReplayGuard(options.replay);
  const counts = Object.fromEntries(AUTH_FAILURES.map((r) => [r, 0])) as Record<AuthFailure, number>;

  const refuse = (envelope: Envelope, reason: AuthFailure, message: string): AuthVerdict => {
    counts[reason]++;
    const code =
      reason === 'replay' || reason === 'too-old' || reason === 'expired' || reason === 'future'
        ? 'security/replay'
        : 'security/unauthenticated';
    return {
      ok: false,
      reason,
      error: new HealthItError(
        code,
        `Envelope ${envelope.id} from "${envelope.source}" refused: ${message}`,
        {
          detail: { reason, deviceId: envelope.source, envelopeId: envelope.id },
        },
      ),
    };
  };

  return {
    counts: () => ({ ...counts }),
    authenticate(envelope) {
      const device = registry.get(envelope.source);
      if (device === undefined) return refuse(envelope, 'unknown-device', 'the device is not registered');
      if (device.state !== 'active') {
        return refuse(envelope, `device-${device.state}`, `the device is ${device.state}`);
      }
      const signature = verifyEnvelopeSignature(envelope, (kid) => registry.activeKey(envelope.source, kid));
      if (!signature.ok) {
        const why = {
          unsigned: 'the envelope is not signed',
          'unknown-key': `key ${signature.keyId} is not an active key of the device (unknown or revoked)`,
          'bad-signature': 'the signature does not verify',
        }[signature.reason];
        return refuse(envelope, signature.reason, why);
      }
      const fresh = guard.check(envelope.source, envelope.seq, envelope.ts);
      if (!fresh.ok)
        return refuse(envelope, fresh.reason, `seq ${envelope.seq} at ts ${envelope.ts}: ${fresh.reason}`);
      if (envelope.contentType !== SEALED_CONTENT_TYPE) return { ok: true, envelope };
      if (recipient === undefined) {
        return refuse(envelope, 'sealed-misdirected', 'it is sealed, and this gateway has no sealing key');
      }
      try {
        return { ok: true, envelope: openEnvelope(envelope, recipient).envelope };
      } catch (error) {
        const reason = error instanceof SealError ? error.reason : 'authentication';
        const mapped: AuthFailure =
          reason === 'misdirected'
            ? 'sealed-misdirected'
            : reason === 'authentication'
              ? 'sealed-unauthenticated'
              : 'sealed-malformed';
        return refuse(envelope, mapped, (error as Error).message);
      }
    },
  };
}
