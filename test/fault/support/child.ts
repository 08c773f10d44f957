/**
 * Runs a fixture script of `test/fault/fixtures/` as a child process (node with tsx as a loader and
 * the `@healthit/source` condition, so the workspace packages load from `src/`), reading one JSON
 * object per stdout line.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = join(HERE, '..', '..', '..');
export const FIXTURES = join(HERE, '..', 'fixtures');

/** A running fixture. */
export interface FixtureRun<L> {
  readonly child: ChildProcess;
  /** Every line so far, parsed. */
  readonly lines: L[];
  /** Resolves with the first line (already seen or to come) that satisfies `predicate`. */
  until(predicate: (line: L) => boolean, timeoutMs?: number): Promise<L>;
  /** Resolves when the process has exited. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** What it wrote on stderr (the first 50 000 characters). */
  stderr(): string;
}

/** Starts `fixtures/<name>.ts` with `env` added to this process's environment. */
export function runFixture<L>(name: string, env: Record<string, string>): FixtureRun<L> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', '--conditions=@healthit/source', join(FIXTURES, `${name}.ts`)],
    { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (c: string) => {
    if (stderr.length < 50_000) stderr += c;
  });
  const lines: L[] = [];
  const waiters = new Set<{ predicate: (l: L) => boolean; resolve: (l: L) => void }>();
  createInterface({ input: child.stdout! }).on('line', (text) => {
    let line: L;
    try {
      line = JSON.parse(text) as L;
    } catch {
      stderr += `(stdout, not JSON) ${text}\n`;
      return;
    }
    lines.push(line);
    for (const w of [...waiters]) {
      if (w.predicate(line)) {
        waiters.delete(w);
        w.resolve(line);
      }
    }
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  return {
    child,
    lines,
    exited,
    stderr: () => stderr,
    until(predicate, timeoutMs = 20_000) {
      const seen = lines.find(predicate);
      if (seen !== undefined) return Promise.resolve(seen);
      return new Promise<L>((resolve, reject) => {
        const entry = {
          predicate,
          resolve: (l: L) => {
            clearTimeout(timer);
            resolve(l);
          },
        };
        const timer = setTimeout(() => {
          waiters.delete(entry);
          reject(new Error(`${name}: no matching line within ${timeoutMs} ms\n${stderr}`));
        }, timeoutMs);
        waiters.add(entry);
        void exited.then(({ code, signal }) =>
          setTimeout(() => {
            if (!waiters.has(entry)) return;
            waiters.delete(entry);
            clearTimeout(timer);
            reject(new Error(`${name} exited (${code ?? signal}) before a matching line\n${stderr}`));
          }, 200),
        );
      });
    },
  };
}

/** Kills a fixture still running (cleanup after a failed test). */
export function killFixture(run: FixtureRun<unknown> | undefined): void {
  const c = run?.child;
  if (c !== undefined && c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
}
