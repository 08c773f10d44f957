/** Starting the platform fixture (`fixtures/platform.ts`) and reading what it reported. */
import type { NatsIngestStats } from '@healthit/platform/nats';
import { type FixtureRun, runFixture } from './child.js';

/** A line the platform fixture prints. */
export type PlatformLine =
  | { readonly type: 'ready' }
  | {
      readonly type: 'committed';
      readonly ids: readonly string[];
      readonly inserted: number;
      readonly duplicates: number;
    }
  | { readonly type: 'refused'; readonly ids: readonly string[]; readonly code: string }
  | {
      readonly type: 'event';
      readonly event: 'store-failed' | 'failed' | 'connection' | 'poison';
      readonly [detail: string]: unknown;
    }
  | { readonly type: 'final'; readonly stored: readonly string[]; readonly stats: NatsIngestStats };

export type PlatformRun = FixtureRun<PlatformLine>;

/** Starts a platform process with the fixture's environment (see `fixtures/platform.ts`). */
export function startPlatform(env: Record<string, string>): PlatformRun {
  return runFixture<PlatformLine>('platform', env);
}

/** The reading ids a platform process committed first, in commit order. */
export function committedIds(run: PlatformRun): string[] {
  return run.lines.flatMap((l) => (l.type === 'committed' ? l.ids : []));
}

/** Readings the store reported as new (inserted), summed over the process's commits. */
export function insertedCount(run: PlatformRun): number {
  return run.lines.reduce((n, l) => n + (l.type === 'committed' ? l.inserted : 0), 0);
}

/** The ids of every reading in an append that rejected. */
export function refusedIds(run: PlatformRun): Set<string> {
  return new Set(run.lines.flatMap((l) => (l.type === 'refused' ? l.ids : [])));
}

/** Stops the process gracefully (SIGTERM) and returns its final report. */
export async function stopPlatform(
  run: PlatformRun,
  timeoutMs = 20_000,
): Promise<PlatformLine & { type: 'final' }> {
  run.child.kill('SIGTERM');
  const line = await run.until((l) => l.type === 'final', timeoutMs);
  const { code } = await run.exited;
  if (code !== 0) throw new Error(`the platform process exited with ${code}\n${run.stderr()}`);
  return line as PlatformLine & { type: 'final' };
}
