/**
 * The devices process: the simulated ward's monitors, each publishing its readings as the JSON
 * device message in a core envelope over MQTT (QoS 1) to Mosquitto, below the run's topic prefix.
 * Started by the launcher (`launch.ts`); reports what it published, and at the end writes the id of
 * every reading the broker acknowledged to `<workDir>/published.txt` for the end-to-end check.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createWardSimulator, publishReadings } from '@healthit/device';
import { createMqttTransport } from '@healthit/gateway/mqtt';
import { defaultIfEmpty, lastValueFrom, Subject, takeUntil, tap } from 'rxjs';
import { prefixedTransport } from './prefixed-transport.js';
import { childConfig, childLifecycle, every, mqttConnected, runNames, tell } from './shared.js';

const config = childConfig();
const names = runNames(config.runId);
const stop$ = new Subject<void>();
const publishedIds: string[] = [];
let published = 0;
let failed = 0;
let dropped = 0;

const mqtt = createMqttTransport({
  url: config.mqttUrl,
  clientId: `${config.runId}-devices`,
  connectTimeoutMs: 5_000,
});
const transport = prefixedTransport(mqtt, names.topicPrefix);
const simulator = createWardSimulator({
  patients: config.patients,
  seed: config.seed,
  periodMs: config.periodMs,
});
const counters = () => ({ published, failed, dropped, devices: simulator.devices.length });

let publishing: Promise<unknown> = Promise.resolve();
const { fail } = childLifecycle(async () => {
  stop$.next();
  await publishing; // every publish in flight settles (acknowledged by the broker, or failed)
  stopReporting();
  await mqtt.close();
  await writeFile(join(config.workDir, 'published.txt'), publishedIds.join('\n'));
  return counters();
});

const stopReporting = every(500, () => void tell({ type: 'progress', counters: counters() }));
try {
  await mqttConnected(mqtt, config.mqttUrl);
  publishing = lastValueFrom(
    simulator.readings$.pipe(
      takeUntil(stop$),
      publishReadings(transport, { qos: 1, maxInFlight: 64 }),
      tap((event) => {
        if (event.type === 'published') {
          published += event.readings.length;
          for (const r of event.readings) publishedIds.push(r.id);
        } else if (event.type === 'publish-failed') failed += event.readings.length;
        else dropped += event.readings.length;
      }),
      defaultIfEmpty(undefined),
    ),
  );
  await tell({ type: 'ready' });
  await publishing;
} catch (e) {
  await fail(e);
}
