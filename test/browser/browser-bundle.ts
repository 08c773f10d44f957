/**
 * Test support for the browser bundle test: esbuild for the browser with a plugin that fails the
 * build on any Node built-in (named with or without `node:`), a size report of the bundle by
 * package, and a static server for the page.
 */
import { createServer, type Server } from 'node:http';
import { builtinModules } from 'node:module';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { build, type Metafile, type Plugin } from 'esbuild';

/** The repository root. */
export const ROOT = join(import.meta.dirname, '..', '..');

const BUILTIN = new Set(builtinModules.filter((m) => !m.startsWith('_')).map((m) => m.replace(/^node:/, '')));

/**
 * Fails the build on an import of a Node built-in (`node:fs`, `fs`, `fs/promises`...), naming the
 * importer. esbuild refuses `node:` imports for `platform: 'browser'` by itself, but a bare `fs`
 * could be silently replaced by an empty module through a dependency's `browser` field; this
 * plugin refuses both, before any other resolution.
 */
export const noNodeBuiltins: Plugin = {
  name: 'no-node-builtins',
  setup(b) {
    b.onResolve({ filter: /^[a-z_:][\w:/-]*$/ }, (args) => {
      const prefixed = args.path.startsWith('node:');
      const top = args.path.replace(/^node:/, '').split('/')[0] ?? '';
      if (!prefixed && !BUILTIN.has(top)) return undefined;
      return {
        errors: [
          {
            text: `Node built-in "${args.path}" imported by ${args.importer || '(entry)'}: not available in a browser`,
          },
        ],
      };
    });
  },
};

/** The browser bundle of `entry`, in memory (ESM, ES2022), with its metafile. */
export async function bundleForBrowser(
  entry: { path: string } | { contents: string },
  options: { minify?: boolean } = {},
) {
  return build({
    ...('path' in entry
      ? { entryPoints: [entry.path] }
      : { stdin: { contents: entry.contents, resolveDir: ROOT, loader: 'ts' as const } }),
    absWorkingDir: ROOT,
    bundle: true,
    write: false,
    metafile: true,
    platform: 'browser',
    format: 'esm',
    target: 'es2022',
    // The workspace packages resolve to their TypeScript sources: no build step before the test.
    conditions: ['@healthit/source'],
    minify: options.minify ?? false,
    plugins: [noNodeBuiltins],
    logLevel: 'silent',
  });
}

/** Bytes of one bundle, total and gzipped, and by package (bytes each contributes to the output). */
export interface SizeReport {
  readonly bytes: number;
  readonly gzipBytes: number;
  readonly byPackage: Readonly<Record<string, number>>;
}

/** The package an esbuild input path belongs to: `@healthit/device`, `zod`, `@noble/curves`... */
export function packageOf(input: string): string {
  const workspace = /^packages\/([^/]+)\//.exec(input);
  if (workspace) return `@healthit/${workspace[1]}`;
  const dependency = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(input);
  return dependency ? (dependency[1] ?? input) : input;
}

/** The size report of a single-output build. */
export function sizeReport(contents: Uint8Array, metafile: Metafile): SizeReport {
  const byPackage: Record<string, number> = {};
  for (const output of Object.values(metafile.outputs)) {
    for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
      const name = packageOf(input);
      byPackage[name] = (byPackage[name] ?? 0) + bytesInOutput;
    }
  }
  const sorted = Object.fromEntries(Object.entries(byPackage).sort((a, b) => b[1] - a[1]));
  return { bytes: contents.length, gzipBytes: gzipSync(contents).length, byPackage: sorted };
}

/** A static page server on 127.0.0.1 (ephemeral port). */
export interface PageServer {
  readonly url: string;
  close(): Promise<void>;
}

/**
 * Serves `files` (path → [content type, body]) with a strict Content-Security-Policy: scripts only
 * from the page's origin, no inline script, no eval, no network beyond the origin (what a vendor's
 * locked-down app allows).
 */
export async function servePage(files: ReadonlyMap<string, readonly [string, string | Uint8Array]>) {
  const server: Server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    const file = files.get(path);
    if (!file && path === '/favicon.ico') {
      res.writeHead(204).end();
      return;
    }
    if (!file) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return;
    }
    res
      .writeHead(200, {
        'content-type': file[0],
        'content-security-policy': "default-src 'self'; script-src 'self'; connect-src 'self'",
        'cache-control': 'no-store',
      })
      .end(file[1]);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    close: () => new Promise<void>((resolve, reject) => server.close((e) => (e ? reject(e) : resolve()))),
  } satisfies PageServer;
}
