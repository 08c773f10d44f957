import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..', '..');
const main = join(import.meta.dirname, '..', 'src', 'main.ts');

/** Runs the CLI from source (tsx), as `npm start` runs it from dist. */
function run(args: string[], onStdout?: (text: string, child: ReturnType<typeof spawn>) => void) {
  const child = spawn(process.execPath, ['--import', 'tsx', '--conditions=@healthit/source', main, ...args], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
    onStdout?.(stdout, child);
  });
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('examples/ward CLI', () => {
  it('runs for --duration, prints the live table and a verified summary, and exits 0', async () => {
    const { code, stdout, stderr } = await run(['--patients', '3', '--duration', '3']);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toMatch(/Patient\s+Scenario\s+HR \/min\s+SpO2 %/);
    expect(stdout).toMatch(/patient-003/);
    expect(stdout).toMatch(/stored\s+(\d+) in the platform store/);
    const published = Number(/readings in\s+(\d+)/.exec(stdout)?.[1]);
    const stored = Number(/stored\s+(\d+)/.exec(stdout)?.[1]);
    expect(published).toBeGreaterThan(0);
    expect(stored).toBe(published);
    expect(stdout).toMatch(/ledger verified\s+yes/);
    // The embedded FHIR server: context for NEWS2, and the stored readings as Observations.
    expect(stdout).toMatch(
      /FHIR server\s+embedded R4 at http:\/\/127\.0\.0\.1:\d+\/fhir, seeded with 1 Location, 3 Patient/,
    );
    expect(stdout).toMatch(/NEWS2\s+3\/3 patients scored/);
    const exported =
      /FHIR export\s+(\d+) Observations from (\d+) stored readings: .* (\d+) failed; (\d+) on the server/.exec(
        stdout,
      );
    expect(Number(exported?.[2])).toBe(stored);
    expect(Number(exported?.[3])).toBe(0);
    expect(Number(exported?.[4])).toBe(Number(exported?.[1]));
  }, 60_000);

  it('runs without FHIR with --no-fhir: everyone on SpO2 Scale 1, no export, exits 0', async () => {
    const { code, stdout, stderr } = await run(['--patients', '2', '--duration', '2', '--no-fhir']);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toMatch(/NEWS2\s+2\/2 patients scored .*no FHIR server \(--no-fhir\)/);
    expect(stdout).not.toMatch(/FHIR export/);
    expect(stdout).toMatch(/ledger verified\s+yes/);
  }, 60_000);

  it('stops cleanly on Ctrl-C (SIGINT): drains, verifies, exits 0', async () => {
    let sent = false;
    const { code, stdout, stderr } = await run(['--patients', '2', '--duration', '120'], (text, child) => {
      if (!sent && /t =\s+\d+ s/.test(text)) {
        sent = true;
        child.kill('SIGINT');
      }
    });
    expect(sent).toBe(true);
    expect(code).toBe(0);
    expect(stderr).toMatch(/Stopping/);
    expect(stdout).toMatch(/stopped early/);
    expect(stdout).toMatch(/ledger verified\s+yes/);
  }, 60_000);

  it('without --duration: prints the dashboard URL, serves it until Ctrl-C, then stops cleanly', async () => {
    let checked: Promise<{ page: number; api: number; gateway: number }> | undefined;
    const { code, stdout } = await run(
      ['--patients', '2', '--no-fhir', '--period-ms', '500'],
      (text, child) => {
        const url = /Dashboard\s+(http:\/\/\S+)/.exec(text)?.[1];
        const gateway = /Gateway status\s+(http:\/\/\S+)/.exec(text)?.[1];
        if (checked === undefined && url !== undefined && gateway !== undefined && /t =\s+\d+ s/.test(text)) {
          checked = (async () => {
            const result = {
              page: (await fetch(url)).status,
              api: (await fetch(`${url}api/ward`)).status,
              gateway: (await fetch(gateway)).status,
            };
            child.kill('SIGINT');
            return result;
          })();
        }
      },
    );
    expect(await checked).toEqual({ page: 200, api: 200, gateway: 200 });
    expect(code).toBe(0);
    expect(stdout).toMatch(/until Ctrl-C/);
    expect(stdout).toMatch(/Sign in \(tokens\) nurse \S+ · biomed \S+/);
    expect(stdout).toMatch(/ledger verified\s+yes/);
  }, 60_000);

  it('refuses a bad flag with a clear message and exit code 2', async () => {
    const { code, stderr } = await run(['--patients', '0']);
    expect(code).toBe(2);
    expect(stderr).toMatch(/--patients must be an integer >= 1, got "0"/);
  }, 30_000);
});
