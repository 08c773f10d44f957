/**
 * Builds the package's ONNX models and the modules that embed them.
 *
 *   npx tsx packages/ai/scripts/build-models.ts          # (re)write the artefacts
 *   npx tsx packages/ai/scripts/build-models.ts --check  # exit 1 if a committed artefact is stale
 *
 * Writes `packages/ai/models/deterioration-v0.onnx` (for inspection with Netron, onnx.checker or
 * any ONNX tool) and `packages/ai/src/models/deterioration-v0.generated.ts` (the same bytes as a
 * base64url constant, which the browser-safe root entry embeds). The build is deterministic, and a
 * unit test checks both committed artefacts against a fresh build.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { buildDeteriorationModelV0 } from '../src/models/build-deterioration-model.js';
import { renderModelModule } from '../src/models/generated-module.js';

const GENERATOR = 'packages/ai/scripts/build-models.ts';

const artefacts = (() => {
  const bytes = buildDeteriorationModelV0();
  return [
    { path: fileURLToPath(new URL('../models/deterioration-v0.onnx', import.meta.url)), content: bytes },
    {
      path: fileURLToPath(new URL('../src/models/deterioration-v0.generated.ts', import.meta.url)),
      content: new TextEncoder().encode(
        renderModelModule('DETERIORATION_V0_ONNX_BASE64URL', bytes, GENERATOR),
      ),
    },
  ];
})();

async function readOrEmpty(path: string): Promise<Uint8Array> {
  try {
    return new Uint8Array(await readFile(path));
  } catch {
    return new Uint8Array(0);
  }
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

const check = process.argv.includes('--check');
let stale = 0;
for (const { path, content } of artefacts) {
  const current = await readOrEmpty(path);
  if (equalBytes(current, content)) {
    console.log(`up to date  ${path} (${content.length} bytes)`);
  } else if (check) {
    stale += 1;
    console.error(`stale       ${path}: run \`npx tsx ${GENERATOR}\``);
  } else {
    await writeFile(path, content);
    console.log(`wrote       ${path} (${content.length} bytes)`);
  }
}
process.exitCode = stale === 0 ? 0 : 1;
