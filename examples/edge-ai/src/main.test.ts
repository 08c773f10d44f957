import { describe, expect, it } from 'vitest';
import { runExample } from '../../../test/support/run-example.js';
import { parseArgs, UsageError } from './cli-args.js';

const MAIN = 'examples/edge-ai/src/main.ts';

/** Runs the command from source, as `node examples/edge-ai/dist/main.js` runs it from dist. */
const run = (args: readonly string[]) => runExample(MAIN, args);

describe('healthit-edge-ai', () => {
  it('prints the loop and a summary with the AUROC before the shift, after it and after the retrain, and exits 0', async () => {
    const { code, stdout, stderr } = await run([
      '--duration',
      '14h',
      '--shift-at',
      '4h',
      '--patients',
      '40',
      '--history-patients',
      '80',
    ]);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toMatch(/healthit-edge-ai · seed 7 · 40 patients per ward · 14 h/);
    expect(stdout).toMatch(/gateway {3}1\.0\.0 loaded, scoring in shadow/);
    expect(stdout).toMatch(/SHIFT {5}the gateway now serves the respiratory ward/);
    expect(stdout).toMatch(/ALARM {5}input drift on 1\.0\.0/);
    expect(stdout).toMatch(/REQUEST {3}retrain deterioration-risk 1\.0\.0/);
    expect(stdout).toMatch(/→ PROMOTE/);
    expect(stdout).toMatch(/approved by biomed-qa-lead → model\.approve #1/);
    expect(stdout).toMatch(
      /gateway {3}1\.1\.0 promoted \(after 240 shadow scores\); 1\.0\.0 kept for rollback/,
    );
    const row = (name: string) =>
      new RegExp(`${name} +[\\d., ]+ +\\w[\\w ]+ward +AUROC (\\d\\.\\d{3})`).exec(stdout)?.[1];
    const [before, after, retrained] = [row('before shift'), row('after shift'), row('after retrain')].map(
      Number,
    );
    expect(before).toBeGreaterThan(after as number);
    expect(retrained).toBeGreaterThan(after as number);
    expect(stdout).toMatch(
      /ledger {11}2 model\.approve entries \(1\.0\.0, 1\.1\.0\), 2 entries, log verified/,
    );
    expect(stdout).toMatch(/RECOVERED {8}AUROC/);
  }, 180_000);

  it('--help prints the usage; a bad option exits 2 with the usage on stderr', async () => {
    const help = await run(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Usage: healthit-edge-ai/);
    const bad = await run(['--shift-at', '20h']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--shift-at must be from 1h to 6h before the end of the run \(24h\)/);
  }, 60_000);
});

describe('parseArgs', () => {
  it('reads durations in hours or minutes and checks every value', () => {
    expect(parseArgs([])).toMatchObject({
      seed: 7,
      hours: 24,
      shiftAtHours: 6,
      patients: 100,
      tamper: false,
    });
    expect(parseArgs(['--duration', '1800m', '--shift-at', '90m', '--seed', '3', '--tamper'])).toMatchObject({
      hours: 30,
      shiftAtHours: 1.5,
      seed: 3,
      tamper: true,
    });
    for (const argv of [
      ['--duration', '100h'],
      ['--duration', 'soon'],
      ['--patients', '5'],
      ['--seed', '-1'],
      ['--shift-at', '3m'],
      ['--duration', '24h', '--shift-at', '19h'],
      ['--seed'],
      ['--colour'],
    ]) {
      expect(() => parseArgs(argv), argv.join(' ')).toThrow(UsageError);
    }
  });
});
