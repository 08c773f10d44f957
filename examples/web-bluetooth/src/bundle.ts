/**
 * Builds the page with esbuild: `index.html`, `app.js` (the app and `@healthit/device`, for the
 * browser, ESM) and `simulated-bluetooth.js` (the simulated device, a classic script exposing
 * `SimulatedBluetooth.install`). In memory; `build.ts` writes the files, `serve.ts` serves them.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type BuildOptions, build } from 'esbuild';

/** Where the sources are (`src/`, from `src/` under tsx/vitest and from `dist/` once compiled). */
const SRC = join(import.meta.dirname, '..', 'src');

/** A page file: content type and body. */
export type PageFile = readonly [contentType: string, body: string];

/** The files of the page, by URL path (`/`, `/app.js`, `/simulated-bluetooth.js`). */
export type PageFiles = ReadonlyMap<string, PageFile>;

/** Options of {@link buildPage}. */
export interface BuildPageOptions {
  /** Minify the scripts (default true). */
  readonly minify?: boolean;
  /**
   * Package export conditions. Default `['@healthit/source']`: the SDK's TypeScript sources in this
   * repository, no build of the packages needed. An app using the published packages needs none.
   */
  readonly conditions?: readonly string[];
}

/** The page's files, bundled for the browser. */
export async function buildPage(options: BuildPageOptions = {}): Promise<Map<string, PageFile>> {
  const common = {
    bundle: true,
    write: false,
    platform: 'browser',
    target: 'es2022',
    minify: options.minify ?? true,
    conditions: [...(options.conditions ?? ['@healthit/source'])],
    logLevel: 'silent',
  } satisfies BuildOptions;
  const [app, simulated] = await Promise.all([
    build({ ...common, entryPoints: [join(SRC, 'app.ts')], format: 'esm' }),
    build({
      ...common,
      entryPoints: [join(SRC, 'simulated-bluetooth.ts')],
      format: 'iife',
      globalName: 'SimulatedBluetooth',
    }),
  ]);
  const js = 'text/javascript; charset=utf-8';
  return new Map<string, PageFile>([
    ['/', ['text/html; charset=utf-8', readFileSync(join(SRC, 'index.html'), 'utf8')]],
    ['/app.js', [js, app.outputFiles?.[0]?.text ?? '']],
    ['/simulated-bluetooth.js', [js, simulated.outputFiles?.[0]?.text ?? '']],
  ]);
}

/**
 * The page with a simulated device installed ahead of the app: `index.html` loads
 * `simulated-bluetooth.js` and `simulated-device.js` (which calls `SimulatedBluetooth.install` with
 * `install`) before `app.js`.
 */
export function withSimulatedDevice(files: PageFiles, install: unknown): Map<string, PageFile> {
  const html = files.get('/')?.[1] ?? '';
  const scripts =
    '<script src="./simulated-bluetooth.js"></script>\n    <script src="./simulated-device.js"></script>\n    ';
  return new Map<string, PageFile>([
    ...files,
    [
      '/',
      ['text/html; charset=utf-8', html.replace('<script type="module"', `${scripts}<script type="module"`)],
    ],
    [
      '/simulated-device.js',
      ['text/javascript; charset=utf-8', `SimulatedBluetooth.install(${JSON.stringify(install)});\n`],
    ],
  ]);
}
