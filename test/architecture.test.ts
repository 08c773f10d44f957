/**
 * Architecture rules that the compiler does not enforce:
 * - the root entries of core, device, ledger and ai run in browsers: no Node built-ins in their
 *   import graph (bundled for the browser with esbuild, which refuses Node built-ins);
 * - dependencies form a star: every layer depends on @healthit/core and on no other layer.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join } from 'node:path';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..');
const LAYERS = ['device', 'gateway', 'platform', 'ledger', 'ai'] as const;
const BROWSER_SAFE = ['core', 'device', 'ledger', 'ai'] as const;
/** Backends that only subpath exports may load. */
const OPTIONAL_BACKENDS =
  /node_modules\/(onnxruntime-web|onnxruntime-node|onnx-proto|protobufjs|pg|@electric-sql\/pglite|mqtt)\//;

async function browserBundle(entry: { path: string } | { contents: string }) {
  return build({
    ...('path' in entry
      ? { entryPoints: [entry.path] }
      : { stdin: { contents: entry.contents, resolveDir: root } }),
    bundle: true,
    write: false,
    metafile: true,
    platform: 'browser',
    format: 'esm',
    conditions: ['@healthit/source'],
    logLevel: 'silent',
  });
}

/** Workspace packages a source file imports (static and dynamic imports; TSDoc examples don't count). */
function importedPackages(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const found = [
    ...text.matchAll(/^(?:import|export)\b[^'"]*?from\s+['"](@healthit\/[^/'"]+)/gm),
    ...text.matchAll(/\bimport\(\s*['"](@healthit\/[^/'"]+)/g),
  ];
  return found.map((m) => m[1] ?? '');
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return /\.ts$/.test(name) && !/\.test\.ts$/.test(name) ? [path] : [];
  });
}

describe('browser-safe root entries', () => {
  it('the check itself fails on a Node built-in (control)', async () => {
    await expect(browserBundle({ contents: "import 'node:fs';" })).rejects.toThrow(/node:fs/);
  });

  for (const pkg of BROWSER_SAFE) {
    it(`@healthit/${pkg} bundles for the browser with no Node built-in and no optional backend`, async () => {
      const result = await browserBundle({ path: join(root, 'packages', pkg, 'src', 'index.ts') });
      const inputs = Object.keys(result.metafile.inputs);
      expect(inputs.some((i) => i.startsWith(`packages/${pkg}/src/`))).toBe(true);
      const builtins = new Set([...builtinModules, ...builtinModules.map((m) => `node:${m}`)]);
      expect(inputs.filter((i) => builtins.has(i) || i.includes('(disabled)'))).toEqual([]);
      expect(inputs.filter((i) => OPTIONAL_BACKENDS.test(i))).toEqual([]);
      expect(result.errors).toEqual([]);
    });
  }

  it('the Node-only subpaths do need Node (control: @healthit/ledger/file)', async () => {
    await expect(
      browserBundle({ path: join(root, 'packages', 'ledger', 'src', 'file', 'index.ts') }),
    ).rejects.toThrow(/node:/);
  });

  it('onnxruntime-web is reached through @healthit/ai/onnx only', async () => {
    const result = await build({
      entryPoints: [join(root, 'packages', 'ai', 'src', 'onnx', 'index.ts')],
      bundle: true,
      write: false,
      metafile: true,
      platform: 'browser',
      format: 'esm',
      conditions: ['@healthit/source'],
      external: ['onnxruntime-web'],
      logLevel: 'silent',
    });
    const imports = Object.values(result.metafile.inputs).flatMap((i) => i.imports.map((x) => x.path));
    expect(imports).toContain('onnxruntime-web');
  });
});

describe('dependency star', () => {
  for (const layer of LAYERS) {
    it(`@healthit/${layer} depends on @healthit/core and on no other layer`, () => {
      const pkg = JSON.parse(readFileSync(join(root, 'packages', layer, 'package.json'), 'utf8')) as Record<
        string,
        Record<string, string> | undefined
      >;
      const declared = [
        'dependencies',
        'peerDependencies',
        'devDependencies',
        'optionalDependencies',
      ].flatMap((k) => Object.keys(pkg[k] ?? {}));
      expect(declared.filter((d) => d.startsWith('@healthit/'))).toEqual(['@healthit/core']);
      const imported = sourceFiles(join(root, 'packages', layer, 'src')).flatMap(importedPackages);
      expect([...new Set(imported)].filter((s) => s !== '@healthit/core')).toEqual([]);
    });
  }

  it('@healthit/core depends on no layer', () => {
    const imported = sourceFiles(join(root, 'packages', 'core', 'src')).flatMap(importedPackages);
    expect(imported).toEqual([]);
  });
});
