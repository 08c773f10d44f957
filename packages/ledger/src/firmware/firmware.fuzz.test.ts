/**
 * Fuzzing firmware authorisation proofs: a valid proof (object or JSON text) mutated, random JSON
 * and random text, each checked against the genuine image claim and a claim for another image. The
 * verifier never throws on the proof; a refusal is an `UpdateRejectedError` `not-authorised`
 * naming the failed step; no mutated proof authorises another image.
 */
import { UpdateRejectedError } from '@healthit/core/updates';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jsonInputs, mutatedText } from '../../../../test/fuzz/arbitraries.js';
import { fuzz, fuzzTimeout } from '../../../../test/fuzz/fuzz.js';
import type { FirmwareAuthorisationProof } from './bundle.js';
import {
  createReleaseLog,
  HARDWARE,
  type ReleaseLog,
  releaseBody,
  testImage,
} from './test-fixtures/release-log.js';
import { firmwareAuthorisationVerifier, type LedgerFirmwareAuthorisationVerifier } from './verify.js';

const IMAGE = testImage('po-200 2.4.1 release');
const OTHER = testImage('po-200 2.4.2 not released');
const CLAIM = { sha256: IMAGE.sha256, version: '2.4.1', hardwareId: HARDWARE };
const FORGED = { sha256: OTHER.sha256, version: '2.4.2', hardwareId: HARDWARE };

describe('firmware authorisation proof fuzzing', () => {
  let r: ReleaseLog;
  let proof: FirmwareAuthorisationProof;
  let verifier: LedgerFirmwareAuthorisationVerifier;

  beforeAll(async () => {
    r = createReleaseLog({ witnessCount: 2 });
    await r.appendOther();
    const index = await r.authorise(releaseBody(IMAGE), ['acme-release', 'acme-qa', 'mary-biomed']);
    await r.appendOther();
    proof = await r.prove(index);
    verifier = firmwareAuthorisationVerifier(r.trust());
    expect(verifier.verify(proof, CLAIM).ok).toBe(true);
  });
  afterAll(async () => {
    await r.log.close();
  });

  it(
    'verify: any proof gives a verdict, never a throw; a mutated proof never authorises another image',
    () => {
      const json = JSON.parse(JSON.stringify(proof)) as unknown;
      const text = JSON.stringify(proof);
      const res = fuzz({
        name: 'firmware verifyFirmwareAuthorisationProof (JSON / text)',
        inputs: fc.record({
          proof: fc.oneof(
            { arbitrary: jsonInputs([json]), weight: 6 },
            {
              arbitrary: mutatedText(
                [text],
                ['"', '{', '}', '[', ']', ',', ':', '\\', '\\u0000', '0', 'e9', ' '],
              ),
              weight: 3,
            },
          ),
          forged: fc.boolean(),
        }),
        typed: () => undefined, // documented never to throw on the proof
        run: ({ proof: input, forged }) => {
          const verdict = verifier.verify(input, forged ? FORGED : CLAIM);
          if (verdict.ok) {
            if (forged) throw new Error('authorised an image the log never authorised');
            return 'authorised';
          }
          if (!(verdict.error instanceof UpdateRejectedError) || verdict.error.reason !== 'not-authorised')
            throw new Error(`refused without a typed not-authorised error: ${String(verdict.error)}`);
          return `refused at ${verdict.step}`;
        },
      });
      expect(res.returned).toBe(res.runs);
    },
    fuzzTimeout(4_000),
  );
});
