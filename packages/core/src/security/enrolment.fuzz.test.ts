/**
 * Fuzzing the two proofs of possession of enrolment:
 *
 * - a first certificate enrolment as the platform's enrolment server checks it: the
 *   `Authorization: HealthIT-Ed25519 …` header (mutated as JSON before it is encoded, mutated as
 *   text, random, deeply nested) is read by `parseEnrolmentAuthorization`, the identity key is
 *   looked up, and `verifyCertificateRequestProof` checks the proof over the statement and the
 *   request's bytes (genuine or damaged);
 * - a device enrolling with a gateway: the request's challenge, device id and proof (mutated as
 *   JSON) make the statement the gateway builds, checked by `verifyEnrolmentProof`.
 *
 * The header parser refuses with a typed `security/unauthenticated`; both verifiers return a
 * boolean and never throw; only the genuine proof of exactly the genuine statement and request
 * verifies.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  deepJsonText,
  deepJsonTextInside,
  jsonInputs,
  mutatedBytes,
  mutatedText,
} from '../../../../test/fuzz/arbitraries.js';
import { fuzz, fuzzRuns, fuzzTimeout, healthItError } from '../../../../test/fuzz/fuzz.js';
import {
  encodeEnrolmentAuthorization,
  parseEnrolmentAuthorization,
} from '../certificates/enrolment-protocol.js';
import { toBase64Url, utf8Encode } from '../encoding/bytes.js';
import { canonicalJson } from '../encoding/canonical-json.js';
import {
  certificateRequestDigest,
  proveCertificateRequest,
  verifyCertificateRequestProof,
} from './certificate-request-proof.js';
import { proveEnrolment, verifyEnrolmentProof } from './enrolment.js';
import { createIdentity, type Identity, type IdentityKind } from './identity.js';

const T0 = Date.UTC(2026, 0, 1);
const RUNS = fuzzRuns(500);
const pump = createIdentity({ id: 'pump-3', kind: 'device', signingSecretKey: new Uint8Array(32).fill(1) });
const gateway = createIdentity({ id: 'gw-7', kind: 'gateway', signingSecretKey: new Uint8Array(32).fill(2) });
/** The registry: which identity keys may enrol (subject, kind and key id must all match). */
const REGISTERED: readonly Identity[] = [pump, gateway];
const identityKey = (subjectId: string, kind: IdentityKind, keyId: string): Uint8Array | undefined => {
  const id = REGISTERED.find((i) => i.keyId === keyId);
  return id !== undefined && id.id === subjectId && id.kind === kind ? id.signing.publicKey : undefined;
};
const wire = (v: unknown): unknown => JSON.parse(JSON.stringify(v));
const same = (a: unknown, b: unknown): boolean => canonicalJson(a as never) === canonicalJson(b as never);
const sameBytes = (a: Uint8Array, b: Uint8Array): boolean =>
  a.length === b.length && a.every((x, i) => x === b[i]);

/** Stand-ins for PKCS #10 DER (only their SHA-256 is signed, so any bytes do). */
const CSRS = [
  Uint8Array.from({ length: 310 }, (_, i) => (i * 31 + 0x30) & 0xff),
  Uint8Array.from({ length: 90 }, (_, i) => (i * 7 + 1) & 0xff),
];
/** Genuine authorisations, each with the request it signs. */
const GENUINE = (
  [
    [pump, CSRS[0], T0],
    [gateway, CSRS[1], T0 + 1],
  ] as const
).map(([identity, csr, ts]) => {
  const statement = {
    subjectId: identity.id,
    kind: identity.kind,
    keyId: identity.keyId,
    csrSha256: certificateRequestDigest(csr as Uint8Array),
    ts,
  };
  const { csrSha256: _digest, ...rest } = statement;
  const auth = { ...rest, proof: proveCertificateRequest(statement, identity.signing.secretKey) };
  return { auth: wire(auth), csr: csr as Uint8Array, header: encodeEnrolmentAuthorization(auth) };
});
const SCHEME = 'HealthIT-Ed25519 ';
const headerOf = (json: string): string => SCHEME + toBase64Url(utf8Encode(json));

describe('enrolment proof fuzzing', () => {
  it(
    'certificate enrolment: parseEnrolmentAuthorization + verifyCertificateRequestProof; only the genuine request verifies',
    () => {
      const header = fc.oneof(
        {
          arbitrary: jsonInputs(GENUINE.map((g) => g.auth)).map((v) => headerOf(JSON.stringify(v) ?? '')),
          weight: 10,
        },
        {
          arbitrary: mutatedText(
            GENUINE.map((g) => g.header),
            [' ', '=', '+', '/', '-', '_', '.', 'A', 'Bearer ', SCHEME, '%', '\u0000', 'é'],
          ),
          weight: 4,
        },
        {
          arbitrary: fc
            .oneof(deepJsonText, deepJsonTextInside(GENUINE.map((g) => g.auth)))
            .map((b) => SCHEME + toBase64Url(b)),
          weight: 1,
        },
        { arbitrary: fc.string({ maxLength: 64 }).map((s) => SCHEME + s), weight: 1 },
        { arbitrary: fc.option(fc.string({ maxLength: 64 }), { nil: undefined }), weight: 1 },
      );
      const r = fuzz({
        name: 'enrolment parseEnrolmentAuthorization + verifyCertificateRequestProof (header text)',
        runs: RUNS,
        inputs: fc.record({
          header,
          csr: fc.oneof(
            { arbitrary: fc.constantFrom(...CSRS), weight: 5 },
            { arbitrary: mutatedBytes(CSRS), weight: 1 },
          ),
        }),
        typed: healthItError,
        run: ({ header: h, csr }) => {
          const auth = parseEnrolmentAuthorization(h);
          const key = identityKey(auth.subjectId, auth.kind, auth.keyId);
          if (key === undefined) return 'refused: not registered';
          const statement = { ...auth, csrSha256: certificateRequestDigest(csr) };
          let ok: boolean;
          try {
            ok = verifyCertificateRequestProof(statement, auth.proof, key);
          } catch (e) {
            throw new Error(`verifyCertificateRequestProof threw (it never throws): ${String(e)}`, {
              cause: e,
            });
          }
          if (!ok) return 'refused: proof';
          if (!GENUINE.some((g) => same(g.auth, auth) && sameBytes(g.csr, csr)))
            throw new Error(`verified a changed request: ${JSON.stringify(auth)}`);
          return 'verified';
        },
      });
      expect(r.outcomes.verified).toBeGreaterThan(0);
      expect(r.outcomes['refused: proof']).toBeGreaterThan(0);
    },
    fuzzTimeout(2_000, RUNS),
  );

  it(
    'gateway enrolment: verifyEnrolmentProof over the statement the gateway builds; never throws, only the genuine proof verifies',
    () => {
      const GATEWAY_ID = 'gw-7';
      const SERIAL = 'SN-42';
      const challenges = [
        'q7m3bY2oH1xW0cZk4s9LrA5tVnP8eJ6uDgFyIhKiE0M',
        'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
      ];
      const REQUESTS = challenges.map((challenge) =>
        wire({
          deviceId: 'pump-3',
          challenge,
          proof: proveEnrolment(
            { challenge, deviceId: 'pump-3', gatewayId: GATEWAY_ID, serial: SERIAL },
            pump.signing.secretKey,
          ),
        }),
      );
      const r = fuzz({
        name: 'enrolment verifyEnrolmentProof (gateway enrolment request, JSON)',
        runs: RUNS,
        inputs: jsonInputs(REQUESTS),
        typed: () => undefined, // documented never to throw
        run: (input) => {
          // as the gateway receives it: JSON off the wire (fast-check's objects may lack a prototype)
          const received: unknown = JSON.parse(JSON.stringify(input) ?? 'null');
          const request = (
            typeof received === 'object' && received !== null && !Array.isArray(received)
              ? received
              : { proof: received }
          ) as Record<string, unknown>;
          // what the gateway's `enrol` builds from the request and the verified attestation
          const statement = {
            challenge: request.challenge as string,
            deviceId: String(request.deviceId),
            gatewayId: GATEWAY_ID,
            serial: SERIAL,
          };
          if (!verifyEnrolmentProof(statement, request.proof as string, pump.signing.publicKey))
            return 'refused';
          const pick = (v: Record<string, unknown>) => ({
            challenge: v.challenge,
            deviceId: String(v.deviceId),
            proof: v.proof,
          });
          if (!REQUESTS.some((g) => same(pick(g as Record<string, unknown>), pick(request))))
            throw new Error(`verified a changed enrolment: ${JSON.stringify(pick(request))}`);
          return 'verified';
        },
      });
      expect(r.outcomes.verified).toBeGreaterThan(0);
    },
    fuzzTimeout(2_000, RUNS),
  );
});
