import { parseArgs } from 'node:util';
import { type VerifyProvenanceOptions, verifyProvenanceBundle } from '../provenance/index.js';

/** The largest bundle file read, in bytes (an entry is at most 64 KiB, a note 1 MiB). */
export const MAX_BUNDLE_FILE_BYTES = 4 * 1024 * 1024;

/** Exit codes of `healthit-verify-bundle`. */
export const ExitCodes = { valid: 0, invalid: 1, usage: 2 } as const;

/** One of {@link ExitCodes}. */
export type ExitCode = (typeof ExitCodes)[keyof typeof ExitCodes];

/** What the command does I/O with (the process, or a test double). */
export interface CommandIo {
  /** Reads a file as bytes. */
  readFile(path: string): Promise<Uint8Array>;
  /** Writes a line to standard output. */
  out(line: string): void;
  /** Writes a line to standard error. */
  err(line: string): void;
}

const USAGE = `usage: healthit-verify-bundle <bundle.json> --log-key <vkey> [--witness <vkey>]... [--witnesses-required <k>] [--origin <origin>] [--json]

Verifies a reading's provenance bundle offline: the reading's Merkle proof to its batch root, the
batch entry's Merkle proof to a checkpoint, the log's signature and the witnesses' cosignatures.

  --log-key <vkey>            the log's verifier key (name+keyid+base64), required
  --witness <vkey>            a witness's cosignature verifier key; repeat for each witness
  --witnesses-required <k>    how many of them must have cosigned (default: all)
  --origin <origin>           the log origin the checkpoint must name (default: the log key's name)
  --json                      print the verdict as JSON

exit status: 0 valid, 1 invalid (the failing step is printed), 2 usage error`;

function usage(io: CommandIo, problem: string): ExitCode {
  io.err(`healthit-verify-bundle: ${problem}`);
  io.err(USAGE);
  return ExitCodes.usage;
}

/**
 * Runs `healthit-verify-bundle` with `argv` (the arguments after the program name).
 * Resolves with the exit code: 0 when the bundle verifies, 1 when it does not (or is not JSON),
 * 2 for a usage error (bad or missing option, malformed key, unreadable file).
 */
export async function runVerifyBundle(argv: readonly string[], io: CommandIo): Promise<ExitCode> {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (error) {
    return usage(io, (error as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help === true) {
    io.out(USAGE);
    return ExitCodes.valid;
  }
  if (positionals.length !== 1) return usage(io, 'give exactly one bundle file');
  if (values['log-key'] === undefined) return usage(io, '--log-key is required');
  const witnesses = values.witness ?? [];
  let threshold: number | undefined;
  const required = values['witnesses-required'];
  if (required !== undefined) {
    if (!/^(0|[1-9][0-9]{0,3})$/.test(required))
      return usage(io, `--witnesses-required must be a count, got ${required}`);
    threshold = Number(required);
  }
  const options: VerifyProvenanceOptions = {
    logKey: values['log-key'],
    witnesses,
    ...(threshold === undefined ? {} : { witnessThreshold: threshold }),
    ...(values.origin === undefined ? {} : { origin: values.origin }),
  };
  const path = positionals[0] as string;
  let bytes: Uint8Array;
  try {
    bytes = await io.readFile(path);
  } catch (error) {
    return usage(io, `cannot read ${path}: ${(error as Error).message}`);
  }
  let bundle: unknown;
  if (bytes.length > MAX_BUNDLE_FILE_BYTES) {
    bundle = undefined;
  } else {
    try {
      bundle = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
    } catch (error) {
      return report(io, values.json === true, {
        step: 'bundle',
        reason: `not UTF-8 JSON: ${(error as Error).message}`,
      });
    }
  }
  let verdict: ReturnType<typeof verifyProvenanceBundle>;
  try {
    verdict =
      bundle === undefined
        ? { ok: false, step: 'bundle', reason: `larger than ${MAX_BUNDLE_FILE_BYTES} bytes`, steps: [] }
        : verifyProvenanceBundle(bundle, options);
  } catch (error) {
    return usage(io, (error as Error).message); // a bad key or threshold: the options, not the bundle
  }
  if (verdict.ok) {
    if (values.json === true)
      io.out(
        JSON.stringify({
          ok: true,
          receipt: verdict.receipt,
          checkpoint: verdict.checkpoint,
          witnesses: verdict.witnesses,
          reading: verdict.reading,
        }),
      );
    else {
      const r = verdict.reading;
      io.out(
        `VALID: reading ${r.id} (device ${r.deviceId}, seq ${r.seq}) is anchored in entry ${verdict.receipt.index} ` +
          `of log ${verdict.checkpoint.origin} (checkpoint size ${verdict.checkpoint.size}` +
          `${verdict.witnesses.length > 0 ? `, cosigned by ${verdict.witnesses.join(', ')}` : ''})`,
      );
    }
    return ExitCodes.valid;
  }
  return report(io, values.json === true, verdict);
}

function report(io: CommandIo, json: boolean, failure: { step: string; reason: string }): ExitCode {
  io.out(
    json
      ? JSON.stringify({ ok: false, step: failure.step, reason: failure.reason })
      : `INVALID at step ${failure.step}: ${failure.reason}`,
  );
  return ExitCodes.invalid;
}

function parse(argv: readonly string[]) {
  return parseArgs({
    args: [...argv],
    allowPositionals: true,
    strict: true,
    options: {
      'log-key': { type: 'string' },
      witness: { type: 'string', multiple: true },
      'witnesses-required': { type: 'string' },
      origin: { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}
