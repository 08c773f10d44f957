import { fromBase64Url } from '../encoding/bytes.js';
import { type Clock, systemClock } from '../ports/clock.js';
import type { Command } from '../schemas/command.js';
import type { JsonValue } from '../schemas/index.js';
import {
  type AccessControl,
  type AccessResource,
  createAccessControl,
  type Principal,
  type RoleClaim,
  verifyRoleClaim,
} from './access-control.js';
import { signCanonical, verifyCanonical, withoutSignature } from './canonical-signature.js';
import { StandingOrder, verifyStandingOrderSignature } from './standing-order.js';

/** The signing domain of authorised commands. */
export const COMMAND_DOMAIN = 'healthit-command/v1\n';

/** The signed part of a command: every member but `auth`, as plain JSON. */
function commandBody(command: Command): JsonValue {
  return withoutSignature(command, 'auth');
}

/**
 * Authorises a command for an actuator: attaches the principal's role claim (which must carry its
 * `key`) and the principal's signature of the command (domain `healthit-command/v1\n`).
 * @throws {RangeError} when the claim names no key.
 * @example
 * ```ts
 * const command = authoriseCommand({ id, deviceId: 'pump-3', action: 'infusion.set-rate', params, issuedBy: 'dr:kim', issuedAt }, { claim, secretKey });
 * ```
 */
export function authoriseCommand(
  command: Command,
  signer: { readonly claim: RoleClaim; readonly secretKey: Uint8Array },
): Command {
  if (signer.claim.key === undefined)
    throw new RangeError('The role claim names no key: it cannot authorise commands');
  return {
    ...command,
    auth: { claim: signer.claim, sig: signCanonical(COMMAND_DOMAIN, commandBody(command), signer.secretKey) },
  };
}

/** Why {@link verifyCommandAuthorisation} refused a command. */
export type CommandAuthFailure =
  | 'unsigned'
  | 'claim-invalid'
  | 'claim-without-key'
  | 'bad-signature'
  | 'not-authorised'
  | 'order-invalid'
  | 'order-expired'
  | 'outside-order';

/** Options of {@link verifyCommandAuthorisation}. */
export interface CommandAuthOptions {
  /** The role-claim issuers the device trusts: issuer id → Ed25519 public key. */
  readonly issuers: (issuer: string) => Uint8Array | undefined;
  /** The access decision (default: the default clinical policy). */
  readonly access?: AccessControl;
  /** Where the actuator is (its ward, its patient): the scope the decision is made in. */
  readonly resource?: AccessResource;
  /** The time role claims and standing orders are checked against for expiry (default: the system clock). */
  readonly clock?: Clock;
}

/**
 * What an actuator checks before acting on a command that affects therapy — the whole chain: a
 * role claim issued by a trusted authority and not expired; the claim's key signed this very
 * command; and the claimed roles may `actuator.command` on this resource. Never throws.
 */
export function verifyCommandAuthorisation(
  command: Command,
  options: CommandAuthOptions,
):
  | { readonly ok: true; readonly principal: Principal }
  | { readonly ok: false; readonly reason: CommandAuthFailure; readonly detail: string } {
  const auth = command.auth;
  if (auth === undefined)
    return { ok: false, reason: 'unsigned', detail: 'the command carries no authorisation' };
  if ('order' in auth) return verifyUnderOrder(command, auth.order, auth.sig, options);
  const claim = verifyRoleClaim(auth.claim, options.issuers, options.clock);
  if (!claim.ok) return { ok: false, reason: 'claim-invalid', detail: `the role claim is ${claim.reason}` };
  if (claim.claim.key === undefined)
    return { ok: false, reason: 'claim-without-key', detail: 'the role claim names no key' };
  let key: Uint8Array;
  try {
    key = fromBase64Url(claim.claim.key);
  } catch {
    return { ok: false, reason: 'claim-invalid', detail: 'the claim key is not base64url' };
  }
  if (!verifyCanonical(COMMAND_DOMAIN, commandBody(command), auth.sig, key)) {
    return {
      ok: false,
      reason: 'bad-signature',
      detail: `the command is not signed by ${claim.principal.id}'s key`,
    };
  }
  return decide(claim.principal, command, options);
}

type Verdict = ReturnType<typeof verifyCommandAuthorisation>;

function decide(principal: Principal, command: Command, options: CommandAuthOptions): Verdict {
  const access = options.access ?? defaultAccess;
  const decision = access.decide(
    principal,
    'actuator.command',
    options.resource ?? { deviceId: command.deviceId },
  );
  if (!decision.allowed) return { ok: false, reason: 'not-authorised', detail: decision.reason };
  return { ok: true, principal };
}

/**
 * A command issued under a standing order: the order is signed by a clinician whose claim is valid
 * and who may command this device; the order has not expired; the command stays within it (device,
 * action, parameter range); and the gateway key the order names signed the command.
 */
function verifyUnderOrder(
  command: Command,
  input: unknown,
  sig: string,
  options: CommandAuthOptions,
): Verdict {
  const parsed = StandingOrder.safeParse(input);
  if (!parsed.success)
    return { ok: false, reason: 'order-invalid', detail: 'the standing order is malformed' };
  const order = parsed.data;
  const claim = verifyRoleClaim(order.claim, options.issuers, options.clock);
  if (!claim.ok)
    return {
      ok: false,
      reason: 'claim-invalid',
      detail: `the ordering clinician's claim is ${claim.reason}`,
    };
  if (claim.claim.key === undefined)
    return { ok: false, reason: 'claim-without-key', detail: 'the role claim names no key' };
  if (!verifyStandingOrderSignature(order, claim.claim.key)) {
    return {
      ok: false,
      reason: 'order-invalid',
      detail: `the standing order is not signed by ${claim.principal.id}'s key`,
    };
  }
  const now = (options.clock ?? systemClock).now();
  if (now >= order.expiresAt)
    return { ok: false, reason: 'order-expired', detail: `standing order ${order.id} expired` };
  const value = command.params[order.param];
  if (
    command.deviceId !== order.deviceId ||
    command.action !== order.action ||
    typeof value !== 'number' ||
    value < order.min ||
    value > order.max
  ) {
    return {
      ok: false,
      reason: 'outside-order',
      detail: `standing order ${order.id} allows ${order.action} on ${order.deviceId} with ${order.param} in [${order.min}, ${order.max}]`,
    };
  }
  let gatewayKey: Uint8Array;
  try {
    gatewayKey = fromBase64Url(order.gatewayKey);
  } catch {
    return { ok: false, reason: 'order-invalid', detail: 'the gateway key is not base64url' };
  }
  if (!verifyCanonical(COMMAND_DOMAIN, commandBody(command), sig, gatewayKey)) {
    return {
      ok: false,
      reason: 'bad-signature',
      detail: `the command is not signed by gateway ${order.gatewayId}`,
    };
  }
  return decide(claim.principal, command, options);
}

/** Signs a command of a gateway's control loop under a standing order (the gateway's key must be the order's). */
export function authoriseCommandUnderOrder(
  command: Command,
  order: StandingOrder,
  gatewaySecretKey: Uint8Array,
): Command {
  return {
    ...command,
    auth: { order, sig: signCanonical(COMMAND_DOMAIN, commandBody(command), gatewaySecretKey) },
  };
}

const defaultAccess = createAccessControl();
