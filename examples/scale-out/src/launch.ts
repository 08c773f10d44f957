#!/usr/bin/env node
/**
 * The scale-out launcher: starts the FHIR server, the platform, the gateway and the devices as
 * separate processes on this machine's Mosquitto, NATS JetStream and PostgreSQL, shows what flows
 * once a second, stops them in order after `--duration` or on Ctrl-C (devices first, then each
 * stage once it has everything from the one before), and checks end to end that every reading
 * published was stored exactly once in PostgreSQL and exported to the FHIR server. Exits 0 when
 * the check passes, 1 when it does not, 2 when it could not run (a service down, a process failed).
 *
 * `npm run start:scale-out -- --duration 30 --patients 20`
 */
import { type ChildProcess, fork } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { uplinkStreamName } from '@healthit/core';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect as natsConnect } from '@nats-io/transport-node';
import pg from 'pg';
import { checkServices, ServiceUnavailableError } from './services.js';
import {
  type ChildMessage,
  type Counters,
  type LauncherMessage,
  newRunId,
  type RunNames,
  runNames,
  type ScaleOutConfig,
} from './shared.js';
import { type Verification, verifyRun } from './verify.js';

/** Options of {@link runScaleOut}. */
export interface ScaleOutOptions {
  /** How long the devices publish, ms (default 30 000). */
  readonly durationMs?: number;
  /** Simulated patients (default 20). */
  readonly patients?: number;
  readonly seed?: number;
  /** Time between a device's readings, ms (default 1 000). */
  readonly periodMs?: number;
  readonly mqttUrl?: string;
  readonly natsUrl?: string;
  readonly pgUrl?: string;
  /** Keep the run's PostgreSQL schema and JetStream stream afterwards (default: dropped). */
  readonly keep?: boolean;
  /** Stops the devices early (Ctrl-C); the drain, the check and the summary still come. */
  readonly signal?: AbortSignal;
  /** Told once a second what flowed (default: nothing). */
  readonly onProgress?: (progress: Progress) => void;
  /** Told what the launcher is doing (starting a process, draining one, checking). */
  readonly onStatus?: (text: string) => void;
}

/** The processes of a run. */
export const PROCESSES = ['fhir-server', 'platform', 'gateway', 'devices'] as const;
export type ProcessName = (typeof PROCESSES)[number];

/** What flowed so far, cumulative, and in the last second. */
export interface Progress {
  readonly elapsedMs: number;
  /** Readings the devices published (acknowledged by Mosquitto). */
  readonly published: number;
  /** Readings of records JetStream acknowledged to the gateway. */
  readonly acknowledged: number;
  /** Readings newly committed to PostgreSQL. */
  readonly stored: number;
  /** Observations the FHIR server holds from the export (created or already there). */
  readonly exported: number;
  readonly perSecond: {
    readonly published: number;
    readonly acknowledged: number;
    readonly stored: number;
    readonly exported: number;
  };
}

/** What a run did, and the end-to-end check. */
export interface ScaleOutSummary {
  readonly runId: string;
  readonly names: RunNames;
  readonly patients: number;
  /** How long the devices published, ms; and the whole run, set-up to check. */
  readonly publishMs: number;
  readonly totalMs: number;
  readonly stoppedEarly: boolean;
  /** Each process's final counters. */
  readonly counters: Readonly<Record<ProcessName, Counters>>;
  readonly verification: Verification;
  /** Rates over the run, per second: readings published (while publishing), readings stored and
   * Observations exported (each from the first publish until that stage had everything). */
  readonly rates: { readonly published: number; readonly stored: number; readonly exported: number };
  readonly ok: boolean;
}

/** A process of the run that could not start or failed. */
export class ScaleOutProcessError extends Error {
  override readonly name = 'ScaleOutProcessError';
}

const HERE = fileURLToPath(new URL('.', import.meta.url));
/** Run from `src/` (tests, tsx): children need tsx and the source export condition too. */
const FROM_SOURCE = import.meta.url.endsWith('.ts');

interface Child {
  readonly name: ProcessName;
  readonly process: ChildProcess;
  counters: Counters;
  /** Resolves with the final counters; rejects when the process fails or exits first. */
  readonly done: Promise<Counters>;
  readonly ready: Promise<ChildMessage & { type: 'ready' }>;
  readonly stderr: () => string;
  send(message: LauncherMessage): void;
}

function startChild(name: ProcessName, config: ScaleOutConfig, env: Record<string, string> = {}): Child {
  const file = join(HERE, `${name}${FROM_SOURCE ? '.ts' : '.js'}`);
  const child = fork(file, [], {
    execArgv: FROM_SOURCE ? ['--import', 'tsx', '--conditions=@healthit/source'] : [],
    env: { ...process.env, ...env, SCALE_OUT_CONFIG: JSON.stringify(config) },
    stdio: ['ignore', 'inherit', 'pipe', 'ipc'],
  });
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (text: string) => {
    stderr = (stderr + text).slice(-8_000);
  });
  let onReady: (m: ChildMessage & { type: 'ready' }) => void = () => undefined;
  let onDone: (c: Counters) => void = () => undefined;
  let onFail: (e: Error) => void = () => undefined;
  const ready = new Promise<ChildMessage & { type: 'ready' }>((resolve, reject) => {
    onReady = resolve;
    onFail = reject;
  });
  let failDone: (e: Error) => void = () => undefined;
  const done = new Promise<Counters>((resolve, reject) => {
    onDone = resolve;
    failDone = reject;
  });
  done.catch(() => undefined);
  ready.catch(() => undefined);
  let failure: string | undefined;
  const entry: Child = {
    name,
    process: child,
    counters: {},
    ready,
    done,
    stderr: () => stderr,
    send(message) {
      if (child.connected) child.send(message);
    },
  };
  child.on('message', (m: ChildMessage) => {
    if (m.type === 'ready') onReady(m);
    else if (m.type === 'progress') entry.counters = m.counters;
    else if (m.type === 'done') {
      entry.counters = m.counters;
      onDone(m.counters);
    } else if (m.type === 'failed') failure = m.message;
  });
  child.on('exit', (code, signal) => {
    const why =
      failure ??
      `exited with ${signal ?? `code ${code}`}${stderr.trim() === '' ? '' : `:\n${stderr.trim()}`}`;
    const error = new ScaleOutProcessError(`The ${name} process failed: ${why}`);
    onFail(error);
    failDone(error);
  });
  return entry;
}

async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new ScaleOutProcessError(`${what} took longer than ${ms / 1000} s`)),
          ms,
        );
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

function waitFor(ms: number, signal: AbortSignal | undefined): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve(true);
    const onAbort = () => {
      clearTimeout(timer);
      resolve(true);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve(false);
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Drops the run's schema and stream (best effort: a failure here does not change the result). */
async function cleanUp(config: ScaleOutConfig, names: RunNames): Promise<void> {
  const client = new pg.Client({ connectionString: config.pgUrl, connectionTimeoutMillis: 3_000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query(`DROP SCHEMA IF EXISTS "${names.schema}" CASCADE`);
  } catch {
    // left for the next clean-up
  } finally {
    await client.end().catch(() => undefined);
  }
  try {
    const nc = await natsConnect({ servers: config.natsUrl, timeout: 3_000, reconnect: false });
    try {
      await (await jetstreamManager(nc)).streams.delete(uplinkStreamName(names.site));
    } catch {
      // no stream
    } finally {
      await nc.close();
    }
  } catch {
    // NATS gone
  }
}

/**
 * Runs the scale-out stack: checks the services, starts the four processes (FHIR server,
 * platform, gateway, devices — each ready before the next), lets the devices publish for
 * `durationMs` (or until `signal`), drains the stages in order, checks the run end to end and
 * resolves with the summary. The run's schema, stream, topics, consumer and Observation
 * identifiers are its own (named after its id); the schema and stream are dropped at the end
 * unless `keep`.
 *
 * @throws {ServiceUnavailableError} when Mosquitto, NATS JetStream or PostgreSQL is not usable.
 * @throws {ScaleOutProcessError} when a process fails to start or fails during the run.
 */
export async function runScaleOut(options: ScaleOutOptions = {}): Promise<ScaleOutSummary> {
  const t0 = Date.now();
  const runId = newRunId();
  const names = runNames(runId);
  const status = options.onStatus ?? (() => undefined);
  const config: ScaleOutConfig = {
    runId,
    mqttUrl: options.mqttUrl ?? 'mqtt://127.0.0.1:1883',
    natsUrl: options.natsUrl ?? 'nats://127.0.0.1:4222',
    pgUrl: options.pgUrl ?? process.env.HEALTHIT_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test',
    patients: options.patients ?? 20,
    seed: options.seed ?? 42,
    periodMs: options.periodMs ?? 1000,
    workDir: await mkdtemp(join(tmpdir(), 'healthit-scale-out-')),
  };
  const durationMs = options.durationMs ?? 30_000;
  const children: Child[] = [];
  const byName = (name: ProcessName) => children.find((c) => c.name === name) as Child;
  let progressTimer: NodeJS.Timeout | undefined;
  try {
    status(`checking Mosquitto ${config.mqttUrl}, NATS ${config.natsUrl}, PostgreSQL ${config.pgUrl}`);
    await checkServices(config);
    await cleanUp(config, names); // "dropped at start": a run id is never reused, but be sure

    // Any child failing from here on ends the run.
    let failed: ((e: Error) => void) | undefined;
    const failure = new Promise<never>((_, reject) => {
      failed = reject;
    });
    failure.catch(() => undefined);
    const start = async (name: ProcessName, env?: Record<string, string>) => {
      status(`starting the ${name} process`);
      const child = startChild(name, config, env);
      children.push(child);
      child.ready.then(
        () => child.done.catch((e: Error) => failed?.(e)),
        (e: Error) => failed?.(e),
      );
      return withTimeout(Promise.race([child.ready, failure]), 60_000, `Starting the ${name} process`);
    };
    // The gateway does not wait for the platform (JetStream keeps its records until the platform
    // consumes them); the devices wait for the gateway's subscription.
    const gatewayReady = start('gateway');
    gatewayReady.catch(() => undefined);
    const fhir = await start('fhir-server');
    const fhirBaseUrl = fhir.baseUrl as string;
    await start('platform', { SCALE_OUT_FHIR_URL: fhirBaseUrl });
    await gatewayReady;
    await start('devices');

    // Publish for the duration, showing progress once a second.
    const publishStart = Date.now();
    let last = { published: 0, acknowledged: 0, stored: 0, exported: 0 };
    let devicesDone = false;
    let storedAllAt: number | undefined;
    const snapshot = () => ({
      published: byName('devices').counters.published ?? 0,
      acknowledged: byName('gateway').counters.ackedReadings ?? 0,
      stored: byName('platform').counters.stored ?? 0,
      exported: byName('platform').counters.exported ?? 0,
    });
    progressTimer = setInterval(() => {
      const now = snapshot();
      if (devicesDone && storedAllAt === undefined && now.stored >= now.published) storedAllAt = Date.now();
      options.onProgress?.({
        elapsedMs: Date.now() - publishStart,
        ...now,
        perSecond: {
          published: now.published - last.published,
          acknowledged: now.acknowledged - last.acknowledged,
          stored: now.stored - last.stored,
          exported: now.exported - last.exported,
        },
      });
      last = now;
    }, 1000);
    const stoppedEarly = await Promise.race([waitFor(durationMs, options.signal), failure]);
    const publishMs = Date.now() - publishStart;

    // Drain in order: each stage is told how much is still to come from the one before.
    status('stopping the devices');
    byName('devices').send({ type: 'drain' });
    const devices = await withTimeout(
      Promise.race([byName('devices').done, failure]),
      30_000,
      'Stopping the devices',
    );
    devicesDone = true;
    status(`draining the gateway (${devices.published} readings published)`);
    byName('gateway').send({ type: 'drain', expect: devices.published ?? 0 });
    const gateway = await withTimeout(
      Promise.race([byName('gateway').done, failure]),
      120_000,
      'Draining the gateway',
    );
    status(`draining the platform (${gateway.acknowledged} records in JetStream)`);
    byName('platform').send({ type: 'drain', expect: gateway.acknowledged ?? 0 });
    const platform = await withTimeout(
      Promise.race([byName('platform').done, failure]),
      120_000,
      'Draining the platform',
    );
    const drainedMs = Date.now() - publishStart;
    clearInterval(progressTimer);

    status('stopping the FHIR server');
    byName('fhir-server').send({ type: 'drain' });
    const fhirCounters = await withTimeout(byName('fhir-server').done, 60_000, 'Stopping the FHIR server');
    status('checking PostgreSQL and the FHIR server end to end');
    const lines = async (file: string) => {
      const text = await readFile(join(config.workDir, file), 'utf8');
      return text === '' ? [] : text.split('\n');
    };
    const verification = await verifyRun({
      publishedIds: await lines('published.txt'),
      pgUrl: config.pgUrl,
      names,
      observationIdentifiers: await lines('observations.txt'),
    });
    const counters = { 'fhir-server': fhirCounters, platform, gateway, devices };
    const clean =
      (gateway.rejected ?? 0) === 0 &&
      (gateway.dropped ?? 0) === 0 &&
      (platform.poison ?? 0) === 0 &&
      (platform.exportFailed ?? 0) === 0 &&
      (devices.failed ?? 0) === 0 &&
      (devices.dropped ?? 0) === 0;
    return {
      runId,
      names,
      patients: config.patients,
      publishMs,
      totalMs: Date.now() - t0,
      stoppedEarly,
      counters,
      verification,
      rates: {
        published: Math.round(((devices.published ?? 0) / publishMs) * 1000),
        stored: Math.round((verification.storedRows / ((storedAllAt ?? Date.now()) - publishStart)) * 1000),
        exported: Math.round(((platform.exported ?? 0) / drainedMs) * 1000),
      },
      ok: verification.ok && clean,
    };
  } finally {
    clearInterval(progressTimer);
    for (const c of children) {
      if (c.process.exitCode === null && c.process.signalCode === null) c.process.kill('SIGTERM');
    }
    if (options.keep !== true) {
      status(`dropping schema ${names.schema} and stream ${uplinkStreamName(names.site)}`);
      await cleanUp(config, names);
    }
    await rm(config.workDir, { recursive: true, force: true });
  }
}

function pad(n: number, width = 7): string {
  return String(n).padStart(width);
}

/** The summary as text: what each stage did and the check, with the verdict last. */
export function formatSummary(s: ScaleOutSummary): string {
  const v = s.verification;
  const { devices, gateway, platform } = s.counters;
  const yes = (ok: boolean) => (ok ? 'ok' : 'FAILED');
  const lines = [
    '',
    `Scale-out run ${s.runId}: ${s.patients} patients, ${devices.devices ?? 0} devices, published for ${(s.publishMs / 1000).toFixed(1)} s${s.stoppedEarly ? ' (stopped early)' : ''}, ${(s.totalMs / 1000).toFixed(1)} s in all`,
    `  devices   ${pad(devices.published ?? 0)} readings published to Mosquitto (QoS 1)   ${devices.failed ?? 0} failed, ${devices.dropped ?? 0} dropped`,
    `  gateway   ${pad(gateway.accepted ?? 0)} readings accepted, ${gateway.rejected ?? 0} rejected, ${gateway.duplicates ?? 0} duplicates; NEWS2 ${gateway.news2 ?? 0} scores, ${gateway.alerts ?? 0} alerts`,
    `            ${pad(gateway.appended ?? 0)} outbox records, ${gateway.acknowledged ?? 0} acknowledged by JetStream (${gateway.ackedReadings ?? 0} readings), ${gateway.pending ?? 0} pending`,
    `  platform  ${pad(platform.messages ?? 0)} JetStream messages, ${platform.acknowledged ?? 0} acknowledged after commit, ${platform.redelivered ?? 0} redelivered, ${platform.poison ?? 0} poison; ${platform.alerts ?? 0} alerts`,
    `            ${pad(platform.stored ?? 0)} readings stored in PostgreSQL (schema ${s.names.schema}), ${platform.storeDuplicates ?? 0} redelivered duplicates absorbed`,
    `            ${pad(platform.exported ?? 0)} Observations exported to FHIR, ${platform.exportFailed ?? 0} failed`,
    '',
    'End-to-end check',
    `  published → PostgreSQL   ${v.published} published, ${v.storedRows} rows: ${v.lost} lost, ${v.storedDuplicates} duplicates, ${v.unexpected} unexpected   ${yes(v.lost === 0 && v.storedDuplicates === 0 && v.unexpected === 0 && v.storedRows === v.published && v.published > 0)}`,
    `  PostgreSQL → FHIR        ${v.observationsExpected} Observations expected (${v.readingsNotMapped} readings without mapping), ${v.observationsOnServer} on the server: ${v.observationsMissing} missing, ${v.observationDuplicates} duplicates   ${yes(v.observationsMissing === 0 && v.observationDuplicates === 0 && v.observationsOnServer === v.observationsExpected && v.readingsNotMapped === 0)}`,
    `  throughput               ${s.rates.published} readings/s published, ${s.rates.stored} readings/s stored, ${s.rates.exported} Observations/s exported (from the first publish until each stage had everything)`,
  ];
  if (v.lostExamples.length > 0) lines.push(`  lost, e.g.               ${v.lostExamples.join(', ')}`);
  lines.push(
    '',
    s.ok
      ? 'OK: every reading published was stored exactly once in PostgreSQL and exported to FHIR.'
      : 'FAILED: see the lines above. Rerun with --keep to inspect the schema and stream (psql, `nats stream info`).',
  );
  return lines.join('\n');
}

function number(value: string | undefined, name: string, fallback: number, min = 1): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n < min)
    throw new RangeError(`--${name} must be a number >= ${min}, got "${value}"`);
  return n;
}

const USAGE = `Usage: npm run start:scale-out -- [options]
  --duration S     how long the devices publish (default 30)
  --patients N     simulated patients (default 20)
  --seed N         simulator seed (default 42)
  --period-ms MS   time between a device's readings (default 1000)
  --mqtt-url URL   Mosquitto (default mqtt://127.0.0.1:1883)
  --nats-url URL   NATS with JetStream (default nats://127.0.0.1:4222)
  --pg-url URL     PostgreSQL (default $HEALTHIT_PG_URL or postgres://postgres@127.0.0.1:5432/test)
  --keep           keep the run's PostgreSQL schema and JetStream stream
  --json           print the summary as JSON`;

/** The command line: progress on stderr, the summary on stdout; exit 0 ok, 1 check failed, 2 could not run. */
export async function main(argv: readonly string[]): Promise<number> {
  let args: ReturnType<typeof parse>;
  const parse = (a: readonly string[]) =>
    parseArgs({
      args: [...a],
      options: {
        duration: { type: 'string' },
        patients: { type: 'string' },
        seed: { type: 'string' },
        'period-ms': { type: 'string' },
        'mqtt-url': { type: 'string' },
        'nats-url': { type: 'string' },
        'pg-url': { type: 'string' },
        keep: { type: 'boolean' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  try {
    args = parse(argv);
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n${USAGE}\n`);
    return 2;
  }
  const v = args.values;
  if (v.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const abort = new AbortController();
  let interrupts = 0;
  const onSigint = () => {
    interrupts += 1;
    if (interrupts === 1) {
      process.stderr.write('\nStopping: draining every stage and checking (Ctrl-C again to quit at once)\n');
      abort.abort();
    } else process.exit(130);
  };
  process.on('SIGINT', onSigint);
  try {
    const summary = await runScaleOut({
      durationMs: number(v.duration, 'duration', 30, 0.1) * 1000,
      patients: number(v.patients, 'patients', 20),
      seed: number(v.seed, 'seed', 42, 0),
      periodMs: number(v['period-ms'], 'period-ms', 1000),
      ...(v['mqtt-url'] === undefined ? {} : { mqttUrl: v['mqtt-url'] }),
      ...(v['nats-url'] === undefined ? {} : { natsUrl: v['nats-url'] }),
      ...(v['pg-url'] === undefined ? {} : { pgUrl: v['pg-url'] }),
      keep: v.keep === true,
      signal: abort.signal,
      onStatus: (text) => process.stderr.write(`· ${text}\n`),
      onProgress: (p) =>
        process.stderr.write(
          `t = ${pad(Math.round(p.elapsedMs / 1000), 3)} s   published ${pad(p.published)} (${pad(p.perSecond.published, 5)}/s)   ` +
            `acked at gateway ${pad(p.acknowledged)} (${pad(p.perSecond.acknowledged, 5)}/s)   ` +
            `stored ${pad(p.stored)} (${pad(p.perSecond.stored, 5)}/s)   exported ${pad(p.exported)} (${pad(p.perSecond.exported, 5)}/s)\n`,
        ),
    });
    process.stdout.write(v.json ? `${JSON.stringify(summary, null, 2)}\n` : `${formatSummary(summary)}\n`);
    return summary.ok ? 0 : 1;
  } catch (e) {
    if (
      e instanceof ServiceUnavailableError ||
      e instanceof ScaleOutProcessError ||
      e instanceof RangeError
    ) {
      process.stderr.write(`\n${e.message}\n`);
      return 2;
    }
    throw e;
  } finally {
    process.off('SIGINT', onSigint);
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exitCode = await main(process.argv.slice(2));
}
