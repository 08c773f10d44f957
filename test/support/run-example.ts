/**
 * Test support: runs an example's command from source in a child process, as
 * `node examples/<name>/dist/main.js` runs it from dist, and collects its exit code and output.
 */
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';

/** The repository root. */
export const REPOSITORY_ROOT = resolve(import.meta.dirname, '../..');

/** What a command printed and how it ended. */
export interface CommandResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs `main` (a path from the repository root, e.g. `examples/cold-chain/src/main.ts`) with
 * `args` under Node with tsx and the `@healthit/source` condition (no build needed).
 */
export function runExample(main: string, args: readonly string[] = []): Promise<CommandResult> {
  const child = spawn(process.execPath, ['--conditions=@healthit/source', '--import', 'tsx', main, ...args], {
    cwd: REPOSITORY_ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  return new Promise((done, fail) => {
    child.on('error', fail);
    child.on('close', (code) => done({ code, stdout, stderr }));
  });
}
