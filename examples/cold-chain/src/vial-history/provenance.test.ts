import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { verifyProvenanceBundle } from '@healthit/ledger';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WITNESS_THRESHOLD } from '../consortium.js';
import { type JourneyResult, runJourney } from '../journey.js';
import { buildVialHistory } from './build.js';
import type { VialHistory } from './bundle.js';
import { readingProvenance } from './provenance.js';

const ROOT = resolve(import.meta.dirname, '../../../..');
const CLI = 'packages/ledger/src/cli/verify-bundle.ts';

let dir: string;
let journey: JourneyResult;
let history: VialHistory;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cold-chain-bundle-'));
  journey = await runJourney({ seed: 42 });
  history = buildVialHistory({
    log: journey.log,
    checkpoint: journey.checkpoint,
    vial: { gtin: journey.plan.gtin, lot: 'LOT-A2232', serial: '0009' },
    shipment: journey.plan.shipment,
    readingsOf: (i) => journey.batches.get(i),
  });
  await writeFile(join(dir, 'vial-history.json'), JSON.stringify(history));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Runs `healthit-verify-bundle` from source, as an auditor with a checkout would. */
function verifyBundleCli(file: string): Promise<{ code: number; stdout: string }> {
  const { consortium } = journey;
  const args = [file, '--log-key', consortium.logVkey, '--witnesses-required', String(WITNESS_THRESHOLD)];
  for (const w of consortium.witnesses) args.push('--witness', w.vkey);
  return new Promise((done) => {
    execFile(
      process.execPath,
      ['--conditions=@healthit/source', '--import', 'tsx', CLI, ...args],
      { cwd: ROOT, timeout: 30_000 },
      (error, stdout) =>
        done({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : -1, stdout }),
    );
  });
}

describe('a reading of the vial history, on its own', () => {
  it('is a standard provenance bundle against the same checkpoint', () => {
    const bundle = readingProvenance(history, 'swift-TRK-12:187');
    expect(bundle.checkpoint).toBe(history.checkpoint);
    const verdict = verifyProvenanceBundle(bundle, {
      logKey: journey.consortium.logVkey,
      witnesses: journey.consortium.witnesses.map((w) => w.vkey),
      witnessThreshold: WITNESS_THRESHOLD,
    });
    expect(verdict).toMatchObject({
      ok: true,
      reading: { id: 'swift-TRK-12:187', metric: 'device-temperature' },
    });
    expect(() => readingProvenance(history, 'swift-TRK-12:9999')).toThrow(RangeError);
  });

  it('verifies with the healthit-verify-bundle command, and an altered one does not', async () => {
    const bundle = readingProvenance(history, 'swift-TRK-12:187');
    const good = join(dir, 'reading.json');
    await writeFile(good, JSON.stringify(bundle, null, 2));
    const ok = await verifyBundleCli(good);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/^VALID: reading swift-TRK-12:187 .*\(checkpoint size 41,/);

    const altered = join(dir, 'altered.json');
    await writeFile(
      altered,
      JSON.stringify({ ...bundle, reading: { ...(bundle.reading as object), value: 5.1 } }),
    );
    const bad = await verifyBundleCli(altered);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toMatch(/INVALID at step reading-inclusion/);
  }, 60_000);
});
