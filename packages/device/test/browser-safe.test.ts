import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';

describe('@healthit/device root entry', () => {
  it('bundles for the browser without any Node built-in', async () => {
    const result = await build({
      entryPoints: [fileURLToPath(new URL('../src/index.ts', import.meta.url))],
      bundle: true,
      platform: 'browser',
      format: 'esm',
      write: false,
      metafile: true,
      logLevel: 'silent',
      conditions: ['@healthit/source'],
    });
    const inputs = Object.keys(result.metafile.inputs);
    expect(inputs.some((p) => p.includes('packages/device/src/simulator/ward-simulator.ts'))).toBe(true);
    expect(inputs.some((p) => p.includes('pure-rand'))).toBe(true);
    expect(inputs.filter((p) => p.startsWith('node:') || p.includes('(disabled)'))).toEqual([]);
  });
});
