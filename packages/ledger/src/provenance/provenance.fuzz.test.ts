/**
 * Fuzzing `verifyProvenanceBundle` with arbitrary JSON: a valid bundle mutated (fields deleted,
 * swapped, retyped, stringified, grown, nested deep), random JSON and JSON text. It never throws on
 * the bundle; a refusal names the failed step; and nothing but the genuine reading verifies.
 */
import { canonicalJson } from '@healthit/core';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jsonInputs } from '../../../../test/fuzz/arbitraries.js';
import { fuzz, fuzzRuns, fuzzTimeout } from '../../../../test/fuzz/fuzz.js';
import { type AnchoredBundle, anchoredBundle } from './test-fixtures/bundle.js';
import { type VerifyProvenanceOptions, verifyProvenanceBundle } from './verify.js';

describe('provenance bundle fuzzing', () => {
  let a: AnchoredBundle;
  let trust: VerifyProvenanceOptions;

  beforeAll(async () => {
    a = await anchoredBundle({ size: 9, pick: 4, witnessCount: 2 });
    trust = { logKey: a.stack.logVkey, witnesses: a.stack.witnessVkeys };
    expect(verifyProvenanceBundle(a.bundle, trust).ok).toBe(true);
  });
  afterAll(async () => {
    await a.stack.log.close();
  });

  it(
    'verifyProvenanceBundle: any JSON gives a verdict, never a throw; only the genuine reading verifies',
    () => {
      const genuine = canonicalJson(a.bundle.reading as never);
      const bundle = JSON.parse(JSON.stringify(a.bundle)) as unknown;
      const r = fuzz({
        name: 'provenance verifyProvenanceBundle (JSON)',
        inputs: fc.oneof(
          { arbitrary: jsonInputs([bundle]), weight: 8 },
          { arbitrary: jsonInputs([bundle]).map((v) => JSON.stringify(v) ?? ''), weight: 1 },
        ),
        typed: () => undefined, // documented never to throw on the bundle
        runs: fuzzRuns(1_000),
        run: (input) => {
          const verdict = verifyProvenanceBundle(input, trust);
          if (!verdict.ok) return `refused at ${verdict.step}`;
          if (canonicalJson(verdict.reading as never) !== genuine)
            throw new Error(`verified another reading: ${JSON.stringify(verdict.reading)}`);
          return 'verified';
        },
      });
      expect(r.returned).toBe(r.runs);
    },
    fuzzTimeout(4_000),
  );
});
