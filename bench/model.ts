import { deteriorationModelV0, vitalsTensor } from '@healthit/ai';
import { createOnnxRuntime } from '@healthit/ai/onnx';
import { bestRate, type Figure } from './measure.js';

/** The edge deterioration model on onnxruntime-web (WASM, one thread), by batch size. */
export async function benchModel(): Promise<Figure[]> {
  const model = await createOnnxRuntime().load(deteriorationModelV0());
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
    const runs = Math.max(1, Math.floor(4096 / size));
    const rate = await bestRate(3, runs * size, async () => {
      for (let r = 0; r < runs; r++) await model.run({ vitals: input });
    });
    figures.push({ name: `ONNX risk model, batch ${size}`, value: rate, unit: 'rows/s' });
  }
  await model.dispose();
  return figures;
}
