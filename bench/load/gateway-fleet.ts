/**
 * Child process of `bench:load`'s fleet figures: the gateway pipeline (`pipeline.ts`, full or
 * `--minimal`) on one MQTT connection to Mosquitto, receiving `--devices` simulated devices at
 * 1 Hz (a fleet publisher it starts as its own child). Prints one JSON object: its CPU share of one
 * core over `--seconds` after `--warmup-seconds`, the readings accepted per second, and its heap
 * and RSS after GC with the fleet publishing minus the same before the fleet, per device.
 * Run: node --expose-gc --import tsx bench/load/gateway-fleet.ts [--seconds 30] [--warmup-seconds 5] [--minimal]
 */
import { createMqttTransport } from '@healthit/gateway/mqtt';
import { filter, firstValueFrom } from 'rxjs';
import { DEVICES, MQTT_URL, memoryAfterGc, numberArg, sleep, startFleet } from './fleet.js';
import { startPipeline } from './pipeline.js';

const devices = numberArg('devices', DEVICES);
const seconds = numberArg('seconds', 30);
const warmup = numberArg('warmup-seconds', 5);
const minimal = process.argv.includes('--minimal');

const transport = createMqttTransport({ url: MQTT_URL });
await firstValueFrom(transport.state$.pipe(filter((s) => s === 'connected')));
const pipeline = startPipeline(transport, { devices, minimal });
await sleep(500); // the subscription reaches the broker
const before = await memoryAfterGc();
const fleet = startFleet(MQTT_URL, devices);
await fleet.ready;
await sleep(warmup * 1000); // JIT, every device's series allocated
const cpu0 = process.cpuUsage();
const wall0 = performance.now();
const readings0 = pipeline.counters.readings;
await sleep(seconds * 1000);
const cpu = process.cpuUsage(cpu0);
const wall = performance.now() - wall0;
const readings = pipeline.counters.readings - readings0;
const after = await memoryAfterGc(); // with the fleet still publishing
const published = await fleet.stop();
await sleep(500);
pipeline.stop();
await transport.close();
console.log(
  JSON.stringify({
    cpuShare: (100 * (cpu.user + cpu.system)) / 1000 / wall,
    readingsPerSecond: (readings * 1000) / wall,
    published: published.published,
    publishRate: published.rate,
    accepted: pipeline.counters.readings,
    events: pipeline.counters.events,
    heapBytesPerDevice: (after.heap - before.heap) / devices,
    rssBytesPerDevice: (after.rss - before.rss) / devices,
    historianBytesPerDevice: (pipeline.historian?.stats().bytesAllocated ?? 0) / devices,
    heapMiB: after.heap / 2 ** 20,
    rssMiB: after.rss / 2 ** 20,
  }),
);
process.exit(0);
