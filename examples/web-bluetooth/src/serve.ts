#!/usr/bin/env node
/**
 * `npm start` (in examples/web-bluetooth): builds the page and serves it on http://127.0.0.1:8080/
 * until Ctrl-C. Open it in Chrome or Edge next to a Bluetooth pulse oximeter or heart-rate strap.
 *
 * Options:
 *   --port <n>           port (default 8080; 0 for any free port)
 *   --simulate <kind>    no hardware: a simulated `pulse-oximeter` or `heart-rate` device answers
 *                        the page's requestDevice and notifies a frame every second (one
 *                        simulated minute of a deteriorating patient each)
 *   --duration <ms>      stop after this long (for scripted runs)
 */
import { parseArgs } from 'node:util';
import { buildPage, withSimulatedDevice } from './bundle.js';
import { PROFILES, type ProfileId } from './profiles.js';
import { servePage } from './server.js';
import { simulatedFrames } from './simulated-frames.js';

function fail(message: string): never {
  console.error(message);
  process.exit(1);
}

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '8080' },
    simulate: { type: 'string' },
    duration: { type: 'string' },
  },
});
const port = Number(values.port);
if (!Number.isInteger(port) || port < 0 || port > 65535) fail(`--port must be 0…65535, got ${values.port}`);
const simulate = values.simulate;
if (simulate !== undefined && !Object.hasOwn(PROFILES, simulate)) {
  fail(`--simulate must be one of ${Object.keys(PROFILES).join(', ')}, got ${simulate}`);
}
const durationMs = values.duration === undefined ? undefined : Number(values.duration);
if (durationMs !== undefined && !(durationMs > 0)) fail(`--duration must be a positive number of ms`);

let files = await buildPage();
if (simulate !== undefined) {
  const profile = PROFILES[simulate as ProfileId];
  files = withSimulatedDevice(files, {
    devices: [
      {
        id: 'c2ltdWxhdGVkLWRldmljZQ==',
        name: `Simulated ${simulate}`,
        service: profile.service,
        characteristic: profile.characteristic,
        frames: simulatedFrames(profile.id, { count: 600, scenario: 'deteriorating', periodMs: 60_000 }).map(
          (f) => f.hex,
        ),
      },
    ],
    intervalMs: 1000,
  });
}
const server = await servePage(files, port).catch((error: NodeJS.ErrnoException) =>
  fail(
    error.code === 'EADDRINUSE'
      ? `Port ${port} is in use: pass --port <another> (or --port 0 for any free port).`
      : `Could not start the server: ${error.message}`,
  ),
);
console.log(`Web Bluetooth example: ${server.url}`);
console.log(
  simulate === undefined
    ? 'Open it in Chrome or Edge and press Connect (a real device must be nearby). Ctrl-C to stop.'
    : `A simulated ${simulate} answers the page (no hardware needed). Ctrl-C to stop.`,
);

const stop = async () => {
  await server.close();
  process.exit(0);
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
if (durationMs !== undefined) setTimeout(stop, durationMs);
