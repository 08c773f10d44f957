/**
 * `npm run bench:load` — the gateway under load. Every figure is the median of `--rounds` runs
 * (default 3), each run alternating with its ceiling measured the same way in the same process
 * and under the same background load; the ratio is the median of the per-round ratios. Each part
 * prints its table and writes it to `bench/results/<title>.json` (`printFigures`).
 *
 *   1. `in-process`: critical reading → alert latency p50/p99, gateway pipeline on an in-process
 *      transport with 10 000 devices at 1 Hz published on it; ceiling: the same probe published
 *      on the same transport to a bare subscriber.
 *   2. `mosquitto`: the same through Mosquitto (127.0.0.1:1883), the fleet in a child process;
 *      ceiling: raw mqtt.js publish → raw mqtt.js subscriber of the fleet, same messages.
 *   3. `nats`: device → Mosquitto → gateway → SQLite outbox → forwarder → NATS uplink → JetStream
 *      (127.0.0.1:4222, a throw-away stream per run, deleted after) → the platform's NATS ingest →
 *      the alert at the platform; ceiling: the raw mqtt.js round trip (a receiver taking the fleet)
 *      chained, per probe, to a raw JetStream publish → consume of the alert record's bytes.
 *   4. `fleet`: 10 000 devices at 1 Hz through one gateway process (`gateway-fleet.ts`, a child):
 *      its CPU share of one core, and its heap and RSS after GC per device (with the fleet
 *      publishing, less before it); ceiling: `raw-mqtt.ts`, a child that only receives the fleet,
 *      measured the same way for the same seconds.
 *   5. `--soak-minutes N` (`soak.ts`): 10 000 readings/s for N minutes, heap / RSS / handles /
 *      outbox / queues every 10 s, flat or GROWING after the first minute (exit code 1 if GROWING).
 *
 * Options: `--only in-process,mosquitto,nats,fleet,soak` (`latency` = the first three; default all
 * but the soak, which runs whenever `--soak-minutes` is given), `--rounds 3`, `--samples 200`
 * (timed alerts per run), `--fleet-seconds 30` (measured window of a fleet run) and
 * `--warmup-seconds 5` (before it), `--minimal` (the fleet through acquisition and the threshold
 * rule only), `--soak-sample-seconds 10`, `--devices 10000` (a smaller fleet, to check the bench
 * itself). Needs `--expose-gc` (the npm script passes it).
 */
import { against, type Figure, machine, median, printFigures } from '../measure.js';
import { DEVICES, numberArg, runJsonChild, sleep, startFleet, stringArg } from './fleet.js';
import { inProcessRun, type LatencyRun, mosquittoRun, natsRun } from './latency.js';
import { soak } from './soak.js';

const PARTS = ['in-process', 'mosquitto', 'nats', 'fleet', 'soak'] as const;
type Part = (typeof PARTS)[number];

const only = stringArg('only')
  ?.split(',')
  .flatMap((p) => (p === 'latency' ? ['in-process', 'mosquitto', 'nats'] : [p]));
for (const p of only ?? []) {
  if (!PARTS.includes(p as Part))
    throw new Error(`--only: unknown part "${p}" (${PARTS.join(', ')}, latency)`);
}
const soakMinutes = numberArg('soak-minutes', 0);
if (only?.includes('soak') && soakMinutes <= 0) throw new Error('--only soak needs --soak-minutes N');
const runs = (part: Part): boolean =>
  part === 'soak' ? soakMinutes > 0 : only === undefined || only.includes(part);
const rounds = Math.max(1, numberArg('rounds', 3));
const samples = numberArg('samples', 200);
const fleetSeconds = numberArg('fleet-seconds', 30);
const warmupSeconds = numberArg('warmup-seconds', 5);
const minimal = process.argv.includes('--minimal');
const devices = DEVICES.toLocaleString('en-US');

if ((globalThis as { gc?: unknown }).gc === undefined) throw new Error('run with node --expose-gc');
console.log(`bench:load · ${JSON.stringify(machine())}`);

/** p50 and p99 figures of a latency part, each beside its ceiling. */
function latencyFigures(
  path: string,
  pairs: readonly { gateway: LatencyRun; ceiling: LatencyRun }[],
  ceilingName: string,
  note: string,
  unit: 'ms' | 'µs' = 'ms',
): Figure[] {
  const scale = unit === 'µs' ? 1000 : 1;
  return (['p50', 'p99'] as const).map((q) => {
    const value = median(pairs.map((p) => p.gateway[q])) * scale;
    return {
      name: `critical reading → alert ${q}, ${path}`,
      value,
      unit,
      note: `${median(pairs.map((p) => p.gateway.n))} alerts/run; ${note}`,
      runs: pairs.length,
      ...against(
        value,
        unit,
        ceilingName,
        median(pairs.map((p) => p.ceiling[q])) * scale,
        median(pairs.map((p) => p.ceiling[q] / p.gateway[q])),
      ),
    };
  });
}

/** Alternates `run('ceiling')` and `run('gateway')` for `rounds` rounds. */
async function alternate(
  name: string,
  run: (kind: 'gateway' | 'ceiling', seq0: number, round: number) => Promise<LatencyRun>,
): Promise<{ gateway: LatencyRun; ceiling: LatencyRun }[]> {
  const pairs: { gateway: LatencyRun; ceiling: LatencyRun }[] = [];
  for (let r = 0; r < rounds; r++) {
    const ceiling = await run('ceiling', r * 2_000_000, r);
    const gateway = await run('gateway', r * 2_000_000 + 1_000_000, r);
    console.log(
      `  ${name} round ${r + 1}/${rounds}: gateway p50 ${gateway.p50.toFixed(3)} p99 ${gateway.p99.toFixed(3)} ms (n ${gateway.n}, ${Math.round(gateway.backgroundPerSecond)} readings/s)` +
        ` · ceiling p50 ${ceiling.p50.toFixed(3)} p99 ${ceiling.p99.toFixed(3)} ms (n ${ceiling.n}, ${Math.round(ceiling.backgroundPerSecond)}/s)`,
    );
    if (gateway.detail !== undefined) console.log(`    ${gateway.detail}`);
    pairs.push({ gateway, ceiling });
  }
  return pairs;
}

const backgroundNote = (pairs: readonly { gateway: LatencyRun; ceiling: LatencyRun }[], extra = '') =>
  `background ${Math.round(median(pairs.map((p) => p.gateway.backgroundPerSecond))).toLocaleString('en-US')} readings/s through the gateway${extra}`;

// 1. In-process.
if (runs('in-process')) {
  const pairs = await alternate('in-process', (kind, seq0) => inProcessRun(kind, seq0, samples));
  printFigures(`Load: alert latency in-process (${devices} devices at 1 Hz in the background)`, [
    ...latencyFigures(
      'in-process (full pipeline)',
      pairs,
      'the same probe published on the same in-process transport to a bare subscriber (publish → subscriber), same background',
      backgroundNote(pairs),
      'µs',
    ),
  ]);
}

// 2. Through Mosquitto, the fleet publishing through the same broker.
if (runs('mosquitto')) {
  const fleet = startFleet();
  await fleet.ready;
  await sleep(3_000);
  const pairs = await alternate('mosquitto', (kind, seq0) => mosquittoRun(kind, seq0, samples));
  const published = await fleet.stop();
  printFigures(`Load: alert latency via Mosquitto (${devices} devices at 1 Hz)`, [
    ...latencyFigures(
      'device → Mosquitto → gateway',
      pairs,
      'raw mqtt.js publish → raw mqtt.js subscriber of the fleet (QoS 1), same messages, same broker and fleet',
      backgroundNote(pairs, `; fleet published ${published.rate.toLocaleString('en-US')}/s`),
    ),
  ]);
}

// 3. Through Mosquitto and NATS JetStream to the platform.
if (runs('nats')) {
  const fleet = startFleet();
  await fleet.ready;
  await sleep(3_000);
  const pairs = await alternate('nats', (kind, seq0, round) => natsRun(kind, seq0, samples, round));
  const published = await fleet.stop();
  printFigures(`Load: alert latency via Mosquitto and NATS JetStream (${devices} devices at 1 Hz)`, [
    ...latencyFigures(
      'device → Mosquitto → gateway → outbox → NATS → platform ingest',
      pairs,
      'raw mqtt.js round trip (receiver taking the fleet) chained to a raw JetStream publish → durable consumer of the alert record bytes, summed per message',
      `background ${Math.round(median(pairs.map((p) => p.gateway.backgroundPerSecond))).toLocaleString('en-US')} readings/s committed at the platform; fleet published ${published.rate.toLocaleString('en-US')}/s`,
    ),
  ]);
}

// 4. CPU and memory of one gateway process for the fleet, beside a process that only receives it.
if (runs('fleet')) {
  const args = [
    '--seconds',
    String(fleetSeconds),
    '--warmup-seconds',
    String(warmupSeconds),
    '--devices',
    String(DEVICES),
  ];
  const gateway: Record<string, number>[] = [];
  const raw: Record<string, number>[] = [];
  for (let r = 0; r < rounds; r++) {
    const g = (await runJsonChild('./gateway-fleet.ts', [
      ...args,
      ...(minimal ? ['--minimal'] : []),
    ])) as Record<string, number>;
    const c = (await runJsonChild('./raw-mqtt.ts', args)) as Record<string, number>;
    console.log(
      `  fleet round ${r + 1}/${rounds}: gateway ${g.cpuShare?.toFixed(1)} % of a core, ${Math.round(g.readingsPerSecond ?? 0)} readings/s, ` +
        `heap ${Math.round(g.heapBytesPerDevice ?? 0)} B/device, RSS ${Math.round(g.rssBytesPerDevice ?? 0)} B/device · ` +
        `raw receiver ${c.cpuShare?.toFixed(1)} %, ${Math.round(c.readingsPerSecond ?? 0)}/s, heap ${Math.round(c.heapBytesPerDevice ?? 0)}, RSS ${Math.round(c.rssBytesPerDevice ?? 0)} B/device`,
    );
    gateway.push(g);
    raw.push(c);
  }
  const figure = (key: string, name: string, unit: string, ceilingName: string, note?: string): Figure => {
    const value = median(gateway.map((g) => g[key] as number));
    return {
      name,
      value,
      unit,
      ...(note === undefined ? {} : { note }),
      runs: rounds,
      ...against(
        value,
        unit,
        ceilingName,
        median(raw.map((c) => c[key] as number)),
        median(gateway.map((g, i) => (raw[i]?.[key] as number) / (g[key] as number))),
      ),
    };
  };
  const mode = minimal ? 'acquisition + threshold rule' : 'full pipeline';
  const rate = (rows: Record<string, number>[], key: string) =>
    Math.round(median(rows.map((row) => row[key] as number))).toLocaleString('en-US');
  const receiver = `raw-mqtt.ts: a process that only receives the same fleet with mqtt.js (QoS 1), ${fleetSeconds} s after ${warmupSeconds} s`;
  printFigures(`Load: ${devices} devices at 1 Hz via Mosquitto, gateway process CPU and memory (${mode})`, [
    figure(
      'cpuShare',
      `gateway process CPU, ${devices} devices at 1 Hz (${mode})`,
      '% of a core',
      receiver,
      `${rate(gateway, 'readingsPerSecond')} readings/s accepted (receiver ${rate(raw, 'readingsPerSecond')}/s); fleet published ${rate(gateway, 'publishRate')}/s`,
    ),
    figure(
      'heapBytesPerDevice',
      'memory per device: heap after GC, fleet publishing less before it',
      'B/device',
      receiver,
      minimal
        ? undefined
        : `the historian's typed arrays (off-heap, in RSS) held ${rate(gateway, 'historianBytesPerDevice')} B/device after ${warmupSeconds + fleetSeconds} s; they grow to 9,600 at 600 points`,
    ),
    figure(
      'rssBytesPerDevice',
      'memory per device: RSS after GC, fleet publishing less before it',
      'B/device',
      receiver,
    ),
  ]);
}

// 5. Soak.
let growing = false;
if (runs('soak')) {
  const result = await soak(soakMinutes, numberArg('soak-sample-seconds', 10));
  printFigures(result.title, result.figures);
  growing = result.growing;
}

process.exit(growing ? 1 : 0);
