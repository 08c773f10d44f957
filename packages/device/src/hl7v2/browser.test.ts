import { builtinModules } from 'node:module';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';

async function browserBundle(entry: string) {
  return build({
    entryPoints: [new URL(entry, import.meta.url).pathname],
    bundle: true,
    write: false,
    metafile: true,
    platform: 'browser',
    format: 'esm',
    conditions: ['@healthit/source'],
    logLevel: 'silent',
  });
}

describe('browser safety', () => {
  it('the hl7v2 entry bundles for the browser with no Node built-in', async () => {
    const result = await browserBundle('./index.ts');
    const inputs = Object.keys(result.metafile.inputs);
    expect(inputs.some((i) => i.endsWith('hl7v2/parse.ts'))).toBe(true);
    const builtins = new Set([...builtinModules, ...builtinModules.map((m) => `node:${m}`)]);
    expect(inputs.filter((i) => builtins.has(i) || i.includes('(disabled)'))).toEqual([]);
  });

  it('the MLLP entry needs Node (control)', async () => {
    await expect(browserBundle('../mllp/index.ts')).rejects.toThrow(/node:net/);
  });
});
