import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';

describe('the root entry', () => {
  it('bundles for browsers with no Node built-in, no model runtime and no protobuf tooling', async () => {
    const result = await build({
      entryPoints: [new URL('./index.ts', import.meta.url).pathname],
      bundle: true,
      write: false,
      platform: 'browser',
      format: 'esm',
      conditions: ['@healthit/source'],
      metafile: true,
      logLevel: 'silent',
    });
    expect(result.errors).toEqual([]);
    const inputs = Object.keys(result.metafile.inputs);
    expect(inputs.some((p) => p.includes('packages/ai/src/scoring/score-vitals.ts'))).toBe(true);
    expect(inputs.filter((p) => /node:|onnxruntime|onnx-proto|protobufjs/.test(p))).toEqual([]);
  });

  it('has onnxruntime-web on the ./onnx subpath only', async () => {
    const result = await build({
      entryPoints: [new URL('./onnx/index.ts', import.meta.url).pathname],
      bundle: true,
      write: false,
      platform: 'browser',
      format: 'esm',
      conditions: ['@healthit/source'],
      metafile: true,
      logLevel: 'silent',
      external: ['onnxruntime-web'],
    });
    const imports = Object.values(result.metafile.inputs).flatMap((i) => i.imports.map((x) => x.path));
    expect(imports).toContain('onnxruntime-web');
  });
});
