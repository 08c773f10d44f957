import { isHealthItError, type LoadedModel, type Tensor } from '@healthit/core';
import * as fc from 'fast-check';
import onnxProto from 'onnx-proto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NORMAL, plausibleRow, type Row, referenceRisk, SICK } from '../../test/helpers.js';
import { vitalsTensor } from '../features/vitals.js';
import { deteriorationModelV0 } from '../models/deterioration-v0.js';
import { createOnnxRuntime } from './index.js';

const runtime = createOnnxRuntime();
let model: LoadedModel;

beforeAll(async () => {
  model = await runtime.load(deteriorationModelV0());
});
afterAll(async () => {
  await model.dispose();
});

function input(rows: readonly Row[]): Tensor {
  return { type: 'float32', data: Float32Array.from(rows.flat()), dims: [rows.length, 5] };
}

async function risks(rows: readonly Row[]): Promise<number[]> {
  const { risk } = await model.run({ vitals: input(rows) });
  expect(risk?.type).toBe('float32');
  expect(risk?.dims).toEqual([rows.length, 1]);
  return Array.from(risk?.data as Float32Array);
}

async function rejection(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    () => expect.fail('expected a rejection'),
    (e: unknown) => e,
  );
}

describe('createOnnxRuntime', () => {
  it('loads the deterioration model with its inputs and outputs', () => {
    expect(runtime.name).toBe('onnxruntime-web/wasm');
    expect(model.id).toBe('deterioration-risk');
    expect(model.version).toBe('0.1.0');
    expect(model.inputNames).toEqual(['vitals']);
    expect(model.outputNames).toEqual(['risk']);
  });

  it('computes the same risk as a plain-JS logistic regression, to 1e-6, for any batch of plausible vitals', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(plausibleRow, { minLength: 1, maxLength: 40 }), async (rows) => {
        const got = await risks(rows);
        rows.forEach((row, i) => {
          expect(Math.abs((got[i] as number) - referenceRisk(row))).toBeLessThanOrEqual(1e-6);
        });
      }),
      { numRuns: 200 },
    );
  });

  it('gives a normal adult a low risk and a septic-looking patient a high one', async () => {
    const [normal, sick] = await risks([NORMAL, SICK]);
    expect(normal).toBeLessThan(0.05);
    expect(sick).toBeGreaterThan(0.95);
  });

  it('raises the risk when SpO2 drops, all else equal', async () => {
    await fc.assert(
      fc.asyncProperty(plausibleRow, fc.double({ min: 0.5, max: 20, noNaN: true }), async (row, drop) => {
        const lower: Row = [row[0], row[1], row[2] - drop, row[3], row[4]];
        const [before, after] = (await risks([row, lower])) as [number, number];
        // Never lower, up to the runtime's float32 sigmoid approximation (≈1e-7 near saturation)...
        expect(after).toBeGreaterThanOrEqual(before - 1e-6);
        // ...and strictly higher wherever the exact increase is visible at that precision.
        if (referenceRisk(lower) - referenceRisk(row) > 1e-5) expect(after).toBeGreaterThan(before);
      }),
      { numRuns: 100 },
    );
  });

  it('moves the risk the clinically expected way for each vital sign', async () => {
    const base: Row = [80, 16, 96, 37, 120];
    const [b, hr, rr, sbp, temp] = await risks([
      base,
      [110, 16, 96, 37, 120],
      [80, 26, 96, 37, 120],
      [80, 16, 96, 37, 90],
      [80, 16, 96, 39, 120],
    ]);
    expect(hr).toBeGreaterThan(b as number);
    expect(rr).toBeGreaterThan(b as number);
    expect(sbp).toBeGreaterThan(b as number);
    expect(temp).toBeGreaterThan(b as number);
    // Temperature's weight is deliberately small (a linear model cannot express fever *and* hypothermia).
    expect((temp as number) - (b as number)).toBeLessThan((hr as number) - (b as number));
  });

  it('scores an empty batch as an empty output', async () => {
    expect(await risks([])).toEqual([]);
  });

  it('accepts the tensor built by vitalsTensor', async () => {
    const { risk } = await model.run({
      vitals: vitalsTensor([
        {
          'heart-rate': SICK[0],
          'respiratory-rate': SICK[1],
          spo2: SICK[2],
          'body-temperature': SICK[3],
          'bp-systolic': SICK[4],
        },
      ]),
    });
    expect(Math.abs((risk?.data[0] as number) - referenceRisk(SICK))).toBeLessThanOrEqual(1e-6);
  });
});

describe('load failures', () => {
  it('rejects garbage bytes with model/load, naming the model', async () => {
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
    expect((e as Error).message).toContain('protobuf parsing failed');
    expect((e as Error).cause).toBeDefined();
  });

  it('rejects a truncated model with model/load', async () => {
    const bytes = deteriorationModelV0().bytes.subarray(0, 200);
    const e = await rejection(runtime.load({ id: 'cut', version: '1', format: 'onnx', bytes }));
    expect(isHealthItError(e, 'model/load')).toBe(true);
  });

  it('rejects empty bytes and other formats with model/load', async () => {
    const empty = await rejection(
      runtime.load({ id: 'e', version: '1', format: 'onnx', bytes: new Uint8Array() }),
    );
    expect(isHealthItError(empty, 'model/load')).toBe(true);
    const other = { ...deteriorationModelV0(), format: 'tflite' } as unknown as Parameters<
      typeof runtime.load
    >[0];
    const wrongFormat = await rejection(runtime.load(other));
    expect(isHealthItError(wrongFormat, 'model/load')).toBe(true);
    expect((wrongFormat as Error).message).toContain('"tflite"');
  });

  it('checks its options', () => {
    expect(() => createOnnxRuntime({ numThreads: -1 })).toThrow(RangeError);
    expect(() => createOnnxRuntime({ numThreads: 1.5 })).toThrow(RangeError);
    expect(() => createOnnxRuntime({ numThreads: '2' as unknown as number })).toThrow(TypeError);
    expect(() => createOnnxRuntime({ graphOptimizationLevel: 'max' as 'all' })).toThrow(RangeError);
    expect(() => createOnnxRuntime({ logSeverityLevel: 5 as 4 })).toThrow(RangeError);
  });
});

describe('run failures', () => {
  async function runError(feeds: Record<string, Tensor>): Promise<Error> {
    const e = await rejection(model.run(feeds));
    expect(isHealthItError(e, 'model/run')).toBe(true);
    return e as Error;
  }

  it('names a missing input and what the model takes', async () => {
    const e = await runError({ vital: input([NORMAL]) });
    expect(e.message).toContain('missing input "vitals"');
    expect(e.message).toContain('vitals: float32 [N, 5]');
  });

  it('names an unknown input', async () => {
    const e = await runError({ vitals: input([NORMAL]), extra: input([NORMAL]) });
    expect(e.message).toContain('unknown input "extra"');
  });

  it('rejects wrong dims, wrong rank, wrong type and data that does not fill the dims', async () => {
    expect(
      (await runError({ vitals: { type: 'float32', data: new Float32Array(4), dims: [1, 4] } })).message,
    ).toContain('has dims [1, 4], the model expects [N, 5]');
    expect(
      (await runError({ vitals: { type: 'float32', data: new Float32Array(5), dims: [5] } })).message,
    ).toContain('has dims [5]');
    expect(
      (await runError({ vitals: { type: 'int32', data: new Int32Array(5), dims: [1, 5] } })).message,
    ).toContain('is int32, the model expects float32');
    expect(
      (await runError({ vitals: { type: 'float32', data: new Float32Array(9), dims: [2, 5] } })).message,
    ).toContain('has 9 values but dims [2, 5] need 10');
  });

  it('wraps a failure inside onnxruntime, keeping its cause', async () => {
    // A Gemm whose input declares no shape: only onnxruntime's kernel can find [2, 3] × [5, 1] wrong.
    const { onnx } = onnxProto;
    const bytes = onnx.ModelProto.encode({
      irVersion: 8,
      opsetImport: [{ domain: '', version: 13 }],
      graph: {
        name: 'shapeless',
        node: [{ opType: 'Gemm', input: ['x', 'w'], output: ['y'] }],
        initializer: [{ name: 'w', dims: [5, 1], dataType: 1, floatData: [1, 1, 1, 1, 1] }],
        input: [{ name: 'x', type: { tensorType: { elemType: 1 } } }],
        output: [{ name: 'y', type: { tensorType: { elemType: 1 } } }],
      },
    }).finish();
    const shapeless = await runtime.load({
      id: 'shapeless',
      version: '1',
      format: 'onnx',
      bytes: new Uint8Array(bytes),
    });
    try {
      const e = await rejection(
        shapeless.run({ x: { type: 'float32', data: new Float32Array(6), dims: [2, 3] } }),
      );
      expect(isHealthItError(e, 'model/run')).toBe(true);
      expect((e as Error).message).toContain('shapeless@1');
      expect((e as Error).message).toContain('Dimension mismatch');
      expect((e as Error).cause).toBeInstanceOf(Error);
      const { y } = await shapeless.run({
        x: { type: 'float32', data: Float32Array.from([1, 2, 3, 4, 5]), dims: [1, 5] },
      });
      expect(Array.from(y?.data as Float32Array)).toEqual([15]);
    } finally {
      await shapeless.dispose();
    }
  });

  it('disposes idempotently and refuses to run afterwards', async () => {
    const m = await runtime.load(deteriorationModelV0());
    await m.dispose();
    await m.dispose();
    const e = await rejection(m.run({ vitals: input([NORMAL]) }));
    expect(isHealthItError(e, 'state/invalid')).toBe(true);
  });
});
