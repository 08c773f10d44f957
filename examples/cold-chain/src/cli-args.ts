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

/**
 * Parses the command line (`process.argv.slice(2)`).
 * @throws {UsageError} for an unknown option, a missing value or a seed that is not an integer in range.
 */
export function parseArgs(argv: readonly string[]): ColdChainArgs {
  let data: string | undefined;
  let seed = 42;
  let excursion = true;
  let help = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined || v.startsWith('--')) throw new UsageError(`${arg} needs a value`);
      return v;
    };
    if (arg === '--data') data = value();
    else if (arg === '--seed') {
      const text = value();
      seed = Number(text);
      if (!/^\d+$/.test(text) || !Number.isSafeInteger(seed) || seed > 0xffff_ffff) {
        throw new UsageError(`--seed must be an integer in 0..4294967295, got "${text}"`);
      }
    } else if (arg === '--no-excursion') excursion = false;
    else if (arg === '--help' || arg === '-h') help = true;
    else throw new UsageError(`unknown option "${arg}"`);
  }
  return { ...(data === undefined ? {} : { data }), seed, excursion, help };
}
