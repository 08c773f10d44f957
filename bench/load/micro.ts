/**
 * Single-reading device messages through the gateway in-process (µs per message): acquisition
 * only, or `--full` the load benchmarks' pipeline; the loop to run under `node --cpu-prof`.
 */
import { createInProcessTransport } from '@healthit/core';
import { deviceMessage } from './device-message.js';
import { startPipeline } from './pipeline.js';

const full = process.argv.includes('--full');
const N = 100_000;
const msgs = Array.from({ length: N }, (_, i) =>
  deviceMessage(i % 10_000, Math.floor(i / 10_000), 1_735_689_600_000 + i * 100),
);
for (let round = 0; round < 4; round++) {
  const transport = createInProcessTransport();
  let stop = () => {};
  let count = 0;
  if (full) stop = startPipeline(transport, { devices: 10_000 }).stop;
  else {
    const { createGateway } = await import('@healthit/gateway');
    const sub = createGateway({ transport, maxDevices: 20_000 }).readings$.subscribe(() => count++);
    stop = () => sub.unsubscribe();
  }
  const t0 = performance.now();
  for (const m of msgs) await transport.publish(m.topic, m.bytes);
  const ms = performance.now() - t0;
  console.log(
    full ? 'full' : 'acq',
    `${((ms * 1000) / N).toFixed(2)} µs/msg`,
    Math.round(N / (ms / 1000)),
    'msg/s',
  );
  stop();
  await transport.close();
}
