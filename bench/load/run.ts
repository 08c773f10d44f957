/**
 * `npm run bench:load` — the gateway under load (issue 4's figures):
 *   1. critical reading → alert latency, p50/p99, in-process and through Mosquitto, while 10 000
 *      simulated devices publish at 1 Hz in the background;
 *   2. 10 000 devices at 1 Hz through one gateway process (devices in a child process, through
 *      Mosquitto): the gateway process's CPU share of one core;
 *   3. with `--soak-minutes N`: heap after GC sampled every 10 s for N minutes at 10 000 readings/s.
 * `--only latency|fleet` runs one part. Needs Mosquitto on 127.0.0.1:1883. Run with `--expose-gc` for the soak.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createInProcessTransport, type Transport } from '@healthit/core';
import { createMqttTransport } from '@healthit/gateway/mqtt';
import { deviceMessage, percentile } from './device-message.js';
import { startPipeline } from './pipeline.js';

const MQTT_URL = 'mqtt://127.0.0.1:1883';
const DEVICES = 10_000;
const arg = (name: string, fallback: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function startFleet(seconds: number): { done: Promise<number> } {
  const script = fileURLToPath(new URL('./fleet-publisher.ts', import.meta.url));
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', script, MQTT_URL, String(DEVICES), String(seconds)],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  let out = '';
  child.stdout.on('data', (d: Buffer) => {
    out += d.toString();
  });
  return {
    done: new Promise((resolve, reject) =>
      child.on('exit', (code) =>
        code === 0
          ? resolve((JSON.parse(out) as { published: number }).published)
          : reject(new Error(`fleet exit ${code}`)),
      ),
    ),
  };
}

/** Fires `samples` critical readings on a probe device, alternating with normal ones, and times each alert. */
async function probeLatency(gatewayTransport: Transport, deviceTransport: Transport, samples: number) {
  const pending = new Map<string, number>();
  const latencies: number[] = [];
  const pipeline = startPipeline(gatewayTransport, DEVICES + 1, (alert) => {
    const t0 = alert.deviceId === undefined ? undefined : pending.get(alert.readingIds[0] ?? '');
    if (t0 !== undefined) latencies.push(performance.now() - t0);
  });
  await sleep(300);
  const probe = DEVICES + 7;
  for (let i = 0; i < samples; i++) {
    const seq = 2 * i;
    const normal = deviceMessage(probe, seq, Date.now(), 97);
    await deviceTransport.publish(normal.topic, normal.bytes, { qos: 1 });
    await sleep(5);
    const critical = deviceMessage(probe, seq + 1, Date.now(), 80);
    pending.set(`sensor-${probe}:${seq + 1}`, performance.now());
    await deviceTransport.publish(critical.topic, critical.bytes, { qos: 1 });
    await sleep(15);
  }
  await sleep(500);
  pipeline.stop();
  latencies.sort((a, b) => a - b);
  return {
    n: latencies.length,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    counters: pipeline.counters,
  };
}

async function inProcessBackground(transport: Transport, seconds: number): Promise<() => void> {
  let tick = 0;
  const t0 = Date.now();
  const timer = setInterval(() => {
    const second = Math.floor(tick / 100);
    if (second >= seconds) return;
    const slice = tick % 100;
    for (let d = slice * 100; d < (slice + 1) * 100; d++) {
      const m = deviceMessage(d, second, t0 + second * 1000);
      void transport.publish(m.topic, m.bytes);
    }
    tick++;
  }, 10);
  return () => clearInterval(timer);
}

const results: Record<string, unknown> = {};
const onlyIndex = process.argv.indexOf('--only');
const only = onlyIndex >= 0 ? process.argv[onlyIndex + 1] : undefined;
const runs = (part: 'latency' | 'fleet') => only === undefined || only === part;

// 1a. In-process latency under a 10 000-device background load.
if (runs('latency')) {
  const transport = createInProcessTransport();
  const stopBackground = await inProcessBackground(transport, 20);
  const r = await probeLatency(transport, transport, arg('samples', 400));
  stopBackground();
  await transport.close();
  results['alert latency in-process (ms)'] = { n: r.n, p50: r.p50.toFixed(3), p99: r.p99.toFixed(3) };
}

// 1b. Through Mosquitto, with the fleet publishing through the same broker.
if (runs('latency')) {
  const fleet = startFleet(15);
  const gatewayTransport = createMqttTransport({ url: MQTT_URL });
  const deviceTransport = createMqttTransport({ url: MQTT_URL });
  const r = await probeLatency(gatewayTransport, deviceTransport, arg('samples', 400));
  await fleet.done;
  await Promise.all([gatewayTransport.close(), deviceTransport.close()]);
  results['alert latency via Mosquitto (ms)'] = { n: r.n, p50: r.p50.toFixed(3), p99: r.p99.toFixed(3) };
}

// 2. CPU share of the gateway process for 10 000 devices at 1 Hz through Mosquitto.
if (runs('fleet')) {
  const seconds = arg('fleet-seconds', 30);
  const transport = createMqttTransport({ url: MQTT_URL });
  const minimal = process.argv.includes('--minimal');
  const pipeline = startPipeline(transport, DEVICES, () => {}, minimal);
  await sleep(500);
  const fleet = startFleet(seconds);
  await sleep(5_000); // warm-up: JIT, series allocation
  const cpu0 = process.cpuUsage();
  const wall0 = performance.now();
  const readings0 = pipeline.counters.readings;
  await sleep((seconds - 10) * 1000);
  const cpu = process.cpuUsage(cpu0);
  const wall = performance.now() - wall0;
  const readings = pipeline.counters.readings - readings0;
  await fleet.done;
  await sleep(1000);
  const published = await fleet.done;
  pipeline.stop();
  await transport.close();
  results[
    `10 000 devices at 1 Hz via Mosquitto (${minimal ? 'acquisition + threshold rule' : 'full pipeline'})`
  ] = {
    cpuShareOfOneCore: `${((100 * (cpu.user + cpu.system)) / 1000 / wall).toFixed(1)} %`,
    readingsPerSecond: Math.round((readings * 1000) / wall),
    published,
    accepted: pipeline.counters.readings,
    events: pipeline.counters.events,
    rssMiB: Math.round(process.memoryUsage().rss / 2 ** 20),
  };
}

// 3. Soak: heap after GC over N minutes at 10 000 readings/s (in-process).
const soakMinutes = arg('soak-minutes', 0);
if (soakMinutes > 0) {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) throw new Error('run with --expose-gc for the soak');
  const transport = createInProcessTransport();
  const pipeline = startPipeline(transport, DEVICES, () => {});
  const stop = await inProcessBackground(transport, soakMinutes * 60);
  const samples: number[] = [];
  for (let s = 0; s < soakMinutes * 6; s++) {
    await sleep(10_000);
    gc();
    samples.push(process.memoryUsage().heapUsed / 2 ** 20);
    console.log(
      `  soak t=${(s + 1) * 10}s heap ${samples.at(-1)?.toFixed(1)} MiB readings ${pipeline.counters.readings}`,
    );
  }
  stop();
  pipeline.stop();
  await transport.close();
  const firstAfterWarmup = samples[Math.min(5, samples.length - 1)] ?? 0;
  results[`soak ${soakMinutes} min at 10 000 readings/s (heap MiB after GC)`] = {
    afterOneMinute: firstAfterWarmup.toFixed(1),
    last: samples.at(-1)?.toFixed(1),
    max: Math.max(...samples).toFixed(1),
    readings: pipeline.counters.readings,
  };
}

console.log(JSON.stringify(results, null, 2));
process.exit(0);
