import { fromBase64Url, type ModelArtifact } from '@healthit/core';
import { DETERIORATION_V0_ONNX_BASE64URL } from './deterioration-v0.generated.js';
import { DETERIORATION_MODEL_V0 } from './deterioration-v0-spec.js';

/**
 * The deterioration-risk model v0 as an ONNX {@link ModelArtifact} (a few hundred bytes), ready for
 * `ModelRuntime.load`. Embedded in the package: no file system, no download. Each call returns a
 * fresh copy of the bytes.
 *
 * Input `vitals`: float32 `[N, 5]` in {@link VITALS_FEATURES} order; output `risk`: float32
 * `[N, 1]` in `0..1`. Illustrative weights, **not a validated clinical model** (see
 * {@link DETERIORATION_MODEL_V0}).
 *
 * @example
 * ```ts
 * import { createOnnxRuntime } from '@healthit/ai/onnx';
 * const model = await createOnnxRuntime().load(deteriorationModelV0());
 * ```
 */
export function deteriorationModelV0(): ModelArtifact {
  return {
    id: DETERIORATION_MODEL_V0.id,
    version: DETERIORATION_MODEL_V0.version,
    format: 'onnx',
    bytes: fromBase64Url(DETERIORATION_V0_ONNX_BASE64URL),
  };
}
