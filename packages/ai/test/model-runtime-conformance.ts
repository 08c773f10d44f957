/**
 * The conformance suite every onnxruntime-backed `ModelRuntime` of this package passes (web,
 * node): results, typed spec errors, the declared-spec check at load, the session cache.
 */
import { isHealthItError, type Tensor } from '@healthit/core';
import { describe, expect, it } from 'vitest';
import type { ModelSpec } from '../src/artifacts/spec.js';
import { deteriorationModelV0 } from '../src/models/deterioration-v0.js';
import { TensorSpecError } from '../src/onnx/errors.js';
import type { OnnxModelRuntime } from '../src/onnx/session-runtime.js';
import { concatModel } from './graphs.js';
import { NORMAL, referenceRisk, SICK } from './helpers.js';

async function rejection(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    () => expect.fail('expected a rejection'),
    (e: unknown) => e,
  );
}

const vitals = (rows: readonly (readonly number[])[]): Tensor => ({
  type: 'float32',
  data: Float32Array.from(rows.flat()),
  dims: [rows.length, 5],
});

/** The v0 model's own spec, as a signed artifact would declare it. */
export const V0_SPEC: ModelSpec = {
  inputs: [{ name: 'vitals', type: 'float32', shape: ['N', 5] }],
  outputs: [{ name: 'risk', type: 'float32', shape: ['N', 1] }],
};

/** Registers the suite for a runtime made by `create` (called once per test). */
export function describeModelRuntimeConformance(name: string, create: () => Promise<OnnxModelRuntime>): void {
  describe(`ModelRuntime conformance: ${name}`, () => {
    it('loads a model, names its inputs and outputs, and computes the reference result', async () => {
      const runtime = await create();
      const model = await runtime.load(deteriorationModelV0());
      try {
        expect(model.inputNames).toEqual(['vitals']);
        expect(model.outputNames).toEqual(['risk']);
        expect(model.inputs).toEqual([{ name: 'vitals', isTensor: true, type: 'float32', shape: ['N', 5] }]);
        expect(model.sha256).toMatch(/^[0-9a-f]{64}$/);
        const { risk } = await model.run({ vitals: vitals([NORMAL, SICK]) });
        expect(risk?.dims).toEqual([2, 1]);
        expect(Math.abs((risk?.data[0] as number) - referenceRisk(NORMAL))).toBeLessThanOrEqual(1e-6);
        expect(Math.abs((risk?.data[1] as number) - referenceRisk(SICK))).toBeLessThanOrEqual(1e-6);
      } finally {
        await model.dispose();
      }
    });

    it('refuses a mismatched tensor with a TensorSpecError naming the input, expected and found', async () => {
      const runtime = await create();
      const model = await runtime.load(deteriorationModelV0());
      try {
        const wrongType = await rejection(
          model.run({ vitals: { type: 'int32', data: new Int32Array(5), dims: [1, 5] } }),
        );
        expect(wrongType).toBeInstanceOf(TensorSpecError);
        expect(wrongType).toMatchObject({
          code: 'model/run',
          direction: 'input',
          tensor: 'vitals',
          mismatch: 'type',
          expected: 'float32 [N, 5]',
          found: 'int32 [1, 5]',
        });
        const wrongDims = await rejection(
          model.run({ vitals: { type: 'float32', data: new Float32Array(4), dims: [1, 4] } }),
        );
        expect(wrongDims).toMatchObject({
          mismatch: 'dims',
          expected: 'float32 [N, 5]',
          found: 'float32 [1, 4]',
        });
        const missing = await rejection(model.run({}));
        expect(missing).toMatchObject({ mismatch: 'missing', tensor: 'vitals' });
        const wrongArray = await rejection(
          model.run({
            vitals: { type: 'float32', data: new Int32Array(5), dims: [1, 5] } as unknown as Tensor,
          }),
        );
        expect(wrongArray).toMatchObject({
          mismatch: 'not-a-tensor',
          expected: 'Float32Array',
          found: 'Int32Array',
        });
      } finally {
        await model.dispose();
      }
    });

    it('holds a symbolic dimension to one value across a run’s inputs', async () => {
      const runtime = await create();
      const model = await runtime.load(concatModel());
      try {
        const { ab } = await model.run({
          a: { type: 'float32', data: Float32Array.from([1, 2, 6, 7]), dims: [2, 2] },
          b: { type: 'float32', data: Float32Array.from([3, 4, 5, 8, 9, 10]), dims: [2, 3] },
        });
        expect(Array.from(ab?.data as Float32Array)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
        const e = await rejection(
          model.run({
            a: { type: 'float32', data: new Float32Array(4), dims: [2, 2] },
            b: { type: 'float32', data: new Float32Array(9), dims: [3, 3] },
          }),
        );
        expect(e).toBeInstanceOf(TensorSpecError);
        expect((e as Error).message).toBe(
          'Cannot run concat@1: input "b" has dims [3, 3], the model expects [N, 3] with N = 2 (from input "a")',
        );
      } finally {
        await model.dispose();
      }
    });

    it('checks the graph against the spec an artifact declares, at load', async () => {
      const runtime = await create();
      const ok = await runtime.load({ ...deteriorationModelV0(), spec: V0_SPEC });
      await ok.dispose();
      const cases: [ModelSpec, object][] = [
        [
          { ...V0_SPEC, inputs: [{ name: 'vitals', type: 'float32', shape: ['N', 4] }] },
          { mismatch: 'dims', tensor: 'vitals', expected: 'float32 [N, 4]', found: 'float32 [N, 5]' },
        ],
        [
          { ...V0_SPEC, inputs: [{ name: 'vitals', type: 'int32', shape: ['N', 5] }] },
          { mismatch: 'type', expected: 'int32 [N, 5]' },
        ],
        [
          { ...V0_SPEC, inputs: [{ name: 'features', type: 'float32', shape: ['N', 5] }] },
          { mismatch: 'unknown', tensor: 'features' },
        ],
        [
          { ...V0_SPEC, outputs: [{ name: 'risk', type: 'float32', shape: ['N'] }] },
          { mismatch: 'rank', direction: 'output' },
        ],
      ];
      for (const [spec, expected] of cases) {
        const e = await rejection(runtime.load({ ...deteriorationModelV0(), spec }));
        expect(e).toBeInstanceOf(TensorSpecError);
        expect(e).toMatchObject({ code: 'model/load', ...expected });
      }
      const invalid = await rejection(
        runtime.load({
          ...deteriorationModelV0(),
          spec: { inputs: [], outputs: [] } as unknown as ModelSpec,
        }),
      );
      expect(isHealthItError(invalid, 'model/load')).toBe(true);
      expect((invalid as Error).message).toContain('its declared spec is invalid');
      expect(runtime.openSessions).toBe(0); // a refused load keeps no session
    });

    it('runs are checked against the declared spec where it is stricter than the graph', async () => {
      const runtime = await create();
      const batchOf2: ModelSpec = {
        ...V0_SPEC,
        inputs: [{ name: 'vitals', type: 'float32', shape: [2, 5] }],
      };
      const model = await runtime.load({ ...deteriorationModelV0(), spec: batchOf2 });
      try {
        await model.run({ vitals: vitals([NORMAL, SICK]) });
        const e = await rejection(model.run({ vitals: vitals([NORMAL]) }));
        expect(e).toMatchObject({ mismatch: 'dims', expected: 'float32 [2, 5]', found: 'float32 [1, 5]' });
      } finally {
        await model.dispose();
      }
    });

    it('shares one session between handles of the same bytes, and releases it with the last', async () => {
      const runtime = await create();
      const [a, b] = await Promise.all([
        runtime.load(deteriorationModelV0()),
        runtime.load(deteriorationModelV0()),
      ]);
      const other = await runtime.load(concatModel());
      expect(runtime.openSessions).toBe(2);
      expect(a?.sha256).toBe(b?.sha256);
      await a?.dispose();
      expect(runtime.openSessions).toBe(2);
      const { risk } = await (b as NonNullable<typeof b>).run({ vitals: vitals([SICK]) });
      expect(risk?.data[0]).toBeGreaterThan(0.95);
      expect(
        isHealthItError(
          await rejection((a as NonNullable<typeof a>).run({ vitals: vitals([SICK]) })),
          'state/invalid',
        ),
      ).toBe(true);
      await b?.dispose();
      await b?.dispose(); // idempotent: does not release another handle's reference
      expect(runtime.openSessions).toBe(1);
      await other.dispose();
      expect(runtime.openSessions).toBe(0);
      const again = await runtime.load(deteriorationModelV0());
      expect(runtime.openSessions).toBe(1);
      await again.dispose();
    });

    it('refuses bytes it cannot load with model/load and keeps no session', async () => {
      const runtime = await create();
      const e = await rejection(
        runtime.load({
          id: 'junk',
          version: '1',
          format: 'onnx',
          bytes: new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]),
        }),
      );
      expect(isHealthItError(e, 'model/load')).toBe(true);
      expect((e as Error).message).toContain('junk@1');
      expect(runtime.openSessions).toBe(0);
    });
  });
}
