/**
 * The ceiling of `bench:load`'s fleet figure: the CPU share of a process that only receives the
 * same 10 000 devices × 1 Hz through mqtt.js (one client, QoS 1 subscription) and counts messages.
 * Run: node --import tsx bench/load/raw-mqtt.ts [seconds]
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { connect } from 'mqtt';

const seconds = Number(process.argv[2] ?? 30);
const client = connect('mqtt://127.0.0.1:1883', { protocolVersion: 5 });
let received = 0;
client.on('message', () => {
  received++;
});
await new Promise<void>((resolve) => client.on('connect', () => resolve()));
await client.subscribeAsync('devices/+/readings', { qos: 1 });
const script = fileURLToPath(new URL('./fleet-publisher.ts', import.meta.url));
const child = spawn(
  process.execPath,
  ['--import', 'tsx', script, 'mqtt://127.0.0.1:1883', '10000', String(seconds)],
  {
    stdio: ['ignore', 'ignore', 'inherit'],
  },
);
await new Promise((r) => setTimeout(r, 5_000));
const cpu0 = process.cpuUsage();
const t0 = performance.now();
const r0 = received;
await new Promise((r) => setTimeout(r, (seconds - 10) * 1000));
const cpu = process.cpuUsage(cpu0);
const wall = performance.now() - t0;
console.log(
  JSON.stringify({
    rawMqttCpuShareOfOneCore: `${((100 * (cpu.user + cpu.system)) / 1000 / wall).toFixed(1)} %`,
    messagesPerSecond: Math.round(((received - r0) * 1000) / wall),
  }),
);
await new Promise((r) => child.on('exit', r));
await client.endAsync();
