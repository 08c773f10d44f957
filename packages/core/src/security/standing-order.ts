import { z } from 'zod';
import { fromBase64Url } from '../encoding/bytes.js';
import type { JsonValue } from '../schemas/index.js';
import { signCanonical, verifyCanonical, withoutSignature } from './canonical-signature.js';

/** The signing domain of standing orders. */
export const STANDING_ORDER_DOMAIN = 'healthit-standing-order/v1\n';

/**
 * A clinician's standing order for a gateway's control loop: the gateway named may command `action`
 * on `deviceId` with `params[param]` within `[min, max]` until `expiresAt`, signing each command
 * with `gatewayKey`. Signed by the clinician's key named in `claim` (a role claim).
 */
export const StandingOrder = z.strictObject({
  v: z.literal(1),
  id: z.string().min(1).max(128),
  deviceId: z.string().min(1).max(128),
  action: z.string().min(1).max(128),
  param: z.string().min(1).max(64),
  min: z.number(),
  max: z.number(),
  gatewayId: z.string().min(1).max(128),
  /** The gateway's Ed25519 public key, base64url. */
  gatewayKey: z.string().regex(/^[A-Za-z0-9_-]{43}$/),
  expiresAt: z.number().int().nonnegative(),
  /** The ordering clinician's role claim (with `key`). */
  claim: z.unknown(),
  sig: z.string().regex(/^[A-Za-z0-9_-]{86}$/),
});
export type StandingOrder = z.infer<typeof StandingOrder>;

/** The signed part of an order (everything but `sig`; the claim as given). */
export function standingOrderBody(o: Omit<StandingOrder, 'sig'>): { [key: string]: JsonValue } {
  return withoutSignature(o);
}

/** Issues a standing order signed by the clinician (`secretKey` must be the key her claim names). */
export function issueStandingOrder(
  order: Omit<StandingOrder, 'v' | 'sig' | 'claim'>,
  clinician: { readonly claim: unknown; readonly secretKey: Uint8Array },
): StandingOrder {
  if (!(order.min <= order.max)) throw new RangeError('min must not exceed max');
  const unsigned = { v: 1 as const, ...order, claim: clinician.claim };
  return StandingOrder.parse({
    ...unsigned,
    sig: signCanonical(STANDING_ORDER_DOMAIN, standingOrderBody(unsigned), clinician.secretKey),
  });
}

/** True when `sig` of `order` verifies under the base64url key `key`. Never throws. */
export function verifyStandingOrderSignature(order: StandingOrder, key: string): boolean {
  let publicKey: Uint8Array;
  try {
    publicKey = fromBase64Url(key);
  } catch {
    return false;
  }
  return verifyCanonical(STANDING_ORDER_DOMAIN, standingOrderBody(order), order.sig, publicKey);
}
