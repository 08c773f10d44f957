import { type ParseArgsConfig, parseArgs as parseCommandLine } from 'node:util';

/** The command line of `healthit-edge-ai`. */
export interface EdgeAiArgs {
  readonly seed: number;
  /** Gateway run time, hours. */
  readonly hours: number;
  /** When the gateway moves to the respiratory ward, hours after the start. */
  readonly shiftAtHours: number;
  readonly patients: number;
  readonly historyPatients: number;
  readonly tamper: boolean;
  readonly quiet: boolean;
  readonly help: boolean;
}

/** What `healthit-edge-ai --help` prints. */
export const USAGE = `Usage: healthit-edge-ai [--duration 24h] [--shift-at 6h] [--patients N] [--seed N] [--tamper] [--quiet]

Closes the edge-AI loop in simulated time: the platform trains a deterioration-risk model and
deploys it to the gateway (verified, shadow, promoted); the gateway scores and monitors it; the
gateway moves to a respiratory ward; drift and accuracy alarms send a retrain request; the platform
retrains on fresh data, promotes the candidate only if it beats the current model on the same
held-out patients, signs it, records model.approve on the ledger and redeploys it; accuracy recovers.

  --duration D        how long the gateway runs: hours, or 90m / 24h (default 24h, at most 72h)
  --shift-at D        when the gateway moves to the respiratory ward (default 6h; 1h … duration − 6h)
  --patients N        patients in each ward, 20..1000 (default 100)
  --history-patients N  general-ward patients the first model is trained on, 40..2000 (default 150)
  --seed N            seed of the simulation and the demo keys, 0..4294967295 (default 7)
  --tamper            the downlink flips one bit of the first redeployed model (the gateway refuses it)
  --quiet             the summary only
  --help              this text

Exit status: 0 accuracy recovered after the retrain, 1 it did not (or no retrain happened), 2 usage error.`;

/** A command line that cannot be run. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** Hours from `24`, `24h`, `90m`. */
function hoursOf(text: string, what: string): number {
  const m = /^(\d+(?:\.\d+)?)(h|m)?$/.exec(text);
  if (m === null) throw new UsageError(`${what} must be hours (24, 24h) or minutes (90m), got "${text}"`);
  const value = Number(m[1]);
  return m[2] === 'm' ? value / 60 : value;
}

/** The options as `node:util` parses them, strictly; its errors become {@link UsageError}s. */
function read<T extends ParseArgsConfig['options']>(argv: readonly string[], options: T) {
  try {
    return parseCommandLine({ args: [...argv], options, strict: true, allowPositionals: false }).values;
  } catch (e) {
    throw new UsageError(e instanceof Error ? e.message : String(e));
  }
}

function integer(text: string, what: string, min: number, max: number): number {
  const n = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(n) || n < min || n > max) {
    throw new UsageError(`${what} must be an integer in ${min}..${max}, got "${text}"`);
  }
  return n;
}

/**
 * Parses the command line (`process.argv.slice(2)`).
 * @throws {UsageError} for an unknown option, a missing value or a value out of range.
 */
export function parseArgs(argv: readonly string[]): EdgeAiArgs {
  const v = read(argv, {
    duration: { type: 'string' },
    'shift-at': { type: 'string' },
    patients: { type: 'string' },
    'history-patients': { type: 'string' },
    seed: { type: 'string' },
    tamper: { type: 'boolean' },
    quiet: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  });
  const hours = v.duration === undefined ? 24 : hoursOf(v.duration, '--duration');
  const shiftAtHours = v['shift-at'] === undefined ? 6 : hoursOf(v['shift-at'], '--shift-at');
  const seed = v.seed === undefined ? 7 : integer(v.seed, '--seed', 0, 0xffff_ffff);
  const patients = v.patients === undefined ? 100 : integer(v.patients, '--patients', 20, 1000);
  const historyPatients =
    v['history-patients'] === undefined
      ? 150
      : integer(v['history-patients'], '--history-patients', 40, 2000);
  const tamper = v.tamper === true;
  const quiet = v.quiet === true;
  const help = v.help === true;
  if (!(hours > 0 && hours <= 72))
    throw new UsageError(`--duration must be more than 0 and at most 72h, got ${hours}h`);
  if (!(shiftAtHours >= 1 && shiftAtHours <= hours - 6)) {
    throw new UsageError(
      `--shift-at must be from 1h to 6h before the end of the run (${hours}h): the respiratory ward needs time to drift, be retrained on and recover; got ${shiftAtHours}h`,
    );
  }
  for (const [v, what] of [
    [hours, '--duration'],
    [shiftAtHours, '--shift-at'],
  ] as const) {
    if (Math.round(v * 12) !== v * 12) throw new UsageError(`${what} must be a multiple of 5 minutes`);
  }
  return { seed, hours, shiftAtHours, patients, historyPatients, tamper, quiet, help };
}
