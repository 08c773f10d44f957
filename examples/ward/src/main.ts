#!/usr/bin/env node
/**
 * The quick start: `npm start` (or `node examples/ward/dist/main.js --patients 20 --duration 30`).
 */
import { parseArgs } from 'node:util';
import { fhirExported, renderSummary } from './summary.js';
import { renderTable } from './view.js';
import { runWard } from './ward.js';
import { ledgerVerified } from './ward-ledger.js';

const USAGE = `Usage: healthit-ward [--patients N] [--duration SECONDS] [--seed N] [--period-ms MS] [--data-dir DIR] [--outbox FILE] [--no-fhir]

Runs a simulated ward through device → gateway → outbox → uplink → platform → ledger → AI in one
process and prints a live table once a second, then a summary. --outbox keeps the gateway's
store-and-forward outbox in a SQLite file (in memory by default). An embedded FHIR R4 server holds
the ward's clinical record (SpO2 scale and oxygen for NEWS2) and receives the readings as
Observations; --no-fhir runs without it (about 1 s faster to start; everyone on SpO2 Scale 1).
Ctrl-C stops it cleanly (twice: at once).`;

function fail(message: string): never {
  process.stderr.write(`healthit-ward: ${message}\n\n${USAGE}\n`);
  process.exit(2);
}

function positiveInt(name: string, text: string | undefined, fallback: number, min = 1): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isInteger(n) || n < min) fail(`--${name} must be an integer >= ${min}, got "${text}"`);
  return n;
}

let args: ReturnType<typeof parse>;
function parse() {
  return parseArgs({
    options: {
      patients: { type: 'string' },
      duration: { type: 'string' },
      seed: { type: 'string' },
      'period-ms': { type: 'string' },
      'data-dir': { type: 'string' },
      outbox: { type: 'string' },
      'no-fhir': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
}
try {
  args = parse();
} catch (e) {
  fail((e as Error).message);
}
if (args.values.help) {
  process.stdout.write(`${USAGE}\n`);
  process.exit(0);
}

const patients = positiveInt('patients', args.values.patients, 20);
const durationS = positiveInt('duration', args.values.duration, 30);
const seed = positiveInt('seed', args.values.seed, 42, 0);
const periodMs = positiveInt('period-ms', args.values['period-ms'], 1000);
if (patients > 10_000) fail(`--patients must be at most 10000, got ${patients}`);

const controller = new AbortController();
let interrupts = 0;
process.on('SIGINT', () => {
  interrupts += 1;
  if (interrupts > 1) process.exit(130);
  process.stderr.write(
    '\nStopping: draining the pipeline and verifying the ledger (Ctrl-C again to quit at once)…\n',
  );
  controller.abort();
});
process.on('SIGTERM', () => controller.abort());

const tty = process.stdout.isTTY === true;
process.stdout.write(
  `Health-IT SDK · ward quick start · ${patients} patients · ${durationS} s · seed ${seed}\n`,
);
const summary = await runWard({
  patients,
  durationMs: durationS * 1000,
  seed,
  periodMs,
  ...(args.values['data-dir'] ? { dataDir: args.values['data-dir'] } : {}),
  ...(args.values.outbox ? { outboxPath: args.values.outbox } : {}),
  ...(args.values['no-fhir'] ? { fhir: false as const } : {}),
  signal: controller.signal,
  onStatus: (status) => {
    if (status === 'draining')
      process.stdout.write(
        'Stopping the monitors and draining gateway → outbox → uplink → store → ledger…\n',
      );
    if (status === 'verifying')
      process.stdout.write(
        `Verifying the ledger chain and every batch anchor against the store${args.values['no-fhir'] ? '' : ', exporting to FHIR'}…\n`,
      );
  },
  onRefresh: (view, elapsedMs) => {
    const heading = `t = ${(elapsedMs / 1000).toFixed(0).padStart(3)} s of ${durationS} s`;
    const table = renderTable(view, heading);
    process.stdout.write(tty ? `\x1b[H\x1b[2J${table}\n` : `${table}\n\n`);
  },
});
process.stdout.write(`${renderSummary(summary)}\n`);
const ok =
  ledgerVerified(summary.ledger) &&
  summary.notStored === 0 &&
  summary.outbox.pending === 0 &&
  fhirExported(summary);
process.exitCode = ok ? 0 : 1;
