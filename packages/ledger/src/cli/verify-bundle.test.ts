import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatVerifierKey, SignatureTypes } from '../note/index.js';
import { type AnchoredBundle, anchoredBundle } from '../provenance/test-fixtures/bundle.js';
import { logKey } from '../provenance/test-fixtures/stack.js';
import { type CommandIo, runVerifyBundle } from './verify-bundle-command.js';

const ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../../..');
const CLI = 'packages/ledger/src/cli/verify-bundle.ts';

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Spawns the CLI the way an auditor runs it (from source, through tsx). */
function spawnCli(args: readonly string[]): Promise<Run> {
  return new Promise((done) => {
    execFile(
      process.execPath,
      ['--conditions=@healthit/source', '--import', 'tsx', CLI, ...args],
      { cwd: ROOT, timeout: 30_000 },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : -1;
        done({ code, stdout, stderr });
      },
    );
  });
}

/** Runs the command in-process with captured output. */
async function runInProcess(args: readonly string[]): Promise<Run> {
  const out: string[] = [];
  const err: string[] = [];
  const io: CommandIo = {
    readFile: (path) => readFile(path),
    out: (line) => out.push(line),
    err: (line) => err.push(line),
  };
  const code = await runVerifyBundle(args, io);
  return { code, stdout: out.join('\n'), stderr: err.join('\n') };
}

let dir: string;
let a: AnchoredBundle;
let good: string;
let tampered: string;
let garbage: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'verify-bundle-'));
  a = await anchoredBundle({ witnessCount: 2 });
  good = join(dir, 'bundle.json');
  await writeFile(good, JSON.stringify(a.bundle, null, 2));
  tampered = join(dir, 'tampered.json');
  const copy = JSON.parse(JSON.stringify(a.bundle));
  copy.reading.value += 1;
  await writeFile(tampered, JSON.stringify(copy));
  garbage = join(dir, 'garbage.json');
  await writeFile(garbage, '{"format":');
});

afterAll(async () => {
  await a.stack.log.close();
  await rm(dir, { recursive: true, force: true });
});

function keys(): string[] {
  const [w1, w2] = a.stack.witnessVkeys as [string, string];
  return ['--log-key', a.stack.logVkey, '--witness', w1, '--witness', w2];
}

describe('healthit-verify-bundle (spawned)', () => {
  it('exit 0 for a valid bundle, naming the reading and the log', async () => {
    const run = await spawnCli([good, ...keys(), '--witnesses-required', '2']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('VALID: reading mon-7:3');
    expect(run.stdout).toContain('cosigned by witness.example/w1, witness.example/w2');
  });

  it('exit 1 for a tampered bundle, printing the failing step', async () => {
    const run = await spawnCli([tampered, ...keys()]);
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/^INVALID at step reading-inclusion: /);
  });

  it('exit 2 for a usage error', async () => {
    const run = await spawnCli([good]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--log-key is required');
  });
});

describe('healthit-verify-bundle (in process)', () => {
  it('exit 1 when fewer witnesses than required cosigned, or the log key is another one', async () => {
    const [w1] = a.stack.witnessVkeys as [string];
    const stranger = formatVerifierKey(
      'witness.example/w9',
      logKey(60).signer.publicKey,
      SignatureTypes.cosignatureV1,
    );
    const below = await runInProcess([
      good,
      '--log-key',
      a.stack.logVkey,
      '--witness',
      w1,
      '--witness',
      stranger,
    ]);
    expect(below.code).toBe(1);
    expect(below.stdout).toMatch(/^INVALID at step witnesses: 1 of the required 2/);
    const other = await runInProcess([good, '--log-key', logKey(41).vkey]);
    expect(other.code).toBe(1);
    expect(other.stdout).toMatch(/^INVALID at step checkpoint-signature: /);
  });

  it('exit 0 with 1 of 2 witnesses required; --json prints the verdict', async () => {
    const run = await runInProcess([good, ...keys(), '--witnesses-required', '1', '--json']);
    expect(run.code).toBe(0);
    const verdict = JSON.parse(run.stdout);
    expect(verdict).toMatchObject({
      ok: true,
      receipt: { index: a.index },
      checkpoint: { size: a.stack.log.size },
    });
  });

  it('exit 1 for a file that is not JSON; --json on failure', async () => {
    const run = await runInProcess([garbage, ...keys(), '--json']);
    expect(run.code).toBe(1);
    expect(JSON.parse(run.stdout)).toMatchObject({ ok: false, step: 'bundle' });
  });

  it.each([
    [[], 'exactly one bundle file'],
    [['a.json', 'b.json', '--log-key', 'k'], 'exactly one bundle file'],
    [['--log-key'], 'argument missing'],
    [['x.json', '--log-key', 'k', '--bogus'], 'Unknown option'],
    [['x.json', '--log-key', 'k', '--witnesses-required', 'two'], '--witnesses-required must be a count'],
    [['/nonexistent/bundle.json', '--log-key', 'k'], 'cannot read'],
  ])('exit 2 for %j', async (args, message) => {
    const run = await runInProcess(args);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(message);
  });

  it('exit 2 for a malformed key or a threshold above the witnesses given', async () => {
    expect((await runInProcess([good, '--log-key', 'not-a-key'])).code).toBe(2);
    const run = await runInProcess([good, ...keys(), '--witnesses-required', '3']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('witnessThreshold');
  });

  it('--help prints the usage and exits 0', async () => {
    const run = await runInProcess(['--help']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('usage: healthit-verify-bundle');
  });
});
