import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';

async function bundle(entry: string) {
  return build({
    entryPoints: [fileURLToPath(new URL(entry, import.meta.url))],
    bundle: true,
    platform: 'browser',
    format: 'esm',
    write: false,
    metafile: true,
    logLevel: 'silent',
    conditions: ['@healthit/source'],
    external: ['rxjs'],
  });
}

describe('the root entry is browser-safe', () => {
  it('bundles for the browser without any Node built-in', async () => {
    const result = await bundle('../src/index.ts');
    const inputs = Object.keys(result.metafile.inputs);
    expect(inputs.some((p) => p.includes('packages/ledger/src/ledger.ts'))).toBe(true);
    expect(inputs.filter((p) => p.startsWith('node:') || p.includes('/file/'))).toEqual([]);
  });

  it('(the check works: the file subpath needs Node built-ins)', async () => {
    await expect(bundle('../src/file/index.ts')).rejects.toThrow(/node:/);
  });
});
