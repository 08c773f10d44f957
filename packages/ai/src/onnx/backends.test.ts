import { createRequire } from 'node:module';
import { isHealthItError } from '@healthit/core';
import { describe, expect, it } from 'vitest';
import { describeModelRuntimeConformance } from '../../test/model-runtime-conformance.js';
import { deteriorationModelV0 } from '../models/deterioration-v0.js';
import { BackendUnavailableError } from './errors.js';
import { createOnnxNodeRuntime, ONNXRUNTIME_NODE } from './onnx-node-runtime.js';
import { createOnnxRuntime } from './onnx-runtime.js';

/** Whether onnxruntime-node resolves from here (it is an optional peer; `.npmrc` skips its GPU binaries). */
function nodeBackendInstalled(): boolean {
  try {
    createRequire(import.meta.url).resolve(ONNXRUNTIME_NODE);
    return true;
  } catch {
    return false;
  }
}
const INSTALLED = nodeBackendInstalled();

describeModelRuntimeConformance('onnxruntime-web/wasm', async () => createOnnxRuntime());

// The node runtime's own code (import, options, the cpu execution provider, the shared checks and
// cache) over onnxruntime-web's API, which is the same onnxruntime-common API: runs everywhere.
describeModelRuntimeConformance(
  'createOnnxNodeRuntime over the onnxruntime-common API of onnxruntime-web',
  () => createOnnxNodeRuntime({ importModule: () => import('onnxruntime-web') }),
);

if (INSTALLED) {
  describeModelRuntimeConformance('onnxruntime-node/cpu (installed)', () => createOnnxNodeRuntime());
} else {
  describe('onnxruntime-node is not installed here, so its native engine cannot be tested', () => {
    it('asking for it rejects with a typed BackendUnavailableError that says what to do', async () => {
      const e = await createOnnxNodeRuntime().then(
        () => expect.fail('onnxruntime-node resolved, but nodeBackendInstalled() said it is not installed'),
        (error: unknown) => error,
      );
      expect(e).toBeInstanceOf(BackendUnavailableError);
      expect(e).toMatchObject({ code: 'model/load', backend: 'onnxruntime-node', reason: 'not-installed' });
      expect((e as Error).message).toContain('npm install onnxruntime-node');
      expect((e as Error).message).toContain('createOnnxRuntime()');
      expect((e as Error).cause).toBeDefined();
    });
  });
}

describe('createOnnxNodeRuntime failures', () => {
  it('reports a package that resolves but fails to start as failed-to-start, keeping the cause', async () => {
    const dlopen = new Error('libonnxruntime.so.1: cannot open shared object file');
    const e = await createOnnxNodeRuntime({ importModule: () => Promise.reject(dlopen) }).catch(
      (x: unknown) => x,
    );
    expect(e).toBeInstanceOf(BackendUnavailableError);
    expect(e).toMatchObject({ reason: 'failed-to-start', backend: 'onnxruntime-node' });
    expect((e as Error).message).toContain('cannot open shared object file');
    expect((e as Error).cause).toBe(dlopen);
  });

  it('classifies a module-not-found error as not-installed', async () => {
    const notFound = Object.assign(new Error("Cannot find package 'onnxruntime-node' imported from x.js"), {
      code: 'ERR_MODULE_NOT_FOUND',
    });
    const e = await createOnnxNodeRuntime({ importModule: () => Promise.reject(notFound) }).catch(
      (x: unknown) => x,
    );
    expect(e).toMatchObject({ reason: 'not-installed' });
  });

  it('refuses a module without the onnxruntime API', async () => {
    const e = await createOnnxNodeRuntime({ importModule: async () => ({ default: {} }) }).catch(
      (x: unknown) => x,
    );
    expect(e).toMatchObject({ reason: 'failed-to-start' });
    expect((e as Error).message).toContain('does not export InferenceSession and Tensor');
  });

  it('checks its options synchronously', () => {
    expect(() => createOnnxNodeRuntime({ numThreads: -1 })).toThrow(/createOnnxNodeRuntime: numThreads/);
    expect(() =>
      createOnnxNodeRuntime({ importModule: 'onnxruntime-node' as unknown as () => Promise<unknown> }),
    ).toThrow(TypeError);
  });

  it('names itself and its engine in load failures', async () => {
    const runtime = await createOnnxNodeRuntime({ importModule: () => import('onnxruntime-web') });
    expect(runtime.name).toBe('onnxruntime-node/cpu');
    const model = await runtime.load(deteriorationModelV0());
    expect(model.backend).toBe('onnxruntime-node/cpu');
    await model.dispose();
    const e = await runtime
      .load({ id: 'junk', version: '2', format: 'onnx', bytes: new Uint8Array([9, 9, 9]) })
      .catch((x: unknown) => x);
    expect(isHealthItError(e, 'model/load')).toBe(true);
    expect((e as Error).message).toMatch(/^Cannot load junk@2 \(3 bytes\) with onnxruntime-node /);
  });
});
