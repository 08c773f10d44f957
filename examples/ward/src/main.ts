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
                     [--port N] [--gateway-port N] [--host ADDRESS] [--no-dashboard]

Runs a simulated ward through device → gateway → outbox → uplink → platform → ledger → AI in one
process, serves the platform dashboard and the gateway's status page (their URLs are printed) and
prints a live table once a second. It keeps serving until Ctrl-C; --duration ends the run after
that many seconds (30 by default with --no-dashboard). Then it prints a summary. --port and
--gateway-port choose the ports (default: free ports), --host the dashboard's address (default
127.0.0.1; 0.0.0.0 to open it from a tablet on your network: then it asks for the printed nurse or
biomed token before it shows anything; the gateway page stays on 127.0.0.1). --outbox keeps the gateway's
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
      port: { type: 'string' },
      'gateway-port': { type: 'string' },
      host: { type: 'string' },
      'no-dashboard': { type: 'boolean' },
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
const withDashboard = args.values['no-dashboard'] !== true;
const durationS =
  args.values.duration === undefined && withDashboard
    ? Number.POSITIVE_INFINITY
    : positiveInt('duration', args.values.duration, 30);
const port = positiveInt('port', args.values.port, 0, 0);
const gatewayPort = positiveInt('gateway-port', args.values['gateway-port'], 0, 0);
if (port > 65535 || gatewayPort > 65535) fail('--port and --gateway-port must be at most 65535');
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
const runFor = Number.isFinite(durationS) ? `${durationS} s` : 'until Ctrl-C';
process.stdout.write(`Health-IT SDK · ward quick start · ${patients} patients · ${runFor} · seed ${seed}\n`);
let urls = '';
const summary = await runWard({
  patients,
  durationMs: durationS * 1000,
  seed,
  periodMs,
  ...(args.values['data-dir'] ? { dataDir: args.values['data-dir'] } : {}),
  ...(args.values.outbox ? { outboxPath: args.values.outbox } : {}),
  ...(args.values['no-fhir'] ? { fhir: false as const } : {}),
  ...(withDashboard
    ? {
        dashboard: {
          port,
          gatewayPort,
          ...(args.values.host === undefined ? {} : { host: args.values.host }),
          onReady: (ready) => {
            urls = [
              `Dashboard        ${ready.url}`,
              `Gateway status   ${ready.gatewayUrl}`,
              `Sign in (tokens) nurse ${ready.tokens.nurse} · biomed ${ready.tokens.biomed} (may not acknowledge)`,
            ].join('\n');
            process.stdout.write(`${urls}\n`);
          },
        },
      }
    : {}),
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
    const heading = `${urls === '' ? '' : `${urls}\n`}t = ${(elapsedMs / 1000).toFixed(0).padStart(3)} s ${Number.isFinite(durationS) ? `of ${durationS} s` : '(Ctrl-C to stop)'}`;
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
