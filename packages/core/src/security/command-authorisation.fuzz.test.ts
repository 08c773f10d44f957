/**
 * Fuzzing command authorisation as an actuator meets it: a command message (JSON bytes) is decoded
 * with the command codec, then `verifyCommandAuthorisation` checks the role claim in `auth`, the
 * claim key's signature of the command and the access decision. Inputs are authorised commands
 * mutated as JSON (members deleted, retyped, swapped, grown; the claim, its key and both signatures
 * changed), random JSON, and JSON text nested up to 50 000 levels deep (whole, or inside a member). The codec refuses with a typed error; the verifier
 * returns a verdict and never throws; only a genuine command is authorised, and only for its
 * signer.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  deepJsonText,
  deepJsonTextInside,
  jsonBytes,
  jsonInputs,
} from '../../../../test/fuzz/arbitraries.js';
import { fuzz, fuzzRuns, fuzzTimeout, healthItError } from '../../../../test/fuzz/fuzz.js';
import { toBase64Url } from '../encoding/bytes.js';
import { canonicalJson } from '../encoding/canonical-json.js';
import { commandJsonCodec } from '../encoding/json-codecs.js';
import type { Command } from '../schemas/command.js';
import { deviceId } from '../schemas/ids.js';
import { createFakeClock } from '../time/fake-clock.js';
import { issueRoleClaim } from './access-control.js';
import { authoriseCommand, verifyCommandAuthorisation } from './command-authorisation.js';
import { createIdentity } from './identity.js';

const T0 = Date.UTC(2026, 0, 1);
const RUNS = fuzzRuns(500); // two to three Ed25519 verifications per input
/**
 * The time bound per input: a command of 400 KB whose members nest 1 000 levels deep takes 0.3 to
 * 1.1 s to decode on the loaded 2-core VM (the command codec's schema recurses into `params`).
 */
const MAX_MS_PER_COMMAND = 2_000;
const idp = createIdentity({
  id: 'hospital-idp',
  kind: 'service',
  signingSecretKey: new Uint8Array(32).fill(1),
});
const kim = createIdentity({ id: 'dr:kim', kind: 'person', signingSecretKey: new Uint8Array(32).fill(2) });
const bo = createIdentity({ id: 'nurse:bo', kind: 'person', signingSecretKey: new Uint8Array(32).fill(3) });
const wire = (v: unknown): unknown => JSON.parse(JSON.stringify(v));

const authority = { id: 'hospital-idp', secretKey: idp.signing.secretKey };
const kimClaim = issueRoleClaim(
  {
    subject: 'dr:kim',
    roles: ['clinician'],
    wards: ['ward-3'],
    patients: [],
    expiresAt: T0 + 3_600_000,
    key: toBase64Url(kim.signing.publicKey),
  },
  authority,
);
/** A nurse may not command actuators under the default policy: signed, but `not-authorised`. */
const boClaim = issueRoleClaim(
  {
    subject: 'nurse:bo',
    roles: ['nurse'],
    wards: ['ward-3'],
    patients: ['p-1'],
    expiresAt: T0 + 3_600_000,
    key: toBase64Url(bo.signing.publicKey),
  },
  authority,
);

const command = (id: string, extra: Partial<Command> = {}): Command => ({
  id,
  deviceId: deviceId('pump-3'),
  action: 'infusion.set-rate',
  params: { rateMlPerH: 12.5, drug: 'heparin', bolus: false },
  issuedBy: 'dr:kim',
  issuedAt: T0 - 1_000,
  expiresAt: T0 + 60_000,
  causedBy: ['mon-1:17'],
  ...extra,
});

/** Authorised by a clinician of the ward: verifies. */
const AUTHORISED = [
  authoriseCommand(command('c-1'), { claim: kimClaim, secretKey: kim.signing.secretKey }),
  authoriseCommand(
    command('c-2', { action: 'oxygen.set-flow', params: { flowLpm: 2 }, causedBy: undefined }),
    {
      claim: kimClaim,
      secretKey: kim.signing.secretKey,
    },
  ),
].map(wire);
const TEMPLATES = [
  ...AUTHORISED,
  // signed by a nurse: refused by the access decision
  wire(
    authoriseCommand(command('c-3', { issuedBy: 'nurse:bo' }), {
      claim: boClaim,
      secretKey: bo.signing.secretKey,
    }),
  ),
  // unsigned
  wire(command('c-4')),
];

const genuine = (v: unknown): boolean =>
  AUTHORISED.some((g) => canonicalJson(g as never) === canonicalJson(v as never));

describe('command authorisation fuzzing', () => {
  it(
    'command codec + verifyCommandAuthorisation: a typed refusal or a verdict; only a genuine command is authorised',
    () => {
      const r = fuzz({
        name: 'command authorisation verifyCommandAuthorisation (JSON bytes)',
        runs: RUNS,
        inputs: fc.oneof(
          { arbitrary: jsonInputs(TEMPLATES).map(jsonBytes), weight: 15 },
          { arbitrary: deepJsonText, weight: 1 },
          { arbitrary: deepJsonTextInside(TEMPLATES), weight: 1 },
        ),
        typed: healthItError, // the codec's refusals; the verifier itself must never throw
        maxMsPerInput: MAX_MS_PER_COMMAND,
        run: (bytes) => {
          const decoded = commandJsonCodec.decode(bytes);
          let verdict: ReturnType<typeof verifyCommandAuthorisation>;
          try {
            verdict = verifyCommandAuthorisation(decoded, {
              issuers: (iss) => (iss === 'hospital-idp' ? idp.signing.publicKey : undefined),
              resource: { ward: 'ward-3', deviceId: decoded.deviceId },
              clock: createFakeClock(T0),
            });
          } catch (e) {
            throw new Error(`verifyCommandAuthorisation threw (it must return a verdict): ${String(e)}`, {
              cause: e,
            });
          }
          if (!verdict.ok) {
            if (typeof verdict.detail !== 'string' || verdict.detail === '')
              throw new Error(`a refusal without a detail: ${verdict.reason}`);
            return `refused: ${verdict.reason}`;
          }
          if (!genuine(decoded)) throw new Error(`authorised a changed command: ${JSON.stringify(decoded)}`);
          if (verdict.principal.id !== 'dr:kim')
            throw new Error(`authorised for ${verdict.principal.id}, not the signer dr:kim`);
          return 'authorised';
        },
      });
      expect(r.outcomes.authorised).toBeGreaterThan(0);
      expect(r.outcomes['refused: bad-signature']).toBeGreaterThan(0);
    },
    fuzzTimeout(3_000, RUNS),
  );
});
