import type { Tensor } from '@healthit/core';
import { describeShape, describeTensorSpec, type ModelSpec } from '../artifacts/spec.js';
import { type TensorDirection, type TensorMismatch, TensorSpecError } from './errors.js';
import { elementCount } from './tensors.js';

/**
 * One input or output as a runtime sees it: the graph's metadata (ONNX element type names, dims as
 * fixed sizes, symbols, or unknown: a negative number or an empty string), or a declared spec.
 */
export interface IoSpec {
  /** The input or output name: the key of a run's feeds or of its results. */
  readonly name: string;
  /**
   * False for a value that is not a tensor (an ONNX sequence or map): its type and shape are then
   * not checked, and `type` and `shape` are empty.
   */
  readonly isTensor: boolean;
  /** ONNX element type name (`float32`, `float16` ...); empty for a non-tensor value. */
  readonly type: string;
  /**
   * The dimensions, outermost first: a fixed size (a non-negative integer, checked), a symbol such
   * as `N` (any size, but one value across a run's inputs and outputs), or unknown (a negative
   * number or an empty string: not checked). Empty for a non-tensor value; an empty shape does not
   * constrain the rank.
   */
  readonly shape: readonly (number | string)[];
}

/** A model's inputs and outputs. */
export interface ModelIo {
  readonly inputs: readonly IoSpec[];
  readonly outputs: readonly IoSpec[];
}

/** Who is checked, for messages: `where` is e.g. `deterioration-risk@0.1.0`. */
export interface CheckContext {
  readonly modelId: string;
  readonly version: string;
  readonly where: string;
}

const ARRAY_OF_TYPE: Readonly<Record<Tensor['type'], { new (n: number): ArrayBufferView; name: string }>> = {
  float32: Float32Array,
  int32: Int32Array,
  int64: BigInt64Array,
  uint8: Uint8Array,
  bool: Uint8Array,
};

const isFixed = (d: number | string): d is number => typeof d === 'number' && d >= 0;
const isSymbol = (d: number | string): d is string => typeof d === 'string' && d.length > 0;

function describeIo(specs: readonly IoSpec[]): string {
  return specs
    .map((s) => (s.isTensor ? `${s.name}: ${describeTensorSpec(s)}` : `${s.name} (non-tensor)`))
    .join('; ');
}

function fail(
  code: 'model/run' | 'model/load',
  ctx: CheckContext,
  direction: TensorDirection,
  tensor: string,
  mismatch: TensorMismatch,
  message: string,
  expected: string,
  found: string,
): never {
  const verb = code === 'model/run' ? 'run' : 'load';
  throw new TensorSpecError(code, `Cannot ${verb} ${ctx.where}: ${message}`, {
    modelId: ctx.modelId,
    version: ctx.version,
    direction,
    tensor,
    mismatch,
    expected,
    found,
  });
}

/** Where a symbolic dimension got its value in a run (for the message when another tensor disagrees). */
export interface Binding {
  readonly value: number;
  readonly direction: TensorDirection;
  readonly tensor: string;
}

/** The values symbolic dims took in one run. */
export type Bindings = Map<string, Binding>;

function validDims(dims: unknown): dims is readonly number[] {
  if (!Array.isArray(dims)) return false;
  for (let i = 0; i < dims.length; i++) {
    const d = dims[i];
    if (!Number.isSafeInteger(d) || d < 0) return false;
  }
  return true;
}

const foundOf = (tensor: Tensor): string => `${tensor.type} ${describeShape(tensor.dims)}`;

/**
 * Checks one tensor against its spec, binding symbolic dims (`N`) in `bindings` so that a symbol
 * takes one value across a run's inputs and outputs. The success path allocates nothing but the
 * bindings (runs are the hot path); messages are built only on failure.
 * @throws {TensorSpecError} `model/run` on any mismatch.
 */
function checkTensor(
  ctx: CheckContext,
  direction: TensorDirection,
  spec: IoSpec,
  tensor: Tensor | undefined,
  bindings: Bindings,
): void {
  const name = spec.name;
  if (
    typeof tensor !== 'object' ||
    tensor === null ||
    !Object.hasOwn(ARRAY_OF_TYPE, String(tensor.type)) ||
    !validDims(tensor.dims) ||
    !ArrayBuffer.isView(tensor.data)
  ) {
    fail(
      'model/run',
      ctx,
      direction,
      name,
      'not-a-tensor',
      `${direction} "${name}" is not a Tensor ({ type, data, dims } with non-negative integer dims)`,
      describeTensorSpec(spec),
      typeof tensor,
    );
  }
  const dims = tensor.dims;
  const arrayType = ARRAY_OF_TYPE[tensor.type];
  if (!(tensor.data instanceof arrayType)) {
    fail(
      'model/run',
      ctx,
      direction,
      name,
      'not-a-tensor',
      `${direction} "${name}" is ${tensor.type} but its data is a ${tensor.data.constructor.name}, not a ${arrayType.name}`,
      arrayType.name,
      tensor.data.constructor.name,
    );
  }
  if (tensor.data.length !== elementCount(dims)) {
    fail(
      'model/run',
      ctx,
      direction,
      name,
      'length',
      `${direction} "${name}" has ${tensor.data.length} values but dims ${describeShape(dims)} need ${elementCount(dims)}`,
      `${elementCount(dims)} values`,
      `${tensor.data.length} values`,
    );
  }
  if (!spec.isTensor) return;
  if (tensor.type !== spec.type) {
    fail(
      'model/run',
      ctx,
      direction,
      name,
      'type',
      `${direction} "${name}" is ${tensor.type}, the model expects ${spec.type}`,
      describeTensorSpec(spec),
      foundOf(tensor),
    );
  }
  const shape = spec.shape;
  const wrongRank = shape.length > 0 && shape.length !== dims.length;
  let wrongDim = false;
  for (let i = 0; i < shape.length && !wrongRank; i++) {
    const d = shape[i] as number | string;
    if (isFixed(d) && dims[i] !== d) wrongDim = true;
  }
  if (wrongRank || wrongDim) {
    fail(
      'model/run',
      ctx,
      direction,
      name,
      wrongRank ? 'rank' : 'dims',
      `${direction} "${name}" has dims ${describeShape(dims)}, the model expects ${describeShape(shape)}`,
      describeTensorSpec(spec),
      foundOf(tensor),
    );
  }
  for (let i = 0; i < shape.length; i++) {
    const d = shape[i] as number | string;
    if (!isSymbol(d)) continue;
    const value = dims[i] as number;
    const bound = bindings.get(d);
    if (bound === undefined) bindings.set(d, { value, direction, tensor: name });
    else if (bound.value !== value) {
      fail(
        'model/run',
        ctx,
        direction,
        name,
        'dims',
        `${direction} "${name}" has dims ${describeShape(dims)}, the model expects ${describeShape(shape)} ` +
          `with ${d} = ${bound.value} (from ${bound.direction} "${bound.tensor}")`,
        describeTensorSpec(spec),
        foundOf(tensor),
      );
    }
  }
}

/**
 * Checks a run's feeds against the model's inputs: every input given, no other, each a well-formed
 * tensor of the declared element type and shape. Returns the values symbolic dims took.
 * @throws {TensorSpecError} `model/run`, naming the input and expected vs found.
 */
export function checkFeeds(
  ctx: CheckContext,
  inputs: readonly IoSpec[],
  feeds: Readonly<Record<string, Tensor>>,
): Bindings {
  if (typeof feeds !== 'object' || feeds === null) {
    fail(
      'model/run',
      ctx,
      'input',
      '',
      'not-a-tensor',
      `feeds must be an object of input name → Tensor; the model takes ${describeIo(inputs)}`,
      describeIo(inputs),
      String(feeds),
    );
  }
  // The common case (every input given, nothing else) without allocating; the lists on failure.
  let given = 0;
  let allThere = true;
  for (const key in feeds) if (Object.hasOwn(feeds, key)) given++;
  for (let i = 0; i < inputs.length; i++)
    if (!Object.hasOwn(feeds, (inputs[i] as IoSpec).name)) allThere = false;
  if (!allThere || given !== inputs.length) {
    const keys = Object.keys(feeds);
    const missing = inputs.filter((i) => !keys.includes(i.name)).map((i) => i.name);
    if (missing.length > 0) {
      fail(
        'model/run',
        ctx,
        'input',
        missing[0] as string,
        'missing',
        `missing input ${missing.map((n) => `"${n}"`).join(', ')}; the model takes ${describeIo(inputs)}`,
        describeIo(inputs),
        keys.join(', ') || 'no inputs',
      );
    }
    const unknown = keys.filter((n) => !inputs.some((i) => i.name === n));
    fail(
      'model/run',
      ctx,
      'input',
      unknown[0] as string,
      'unknown',
      `unknown input ${unknown.map((n) => `"${n}"`).join(', ')}; the model takes ${describeIo(inputs)}`,
      describeIo(inputs),
      keys.join(', '),
    );
  }
  const bindings: Bindings = new Map();
  for (let i = 0; i < inputs.length; i++) {
    const spec = inputs[i] as IoSpec;
    checkTensor(ctx, 'input', spec, feeds[spec.name], bindings);
  }
  return bindings;
}

/**
 * Checks a run's outputs against the model's outputs, with the symbols bound by its inputs.
 * @throws {TensorSpecError} `model/run`, naming the output and expected vs found.
 */
export function checkOutputs(
  ctx: CheckContext,
  outputs: readonly IoSpec[],
  results: Readonly<Record<string, Tensor>>,
  bindings: Bindings,
): void {
  for (const spec of outputs) {
    const tensor = results[spec.name];
    if (tensor === undefined) {
      fail(
        'model/run',
        ctx,
        'output',
        spec.name,
        'missing',
        `the runtime returned no value for output "${spec.name}"`,
        describeTensorSpec(spec),
        'nothing',
      );
    }
    checkTensor(ctx, 'output', spec, tensor, bindings);
  }
}

/** True when a declared dimension is compatible with the graph's (the declared one may be stricter). */
function dimCompatible(declared: number | string, graph: number | string): boolean {
  if (!isFixed(graph) && !isSymbol(graph)) return true; // the graph leaves it unknown
  if (isFixed(graph)) return declared === graph; // a symbol cannot promise a fixed size
  return true; // graph symbolic: a declared fixed size or symbol narrows it
}

/**
 * Checks the spec an artifact declares against the graph a runtime loaded, and returns the spec to
 * check runs against: the declared one (it may narrow the graph's, e.g. `[N, 5]` where the graph
 * says `[N, ?]`). The same names in and out, the same element types, the same ranks, fixed sizes
 * equal.
 * @throws {TensorSpecError} `model/load`, naming the tensor and expected (declared) vs found (graph).
 */
export function checkDeclaredSpec(ctx: CheckContext, graph: ModelIo, declared: ModelSpec): ModelIo {
  const side = (
    direction: TensorDirection,
    graphSide: readonly IoSpec[],
    declaredSide: readonly IoSpec[],
  ) => {
    const graphText = describeIo(graphSide);
    for (const d of declaredSide) {
      const g = graphSide.find((x) => x.name === d.name);
      if (g === undefined) {
        fail(
          'model/load',
          ctx,
          direction,
          d.name,
          'unknown',
          `its spec declares ${direction} "${d.name}" (${describeTensorSpec(d)}), which the graph does not have; the graph has ${graphText}`,
          describeTensorSpec(d),
          graphText,
        );
      }
      const found = g.isTensor ? describeTensorSpec(g) : 'a non-tensor value';
      const mismatch: TensorMismatch | undefined = !g.isTensor
        ? 'type'
        : g.type !== d.type
          ? 'type'
          : g.shape.length !== d.shape.length
            ? 'rank'
            : d.shape.some((dim, i) => !dimCompatible(dim, g.shape[i] as number | string))
              ? 'dims'
              : undefined;
      if (mismatch !== undefined) {
        fail(
          'model/load',
          ctx,
          direction,
          d.name,
          mismatch,
          `its spec declares ${direction} "${d.name}" as ${describeTensorSpec(d)}, the graph has ${found}`,
          describeTensorSpec(d),
          found,
        );
      }
    }
    for (const g of graphSide) {
      if (!declaredSide.some((d) => d.name === g.name)) {
        fail(
          'model/load',
          ctx,
          direction,
          g.name,
          'missing',
          `the graph has ${direction} "${g.name}" (${g.isTensor ? describeTensorSpec(g) : 'non-tensor'}), which its spec does not declare`,
          describeIo(declaredSide),
          g.name,
        );
      }
    }
  };
  const inputs = declared.inputs.map((t) => ({ ...t, isTensor: true }));
  const outputs = declared.outputs.map((t) => ({ ...t, isTensor: true }));
  side('input', graph.inputs, inputs);
  side('output', graph.outputs, outputs);
  // Keep the graph's order (the runtime feeds and reads by name; order is what users see).
  const byName = (list: readonly IoSpec[]) => new Map(list.map((t) => [t.name, t]));
  const din = byName(inputs);
  const dout = byName(outputs);
  return {
    inputs: graph.inputs.map((g) => din.get(g.name) as IoSpec),
    outputs: graph.outputs.map((g) => dout.get(g.name) as IoSpec),
  };
}
