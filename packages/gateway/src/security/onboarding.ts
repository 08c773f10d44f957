import {
  type Clock,
  type DeviceAttestation,
  fromBase64Url,
  HealthItError,
  type LedgerSink,
  systemClock,
  toBase64Url,
  verifyAttestation,
  verifyEnrolmentProof,
} from '@healthit/core';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, randomBytes } from '@noble/hashes/utils.js';
import type { DeviceRegistry, RegisteredDevice } from './device-registry.js';

/** Why an enrolment was refused. */
export type EnrolmentFailure =
  | 'challenge-unknown'
  | 'attestation-malformed'
  | 'attestation-untrusted'
  | 'attestation-forged'
  | 'proof-invalid'
  | 'token-unknown'
  | 'token-expired'
  | 'token-mismatch'
  | 'already-registered'
  | 'audit-failed';

/** What a device sends to enrol. */
export interface EnrolmentRequest {
  /** The id the device asks to be registered under (bound into its proof). */
  readonly deviceId: string;
  /** Its manufacturer attestation (any JSON: checked here). */
  readonly attestation: unknown;
  /** The one-time enrolment token it was given (base64url). */
  readonly token: string;
  /** The challenge this gateway issued (base64url). */
  readonly challenge: string;
  /** `proveEnrolment({ challenge, deviceId, gatewayId, serial }, deviceSecretKey)`. */
  readonly proof: string;
}

/** The outcome of {@link Onboarding.enrol}. */
export type EnrolmentResult =
  | {
      /** The device was enrolled. */
      readonly ok: true;
      /** The device as registered: `active`, with the attested key and the site's `owner`. */
      readonly device: RegisteredDevice;
      /** The verified manufacturer attestation (manufacturer, model, serial, keys). */
      readonly attestation: DeviceAttestation;
    }
  | {
      /** The enrolment was refused; nothing was registered. */
      readonly ok: false;
      /** Which check refused it. */
      readonly reason: EnrolmentFailure;
      /**
       * The error, with `detail.reason` and `detail.deviceId`: `store/unavailable` for
       * `audit-failed`, else `security/unauthenticated`.
       */
      readonly error: HealthItError;
    };

/** Options of {@link createOnboarding}. */
export interface OnboardingOptions {
  /** Where enrolled devices are registered (`active`, by `onboarding:<gatewayId>`). */
  readonly registry: DeviceRegistry;
  /** This gateway's id (the devices' proofs are bound to it). */
  readonly gatewayId: string;
  /** The organisation that owns enrolled devices (recorded on the ledger). */
  readonly owner: string;
  /** The manufacturer keys this site trusts: the public key of `kid` for `manufacturer`, or undefined. */
  readonly trustedManufacturers: (manufacturer: string, kid: string) => Uint8Array | undefined;
  /** Where each enrolment is recorded (`device-onboarded`); an enrolment that cannot be recorded fails. */
  readonly ledger?: LedgerSink;
  /** How long a challenge is valid (default 60 000 ms). */
  readonly challengeTtlMs?: number;
  /** Challenges and tokens outstanding at most, each (default 10 000; more: `buffer/overflow`). */
  readonly maxOutstanding?: number;
  /** Time source (ms since the epoch) for token and challenge expiry. Default the system clock. */
  readonly clock?: Clock;
}

/** Device onboarding at the gateway (see {@link createOnboarding}). */
export interface Onboarding {
  /**
   * Issues a one-time enrolment token (base64url, 32 random bytes) — the bootstrap credential an
   * installer gives a device — optionally for one serial number, valid `expiresInMs`.
   */
  issueToken(options: { readonly serial?: string; readonly expiresInMs: number }): string;
  /** A fresh single-use challenge for a device's proof of possession. */
  challenge(): { readonly challenge: string; readonly expiresAt: number };
  /**
   * Enrols a device: the challenge is one this gateway issued and still valid (consumed now); the
   * attestation is signed by a trusted manufacturer key; the proof is the attested key's signature
   * of the challenge, device id, gateway id and serial; the token is unused, unexpired, and for
   * this serial. Then `device.onboarded` is recorded on the ledger, the device registered `active`
   * with the attested keys, and the token disabled. Never throws on a bad request: the reason is
   * returned (and nothing is registered).
   */
  enrol(request: EnrolmentRequest): Promise<EnrolmentResult>;
}

interface TokenRecord {
  readonly serial?: string;
  readonly expiresAt: number;
}

/**
 * Creates the gateway's onboarding: manufacturer attestation, one-time enrolment tokens (stored
 * as SHA-256 hashes only, so a leaked table holds no usable token), proof of possession of the
 * device key over a fresh challenge, an audit record on the ledger, and registration.
 * @throws {RangeError} for invalid options.
 */
export function createOnboarding(options: OnboardingOptions): Onboarding {
  const { registry, gatewayId, owner } = options;
  const clock = options.clock ?? systemClock;
  const ttl = options.challengeTtlMs ?? 60_000;
  const max = options.maxOutstanding ?? 10_000;
  for (const [what, v] of [
    ['challengeTtlMs', ttl],
    ['maxOutstanding', max],
  ] as const) {
    if (!Number.isSafeInteger(v) || v < 1) throw new RangeError(`${what} must be an integer ≥ 1, got ${v}`);
  }
  const challenges = new Map<string, number>(); // challenge → expiresAt
  const tokens = new Map<string, TokenRecord>(); // SHA-256 hex of the token → record

  const prune = (now: number): void => {
    for (const [c, at] of challenges) if (at < now) challenges.delete(c);
    for (const [h, t] of tokens) if (t.expiresAt < now) tokens.delete(h);
  };
  const full = (map: Map<string, unknown>, what: string): void => {
    if (map.size >= max) {
      prune(clock.now());
      if (map.size >= max) {
        throw new HealthItError('buffer/overflow', `${max} ${what} are outstanding (maxOutstanding)`, {
          detail: { max },
        });
      }
    }
  };
  const tokenHash = (token: string): string | undefined => {
    try {
      const bytes = fromBase64Url(token);
      return bytes.length === 32 ? bytesToHex(sha256(bytes)) : undefined;
    } catch {
      return undefined;
    }
  };
  const refuse = (reason: EnrolmentFailure, deviceId: string, message: string): EnrolmentResult => ({
    ok: false,
    reason,
    error: new HealthItError(
      reason === 'audit-failed' ? 'store/unavailable' : 'security/unauthenticated',
      `Enrolment of "${deviceId}" refused: ${message}`,
      {
        detail: { reason, deviceId },
      },
    ),
  });

  return {
    issueToken({ serial, expiresInMs }) {
      if (!Number.isSafeInteger(expiresInMs) || expiresInMs < 1)
        throw new RangeError('expiresInMs must be an integer ≥ 1');
      full(tokens, 'enrolment tokens');
      const token = randomBytes(32);
      tokens.set(bytesToHex(sha256(token)), {
        ...(serial === undefined ? {} : { serial }),
        expiresAt: clock.now() + expiresInMs,
      });
      return toBase64Url(token);
    },
    challenge() {
      full(challenges, 'challenges');
      const challenge = toBase64Url(randomBytes(32));
      const expiresAt = clock.now() + ttl;
      challenges.set(challenge, expiresAt);
      return { challenge, expiresAt };
    },
    async enrol(request) {
      const now = clock.now();
      const deviceId = String(request.deviceId);
      const expiresAt = challenges.get(request.challenge);
      challenges.delete(request.challenge); // single use, whatever happens next
      if (expiresAt === undefined || expiresAt < now) {
        return refuse(
          'challenge-unknown',
          deviceId,
          'the challenge was not issued by this gateway, was used, or expired',
        );
      }
      const verdict = verifyAttestation(request.attestation, options.trustedManufacturers);
      if (!verdict.ok) {
        const reason =
          verdict.reason === 'unknown-manufacturer'
            ? 'attestation-untrusted'
            : verdict.reason === 'malformed'
              ? 'attestation-malformed'
              : 'attestation-forged';
        return refuse(reason, deviceId, verdict.detail);
      }
      const { attestation, publicKey } = verdict;
      const statement = { challenge: request.challenge, deviceId, gatewayId, serial: attestation.serial };
      if (!verifyEnrolmentProof(statement, request.proof, publicKey)) {
        return refuse(
          'proof-invalid',
          deviceId,
          'the proof of possession does not verify under the attested key',
        );
      }
      const hash = tokenHash(request.token);
      const token = hash === undefined ? undefined : tokens.get(hash);
      if (hash === undefined || token === undefined)
        return refuse('token-unknown', deviceId, 'the enrolment token is unknown or was used');
      if (token.expiresAt < now) return refuse('token-expired', deviceId, 'the enrolment token expired');
      if (token.serial !== undefined && token.serial !== attestation.serial) {
        return refuse(
          'token-mismatch',
          deviceId,
          `the token is for serial ${token.serial}, not ${attestation.serial}`,
        );
      }
      if (registry.get(deviceId) !== undefined)
        return refuse('already-registered', deviceId, 'the device id is taken');
      if (options.ledger !== undefined) {
        try {
          await options.ledger.append([
            {
              type: 'device-onboarded',
              body: { device: deviceId, owner, model: attestation.model, publicKey: bytesToHex(publicKey) },
            },
          ]);
        } catch (e) {
          return refuse(
            'audit-failed',
            deviceId,
            `the onboarding could not be recorded: ${(e as Error).message}`,
          );
        }
      }
      tokens.delete(hash); // the bootstrap credential is disabled
      const device = registry.register(
        {
          deviceId,
          publicKey,
          owner,
          state: 'active',
          ...(attestation.sealingKey === undefined
            ? {}
            : { sealingKey: fromBase64Url(attestation.sealingKey) }),
        },
        {
          by: `onboarding:${gatewayId}`,
          reason: `attested by ${attestation.manufacturer}: ${attestation.model} ${attestation.serial}`,
        },
      );
      return { ok: true, device, attestation };
    },
  };
}
