import type { ChildProcess } from 'node:child_process';

/**
 * Sends `signal` (default SIGTERM) to a child process and resolves once it has exited; resolves at
 * once when there is no child or it has exited already.
 */
export function stopChild(
  child: ChildProcess | undefined,
  signal: NodeJS.Signals = 'SIGTERM',
): Promise<void> {
  if (child === undefined || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.kill(signal);
  });
}
