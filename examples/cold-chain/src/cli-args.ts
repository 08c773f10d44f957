import { type ParseArgsConfig, parseArgs as parseCommandLine } from 'node:util';

/** The command line of `healthit-cold-chain`. */
export interface ColdChainArgs {
  /** Keep the log (and the written bundles) in this directory; default: the log in memory. */
  readonly data?: string;
  readonly seed: number;
  readonly excursion: boolean;
  readonly help: boolean;
}

/** What `healthit-cold-chain --help` prints. */
export const USAGE = `Usage: healthit-cold-chain [--data DIR] [--seed N] [--no-excursion]

Runs a drug shipment from manufacturer to freight to pharmacy on the permissioned transparency log,
in virtual time, then verifies one vial's full history offline.

  --data DIR       keep the log in DIR/ledger (append-only files) and write DIR/vial-history.json and
                   DIR/reading-provenance.json; DIR/ledger must be empty (default: the log in memory)
  --seed N         seed of the keys and the loggers' noise, 0..4294967295 (default 42)
  --no-excursion   the reefer truck keeps its temperature (no excursion)
  --help           this text

Exit status: 0 everything verified, 1 a verification failed, 2 usage error.`;

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

/**
 * Parses the command line (`process.argv.slice(2)`).
 * @throws {UsageError} for an unknown option, a missing value or a seed that is not an integer in range.
 */
export function parseArgs(argv: readonly string[]): ColdChainArgs {
  const v = read(argv, {
    data: { type: 'string' },
    seed: { type: 'string' },
    'no-excursion': { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  });
  let seed = 42;
  if (v.seed !== undefined) {
    seed = Number(v.seed);
    if (!/^\d+$/.test(v.seed) || !Number.isSafeInteger(seed) || seed > 0xffff_ffff) {
      throw new UsageError(`--seed must be an integer in 0..4294967295, got "${v.seed}"`);
    }
  }
  return {
    ...(v.data === undefined ? {} : { data: v.data }),
    seed,
    excursion: v['no-excursion'] !== true,
    help: v.help === true,
  };
}
