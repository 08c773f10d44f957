import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { isHealthItError } from '@healthit/core';
import { createObservations } from './fhir.js';
import { type JsonValue, parseJsonText } from './json.js';
import { type LintFinding, lintTemplates } from './lint.js';
import {
  type ContentTemplateSet,
  type FhirTemplateSet,
  loadContentTemplates,
  loadFhirTemplates,
} from './load.js';
import { type NormalizedMeasurement, normalizeMessage } from './normalize.js';
import { measurementsToReadings } from './readings.js';

/** Where the CLI reads and writes; injectable for tests. */
export interface CliIo {
  /**
   * Receives the output: the `--help` text, or the findings, measurements, Observations and readings
   * (one document with `--json`). Without an `io`, `process.stdout`.
   */
  readonly stdout: (text: string) => void;
  /** Receives usage and error messages. Without an `io`, `process.stderr`. */
  readonly stderr: (text: string) => void;
  /**
   * Reads a template or message file as UTF-8 text, throwing when it cannot. Without an `io`,
   * `fs.readFileSync`.
   */
  readonly readFile: (path: string) => string;
  /** Clock for `Observation.issued`; the system clock when absent. */
  readonly now?: () => Date;
}

/** Exit codes of {@link main}. */
export const EXIT = {
  ok: 0,
  /** Templates refused, or a message could not be normalised or mapped, or (with --strict) lint warnings. */
  failed: 1,
  usage: 2,
} as const;

/** The `--help` text of `healthit-iomt-fhir`: synopsis, options and exit codes. */
export const USAGE = `Usage: healthit-iomt-fhir --device <devicecontent.json> [--fhir <fhirmapping.json>] [options] <message.json>...

Dry-runs Azure MedTech / iomt-fhir templates against sample device messages: prints lint findings,
the normalised measurements, the FHIR R4 Observations and the core Readings.

  -d, --device <file>   device-content template (CollectionContent or a single content template)
  -f, --fhir <file>     FHIR mapping template (CollectionFhir or a single CodeValueFhir)
      --faithful        write Observations exactly as iomt-fhir does (no LOINC/UCUM corrections)
      --json            one JSON document instead of text
      --strict          exit 1 on lint warnings too
  -h, --help            this text

Exit code: 0 ok; 1 templates refused, a message failed, or (--strict) lint warnings; 2 usage error.
`;

const defaultIo: CliIo = {
  stdout: (t) => process.stdout.write(t),
  stderr: (t) => process.stderr.write(t),
  readFile: (p) => readFileSync(p, 'utf8'),
};

function formatFinding(f: LintFinding): string {
  const fix = f.fix === undefined ? '' : `\n    fix: ${f.fix.description}`;
  return `  ${f.severity} ${f.rule} ${f.location.set} #${f.location.index} (${f.location.typeName}) ${f.location.path}\n    ${f.message}${fix}\n`;
}

/**
 * The `healthit-iomt-fhir` command. Never throws for bad input: problems are printed and reflected
 * in the exit code ({@link EXIT}).
 *
 * @example
 * ```sh
 * healthit-iomt-fhir --device devicecontent.json --fhir fhirmapping.json message1.json message2.json
 * ```
 */
export async function main(argv: readonly string[], io: CliIo = defaultIo): Promise<number> {
  let args: ReturnType<typeof parse>;
  function parse() {
    return parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: {
        device: { type: 'string', short: 'd' },
        fhir: { type: 'string', short: 'f' },
        faithful: { type: 'boolean', default: false },
        json: { type: 'boolean', default: false },
        strict: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  }
  try {
    args = parse();
  } catch (e) {
    io.stderr(`${(e as Error).message}\n\n${USAGE}`);
    return EXIT.usage;
  }
  const { values, positionals } = args;
  if (values.help) {
    io.stdout(USAGE);
    return EXIT.ok;
  }
  if (values.device === undefined) {
    io.stderr(`--device is required\n\n${USAGE}`);
    return EXIT.usage;
  }

  let content: ContentTemplateSet;
  let fhir: FhirTemplateSet | undefined;
  const messages: { source: string; message: JsonValue }[] = [];
  try {
    content = loadContentTemplates(io.readFile(values.device), { source: values.device });
    if (values.fhir !== undefined)
      fhir = loadFhirTemplates(io.readFile(values.fhir), { source: values.fhir });
    for (const p of positionals) messages.push({ source: p, message: parseJsonText(io.readFile(p), p) });
  } catch (e) {
    if (isHealthItError(e)) {
      io.stderr(`error: ${e.message}\n`);
      return EXIT.failed;
    }
    io.stderr(`error: ${(e as Error).message}\n`);
    return EXIT.failed;
  }

  const lint = lintTemplates({
    content,
    ...(fhir === undefined ? {} : { fhir }),
    samples: messages.map((m) => m.message),
  });
  const perMessage = messages.map(({ source, message }) => ({
    source,
    ...normalizeMessage(content, message),
  }));
  const measurements: NormalizedMeasurement[] = perMessage.flatMap((m) => [...m.measurements]);
  const mode = values.faithful ? 'faithful' : 'standard';
  const mapped =
    fhir === undefined
      ? undefined
      : createObservations(measurements, fhir, {
          corrections: mode,
          ...(io.now === undefined ? {} : { now: io.now }),
        });
  const readings =
    fhir === undefined ? undefined : measurementsToReadings(measurements, fhir, { corrections: mode });
  const failures =
    perMessage.reduce((n, m) => n + m.errors.length, 0) +
    (mapped?.errors.length ?? 0) +
    (values.strict ? lint.length : 0);

  if (values.json) {
    io.stdout(
      `${JSON.stringify(
        {
          lint,
          messages: perMessage.map((m) => ({
            source: m.source,
            measurements: m.measurements,
            errors: m.errors.map((e) => ({
              templateIndex: e.templateIndex,
              typeName: e.typeName,
              error: e.error.toJSON(),
            })),
          })),
          ...(mapped === undefined
            ? {}
            : {
                observations: mapped.observations,
                observationErrors: mapped.errors.map((e) => ({ ...e, error: e.error.toJSON() })),
                corrections: mapped.corrections,
              }),
          ...(readings === undefined
            ? {}
            : { readings: readings.readings, skippedReadings: readings.skipped }),
        },
        null,
        2,
      )}\n`,
    );
  } else {
    io.stdout(`# lint: ${lint.length} finding(s)\n${lint.map(formatFinding).join('')}`);
    for (const m of perMessage) {
      io.stdout(
        `# ${m.source}: ${m.measurements.length} measurement(s)\n${JSON.stringify(m.measurements, null, 2)}\n`,
      );
      for (const e of m.errors)
        io.stdout(`  error: template #${e.templateIndex} (${e.typeName}): ${e.error.message}\n`);
    }
    if (mapped !== undefined) {
      io.stdout(
        `# observations (${mode}): ${mapped.observations.length}\n${JSON.stringify(mapped.observations, null, 2)}\n`,
      );
      for (const e of mapped.errors)
        io.stdout(`  error: ${e.typeName} (${e.deviceId}): ${e.error.message}\n`);
      for (const c of mapped.corrections)
        io.stdout(`  corrected: ${c.location.path}: ${c.fix?.description ?? ''}\n`);
    }
    if (readings !== undefined) {
      io.stdout(`# readings: ${readings.readings.length}\n${JSON.stringify(readings.readings, null, 2)}\n`);
      for (const s of readings.skipped)
        io.stdout(`  not a reading: ${s.measurement.type}.${s.valueName}: ${s.reason}\n`);
    }
  }
  return failures > 0 ? EXIT.failed : EXIT.ok;
}
