/**
 * Fuzzing commands issued under a clinician's standing order, as an actuator checks them: the
 * command message (JSON bytes) is decoded with the command codec, then `verifyCommandAuthorisation`
 * parses the `StandingOrder` in `auth.order`, verifies the clinician's role claim and her
 * signature of the order, the order's expiry and bounds, and the gateway's signature of the
 * command. Two targets:
 *
 * - commands under an order, mutated as JSON (the order, its claim, its bounds, both signatures,
 *   the command's device, action and parameters; values nested up to 50 000 levels deep): nearly
 *   all stop at a signature;
 * - orders mutated and then signed by the clinician's own key, each with a command (genuine or
 *   mutated) signed by the order's gateway, so that the checks behind the order's signature
 *   (expiry, device, action, the parameter's range, the gateway key) are reached.
 *
 * The codec refuses with a typed error; the verifier returns a verdict and never throws. A command
 * is authorised only when it really lies within an order the clinician signed.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  deepJsonText,
  deepJsonTextInside,
  jsonBytes,
  jsonInputs,
  mutatedJson,
} from '../../../../test/fuzz/arbitraries.js';
import { fuzz, fuzzRuns, fuzzTimeout, healthItError } from '../../../../test/fuzz/fuzz.js';
import { toBase64Url } from '../encoding/bytes.js';
import { canonicalJson } from '../encoding/canonical-json.js';
import { commandJsonCodec } from '../encoding/json-codecs.js';
import type { Command } from '../schemas/command.js';
import { deviceId } from '../schemas/ids.js';
import { createFakeClock } from '../time/fake-clock.js';
import { issueRoleClaim } from './access-control.js';
import { signCanonical, withoutSignature } from './canonical-signature.js';
import {
  authoriseCommandUnderOrder,
  COMMAND_DOMAIN,
  verifyCommandAuthorisation,
} from './command-authorisation.js';
import { createIdentity } from './identity.js';
import { issueStandingOrder, STANDING_ORDER_DOMAIN, StandingOrder } from './standing-order.js';

const T0 = Date.UTC(2026, 0, 1);
const RUNS = fuzzRuns(500); // three to four Ed25519 operations per input
const idp = createIdentity({
  id: 'hospital-idp',
  kind: 'service',
  signingSecretKey: new Uint8Array(32).fill(1),
});
const kim = createIdentity({ id: 'dr:kim', kind: 'person', signingSecretKey: new Uint8Array(32).fill(2) });
const gw = createIdentity({ id: 'gateway-1', kind: 'gateway', signingSecretKey: new Uint8Array(32).fill(4) });
const rogue = createIdentity({
  id: 'gateway-9',
  kind: 'gateway',
  signingSecretKey: new Uint8Array(32).fill(5),
});
const wire = (v: unknown): unknown => JSON.parse(JSON.stringify(v));

const claim = issueRoleClaim(
  {
    subject: 'dr:kim',
    roles: ['clinician'],
    wards: ['ward-3'],
    patients: [],
    expiresAt: T0 + 86_400_000,
    key: toBase64Url(kim.signing.publicKey),
  },
  { id: 'hospital-idp', secretKey: idp.signing.secretKey },
);
const orderFields = {
  id: 'so-1',
  deviceId: 'o2-1',
  action: 'oxygen.set-flow',
  param: 'flowLpm',
  min: 0.5,
  max: 4,
  gatewayId: 'gateway-1',
  gatewayKey: toBase64Url(gw.signing.publicKey),
  expiresAt: T0 + 3_600_000,
};
const clinician = { claim, secretKey: kim.signing.secretKey };
const order = issueStandingOrder(orderFields, clinician);
const expired = issueStandingOrder({ ...orderFields, id: 'so-0', expiresAt: T0 - 1 }, clinician);

const command = (flowLpm: unknown, extra: Partial<Command> = {}): Command => ({
  id: `ctl:spo2:${String(flowLpm)}`,
  deviceId: deviceId('o2-1'),
  action: 'oxygen.set-flow',
  params: { flowLpm: flowLpm as number },
  issuedBy: 'rule:spo2-low',
  issuedAt: T0 - 1_000,
  causedBy: ['sensor-1:9'],
  ...extra,
});

/** Within the order, signed by its gateway: these verify. */
const AUTHORISED = [0.5, 2, 4].map((flow) =>
  wire(authoriseCommandUnderOrder(command(flow), order, gw.signing.secretKey)),
);
const TEMPLATES = [
  ...AUTHORISED,
  wire(authoriseCommandUnderOrder(command(6), order, gw.signing.secretKey)), // outside-order
  wire(authoriseCommandUnderOrder(command(2), order, rogue.signing.secretKey)), // bad-signature
  wire(authoriseCommandUnderOrder(command(2), expired, gw.signing.secretKey)), // order-expired
];

const options = {
  issuers: (iss: string) => (iss === 'hospital-idp' ? idp.signing.publicKey : undefined),
  resource: { ward: 'ward-3' },
  clock: createFakeClock(T0),
};

/** `verifyCommandAuthorisation`, whose throw is a crash (it is documented to return a verdict). */
function verify(decoded: Command): ReturnType<typeof verifyCommandAuthorisation> {
  try {
    return verifyCommandAuthorisation(decoded, options);
  } catch (e) {
    throw new Error(`verifyCommandAuthorisation threw (it must return a verdict): ${String(e)}`, {
      cause: e,
    });
  }
}

const same = (a: unknown, b: unknown): boolean => canonicalJson(a as never) === canonicalJson(b as never);

/** Signs what the harness generated; an unsignable value (not JSON) is left as it is. */
function trySign(domain: string, value: unknown, field: string, secretKey: Uint8Array): string | undefined {
  try {
    return signCanonical(domain, withoutSignature(value as object, field), secretKey);
  } catch {
    return undefined;
  }
}

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

describe('standing order fuzzing', () => {
  it(
    'commands under a standing order, mutated: a typed refusal or a verdict; only a genuine command is authorised',
    () => {
      const r = fuzz({
        name: 'standing order: command under an order (JSON bytes)',
        runs: RUNS,
        inputs: fc.oneof(
          { arbitrary: jsonInputs(TEMPLATES).map(jsonBytes), weight: 15 },
          { arbitrary: deepJsonText, weight: 1 },
          { arbitrary: deepJsonTextInside(TEMPLATES), weight: 1 },
        ),
        typed: healthItError,
        maxMsPerInput: 2_000, // as the command authorisation target: big, deep commands decode slowly
        run: (bytes) => {
          const decoded = commandJsonCodec.decode(bytes);
          const verdict = verify(decoded);
          if (!verdict.ok) return `refused: ${verdict.reason}`;
          if (!AUTHORISED.some((g) => same(g, decoded)))
            throw new Error(`authorised a changed command: ${JSON.stringify(decoded)}`);
          if (verdict.principal.id !== 'dr:kim') throw new Error(`authorised for ${verdict.principal.id}`);
          return 'authorised';
        },
      });
      expect(r.outcomes.authorised).toBeGreaterThan(0);
    },
    fuzzTimeout(4_000, RUNS),
  );

  it(
    'orders mutated and signed by the clinician: authorised only within the order as signed',
    () => {
      const unsignedOrder = wire({ v: 1, ...orderFields, claim });
      const inputs = fc
        .record({
          order: fc.oneof(
            { arbitrary: mutatedJson([unsignedOrder]), weight: 6 },
            { arbitrary: fc.constant(unsignedOrder), weight: 1 },
          ),
          command: fc.oneof(
            { arbitrary: fc.constantFrom(...[0.5, 2, 4, 6, -1].map((f) => wire(command(f)))), weight: 3 },
            { arbitrary: mutatedJson([wire(command(2)), wire(command(4.5))]), weight: 2 },
          ),
          byGateway: fc.nat({ max: 3 }).map((n) => n > 0), // mostly the order's gateway
        })
        .map(({ order: o, command: c, byGateway }) => {
          if (isRecord(o)) {
            const sig = trySign(STANDING_ORDER_DOMAIN, o, 'sig', kim.signing.secretKey);
            if (sig !== undefined) o.sig = sig;
          }
          if (!isRecord(c)) return { bytes: jsonBytes(c), order: o, byGateway };
          const signed = { ...c, auth: { order: o, sig: '' } };
          const key = (byGateway ? gw : rogue).signing.secretKey;
          signed.auth.sig = trySign(COMMAND_DOMAIN, signed, 'auth', key) ?? 'A'.repeat(86);
          return { bytes: jsonBytes(signed), order: o, byGateway };
        });
      const r = fuzz({
        name: 'standing order: clinician-signed mutated orders (JSON bytes)',
        runs: RUNS,
        inputs,
        typed: healthItError,
        maxMsPerInput: 2_000, // as the command authorisation target: big, deep commands decode slowly
        run: ({ bytes, order: raw, byGateway }) => {
          const decoded = commandJsonCodec.decode(bytes);
          const verdict = verify(decoded);
          if (!verdict.ok) return `refused: ${verdict.reason}`;
          // Authorised: the order as signed must be valid and cover exactly this command.
          const parsed = StandingOrder.safeParse(raw);
          if (!parsed.success) throw new Error(`authorised under a malformed order: ${JSON.stringify(raw)}`);
          const o = parsed.data;
          const value = decoded.params[o.param];
          const within =
            same(o.claim, claim) &&
            byGateway &&
            o.gatewayKey === orderFields.gatewayKey &&
            T0 < o.expiresAt &&
            decoded.deviceId === o.deviceId &&
            decoded.action === o.action &&
            Object.hasOwn(decoded.params, o.param) &&
            typeof value === 'number' &&
            o.min <= value &&
            value <= o.max;
          if (!within)
            throw new Error(
              `authorised outside the order: ${JSON.stringify(decoded)} under ${JSON.stringify(o)}`,
            );
          if (verdict.principal.id !== 'dr:kim') throw new Error(`authorised for ${verdict.principal.id}`);
          return 'authorised';
        },
      });
      expect(r.outcomes.authorised).toBeGreaterThan(0);
      expect(r.outcomes['refused: outside-order']).toBeGreaterThan(0);
    },
    fuzzTimeout(6_000, RUNS),
  );
});
