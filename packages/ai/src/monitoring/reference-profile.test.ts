import { createIdentity, isHealthItError, publicIdentity, ValidationError } from '@healthit/core';
import { describe, expect, it } from 'vitest';
import {
  buildReferenceProfile,
  ProfileVerificationError,
  ReferenceProfile,
  type SignedReferenceProfile,
  signReferenceProfile,
  verifyReferenceProfile,
} from './reference-profile.js';

const SEED = (n: number) => new Uint8Array(32).fill(n);
const platform = createIdentity({ id: 'platform-trainer', kind: 'service', signingSecretKey: SEED(21) });
const mallory = createIdentity({ id: 'mallory', kind: 'person', signingSecretKey: SEED(22) });
const SHA = 'ab'.repeat(32);
const MODEL = { id: 'deterioration-risk', version: '1.1.0', sha256: SHA };
const COLUMNS = [
  { name: 'heart-rate.last', unit: '/min' },
  { name: 'spo2.last', unit: '%' },
];

function profile() {
  const rows = 200;
  const x = new Float32Array(rows * 2);
  const scores = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    x[r * 2] = 60 + (r % 50);
    x[r * 2 + 1] = r % 17 === 0 ? Number.NaN : 90 + (r % 10);
    scores[r] = (r % 100) / 100;
  }
  return buildReferenceProfile({ columns: COLUMNS, rows, x }, scores, {
    model: MODEL,
    heldOut: { auroc: 0.91, brier: 0.05, n: 100, positives: 12 },
    clock: { now: () => 1_700_000_000_000 },
  });
}

async function refused(f: () => unknown, reason: string): Promise<void> {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(ProfileVerificationError);
    expect(isHealthItError(e, 'security/unauthenticated')).toBe(true);
    expect((e as ProfileVerificationError).reason).toBe(reason);
    return;
  }
  expect.fail(`expected the profile to be refused (${reason})`);
}

describe('reference profiles', () => {
  it('are counted from the training rows: one histogram per column and one of the scores, missing values counted', () => {
    const p = profile();
    expect(ReferenceProfile.safeParse(p).success).toBe(true);
    expect(p.features.map((f) => f.name)).toEqual(['heart-rate.last', 'spo2.last']);
    expect(p.features[0]?.histogram.edges).toHaveLength(9);
    const missing = p.features[1]?.histogram.expected.at(-1) as number;
    expect(missing).toBeCloseTo(12 / 200, 12); // rows 0, 17, …, 187
    expect(p.prediction.expected.reduce((s, v) => s + v, 0)).toBeCloseTo(1, 12);
    expect(p).toMatchObject({
      modelId: MODEL.id,
      version: MODEL.version,
      sha256: SHA,
      rows: 200,
      createdAt: 1_700_000_000_000,
    });
  });

  it('survive JSON and verify for the model they describe', () => {
    const signed = signReferenceProfile(profile(), platform);
    const back = JSON.parse(JSON.stringify(signed)) as SignedReferenceProfile;
    expect(verifyReferenceProfile(back, { signers: [publicIdentity(platform)], model: MODEL })).toEqual(
      signed.profile,
    );
  });

  it('are refused when altered, signed by someone untrusted, for other bytes or malformed', async () => {
    const signed = signReferenceProfile(profile(), platform);
    const trust = { signers: [publicIdentity(platform)], model: MODEL };
    const altered = structuredClone(signed);
    (altered.profile.features[0]?.histogram.expected as number[])[0] = 0.2;
    (altered.profile.features[0]?.histogram.expected as number[])[1] = 0;
    await refused(() => verifyReferenceProfile(altered, trust), 'bad-signature');
    await refused(
      () => verifyReferenceProfile(signReferenceProfile(profile(), mallory), trust),
      'untrusted-signer',
    );
    await refused(
      () => verifyReferenceProfile(signed, { ...trust, model: { ...MODEL, sha256: 'cd'.repeat(32) } }),
      'model-mismatch',
    );
    await refused(
      () => verifyReferenceProfile(signed, { ...trust, model: { ...MODEL, version: '1.2.0' } }),
      'model-mismatch',
    );
    await refused(() => verifyReferenceProfile({ ...signed, extra: 1 }, trust), 'malformed');
    await refused(() => verifyReferenceProfile(null, trust), 'malformed');
  });

  it('refuse inconsistent input with typed errors', () => {
    expect(() =>
      buildReferenceProfile({ columns: COLUMNS, rows: 2, x: new Float32Array(3) }, [0, 1], { model: MODEL }),
    ).toThrow(RangeError);
    expect(() =>
      buildReferenceProfile({ columns: COLUMNS, rows: 1, x: new Float32Array(2) }, [0, 1], { model: MODEL }),
    ).toThrow(/2 scores for 1 rows/);
    expect(() =>
      buildReferenceProfile({ columns: COLUMNS, rows: 1, x: new Float32Array(2) }, [0.5], {
        model: { ...MODEL, sha256: 'not hex' },
      }),
    ).toThrow(ValidationError);
  });
});
