/**
 * The edge deterioration model on onnxruntime-web (WASM, one thread) through the SDK's
 * `LoadedModel.run` (feeds and outputs checked against the model's spec), by batch size, each
 * interleaved with its ceiling: raw `session.run` of the same model on the same tensor.
 */
import { deteriorationModelV0, vitalsTensor } from '@healthit/ai';
import { createOnnxRuntime } from '@healthit/ai/onnx';
import * as ort from 'onnxruntime-web';
import { against, type Figure, interleavedRates } from './measure.js';

/** The edge deterioration model on onnxruntime-web (WASM, one thread), by batch size. */
export async function benchModel(): Promise<Figure[]> {
  const model = await createOnnxRuntime().load(deteriorationModelV0());
  const session = await ort.InferenceSession.create(deteriorationModelV0().bytes, {
    executionProviders: ['wasm'],
    graphOptimizationLevel: 'all',
    logSeverityLevel: 4,
  });
  const figures: Figure[] = [];
  for (const size of [1, 64, 1024]) {
    const input = vitalsTensor(
      Array.from({ length: size }, (_, i) => ({
        'heart-rate': 70 + (i % 50),
        'respiratory-rate': 16,
        spo2: 97,
        'body-temperature': 37,
        'bp-systolic': 120,
      })),
    );
    const raw = { vitals: new ort.Tensor('float32', input.data as Float32Array, input.dims as number[]) };
    const runs = Math.max(1, Math.floor(4096 / size));
    const r = await interleavedRates(
      7,
      runs * size,
      async () => {
        for (let k = 0; k < runs; k++) await session.run(raw);
      },
      {
        sdk: async () => {
          for (let k = 0; k < runs; k++) await model.run({ vitals: input });
        },
      },
    );
    figures.push({
      name: `ONNX risk model, batch ${size} (LoadedModel.run)`,
      value: r.sdk.median,
      unit: 'rows/s',
      runs: 7,
      ...against(
        r.sdk.median,
        'rows/s',
        'raw onnxruntime-web session.run, same tensor',
        r.ceiling.median,
        r.sdk.ratio,
      ),
    });
  }
  await model.dispose();
  await session.release();
  return figures;
}
