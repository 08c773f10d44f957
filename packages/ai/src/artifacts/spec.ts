import type { TensorType } from '@healthit/core';
import { z } from 'zod';

/** The element types a model's declared inputs and outputs may have: those core's `Tensor` carries. */
export const TENSOR_TYPES = [
  'float32',
  'int32',
  'int64',
  'uint8',
  'bool',
] as const satisfies readonly TensorType[];

/** A dimension: a fixed size, or a symbol (`N`, `batch`) that takes one value per run. */
export const Dim = z.union([
  z
    .number()
    .int()
    .min(0)
    .max(2 ** 31 - 1),
  z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,31}$/, 'must be a symbol such as "N" (letters, digits, _)'),
]);
export type Dim = z.infer<typeof Dim>;

/** One declared input or output of a model: name, element type and shape. */
export const TensorSpec = z.strictObject({
  name: z.string().min(1).max(128),
  type: z.enum(TENSOR_TYPES),
  /** One entry per dimension; a symbol repeated across tensors must take the same value in a run. */
  shape: z.array(Dim).max(8),
});
export type TensorSpec = z.infer<typeof TensorSpec>;

/** One input column of a tabular model: its name and UCUM unit. */
export const FeatureSpec = z.strictObject({
  name: z.string().min(1).max(128),
  unit: z.string().min(1).max(64),
});
export type FeatureSpec = z.infer<typeof FeatureSpec>;

const uniqueNames = (tensors: readonly { name: string }[]) =>
  new Set(tensors.map((t) => t.name)).size === tensors.length;

/**
 * What a model declares about itself: its inputs and outputs (checked against the graph when it is
 * loaded, and against every run's tensors), optionally the columns of a tabular input, and what it
 * is for. Part of a signed artifact's manifest, so it cannot be swapped after signing.
 */
export const ModelSpec = z.strictObject({
  inputs: z.array(TensorSpec).min(1).max(32).refine(uniqueNames, 'input names must be unique'),
  outputs: z.array(TensorSpec).min(1).max(32).refine(uniqueNames, 'output names must be unique'),
  /** The columns of the (first) input, in order, when the model takes feature rows. */
  features: z.array(FeatureSpec).min(1).max(1024).optional(),
  /** What the model is, for whom, and how far it may be trusted. */
  description: z.string().max(4096).optional(),
});
export type ModelSpec = z.infer<typeof ModelSpec>;

/** A shape as text, e.g. `[N, 5]`; an unknown dimension (negative, or an empty symbol) is `?`. */
export function describeShape(shape: readonly (number | string)[]): string {
  return `[${shape.map((d) => ((typeof d === 'number' && d < 0) || d === '' ? '?' : d)).join(', ')}]`;
}

/** A tensor spec as text, e.g. `float32 [N, 5]`. */
export function describeTensorSpec(spec: {
  readonly type: string;
  readonly shape: readonly (number | string)[];
}): string {
  return `${spec.type} ${describeShape(spec.shape)}`;
}
