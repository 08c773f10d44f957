import { filter, map, type Observable } from 'rxjs';
import type { CertificateAuthority } from './certificate-authority.js';
import type { CertificateRecord, RevocationReason } from './certificate-inventory.js';

/** The part of a device registry's change record that revocation needs (the gateway's `RegistryChange` fits). */
export interface LifecycleChange {
  /** The change's type; only `state-changed` records can revoke. */
  readonly type: string;
  /** The device the change is about: the subject id of its certificates. */
  readonly deviceId: string;
  /** The new state, for a `state-changed` record. */
  readonly to?: string;
}

/** The revocation reason for a device entering a state, or undefined when its certificates stay. */
export function revocationReasonFor(state: string | undefined): RevocationReason | undefined {
  if (state === 'decommissioned') return 'cessationOfOperation';
  if (state === 'suspended') return 'certificateHold';
  return undefined;
}

/** What {@link revokeWithLifecycle} did for one change. */
export interface LifecycleRevocation {
  /** The device whose certificates were revoked. */
  readonly deviceId: string;
  /** `certificateHold` for a suspended device, `cessationOfOperation` for a decommissioned one. */
  readonly reason: RevocationReason;
  /** The certificates revoked now (the device's live ones; empty when it had none). */
  readonly revoked: readonly CertificateRecord[];
}

/**
 * Revokes a device's certificates with the device: when the registry suspends it (`certificateHold`)
 * or decommissions it (`cessationOfOperation`), every live certificate of it goes on the CRL.
 * (A suspended device that is reactivated enrols again for a new certificate.) Cold: subscribe to
 * start; emits what was revoked, so the caller can publish a fresh CRL to its brokers.
 */
export function revokeWithLifecycle(
  ca: Pick<CertificateAuthority, 'revokeSubject'>,
  changes$: Observable<LifecycleChange>,
): Observable<LifecycleRevocation> {
  return changes$.pipe(
    filter((c) => c.type === 'state-changed' && revocationReasonFor(c.to) !== undefined),
    map((c) => {
      const reason = revocationReasonFor(c.to) as RevocationReason;
      return { deviceId: c.deviceId, reason, revoked: ca.revokeSubject(c.deviceId, reason) };
    }),
  );
}
