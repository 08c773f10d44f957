import type { PolicyKey } from './membership.js';

/**
 * Whether a key may sign at a given instant:
 * - `valid`: `from <= at`, before `until` and before `revokedAt`;
 * - `not-yet-valid`: `at < from`;
 * - `expired`: `at >= until` (rotated out);
 * - `revoked`: `at >= revokedAt`.
 */
export type KeyStatus = 'valid' | 'not-yet-valid' | 'expired' | 'revoked';

/**
 * The status of `key` for an entry produced at `at` (epoch ms). A key revoked (or expired) at T
 * still counts for entries produced before T, so rotation and revocation keep old entries
 * verifiable. Trust assumption: producer time is the signer's claim, trusted only as far as the
 * log checks it. A transparency log created with `entryTime: { maxAgeMs, maxAheadMs }` refuses
 * entries whose producer time is further than that from its clock, so a holder of a revoked key can
 * backdate by at most `maxAgeMs`.
 */
export function keyStatusAt(key: PolicyKey, at: number): KeyStatus {
  if (key.revokedAt !== undefined && at >= key.revokedAt) return 'revoked';
  if (at < key.from) return 'not-yet-valid';
  if (key.until !== undefined && at >= key.until) return 'expired';
  return 'valid';
}
