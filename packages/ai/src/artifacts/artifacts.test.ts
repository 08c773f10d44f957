import {
  type Identity,
  isHealthItError,
  type JsonValue,
  publicIdentity,
  signCanonical,
  ValidationError,
} from '@healthit/core';
import { recordingLedger } from '@healthit/core/testing';
import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { biomed, clock, mallory, platform, SPEC } from '../../test/approval-fixtures.js';
import { fourColumnModel } from '../../test/onnx-models.js';
import { deteriorationModelV0 } from '../models/deterioration-v0.js';
import { TensorSpecError } from '../onnx/errors.js';
import { createOnnxRuntime } from '../onnx/onnx-runtime.js';
import { approveModel, MODEL_APPROVE_RECORD } from './approve.js';
import { digestsEqual, sha256Hex, sha256HexPortable } from './digest.js';
import {
  MODEL_APPROVAL_DOMAIN,
  MODEL_ARTIFACT_DOMAIN,
  type ModelApproval,
  type SignedModelArtifact,
} from './manifest.js';
import { signedArtifactFromJson, signedArtifactToJson, signModelArtifact } from './sign.js';
import { createModelVerifier, type ModelRefusal, type ModelTrust, ModelVerificationError } from './verify.js';

const METRICS = { auroc: 0.87, brier: 0.061, calibrationSlope: 0.97 };

/**
 * The ledger's `model.approve` body schema, mirrored here (the dependency star keeps
 * @healthit/ledger out of this package): strict, so an extra field would be refused there too.
 */
const ModelApproveBody = z.strictObject({
  modelId: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._:/+@-]{0,127}$/),
  version: z.string().min(1).max(64),
  digest: z.string().regex(/^[0-9a-f]{64}$/),
  metrics: z.record(z.string().min(1).max(64), z.number()),
  intendedUse: z.string().max(1024).optional(),
});

async function signedV0(overrides: Partial<{ metrics: Record<string, number>; version: string }> = {}) {
  const artifact = {
    ...deteriorationModelV0(),
    ...(overrides.version ? { version: overrides.version } : {}),
  };
  return signModelArtifact({ artifact, spec: SPEC, metrics: overrides.metrics ?? METRICS }, platform, {
    clock,
  });
}

async function approved(
  signed: SignedModelArtifact,
  ledger = recordingLedger(),
  approver: Identity = biomed,
) {
  const approval = await approveModel(signed, {
    approver,
    ledger,
    trustedSigners: [publicIdentity(platform)],
    intendedUse: 'ward early-warning decision support, adults',
    clock,
  });
  return { approval, ledger };
}

function trust(extra: Partial<ModelTrust> = {}): ModelTrust {
  return { signers: [publicIdentity(platform)], approvers: [publicIdentity(biomed)], ...extra };
}

async function refusal(p: Promise<unknown>): Promise<ModelVerificationError> {
  const e = await p.then(
    () => expect.fail('expected the model to be refused'),
    (error: unknown) => error,
  );
  expect(e).toBeInstanceOf(ModelVerificationError);
  expect(isHealthItError(e, 'security/unauthenticated')).toBe(true);
  return e as ModelVerificationError;
}

async function expectRefused(p: Promise<unknown>, reason: ModelRefusal): Promise<ModelVerificationError> {
  const e = await refusal(p);
  expect(e.reason).toBe(reason);
  return e;
}

describe('signModelArtifact', () => {
  it('signs bytes + spec + metrics + SHA-256, and the gateway verifies and loads it', async () => {
    const signed = await signedV0();
    expect(signed.manifest).toMatchObject({
      v: 1,
      modelId: 'deterioration-risk',
      version: '0.1.0',
      format: 'onnx',
      byteLength: deteriorationModelV0().bytes.length,
      sha256: sha256HexPortable(deteriorationModelV0().bytes),
      metrics: METRICS,
      createdAt: clock.now(),
      signer: { id: 'platform-trainer', keyId: platform.keyId },
    });
    const { approval, ledger } = await approved(signed);
    const model = await createModelVerifier(trust({ ledger })).verify(signed, approval);
    expect(model.approval?.approver.id).toBe('biomed-lead');
    const runtime = createOnnxRuntime();
    const loaded = await runtime.load(model);
    try {
      expect(loaded.inputs).toEqual([{ name: 'vitals', isTensor: true, type: 'float32', shape: ['N', 5] }]);
      const { risk } = await loaded.run({
        vitals: { type: 'float32', data: Float32Array.from([128, 30, 86, 39.2, 88]), dims: [1, 5] },
      });
      expect(risk?.data[0]).toBeGreaterThan(0.95);
    } finally {
      await loaded.dispose();
    }
  });

  it('round-trips through JSON, and refuses JSON with unknown fields', async () => {
    const signed = await signedV0();
    const json = JSON.parse(JSON.stringify(signedArtifactToJson(signed)));
    const back = signedArtifactFromJson(json);
    expect(back.manifest).toEqual(signed.manifest);
    expect(Array.from(back.bytes)).toEqual(Array.from(signed.bytes));
    await createModelVerifier(trust({ requireApproval: false })).verify(back);
    expect(() => signedArtifactFromJson({ ...json, note: 'hi' })).toThrow(ValidationError);
    expect(() => signedArtifactFromJson({ ...json, manifest: { ...json.manifest, extra: 1 } })).toThrow(
      /extra/,
    );
  });

  it('refuses invalid ids, specs and metrics with a ValidationError, and a signer whose keyId lies', async () => {
    const artifact = deteriorationModelV0();
    await expect(
      signModelArtifact({ artifact: { ...artifact, id: 'bad id' }, spec: SPEC, metrics: METRICS }, platform),
    ).rejects.toThrow(ValidationError);
    await expect(
      signModelArtifact({ artifact, spec: { ...SPEC, inputs: [] }, metrics: METRICS }, platform),
    ).rejects.toThrow(/ModelSpec/);
    await expect(
      signModelArtifact({ artifact, spec: SPEC, metrics: { auroc: Number.NaN } }, platform),
    ).rejects.toThrow(ValidationError);
    await expect(
      signModelArtifact({ artifact, spec: SPEC, metrics: METRICS }, { ...platform, keyId: biomed.keyId }),
    ).rejects.toThrow(RangeError);
  });
});

describe('approveModel', () => {
  it('records one model-approve record through the LedgerSink, shaped as the ledger’s model.approve body', async () => {
    const signed = await signedV0();
    const { approval, ledger } = await approved(signed);
    expect(ledger.records).toEqual([
      {
        type: MODEL_APPROVE_RECORD,
        body: {
          modelId: 'deterioration-risk',
          version: '0.1.0',
          digest: signed.manifest.sha256,
          metrics: METRICS,
          intendedUse: 'ward early-warning decision support, adults',
        },
      },
    ]);
    expect(MODEL_APPROVE_RECORD).toBe('model-approve');
    expect(ModelApproveBody.safeParse(ledger.records[0]?.body).success).toBe(true);
    expect(approval).toMatchObject({
      modelId: 'deterioration-risk',
      version: '0.1.0',
      sha256: signed.manifest.sha256,
      approver: { id: 'biomed-lead', keyId: biomed.keyId },
      ledger: { logId: 'a'.repeat(64), index: 0 },
      approvedAt: clock.now(),
    });
  });

  it('appends nothing for an artifact that does not verify, and signs nothing when the ledger fails', async () => {
    const signed = await signedV0();
    const ledger = recordingLedger();
    const tampered = { ...signed, bytes: fourColumnModel().bytes };
    await expectRefused(
      approveModel(tampered, { approver: biomed, ledger, trustedSigners: [publicIdentity(platform)] }),
      'digest-mismatch',
    );
    expect(ledger.records).toEqual([]);
    const down = recordingLedger({ fail: new Error('ledger unavailable') });
    await expect(
      approveModel(signed, { approver: biomed, ledger: down, trustedSigners: [publicIdentity(platform)] }),
    ).rejects.toThrow('ledger unavailable');
  });
});

describe('the gateway refuses tampered, forged, untrusted and unapproved models', () => {
  it('A1 substituted bytes: another model under a valid manifest', async () => {
    const signed = await signedV0();
    const { approval } = await approved(signed);
    const e = await expectRefused(
      createModelVerifier(trust()).verify({ ...signed, bytes: fourColumnModel().bytes }, approval),
      'digest-mismatch',
    );
    expect(e.message).toContain('are not the signed ones');
  });

  it('A1b one flipped bit anywhere in the bytes (property)', async () => {
    const signed = await signedV0();
    const verifier = createModelVerifier(trust({ requireApproval: false }));
    await fc.assert(
      fc.asyncProperty(fc.nat({ max: signed.bytes.length * 8 - 1 }), async (bit) => {
        const bytes = signed.bytes.slice();
        bytes[bit >> 3] = (bytes[bit >> 3] as number) ^ (1 << (bit & 7));
        await expectRefused(verifier.verify({ ...signed, bytes }), 'digest-mismatch');
      }),
      { numRuns: 100 },
    );
  });

  it('A1c truncated or extended bytes', async () => {
    const signed = await signedV0();
    const verifier = createModelVerifier(trust({ requireApproval: false }));
    await expectRefused(
      verifier.verify({ ...signed, bytes: signed.bytes.subarray(0, 100) }),
      'digest-mismatch',
    );
    const longer = new Uint8Array(signed.bytes.length + 1);
    longer.set(signed.bytes);
    await expectRefused(verifier.verify({ ...signed, bytes: longer }), 'digest-mismatch');
  });

  it('A2 forged signature: a trusted signer’s key id with an attacker’s signature', async () => {
    const signed = await signedV0();
    const forged = signCanonical(
      MODEL_ARTIFACT_DOMAIN,
      signed.manifest as unknown as JsonValue,
      mallory.signing.secretKey,
    );
    await expectRefused(createModelVerifier(trust()).verify({ ...signed, sig: forged }), 'bad-signature');
  });

  it('A3 untrusted signer: a well-formed artifact signed by a key the gateway does not trust', async () => {
    const byMallory = await signModelArtifact(
      { artifact: deteriorationModelV0(), spec: SPEC, metrics: METRICS },
      mallory,
      { clock },
    );
    const e = await expectRefused(createModelVerifier(trust()).verify(byMallory), 'untrusted-signer');
    expect(e.message).toContain('mallory');
  });

  it('A4 spec swapped after signing', async () => {
    const signed = await signedV0();
    const spec = {
      ...signed.manifest.spec,
      inputs: [{ name: 'vitals', type: 'float32' as const, shape: ['N', 4] }],
    };
    await expectRefused(
      createModelVerifier(trust()).verify({ ...signed, manifest: { ...signed.manifest, spec } }),
      'bad-signature',
    );
  });

  it('A5 metrics tampered after signing (a better AUROC)', async () => {
    const signed = await signedV0();
    const { approval } = await approved(signed);
    const manifest = { ...signed.manifest, metrics: { ...METRICS, auroc: 0.99 } };
    await expectRefused(
      createModelVerifier(trust()).verify({ ...signed, manifest }, approval),
      'bad-signature',
    );
  });

  it('A5b every field of the manifest is covered by the signature (property)', async () => {
    const signed = await signedV0();
    const verifier = createModelVerifier(trust({ requireApproval: false }));
    const fields = ['modelId', 'version', 'sha256', 'byteLength', 'createdAt', 'metrics', 'spec'] as const;
    const mutate: Record<(typeof fields)[number], (m: SignedModelArtifact['manifest']) => object> = {
      modelId: (m) => ({ ...m, modelId: `${m.modelId}-x` }),
      version: (m) => ({ ...m, version: '9.9.9' }),
      sha256: (m) => ({ ...m, sha256: 'f'.repeat(64) }),
      byteLength: (m) => ({ ...m, byteLength: m.byteLength + 1 }),
      createdAt: (m) => ({ ...m, createdAt: m.createdAt + 1 }),
      metrics: (m) => ({ ...m, metrics: { ...m.metrics, brier: 0.01 } }),
      spec: (m) => ({ ...m, spec: { ...m.spec, description: 'validated' } }),
    };
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...fields), async (field) => {
        const manifest = mutate[field](signed.manifest) as SignedModelArtifact['manifest'];
        await expectRefused(verifier.verify({ ...signed, manifest }), 'bad-signature');
      }),
      { numRuns: 30 },
    );
  });

  it('A6 unapproved model: validly signed, never approved', async () => {
    const signed = await signedV0();
    const e = await expectRefused(createModelVerifier(trust()).verify(signed), 'not-approved');
    expect(e.message).toContain('has no approval');
  });

  it('A7 approval by an approver the gateway does not trust', async () => {
    const signed = await signedV0();
    const { approval } = await approved(signed, recordingLedger(), mallory);
    await expectRefused(createModelVerifier(trust()).verify(signed, approval), 'untrusted-approver');
  });

  it('A8 approval altered after signing (a later date, another intended use)', async () => {
    const signed = await signedV0();
    const { approval } = await approved(signed);
    const verifier = createModelVerifier(trust());
    await expectRefused(
      verifier.verify(signed, { ...approval, approvedAt: approval.approvedAt + 1 }),
      'bad-approval-signature',
    );
    await expectRefused(
      verifier.verify(signed, { ...approval, intendedUse: 'paediatrics' }),
      'bad-approval-signature',
    );
  });

  it('A9 approval of one version replayed onto another', async () => {
    const v1 = await signedV0();
    const { approval } = await approved(v1);
    const v2 = await signedV0({ version: '0.2.0' });
    const e = await expectRefused(createModelVerifier(trust()).verify(v2, approval), 'approval-mismatch');
    expect(e.message).toContain('the approval is for deterioration-risk@0.1.0');
  });

  it('A9b approval of the same bytes under other metrics (re-signed manifest) is not reused', async () => {
    const original = await signedV0();
    const { approval } = await approved(original);
    const resigned = await signedV0({ metrics: { ...METRICS, auroc: 0.95 } });
    await expectRefused(createModelVerifier(trust()).verify(resigned, approval), 'approval-mismatch');
  });

  it('A10 self-approval: the signer approves its own model', async () => {
    const signed = await signedV0();
    const { approval } = await approved(signed, recordingLedger(), platform);
    const both = trust({ approvers: [publicIdentity(biomed), publicIdentity(platform)] });
    await expectRefused(createModelVerifier(both).verify(signed, approval), 'self-approved');
    await createModelVerifier({ ...both, allowSelfApproval: true }).verify(signed, approval);
  });

  it('A11 approval whose ledger receipt the ledger does not hold', async () => {
    const signed = await signedV0();
    const { approval } = await approved(signed);
    const otherLedger = recordingLedger(); // empty: no entry at index 0
    await expectRefused(
      createModelVerifier(trust({ ledger: otherLedger })).verify(signed, approval),
      'not-in-ledger',
    );
    // A ledger holding a different entry at that index.
    await otherLedger.append([{ type: 'security-event', body: { note: 'unrelated' } }]);
    const e = await expectRefused(
      createModelVerifier(trust({ ledger: otherLedger })).verify(signed, approval),
      'not-in-ledger',
    );
    expect(e.message).toContain('another entry is there');
  });

  it('A12 cross-domain signature: an approval-domain signature presented as the manifest’s', async () => {
    const signed = await signedV0();
    const crossDomain = signCanonical(
      MODEL_APPROVAL_DOMAIN,
      signed.manifest as unknown as JsonValue,
      platform.signing.secretKey,
    );
    await expectRefused(
      createModelVerifier(trust()).verify({ ...signed, sig: crossDomain }),
      'bad-signature',
    );
  });

  it('A13 a signed spec that lies about the graph is refused at load, naming the tensor', async () => {
    // A trusted but mistaken signer: the four-column graph under the five-column spec.
    const lying = await signModelArtifact(
      {
        artifact: { ...fourColumnModel(), id: 'deterioration-risk', version: '0.1.1' },
        spec: SPEC,
        metrics: METRICS,
      },
      platform,
      { clock },
    );
    const model = await createModelVerifier(trust({ requireApproval: false })).verify(lying);
    const e = await createOnnxRuntime()
      .load(model)
      .catch((x: unknown) => x);
    expect(e).toBeInstanceOf(TensorSpecError);
    expect(e).toMatchObject({
      code: 'model/load',
      tensor: 'vitals',
      mismatch: 'dims',
      expected: 'float32 [N, 5]',
      found: 'float32 [N, 4]',
    });
  });

  it('A14 malformed manifest or approval (extra fields, wrong types) is refused as malformed', async () => {
    const signed = await signedV0();
    const { approval } = await approved(signed);
    const verifier = createModelVerifier(trust());
    await expectRefused(
      verifier.verify({
        ...signed,
        manifest: { ...signed.manifest, trusted: true } as SignedModelArtifact['manifest'],
      }),
      'malformed',
    );
    await expectRefused(verifier.verify({ ...signed, bytes: 'AAAA' as unknown as Uint8Array }), 'malformed');
    await expectRefused(
      verifier.verify(signed, { ...approval, ledger: { ...approval.ledger, index: -1 } } as ModelApproval),
      'malformed',
    );
  });

  it('check() returns the refusal as a value', async () => {
    const signed = await signedV0();
    const verdict = await createModelVerifier(trust()).check(signed);
    expect(verdict.ok).toBe(false);
    expect(!verdict.ok && verdict.error.reason).toBe('not-approved');
  });

  it('refuses a trust list with a malformed key', () => {
    expect(() =>
      createModelVerifier({ signers: [{ id: 'x', signingKey: new Uint8Array(31) }], approvers: [] }),
    ).toThrow(RangeError);
    expect(() => createModelVerifier({ signers: 'all' as unknown as [], approvers: [] })).toThrow(TypeError);
  });
});

describe('digests', () => {
  it('WebCrypto and @noble/hashes give the same SHA-256 (property)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 4096 }), async (bytes) => {
        expect(await sha256Hex(bytes)).toBe(sha256HexPortable(bytes));
      }),
      { numRuns: 200 },
    );
    expect(sha256HexPortable(new TextEncoder().encode('abc'))).toBe(
      'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    );
  });

  it('digestsEqual compares equal-length hex only', () => {
    expect(digestsEqual('ab'.repeat(32), 'ab'.repeat(32))).toBe(true);
    expect(digestsEqual('ab'.repeat(32), 'ac'.repeat(32))).toBe(false);
    expect(digestsEqual('ab'.repeat(32), 'ab'.repeat(31))).toBe(false);
    expect(digestsEqual('AB'.repeat(32), 'AB'.repeat(32))).toBe(false);
  });
});
