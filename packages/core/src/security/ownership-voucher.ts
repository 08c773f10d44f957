import { z } from 'zod';
import { signCanonical, verifyCanonical, withoutSignature } from './canonical-signature.js';

/** The signing domain of ownership vouchers. */
export const VOUCHER_DOMAIN = 'healthit-ownership-voucher/v1\n';

/** The current owner's signed statement that a device passes to another organisation. */
export const OwnershipVoucher = z.strictObject({
  v: z.literal(1),
  deviceId: z.string().min(1).max(128),
  /** The organisation giving the device away (its key signs the voucher). */
  from: z.string().min(1).max(128),
  /** The organisation receiving it. */
  to: z.string().min(1).max(128),
  issuedAt: z.number().int().nonnegative(),
  expiresAt: z.number().int().nonnegative(),
  /** The signing key's id (looked up for `from`). */
  kid: z.string().min(1).max(128),
  sig: z.string().regex(/^[A-Za-z0-9_-]{86}$/),
});
export type OwnershipVoucher = z.infer<typeof OwnershipVoucher>;

const body = (v: Omit<OwnershipVoucher, 'sig'>) => withoutSignature(v);

/** Issues a voucher signed by the giving organisation's key. */
export function issueOwnershipVoucher(
  voucher: Omit<OwnershipVoucher, 'v' | 'sig' | 'kid'>,
  signer: { readonly keyId: string; readonly secretKey: Uint8Array },
): OwnershipVoucher {
  const unsigned = { v: 1 as const, ...voucher, kid: signer.keyId };
  return OwnershipVoucher.parse({
    ...unsigned,
    sig: signCanonical(VOUCHER_DOMAIN, body(unsigned), signer.secretKey),
  });
}

/** Why {@link verifyOwnershipVoucher} refused a voucher. */
export type VoucherFailure = 'malformed' | 'unknown-key' | 'bad-signature' | 'expired' | 'not-yet-valid';

/**
 * Checks a voucher (any input): its shape, the giving organisation's key by `kid`, the signature
 * (strict Ed25519) and its validity window at `now`. Whether `from` really owns the device is the
 * registry's check. Never throws.
 */
export function verifyOwnershipVoucher(
  input: unknown,
  orgKey: (org: string, kid: string) => Uint8Array | undefined,
  now: number,
):
  | { readonly ok: true; readonly voucher: OwnershipVoucher }
  | { readonly ok: false; readonly reason: VoucherFailure } {
  const parsed = OwnershipVoucher.safeParse(input);
  if (!parsed.success) return { ok: false, reason: 'malformed' };
  const v = parsed.data;
  const key = orgKey(v.from, v.kid);
  if (key === undefined) return { ok: false, reason: 'unknown-key' };
  if (!verifyCanonical(VOUCHER_DOMAIN, body(v), v.sig, key)) return { ok: false, reason: 'bad-signature' };
  if (now < v.issuedAt) return { ok: false, reason: 'not-yet-valid' };
  if (now >= v.expiresAt) return { ok: false, reason: 'expired' };
  return { ok: true, voucher: v };
}
