/**
 * The ceiling of `bench:load`'s fleet figures, run as a child for the same seconds as the gateway:
 * a process that only receives the same `--devices` simulated devices at 1 Hz through mqtt.js (one
 * client, QoS 1 subscription, as the gateway's) and counts messages. Prints one JSON object in the
 * shape of `gateway-fleet.ts`: its CPU share of one core, messages per second, and its heap and RSS
 * after GC with the fleet publishing minus the same before the fleet, per device.
 * Run: node --expose-gc --import tsx bench/load/raw-mqtt.ts [--seconds 30] [--warmup-seconds 5]
 */
import { connect } from 'mqtt';
import { DEVICES, MQTT_URL, memoryAfterGc, numberArg, sleep, startFleet } from './fleet.js';

const devices = numberArg('devices', DEVICES);
const seconds = numberArg('seconds', 30);
const warmup = numberArg('warmup-seconds', 5);

const client = connect(MQTT_URL, { protocolVersion: 5 });
let received = 0;
client.on('message', () => {
  received++;
});
await new Promise<void>((resolve) => client.once('connect', () => resolve()));
await client.subscribeAsync('devices/+/readings', { qos: 1 });
const before = await memoryAfterGc();
const fleet = startFleet(MQTT_URL, devices);
await fleet.ready;
await sleep(warmup * 1000);
const cpu0 = process.cpuUsage();
const wall0 = performance.now();
const received0 = received;
await sleep(seconds * 1000);
const cpu = process.cpuUsage(cpu0);
const wall = performance.now() - wall0;
const messages = received - received0;
const after = await memoryAfterGc();
const published = await fleet.stop();
await client.endAsync();
console.log(
  JSON.stringify({
    cpuShare: (100 * (cpu.user + cpu.system)) / 1000 / wall,
    readingsPerSecond: (messages * 1000) / wall,
    published: published.published,
    publishRate: published.rate,
    accepted: received,
    heapBytesPerDevice: (after.heap - before.heap) / devices,
    rssBytesPerDevice: (after.rss - before.rss) / devices,
    heapMiB: after.heap / 2 ** 20,
    rssMiB: after.rss / 2 ** 20,
  }),
);
process.exit(0);
