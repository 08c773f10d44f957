import { type Clock, HealthItError } from '@healthit/core';
import { renewalDue } from '@healthit/core/certificates';

/** Why a certificate was revoked: RFC 5280 §5.3.1 reason codes the platform uses. */
export type RevocationReason =
  | 'unspecified'
  | 'keyCompromise'
  | 'affiliationChanged'
  | 'superseded'
  | 'cessationOfOperation'
  | 'certificateHold'
  | 'privilegeWithdrawn';

/** A certificate the CA issued, and its revocation if any. */
export interface CertificateRecord {
  /** Lowercase hex. */
  readonly serialNumber: string;
  /** The authenticated subject the certificate was issued to (its CN), e.g. a device or gateway id. */
  readonly subjectId: string;
  /**
   * What the subject is; devices get client-only certificates, gateways and services
   * client-and-server ones.
   */
  readonly kind: 'device' | 'gateway' | 'service';
  /** Start of validity, epoch ms (the issue time minus the CA's `backdateMs` clock-skew allowance). */
  readonly notBefore: number;
  /** End of validity, epoch ms (never after the CA certificate's own). */
  readonly notAfter: number;
  /** When the CA issued it, epoch ms (the CA's clock). */
  readonly issuedAt: number;
  /** The certificate, PEM-encoded. */
  readonly certificatePem: string;
  /** When it was revoked, epoch ms; absent while not revoked. */
  readonly revokedAt?: number;
  /** The RFC 5280 reason it was revoked for; absent while not revoked. */
  readonly revocationReason?: RevocationReason;
}

/** A certificate's standing at a time. */
export type CertificateStatus = 'valid' | 'revoked' | 'expired' | 'unknown';

/** The CA's record of what it issued (see {@link createCertificateInventory}). @internal */
export interface CertificateInventory {
  add(record: CertificateRecord): CertificateRecord;
  /** A serial number not yet used, from `random`. */
  freshSerial(random: () => string): string;
  /** The standing of a certificate now; hex serial, any case. */
  status(serialNumber: string): CertificateStatus;
  /** The record of a serial number (hex, any case, with or without leading zeros), if this CA issued it. */
  record(serialNumber: string): CertificateRecord | undefined;
  /** A subject's certificates, oldest first. */
  certificatesOf(subjectId: string): CertificateRecord[];
  /** Every record held. */
  records(): CertificateRecord[];
  revoke(serialNumber: string, reason: RevocationReason): { record: CertificateRecord; changed: boolean };
  revokeSubject(subjectId: string, reason: RevocationReason): CertificateRecord[];
  /** Revoked certificates not yet expired: a CRL's entries. */
  revokedLive(): CertificateRecord[];
  renewalsDue(fraction?: number): CertificateRecord[];
}

/**
 * The inventory, bounded: when full, expired records are dropped (oldest first); if every record is
 * live, issuing fails with `buffer/overflow` rather than forgetting a certificate that may need revoking.
 * @internal
 */
export function createCertificateInventory(options: {
  readonly clock: Clock;
  readonly maxCertificates: number;
  readonly records: readonly CertificateRecord[];
}): CertificateInventory {
  const { clock, maxCertificates } = options;
  if (!Number.isInteger(maxCertificates) || maxCertificates < 1) {
    throw new HealthItError(
      'config/invalid',
      `maxCertificates must be a positive integer, got ${maxCertificates}`,
    );
  }
  /** By serial, in insertion (issue) order. */
  const bySerial = new Map<string, CertificateRecord>();
  /** A serial number as the map keys it: hex, lowercase, without leading zeros (as TLS stacks print it or not). */
  const keyOf = (serialNumber: string): string => serialNumber.toLowerCase().replace(/^0+(?=.)/, '');
  const live = (r: CertificateRecord, now: number) => r.revokedAt === undefined && now < r.notAfter;

  function pruneExpired(now: number): void {
    for (const [serial, r] of bySerial) {
      if (r.notAfter <= now) bySerial.delete(serial);
    }
  }

  function put(record: CertificateRecord): CertificateRecord {
    if (bySerial.size >= maxCertificates) pruneExpired(clock.now());
    if (bySerial.size >= maxCertificates) {
      throw new HealthItError(
        'buffer/overflow',
        `The CA holds ${bySerial.size} unexpired certificates (maxCertificates): none can be dropped`,
      );
    }
    const frozen = Object.freeze({ ...record, serialNumber: record.serialNumber.toLowerCase() });
    bySerial.set(keyOf(frozen.serialNumber), frozen);
    return frozen;
  }

  function revoke(
    serialNumber: string,
    reason: RevocationReason,
  ): { record: CertificateRecord; changed: boolean } {
    const record = bySerial.get(keyOf(serialNumber));
    if (record === undefined) {
      throw new HealthItError(
        'state/invalid',
        `No certificate with serial ${serialNumber} was issued by this CA`,
      );
    }
    if (record.revokedAt !== undefined) return { record, changed: false };
    const updated = Object.freeze({ ...record, revokedAt: clock.now(), revocationReason: reason });
    bySerial.set(keyOf(updated.serialNumber), updated);
    return { record: updated, changed: true };
  }

  for (const r of options.records) put(r);

  return {
    add: put,
    freshSerial(random) {
      for (;;) {
        const serial = random().toLowerCase();
        if (!bySerial.has(keyOf(serial))) return serial;
      }
    },
    status(serialNumber) {
      const r = bySerial.get(keyOf(serialNumber));
      if (r === undefined) return 'unknown';
      if (r.revokedAt !== undefined) return 'revoked';
      const now = clock.now();
      return now < r.notBefore || now >= r.notAfter ? 'expired' : 'valid';
    },
    record: (serialNumber) => bySerial.get(keyOf(serialNumber)),
    certificatesOf: (subjectId) => [...bySerial.values()].filter((r) => r.subjectId === subjectId),
    records: () => [...bySerial.values()],
    revoke,
    revokeSubject(subjectId, reason) {
      const now = clock.now();
      const hit = [...bySerial.values()].filter((r) => r.subjectId === subjectId && live(r, now));
      return hit.map((r) => revoke(r.serialNumber, reason).record);
    },
    revokedLive() {
      const now = clock.now();
      return [...bySerial.values()].filter((r) => r.revokedAt !== undefined && now < r.notAfter);
    },
    renewalsDue(fraction) {
      const now = clock.now();
      return [...bySerial.values()].filter((r) => live(r, now) && renewalDue(r, now, fraction));
    },
  };
}
