import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runExample } from '../../../test/support/run-example.js';
import { parseArgs, UsageError } from './cli-args.js';
import { createConsortium } from './consortium.js';
import { VIAL_HISTORY_FORMAT, verifyVialHistory } from './vial-history/index.js';

const MAIN = 'examples/cold-chain/src/main.ts';

/** Runs the command from source, as `node examples/cold-chain/dist/main.js` runs it from dist. */
const run = (args: readonly string[]) => runExample(MAIN, args);

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cold-chain-cli-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('healthit-cold-chain', () => {
  it('prints the timeline and the pharmacist’s verdict, and exits 0', async () => {
    const { code, stdout, stderr } = await run([]);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toMatch(
      /2026-03-02 06:00Z {2}CUSTODY {5}acme-pharma → swift-logistics #0 · signed by acme-dispatch \+ swift-driver-07/,
    );
    expect(stdout).toMatch(
      /2026-03-02 21:35Z {2}EXCURSION {3}swift-TRK-12 above 8 °C for 15 min since 21:20Z.*flagged #16 by swift-monitor/,
    );
    expect(stdout).toMatch(/CUSTODY {5}swift-logistics → city-pharmacy #32 .* 1 excursion\(s\)/);
    expect(stdout).toMatch(/2026-03-03 20:00Z {2}CHECKPOINT {2}size 41 · cosigned by 3 witnesses/);
    expect(stdout.match(/EXCURSION/g)).toHaveLength(1);
    expect(stdout).toMatch(/verdict {7}VERIFIED \(10 steps/);
    expect(stdout).toMatch(/disposition {3}30 min out of range \(peak 9\.7 °C\)/);
    expect(stdout).toMatch(/log audit {5}verifyLog: 41 entries re-checked .* … ok/);
  }, 60_000);

  it('--no-excursion: no flag, fit to dispense', async () => {
    const { code, stdout } = await run(['--no-excursion', '--seed', '9']);
    expect(code).toBe(0);
    expect(stdout).not.toMatch(/EXCURSION/);
    expect(stdout).toMatch(/seed 9 · without a reefer excursion/);
    expect(stdout).toMatch(/0 re-derived from the readings = 0 flagged/);
    expect(stdout).toMatch(/disposition {3}every reading within 2–8 °C .* fit to dispense/);
  }, 60_000);

  it('--data DIR keeps the log in files and writes the vial history; a second run refuses the used directory', async () => {
    const data = join(dir, 'run');
    const first = await run(['--data', data]);
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(new RegExp(`\\(${data.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}/ledger\\)`));
    expect(first.stdout).toMatch(
      /healthit-verify-bundle .*reading-provenance\.json --log-key ledger\.example\.org\/cold-chain\+/,
    );
    const history = JSON.parse(await readFile(join(data, 'vial-history.json'), 'utf8')) as { format: string };
    expect(history.format).toBe(VIAL_HISTORY_FORMAT);
    const consortium = createConsortium({ seed: 42, validFrom: Date.UTC(2026, 1, 1) });
    expect(verifyVialHistory(history, { logKey: consortium.logVkey, policy: consortium.policy }).ok).toBe(
      true,
    );

    const second = await run(['--data', data]);
    expect(second.code).toBe(2);
    expect(second.stderr).toMatch(/already holds a log of 41 entries; use an empty --data directory/);
  }, 60_000);

  it('refuses a bad option with exit 2 and the usage', async () => {
    const { code, stderr } = await run(['--seed', 'x']);
    expect(code).toBe(2);
    expect(stderr).toMatch(/--seed must be an integer in 0\.\.4294967295, got "x"/);
    expect(stderr).toMatch(/Usage: healthit-cold-chain/);
  }, 30_000);
});

describe('parseArgs', () => {
  it('reads the options and their defaults', () => {
    expect(parseArgs([])).toEqual({ seed: 42, excursion: true, help: false });
    expect(parseArgs(['--data', 'd', '--seed', '7', '--no-excursion'])).toEqual({
      data: 'd',
      seed: 7,
      excursion: false,
      help: false,
    });
    expect(parseArgs(['--help']).help).toBe(true);
  });

  it('refuses unknown options, missing values and bad seeds', () => {
    for (const argv of [
      ['--bogus'],
      ['--data'],
      ['--data', '--seed'],
      ['--seed', '-1'],
      ['--seed', '4294967296'],
      ['--seed', '1.5'],
    ]) {
      expect(() => parseArgs(argv)).toThrow(UsageError);
    }
  });
});
