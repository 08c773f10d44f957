import type { Tensor } from '@healthit/core';
import { describe, expect, it } from 'vitest';
import { TensorSpecError } from './errors.js';
import { checkDeclaredSpec, checkFeeds, checkOutputs, type IoSpec } from './spec-check.js';

const ctx = { modelId: 'm', version: '1', where: 'm@1' };
const x: IoSpec = { name: 'x', isTensor: true, type: 'float32', shape: ['N', 3] };
const y: IoSpec = { name: 'y', isTensor: true, type: 'float32', shape: ['N', 1] };
const f32 = (dims: number[]): Tensor => ({
  type: 'float32',
  data: new Float32Array(dims.reduce((a, b) => a * b, 1)),
  dims,
});

function thrown(f: () => unknown): TensorSpecError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(TensorSpecError);
    return e as TensorSpecError;
  }
  return expect.fail('expected a TensorSpecError');
}

describe('checkOutputs', () => {
  it('accepts outputs whose symbolic dims agree with the inputs’', () => {
    const bindings = checkFeeds(ctx, [x], { x: f32([4, 3]) });
    expect(() => checkOutputs(ctx, [y], { y: f32([4, 1]) }, bindings)).not.toThrow();
  });

  it('names an output whose batch differs from its input’s', () => {
    const bindings = checkFeeds(ctx, [x], { x: f32([4, 3]) });
    const e = thrown(() => checkOutputs(ctx, [y], { y: f32([3, 1]) }, bindings));
    expect(e).toMatchObject({ code: 'model/run', direction: 'output', tensor: 'y', mismatch: 'dims' });
    expect(e.message).toBe(
      'Cannot run m@1: output "y" has dims [3, 1], the model expects [N, 1] with N = 4 (from input "x")',
    );
  });

  it('names a missing output and one of another element type', () => {
    const bindings = checkFeeds(ctx, [x], { x: f32([1, 3]) });
    expect(thrown(() => checkOutputs(ctx, [y], {}, bindings))).toMatchObject({
      mismatch: 'missing',
      found: 'nothing',
    });
    const asInt = { type: 'int32', data: new Int32Array(1), dims: [1, 1] } as Tensor;
    expect(thrown(() => checkOutputs(ctx, [y], { y: asInt }, bindings))).toMatchObject({
      mismatch: 'type',
      expected: 'float32 [N, 1]',
      found: 'int32 [1, 1]',
    });
  });
});

describe('checkFeeds', () => {
  it('refuses a tensor whose type is not a tensor type, and non-object feeds', () => {
    expect(
      thrown(() => checkFeeds(ctx, [x], { x: { type: 'toString', data: [], dims: [] } as unknown as Tensor }))
        .mismatch,
    ).toBe('not-a-tensor');
    expect(thrown(() => checkFeeds(ctx, [x], null as unknown as Record<string, Tensor>)).mismatch).toBe(
      'not-a-tensor',
    );
  });
});

describe('checkDeclaredSpec', () => {
  const graph = {
    inputs: [{ name: 'x', isTensor: true, type: 'float32', shape: ['N', -1] }],
    outputs: [{ name: 'y', isTensor: true, type: 'float32', shape: ['N', 1] }],
  };

  it('lets a declared spec narrow an unknown or symbolic dimension, and returns it for runs', () => {
    const io = checkDeclaredSpec(ctx, graph, {
      inputs: [{ name: 'x', type: 'float32', shape: [8, 3] }],
      outputs: [{ name: 'y', type: 'float32', shape: ['N', 1] }],
    });
    expect(io.inputs[0]?.shape).toEqual([8, 3]);
  });

  it('refuses a symbol where the graph has a fixed size, and a graph output the spec does not declare', () => {
    const fixed = { ...graph, inputs: [{ name: 'x', isTensor: true, type: 'float32', shape: [1, 3] }] };
    expect(
      thrown(() =>
        checkDeclaredSpec(ctx, fixed, {
          inputs: [{ name: 'x', type: 'float32', shape: ['N', 3] }],
          outputs: [{ name: 'y', type: 'float32', shape: ['N', 1] }],
        }),
      ),
    ).toMatchObject({
      code: 'model/load',
      mismatch: 'dims',
      expected: 'float32 [N, 3]',
      found: 'float32 [1, 3]',
    });
    const twoOutputs = {
      ...graph,
      outputs: [...graph.outputs, { name: 'z', isTensor: true, type: 'float32', shape: [1] }],
    };
    expect(
      thrown(() =>
        checkDeclaredSpec(ctx, twoOutputs, {
          inputs: [{ name: 'x', type: 'float32', shape: ['N', 3] }],
          outputs: [{ name: 'y', type: 'float32', shape: ['N', 1] }],
        }),
      ),
    ).toMatchObject({ mismatch: 'missing', direction: 'output', tensor: 'z' });
  });
});
