/**
 * `bench:load --soak-minutes N`: the full gateway pipeline (`pipeline.ts`: acquisition, threshold
 * rule, NEWS2, historian, windows) forwarding to a SQLite outbox drained by the forwarder into the
 * in-process uplink, fed 10 000 readings/s in-process (10 000 devices at 1 Hz) for N minutes. Every
 * `--soak-sample-seconds` (default 10) it samples, after a full GC: heap, RSS, active handles and
 * resources (`process.getActiveResourcesInfo()`), the outbox's pending records and bytes, the
 * records `appendToOutbox` holds, the historian's typed arrays. After the warm-up (until the
 * historian stopped growing — 10 min at 1 Hz, 600 points per series — and at least the first minute;
 * the first half of a soak shorter than 2 minutes) it reports first / last / max of each
 * and the least-squares slope per minute, and calls each series flat or GROWING by the thresholds
 * declared in `SERIES`.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInProcessTransport } from '@healthit/core';
import { createForwarder, createInProcessUplink } from '@healthit/gateway';
import { createSqliteOutbox } from '@healthit/gateway/outbox';
import { type Figure, median } from '../measure.js';
import { DEVICES, inProcessFleet, memoryAfterGc, sleep } from './fleet.js';
import { startPipeline } from './pipeline.js';

/** The readings per second the soak is fed. */
export const SOAK_RATE = 10_000;

interface Sample {
  /** Seconds since the start. */
  readonly t: number;
  readonly heap: number;
  readonly rss: number;
  readonly rssLessHistorian: number;
  readonly resources: number;
  readonly pending: number;
  readonly pendingMiB: number;
  readonly held: number;
  readonly historian: number;
  readonly readings: number;
  readonly published: number;
  readonly forwarded: number;
}

type Metric = Exclude<keyof Sample, 't' | 'readings' | 'published' | 'forwarded'>;

/**
 * The series judged, and when a series is GROWING (declared here, not fitted to a run): its
 * least-squares slope after the warm-up is above `threshold` per minute AND the median of the last
 * third of those samples is above the median of the first third by more than `minGrowth` — the
 * second condition keeps a series that only jitters (a timer active at one sample and not at the
 * next, a GC that freed a little more) from being called GROWING on a short soak. The historian's
 * typed arrays grow by design until every series holds its 600 points (10 min at 1 Hz), so RSS is
 * judged less them, and they are judged against their bound.
 */
const SERIES: readonly {
  metric: Metric;
  name: string;
  unit: string;
  threshold: number;
  minGrowth: number;
}[] = [
  { metric: 'heap', name: 'heap after GC', unit: 'MiB', threshold: 0.5, minGrowth: 2 },
  { metric: 'rss', name: 'RSS after GC', unit: 'MiB', threshold: Number.NaN, minGrowth: Number.NaN },
  {
    metric: 'rssLessHistorian',
    name: "RSS after GC less the historian's typed arrays",
    unit: 'MiB',
    threshold: 1,
    minGrowth: 4,
  },
  { metric: 'resources', name: 'active handles and resources', unit: 'count', threshold: 0.5, minGrowth: 2 },
  { metric: 'pending', name: 'outbox pending records', unit: 'records', threshold: 1_000, minGrowth: 5_000 },
  { metric: 'pendingMiB', name: 'outbox pending bytes', unit: 'MiB', threshold: 0.5, minGrowth: 2 },
  {
    metric: 'held',
    name: 'records held by appendToOutbox (refused, to retry)',
    unit: 'records',
    threshold: 100,
    minGrowth: 500,
  },
  {
    metric: 'historian',
    name: "historian's typed arrays (bounded by design)",
    unit: 'MiB',
    threshold: Number.NaN,
    minGrowth: Number.NaN,
  },
];

/** Least-squares slope of `y` over `x`. */
function slope(x: readonly number[], y: readonly number[]): number {
  const n = x.length;
  if (n < 2) return 0;
  const mx = x.reduce((a, b) => a + b, 0) / n;
  const my = y.reduce((a, b) => a + b, 0) / n;
  let sxy = 0;
  let sxx = 0;
  for (let i = 0; i < n; i++) {
    sxy += ((x[i] as number) - mx) * ((y[i] as number) - my);
    sxx += ((x[i] as number) - mx) ** 2;
  }
  return sxx === 0 ? 0 : sxy / sxx;
}

const MiB = 2 ** 20;

/** RSS split into anonymous, file-backed and shared memory (Linux `/proc/self/status`), for the log. */
function rssParts(): string {
  try {
    const status = readFileSync('/proc/self/status', 'utf8');
    const kib = (field: string) =>
      Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? Number.NaN);
    return ` (rss anon ${(kib('RssAnon') / 1024).toFixed(1)}, file ${(kib('RssFile') / 1024).toFixed(1)}, shmem ${(kib('RssShmem') / 1024).toFixed(1)} MiB)`;
  } catch {
    return '';
  }
}

/** The samples taken after `warmup` seconds. */
function samplesAfter(samples: readonly Sample[], warmup: number): Sample[] {
  return samples.filter((s) => s.t > warmup + 1e-9);
}

/** Runs the soak; returns its figures and whether any series is GROWING. */
export async function soak(
  minutes: number,
  sampleSeconds = 10,
): Promise<{ figures: Figure[]; growing: boolean; title: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'healthit-bench-soak-'));
  const transport = createInProcessTransport();
  const outbox = createSqliteOutbox({
    path: join(dir, 'outbox.sqlite'),
    maxBytes: 256 * MiB,
    whenFull: 'refuse-new',
  });
  const uplink = createInProcessUplink();
  let forwarded = 0;
  const forwardedSub = uplink.received$.subscribe(() => {
    forwarded++;
  });
  const forwarder = createForwarder({ outbox, uplink, batchSize: 500, pollMs: 20 });
  const pipeline = startPipeline(transport, {
    devices: DEVICES,
    outbox,
    onAppended: () => forwarder.wake(),
  });
  forwarder.start();
  const historianMax = (pipeline.historian?.stats().maxBytes ?? 0) / MiB;
  const fleet = inProcessFleet(transport, DEVICES, SOAK_RATE);
  const start = performance.now();
  const samples: Sample[] = [];
  const count = Math.max(2, Math.round((minutes * 60) / sampleSeconds));
  console.log(
    `  soak: ${minutes} min at ${SOAK_RATE.toLocaleString('en-US')} readings/s, a sample every ${sampleSeconds} s`,
  );
  for (let s = 1; s <= count; s++) {
    await sleep(Math.max(0, start + s * sampleSeconds * 1000 - performance.now()));
    const m = await memoryAfterGc();
    const o = outbox.stats();
    const historian = (pipeline.historian?.stats().bytesAllocated ?? 0) / MiB;
    const sample: Sample = {
      t: (performance.now() - start) / 1000,
      heap: m.heap / MiB,
      rss: m.rss / MiB,
      rssLessHistorian: m.rss / MiB - historian,
      resources: process.getActiveResourcesInfo().length,
      pending: o.pending,
      pendingMiB: o.pendingBytes / MiB,
      held: pipeline.counters.held,
      historian,
      readings: pipeline.counters.readings,
      published: fleet.published(),
      forwarded,
    };
    const previous = samples.at(-1);
    samples.push(sample);
    const dt = sample.t - (previous?.t ?? 0);
    console.log(
      `  soak t=${sample.t.toFixed(0)}s heap ${sample.heap.toFixed(1)} MiB rss ${sample.rss.toFixed(1)} MiB` +
        ` (historian ${historian.toFixed(1)}) resources ${sample.resources} outbox ${sample.pending}` +
        ` (${sample.pendingMiB.toFixed(2)} MiB) held ${sample.held}` +
        ` heap committed ${(process.memoryUsage().heapTotal / MiB).toFixed(1)} MiB` +
        rssParts() +
        ` external ${(process.memoryUsage().external / MiB).toFixed(1)} MiB` +
        ` (array buffers ${(process.memoryUsage().arrayBuffers / MiB).toFixed(1)})` +
        ` ${Math.round((sample.readings - (previous?.readings ?? 0)) / dt).toLocaleString('en-US')} readings/s`,
    );
  }
  fleet.stop();
  await sleep(200);
  pipeline.stop();
  await forwarder.stop();
  forwardedSub.unsubscribe();
  await uplink.close();
  await transport.close();
  outbox.close();
  rmSync(dir, { recursive: true, force: true });

  // The warm-up lasts until the pipeline's largest state, the historian, has stopped growing (at
  // 1 Hz it fills each series' 600 points in 10 min, reallocating as it grows), and at least 60 s:
  // memory is judged only after it. A run needs about 20 min to leave 10 min to judge.
  const finalHistorian = samples.at(-1)?.historian ?? 0;
  const historianSteadyAt = samples.find((s) => s.historian >= finalHistorian - 1e-9)?.t ?? 0;
  const warmup = minutes >= 2 ? Math.max(60, historianSteadyAt) : (minutes * 60) / 2;
  if (samplesAfter(samples, warmup).length < 6) {
    console.warn(
      `  soak: only ${samplesAfter(samples, warmup).length} samples after the warm-up (${warmup.toFixed(0)} s, the historian filled then): run longer (--soak-minutes 20)`,
    );
  }
  const base = [...samples].reverse().find((s) => s.t <= warmup + 1e-9) ?? samples[0];
  const after = samplesAfter(samples, warmup);
  const last = after.at(-1) ?? (samples.at(-1) as Sample);
  const window = last.t - (base?.t ?? 0);
  const achieved = (last.readings - (base?.readings ?? 0)) / window;
  const offered = (last.published - (base?.published ?? 0)) / window;
  const forwardedRate = (last.forwarded - (base?.forwarded ?? 0)) / window;
  const rateOk = achieved >= SOAK_RATE * 0.98;
  console.log(
    `  soak rate after the warm-up: ${Math.round(achieved).toLocaleString('en-US')} readings/s accepted ` +
      `(offered ${Math.round(offered).toLocaleString('en-US')}/s, target ${SOAK_RATE.toLocaleString('en-US')}/s: ` +
      `${rateOk ? 'ok' : 'BELOW TARGET'}), ${Math.round(forwardedRate).toLocaleString('en-US')} records/s forwarded`,
  );
  const title = `Load: soak ${minutes} min at ${SOAK_RATE.toLocaleString('en-US')} readings/s (gateway in-process, SQLite outbox)`;
  const figures: Figure[] = [
    {
      name: 'soak: readings accepted by the gateway, after the warm-up',
      value: achieved,
      unit: 'readings/s',
      note: `target ${SOAK_RATE.toLocaleString('en-US')}/s: ${rateOk ? 'ok' : 'BELOW TARGET'}; ${Math.round(forwardedRate).toLocaleString('en-US')} records/s forwarded`,
      ceiling: { name: 'readings offered by the in-process fleet in the same window', value: offered },
      ratio: achieved / offered,
    },
  ];
  let growing = false;
  const x = after.map((s) => s.t / 60);
  console.log(
    `  soak after the warm-up (${warmup.toFixed(0)} s: the historian stopped growing at ${historianSteadyAt.toFixed(0)} s), ${after.length} samples:`,
  );
  for (const { metric, name, unit, threshold, minGrowth } of SERIES) {
    const y = after.map((s) => s[metric]);
    if (y.length === 0) continue;
    const first = y[0] as number;
    const lastValue = y.at(-1) as number;
    const max = Math.max(...y);
    const perMinute = slope(x, y);
    const third = Math.max(1, Math.floor(y.length / 3));
    const growth = median(y.slice(-third)) - median(y.slice(0, third));
    let verdict: 'flat' | 'GROWING' | 'bounded' | 'not judged';
    let rule: string;
    if (metric === 'historian') {
      verdict = max <= historianMax + 1e-9 ? 'bounded' : 'GROWING';
      rule = `bound ${historianMax.toFixed(1)} MiB`;
    } else if (Number.isNaN(threshold)) {
      verdict = 'not judged';
      rule = "judged less the historian's typed arrays";
    } else {
      verdict = perMinute > threshold && growth > minGrowth ? 'GROWING' : 'flat';
      rule = `GROWING above ${threshold} ${unit}/min and ${minGrowth} ${unit} from the first third to the last`;
    }
    if (verdict === 'GROWING') growing = true;
    const fmt = (v: number) => (unit === 'MiB' ? v.toFixed(1) : Math.round(v).toLocaleString('en-US'));
    console.log(
      `    ${name.padEnd(52)} first ${fmt(first)} last ${fmt(lastValue)} max ${fmt(max)} ${unit}, ` +
        `slope ${perMinute.toFixed(3)} ${unit}/min, first → last third ${growth >= 0 ? '+' : ''}${fmt(growth)} → ${verdict} (${rule})`,
    );
    figures.push(
      { name: `soak ${name}: first`, value: first, unit },
      { name: `soak ${name}: last`, value: lastValue, unit },
      { name: `soak ${name}: max`, value: max, unit },
      {
        name: `soak ${name}: slope`,
        value: perMinute,
        unit: `${unit}/min`,
        note: `${verdict}; first → last third ${growth >= 0 ? '+' : ''}${fmt(growth)} ${unit}; ${rule}`,
      },
    );
  }
  console.log(growing ? '  soak: GROWING (see above)' : '  soak: flat');
  return { figures, growing, title };
}
