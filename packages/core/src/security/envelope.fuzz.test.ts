/**
 * Fuzzing envelopes as a receiver gets them, from bytes: decode the envelope JSON, verify its
 * signature, open its sealed box, decode the readings inside. Inputs: signed and sealed envelopes
 * mutated at the byte level, at the JSON level, and inside the sealed box (the box's JSON mutated
 * and re-encoded), plus random bytes. Every step returns or throws a typed `HealthItError`
 * (`SealError` for the box); a signature verdict never throws; nothing changed verifies.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { byteInputs, deepJsonText, jsonBytes, jsonInputs } from '../../../../test/fuzz/arbitraries.js';
import { fuzz, fuzzRuns, fuzzTimeout } from '../../../../test/fuzz/fuzz.js';
import { fromBase64Url, toBase64Url, utf8Decode, utf8Encode } from '../encoding/bytes.js';
import { createEnvelope, envelopePayload } from '../encoding/envelope.js';
import { envelopeJsonCodec, READINGS_JSON, readingsJsonCodec } from '../encoding/json-codecs.js';
import type { Envelope } from '../schemas/envelope.js';
import { signEnvelope, verifyEnvelopeSignature } from './envelope-signature.js';
import { createIdentity } from './identity.js';
import { openEnvelope, SEALED_CONTENT_TYPE, sealEnvelope } from './seal.js';

const platform = createIdentity({
  id: 'platform',
  kind: 'service',
  sealingSecretKey: new Uint8Array(32).fill(3),
});
const device = createIdentity({
  id: 'monitor-7',
  kind: 'device',
  signingSecretKey: new Uint8Array(32).fill(7),
});
const OPENER = { id: platform.id, secretKey: platform.sealing.secretKey };
const signer = { keyId: device.keyId, secretKey: device.signing.secretKey };
const keys = (kid: string) => (kid === device.keyId ? device.signing.publicKey : undefined);

const READINGS =
  '[{"id":"monitor-7:1","deviceId":"monitor-7","patientId":"patient-4711","metric":"spo2","value":87,"unit":"%","ts":1767225600000,"seq":1}]';
const plain = (seq: number): Envelope =>
  createEnvelope({
    source: 'monitor-7',
    seq,
    ts: Date.UTC(2026, 0, 1),
    contentType: READINGS_JSON,
    payload: utf8Encode(READINGS),
  });
const sealed = (seq: number): Envelope =>
  signEnvelope(
    sealEnvelope(
      plain(seq),
      { id: platform.id, sealingKey: platform.sealing.publicKey },
      { ephemeralSecretKey: new Uint8Array(32).fill(seq) },
    ),
    signer,
  );
const TEMPLATES: Envelope[] = [sealed(1), sealed(2), signEnvelope(plain(3), signer), plain(4)];
const GENUINE = new Set(TEMPLATES.map((e) => JSON.stringify(e)));

/** A sealed envelope whose box (the JSON inside the payload) is mutated, then re-encoded. */
const boxMutated = fc
  .constantFrom(0, 1)
  .chain((t) => {
    const env = TEMPLATES[t] as Envelope;
    const box = JSON.parse(utf8Decode(fromBase64Url(env.payload))) as unknown;
    return jsonInputs([box]).map((b) => ({ ...env, payload: toBase64Url(jsonBytes(b)) }));
  })
  .map((e) => utf8Encode(JSON.stringify(e)));

const frames = fc.oneof(
  {
    arbitrary: byteInputs(
      TEMPLATES.map((e) => utf8Encode(JSON.stringify(e))),
      256,
    ),
    weight: 3,
  },
  { arbitrary: jsonInputs(TEMPLATES).map(jsonBytes), weight: 3 },
  { arbitrary: boxMutated, weight: 3 },
  { arbitrary: deepJsonText, weight: 1 },
);

describe('envelope fuzzing (decode, verify, open)', () => {
  it(
    'any bytes: an envelope that verifies and opens, or a typed rejection at the first step that fails',
    () => {
      const r = fuzz({
        name: 'envelope decode + verify + open (bytes)',
        inputs: frames,
        runs: fuzzRuns(1_000),
        run: (bytes) => {
          const envelope = envelopeJsonCodec.decode(bytes);
          const verdict = verifyEnvelopeSignature(envelope, keys);
          if (!verdict.ok) return `signature: ${verdict.reason}`;
          // A signature that verifies is over exactly what the device signed (bar JSON member order).
          if (!GENUINE.has(JSON.stringify(envelope)) && !TEMPLATES.some((t) => sameEnvelope(t, envelope)))
            throw new Error(`a changed envelope verified: ${JSON.stringify(envelope)}`);
          if (envelope.contentType !== SEALED_CONTENT_TYPE) {
            readingsJsonCodec.decode(envelopePayload(envelope));
            return 'verified (plain)';
          }
          const opened = openEnvelope(envelope, OPENER);
          readingsJsonCodec.decode(envelopePayload(opened.envelope));
          return 'verified and opened';
        },
      });
      expect(r.outcomes['verified and opened']).toBeGreaterThan(0);
      expect(r.rejected).toBeGreaterThan(r.runs / 4);
    },
    fuzzTimeout(3_000),
  );

  it(
    'openEnvelope alone: any (unsigned) envelope with a mutated box opens to the original or throws a SealError',
    () => {
      const r = fuzz({
        name: 'envelope openEnvelope (mutated sealed box)',
        inputs: boxMutated,
        runs: fuzzRuns(1_000),
        run: (bytes) => {
          const envelope = envelopeJsonCodec.decode(bytes);
          const opened = openEnvelope(envelope, OPENER);
          if (utf8Decode(fromBase64Url(opened.envelope.payload)) !== READINGS)
            throw new Error('a changed box opened to another payload');
          return 'opened';
        },
      });
      expect(r.rejected).toBeGreaterThan(r.runs / 2);
    },
    fuzzTimeout(3_000),
  );
});

function sameEnvelope(a: Envelope, b: Envelope): boolean {
  const keysOf = (e: Envelope) => Object.keys(e).sort().join();
  return (
    keysOf(a) === keysOf(b) &&
    Object.entries(a).every(
      ([k, v]) => JSON.stringify(v) === JSON.stringify((b as Record<string, unknown>)[k]),
    )
  );
}
