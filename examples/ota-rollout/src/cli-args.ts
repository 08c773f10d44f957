import { type ParseArgsConfig, parseArgs as parseCommandLine } from 'node:util';

/** The command line of `healthit-ota-rollout`. */
export interface OtaArgs {
  readonly devices: number;
  readonly seed: number;
  /** The release carries the faulty sensor driver for rev-b (default true). */
  readonly fault: boolean;
  readonly json: boolean;
  readonly help: boolean;
}

/** What `healthit-ota-rollout --help` prints. */
export const USAGE = `Usage: healthit-ota-rollout [--devices N] [--seed N] [--no-fault] [--json]

Rolls a firmware release out to simulated pulse oximeters behind two gateways: TUF image repository
and Uptane director, SUIT manifests, a release authorised by the manufacturer and the hospital in a
witnessed transparency log, signed commands and reports, and a staged campaign (waves 1, 10, 50,
100 %). By default the new firmware's SpO2 driver fails the self-test on hardware rev-b: those
devices roll back and the campaign aborts itself. At the end the fleet is checked for consistency.

  --devices N   devices in the fleet, 10..2000 (default 200)
  --seed N      seed of the fleet, keys and wave order, 0..4294967295 (default 1)
  --no-fault    a good release: the campaign completes
  --json        print the summary as JSON
  --help        this text

Exit status: 0 the fleet is consistent, 1 it is not (or the run failed), 2 usage error.`;

/** A command line that cannot be run. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** The options as `node:util` parses them, strictly; its errors become {@link UsageError}s. */
function read<T extends ParseArgsConfig['options']>(argv: readonly string[], options: T) {
  try {
    return parseCommandLine({ args: [...argv], options, strict: true, allowPositionals: false }).values;
  } catch (e) {
    throw new UsageError(e instanceof Error ? e.message : String(e));
  }
}

function integer(arg: string, text: string, min: number, max: number): number {
  const n = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(n) || n < min || n > max)
    throw new UsageError(`${arg} must be an integer in ${min}..${max}, got "${text}"`);
  return n;
}

/**
 * Parses the command line (`process.argv.slice(2)`).
 * @throws {UsageError} for an unknown option, a missing value or a number out of range.
 */
export function parseArgs(argv: readonly string[]): OtaArgs {
  const v = read(argv, {
    devices: { type: 'string' },
    seed: { type: 'string' },
    'no-fault': { type: 'boolean' },
    json: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  });
  return {
    devices: v.devices === undefined ? 200 : integer('--devices', v.devices, 10, 2000),
    seed: v.seed === undefined ? 1 : integer('--seed', v.seed, 0, 0xffff_ffff),
    fault: v['no-fault'] !== true,
    json: v.json === true,
    help: v.help === true,
  };
}
