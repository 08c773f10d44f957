import type { CampaignStatus } from '@healthit/platform/rollouts';
import { type OtaArgs, parseArgs, USAGE, UsageError } from './cli-args.js';
import { runOtaSimulation } from './simulation.js';
import { formatSummary } from './summary.js';

/** Where the command writes. */
export interface CliIo {
  readonly out: (line: string) => void;
  readonly err: (line: string) => void;
}

/** Runs `healthit-ota-rollout` with `argv`; resolves with the exit status. */
export async function runOtaCli(argv: readonly string[], io: CliIo): Promise<number> {
  let args: OtaArgs;
  try {
    args = parseArgs(argv);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    io.err(`healthit-ota-rollout: ${e.message}`);
    io.err(USAGE);
    return 2;
  }
  if (args.help) {
    io.out(USAGE);
    return 0;
  }
  const started = performance.now();
  try {
    // Progress while it runs (not with --json, whose output is one JSON document).
    const onProgress = (status: CampaignStatus): void => {
      const s = ((performance.now() - started) / 1000).toFixed(1).padStart(5);
      io.out(
        `${s} s  campaign ${status.phase} · wave ${status.wave} of ${status.waveCount} · ` +
          `assigned ${status.assigned} of ${status.population}`,
      );
    };
    const summary = await runOtaSimulation({
      devices: args.devices,
      seed: args.seed,
      fault: args.fault,
      ...(args.json ? {} : { onProgress }),
    });
    const elapsedMs = performance.now() - started;
    if (args.json) io.out(JSON.stringify({ ...summary, elapsedMs: Math.round(elapsedMs) }, null, 2));
    else for (const line of formatSummary(summary, elapsedMs)) io.out(line);
    return summary.consistent ? 0 : 1;
  } catch (e) {
    io.err(
      `healthit-ota-rollout: the run failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`,
    );
    return 1;
  }
}
