/**
 * What the load benchmarks share: the simulated fleet (a child process publishing through
 * Mosquitto, or a timer publishing in-process), child processes that report JSON, memory after GC
 * and latency percentiles.
 */
import { type ChildProcessByStdio, spawn } from 'node:child_process';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import type { Transport } from '@healthit/core';
import { deviceMessage } from './device-message.js';

export const MQTT_URL = 'mqtt://127.0.0.1:1883';
export const NATS_URL = 'nats://127.0.0.1:4222';
export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** `--name value` of the command line as a number, or `fallback`. */
export function numberArg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return fallback;
  const value = Number(process.argv[i + 1]);
  if (!Number.isFinite(value)) throw new Error(`--${name} needs a number, got ${process.argv[i + 1]}`);
  return value;
}

/** The simulated devices (`--devices`, default 10 000), each publishing one reading per second. */
export const DEVICES = numberArg('devices', 10_000);

/** `--name value` of the command line as a string, or undefined. */
export function stringArg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i < 0 ? undefined : process.argv[i + 1];
}

/** This process's node options (the TypeScript loader, conditions), with `--expose-gc`, for children. */
export function nodeArgs(): string[] {
  return process.execArgv.includes('--expose-gc')
    ? [...process.execArgv]
    : [...process.execArgv, '--expose-gc'];
}

/** What the fleet publisher reported when it stopped. */
export interface FleetResult {
  readonly published: number;
  readonly failed: number;
  readonly seconds: number;
  /** Readings published per second, on average. */
  readonly rate: number;
}

export interface Fleet {
  /** Resolves once the publisher is connected and starts publishing. */
  readonly ready: Promise<void>;
  /** Stops the publisher (SIGTERM) and resolves with what it published. */
  stop(): Promise<FleetResult>;
}

/** Lines a child prints on stdout, parsed as JSON as they come. */
function jsonLines(
  child: ChildProcessByStdio<null, Readable, null>,
  onLine: (value: Record<string, unknown>) => void,
): void {
  let buffered = '';
  child.stdout.on('data', (d: Buffer) => {
    buffered += d.toString();
    for (let nl = buffered.indexOf('\n'); nl >= 0; nl = buffered.indexOf('\n')) {
      const line = buffered.slice(0, nl).trim();
      buffered = buffered.slice(nl + 1);
      if (line.startsWith('{')) onLine(JSON.parse(line) as Record<string, unknown>);
      else if (line !== '') console.log(line);
    }
  });
}

/**
 * Starts `devices` simulated devices publishing one reading per second each to `url` in a child
 * process (`fleet-publisher.ts`), until `stop()` (or for `seconds` when given).
 */
export function startFleet(url = MQTT_URL, devices = DEVICES, seconds = 0): Fleet {
  const script = fileURLToPath(new URL('./fleet-publisher.ts', import.meta.url));
  const child = spawn(
    process.execPath,
    [...process.execArgv, script, url, String(devices), String(seconds)],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  let result: FleetResult | undefined;
  let markReady: () => void = () => {};
  let failReady: (e: Error) => void = () => {};
  const ready = new Promise<void>((resolve, reject) => {
    markReady = resolve;
    failReady = reject;
  });
  jsonLines(child, (value) => {
    if (value.ready === true) markReady();
    else result = value as unknown as FleetResult;
  });
  const exited = new Promise<void>((resolve, reject) => {
    child.on('exit', (code) => {
      failReady(new Error(`the fleet publisher exited (${code}) before it was ready`));
      if (code === 0 && result !== undefined) resolve();
      else reject(new Error(`the fleet publisher exited with ${code}`));
    });
  });
  exited.catch(() => {}); // reported by stop()
  return {
    ready,
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
      return result as FleetResult;
    },
  };
}

/**
 * Runs `script` (a TypeScript file next to this one) in a child process with `--expose-gc` and
 * resolves with the last JSON object it printed; rejects when it exits non-zero.
 */
export function runJsonChild(script: string, args: readonly string[]): Promise<Record<string, unknown>> {
  const path = fileURLToPath(new URL(script, import.meta.url));
  const child = spawn(process.execPath, [...nodeArgs(), path, ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let last: Record<string, unknown> | undefined;
  jsonLines(child, (value) => {
    last = value;
  });
  return new Promise((resolve, reject) => {
    child.on('exit', (code) => {
      if (code === 0 && last !== undefined) resolve(last);
      else reject(new Error(`${script} exited with ${code}`));
    });
  });
}

/** A full garbage collection (twice, with a turn of the event loop between), then heap and RSS in bytes. */
export async function memoryAfterGc(): Promise<{ heap: number; rss: number }> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) throw new Error('run with --expose-gc');
  gc();
  await sleep(20);
  gc();
  const m = process.memoryUsage();
  return { heap: m.heapUsed, rss: m.rss };
}

/**
 * `devices` simulated devices publishing on an in-process transport at `rate` readings/s in all
 * (every 10 ms, the readings due by then: a late timer catches up). Returns how to stop it and
 * how many it published.
 */
export function inProcessFleet(
  transport: Transport,
  devices = DEVICES,
  rate = devices,
): { stop: () => void; published: () => number; seconds: () => number } {
  const t0 = Date.now();
  const start = performance.now();
  let published = 0;
  let stoppedAt: number | undefined;
  const maxPerTick = Math.ceil(rate / 10);
  const timer = setInterval(() => {
    const due = Math.min(Math.floor(((performance.now() - start) * rate) / 1000), published + maxPerTick);
    for (; published < due; published++) {
      const m = deviceMessage(
        published % devices,
        Math.floor(published / devices),
        t0 + Math.floor((published * 1000) / rate),
      );
      void transport.publish(m.topic, m.bytes);
    }
  }, 10);
  return {
    stop: () => {
      clearInterval(timer);
      stoppedAt ??= performance.now();
    },
    published: () => published,
    seconds: () => ((stoppedAt ?? performance.now()) - start) / 1000,
  };
}
