#!/usr/bin/env node
/**
 * `npm run build`: writes the page to `dist/www/` (index.html, app.js, simulated-bluetooth.js),
 * ready for any static host with https.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { buildPage } from './bundle.js';

const out = join(import.meta.dirname, '..', 'dist', 'www');

try {
  const files = await buildPage();
  mkdirSync(out, { recursive: true });
  for (const [path, [, body]] of files) {
    const name = path === '/' ? 'index.html' : path.slice(1);
    writeFileSync(join(out, name), body);
    const bytes = Buffer.byteLength(body);
    const gzip = gzipSync(body).length;
    console.log(
      `  ${name.padEnd(24)} ${(bytes / 1024).toFixed(1).padStart(7)} KiB  (${(gzip / 1024).toFixed(1)} KiB gzip)`,
    );
  }
  console.log(
    `Wrote the page to ${out}: serve it over https (or from localhost) and open it in Chrome or Edge.`,
  );
} catch (error) {
  console.error(`Could not build the page: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
}
