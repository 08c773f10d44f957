import { createHash, timingSafeEqual } from 'node:crypto';
import { type Clock, type Principal, systemClock, verifyRoleClaim } from '@healthit/core';
import type { Authenticate, DashboardRequest } from './sources.js';

/** The bearer credential of a request (`Authorization: Bearer <token>`), if any. */
export function bearerToken(request: DashboardRequest): string | undefined {
  const header = request.headers.authorization;
  const value = Array.isArray(header) ? header[0] : header;
  const match = value === undefined ? null : /^Bearer ([A-Za-z0-9._~+/=-]{1,16384})$/.exec(value);
  return match?.[1];
}

const digest = (text: string) => createHash('sha256').update(text).digest();

/**
 * Opaque bearer tokens issued out of band (a demo, a kiosk, a service account), each standing for a
 * principal. Tokens are compared as SHA-256 digests in constant time. For people, prefer
 * {@link roleClaimAuthenticator} or the hospital's identity provider.
 */
export function bearerTokenAuthenticator(tokens: Readonly<Record<string, Principal>>): Authenticate {
  const entries = Object.entries(tokens).map(([token, principal]) => ({ hash: digest(token), principal }));
  return (request) => {
    const token = bearerToken(request);
    if (token === undefined) return undefined;
    const hash = digest(token);
    let found: Principal | undefined;
    for (const e of entries) if (timingSafeEqual(e.hash, hash)) found = e.principal;
    return found;
  };
}

/**
 * Signed role claims (core `RoleClaim`) as bearer tokens: `Authorization: Bearer <base64url of the
 * claim's JSON>`. The claim must be issued by a trusted issuer, signed and unexpired
 * (`verifyRoleClaim`); anything else is unauthenticated.
 */
export function roleClaimAuthenticator(
  issuers: (issuer: string) => Uint8Array | undefined,
  clock: Clock = systemClock,
): Authenticate {
  return (request) => {
    const token = bearerToken(request);
    if (token === undefined) return undefined;
    let claim: unknown;
    try {
      claim = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
    } catch {
      return undefined;
    }
    const verdict = verifyRoleClaim(claim, issuers, clock);
    return verdict.ok ? verdict.principal : undefined;
  };
}
