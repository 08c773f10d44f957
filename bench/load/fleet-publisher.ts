/**
 * Child process of the load benchmarks: `devices` simulated devices each publishing one reading
 * per second to MQTT (QoS 0), spread evenly over each second: every 10 ms the readings due by
 * then are published, so a late timer catches up and the average rate stays `devices`/s as long as
 * the process keeps up. At most `MAX_PENDING` publishes wait for the socket: beyond that the fleet
 * falls behind (and says so) instead of queueing without bound. Prints `{"ready":true}` once
 * connected, then publishes for `seconds` (0: until SIGTERM) and prints `{ published, failed,
 * seconds, rate }` (`published`: written to the socket).
 * Args: url devices seconds.
 */
import { createMqttTransport } from '@healthit/gateway/mqtt';
import { filter, firstValueFrom } from 'rxjs';
import { deviceMessage } from './device-message.js';

const [url = 'mqtt://127.0.0.1:1883', devicesArg = '10000', secondsArg = '30'] = process.argv.slice(2);
const devices = Number(devicesArg);
const seconds = Number(secondsArg);
/** At most this many readings in one tick: a process that fell far behind does not burst. */
const MAX_PER_TICK = Math.ceil(devices / 10);
/** mqtt.js waits for 'drain' once per pending write, and warns past 1 000 listeners. */
const MAX_PENDING = 800;
const transport = createMqttTransport({ url, publishTimeoutMs: 30_000 });
await firstValueFrom(transport.state$.pipe(filter((s) => s === 'connected')));
process.stdout.write(`${JSON.stringify({ ready: true })}\n`);
const t0 = Date.now();
const start = performance.now();
let issued = 0;
let published = 0;
let failed = 0;
await new Promise<void>((resolve) => {
  const stop = (): void => {
    clearInterval(timer);
    resolve();
  };
  process.once('SIGTERM', stop);
  const timer = setInterval(() => {
    const elapsed = performance.now() - start;
    if (seconds > 0 && elapsed >= seconds * 1000) return stop();
    const due = Math.min(
      Math.floor((elapsed * devices) / 1000),
      issued + MAX_PER_TICK,
      published + failed + MAX_PENDING,
    );
    for (; issued < due; issued++) {
      const { topic, bytes } = deviceMessage(
        issued % devices,
        Math.floor(issued / devices),
        t0 + Math.floor((issued * 1000) / devices),
      );
      transport.publish(topic, bytes, { qos: 0 }).then(
        () => {
          published++;
        },
        () => {
          failed++;
        },
      );
    }
  }, 10);
});
const wall = (performance.now() - start) / 1000;
process.stdout.write(
  `${JSON.stringify({ published, failed, seconds: wall, rate: Math.round(published / wall) })}\n`,
);
process.exit(0); // no graceful close: what is still queued for the socket does not matter
