/**
 * Child process of the load benchmarks: `devices` simulated devices each publishing one reading
 * per second to MQTT, spread evenly over each second (every 10 ms a 1/100 slice of the fleet).
 * Args: url devices seconds.
 */
import { createMqttTransport } from '@healthit/gateway/mqtt';
import { filter, firstValueFrom } from 'rxjs';
import { deviceMessage } from './device-message.js';

const [url = 'mqtt://127.0.0.1:1883', devicesArg = '10000', secondsArg = '30'] = process.argv.slice(2);
const devices = Number(devicesArg);
const seconds = Number(secondsArg);
const transport = createMqttTransport({ url, publishTimeoutMs: 30_000 });
await firstValueFrom(transport.state$.pipe(filter((s) => s === 'connected')));
const SLICES = 100;
const perSlice = Math.ceil(devices / SLICES);
const t0 = Date.now();
let tick = 0;
let published = 0;
let failed = 0;
await new Promise<void>((resolve) => {
  const timer = setInterval(() => {
    const second = Math.floor(tick / SLICES);
    if (second >= seconds) {
      clearInterval(timer);
      resolve();
      return;
    }
    const slice = tick % SLICES;
    for (let d = slice * perSlice; d < Math.min(devices, (slice + 1) * perSlice); d++) {
      const { topic, bytes } = deviceMessage(d, second, t0 + second * 1000);
      transport.publish(topic, bytes, { qos: 0 }).catch(() => {
        failed++;
      });
      published++;
    }
    tick++;
  }, 10);
});
await transport.close();
process.stdout.write(`${JSON.stringify({ published, failed })}\n`);
