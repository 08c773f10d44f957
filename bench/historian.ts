/**
 * The gateway historian: appends/s, range queries/s and the real bytes per stored point, each beside
 * its same-run ceiling: a bare ring of two Float64Arrays (time, value) per series in a Map, with no
 * ordering, eviction, refusal or statistics.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { METRICS, type MetricId, type Reading, readingId } from '@healthit/core';
import { createHistorian, type SeriesKey } from '@healthit/gateway';
import { against, type Figure, medianRate } from './measure.js';

const PATIENTS = 200;
const METRIC_IDS: readonly MetricId[] = [
  'heart-rate',
  'spo2',
  'respiratory-rate',
  'body-temperature',
  'bp-systolic',
];
const SERIES = PATIENTS * METRIC_IDS.length; // 1 000
const CAPACITY = 3_600; // one hour at 1 Hz
const T0 = Date.UTC(2025, 0, 1);

/** Readings of `seconds` seconds for every series, one a second, in time order. */
function readings(fromSecond: number, seconds: number, lateEvery = 0): Reading[] {
  const out: Reading[] = [];
  for (let s = fromSecond; s < fromSecond + seconds; s++) {
    for (let p = 0; p < PATIENTS; p++) {
      METRIC_IDS.forEach((metric, m) => {
        const deviceId = `monitor-${p}`;
        const seq = s * METRIC_IDS.length + m;
        // Every `lateEvery`-th reading arrives 5 s late (its ts is 5 s behind its neighbours).
        const ts = T0 + s * 1000 - (lateEvery > 0 && seq % lateEvery === 0 ? 5000 : 0);
        out.push({
          id: readingId(deviceId, seq),
          deviceId,
          patientId: `patient-${p}`,
          metric,
          value: 50 + ((seq * 7919) % 1000) / 10,
          unit: METRICS[metric].unit,
          ts,
          seq,
          quality: 'good',
        } as Reading);
      });
    }
  }
  return out;
}

function forceGc(): () => void {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

/** The ceiling's store: per series key, a ring of two Float64Arrays and its next slot. */
interface BareRing {
  readonly ts: Float64Array;
  readonly value: Float64Array;
  next: number;
}

function bareRings(): Map<string, BareRing> {
  const rings = new Map<string, BareRing>();
  for (let p = 0; p < PATIENTS; p++) {
    for (const metric of METRIC_IDS) {
      rings.set(`patient-${p}|${metric}`, {
        ts: new Float64Array(CAPACITY),
        value: new Float64Array(CAPACITY),
        next: 0,
      });
    }
  }
  return rings;
}

function bareAppend(rings: Map<string, BareRing>, r: Reading): void {
  const ring = rings.get(`${r.patientId}|${r.metric}`) as BareRing;
  const at = ring.next % CAPACITY;
  ring.ts[at] = r.ts;
  ring.value[at] = r.value;
  ring.next++;
}

/** Historian throughput and memory, 1 000 series × 3 600 points. */
export async function benchHistorian(): Promise<Figure[]> {
  const gc = forceGc();
  const figures: Figure[] = [];

  // Memory: the heap and ArrayBuffer bytes the historian really holds, at capacity.
  gc();
  gc();
  const before = process.memoryUsage();
  let h = createHistorian({ capacityPerSeries: CAPACITY, maxSeries: SERIES });
  for (let chunk = 0; chunk < CAPACITY; chunk += 60) for (const r of readings(chunk, 60)) h.append(r);
  gc();
  gc();
  const after = process.memoryUsage();
  const stats = h.stats();
  if (stats.points !== SERIES * CAPACITY) throw new Error(`historian bench holds ${stats.points} points`);
  const heapBytes = after.heapUsed - before.heapUsed + (after.arrayBuffers - before.arrayBuffers);
  gc();
  gc();
  const bareBefore = process.memoryUsage();
  let rings: Map<string, BareRing> | undefined = bareRings();
  for (let chunk = 0; chunk < CAPACITY; chunk += 60)
    for (const r of readings(chunk, 60)) bareAppend(rings, r);
  gc();
  gc();
  const bareAfter = process.memoryUsage();
  const bareBytes =
    (bareAfter.heapUsed - bareBefore.heapUsed + (bareAfter.arrayBuffers - bareBefore.arrayBuffers)) /
    stats.points;
  const bareName = 'two Float64Array columns per series in a Map, measured the same way';
  figures.push(
    {
      name: 'bytes per point, typed arrays (stats().bytesPerPoint)',
      value: stats.bytesPerPoint,
      unit: 'B',
      ...against(stats.bytesPerPoint, 'B', bareName, bareBytes),
    },
    {
      name: 'bytes per point, measured heap + ArrayBuffers after GC',
      value: heapBytes / stats.points,
      unit: 'B',
      note: `${SERIES} series × ${CAPACITY} points, ${(heapBytes / 2 ** 20).toFixed(1)} MiB`,
      ...against(heapBytes / stats.points, 'B', bareName, bareBytes),
    },
  );

  // Appends at capacity: every append overwrites the oldest point of its series. One reading
  // object per series, moved on one second per round, so no garbage is made while measuring.
  const pool = readings(CAPACITY, 1) as { ts: number; seq: number }[] as Reading[];
  const ROUNDS = 120;
  gc();
  const inOrder = await medianRate(5, ROUNDS * pool.length, () => {
    for (let round = 0; round < ROUNDS; round++) {
      for (const r of pool) {
        (r as { ts: number }).ts += 1000;
        (r as { seq: number }).seq += METRIC_IDS.length;
        h.append(r);
      }
    }
  });
  const bareInOrder = await medianRate(5, ROUNDS * pool.length, () => {
    for (let round = 0; round < ROUNDS; round++) {
      for (const r of pool) {
        (r as { ts: number }).ts += 1000;
        bareAppend(rings as Map<string, BareRing>, r);
      }
    }
  });
  figures.push({
    name: 'append, in order, series at capacity (overwrite oldest)',
    value: inOrder,
    unit: 'appends/s',
    note: `${SERIES} series, round-robin`,
    ...against(inOrder, 'appends/s', 'bare ring write (Map lookup + two typed-array stores)', bareInOrder),
  });

  // Appends with 1 reading in 10 arriving 5 s late (inserted in order, shifting 5 points).
  gc();
  const lateBatches = Array.from({ length: 6 }, (_, i) => readings(i * 120, 120, 10));
  let late = 0;
  const lateRate = await medianRate(5, lateBatches[0]?.length ?? 0, () => {
    const hl = createHistorian({ capacityPerSeries: CAPACITY, maxSeries: SERIES });
    for (const r of lateBatches[late++ % lateBatches.length] ?? []) hl.append(r);
  });
  const bareFilling = await medianRate(5, lateBatches[0]?.length ?? 0, () => {
    // Growable columns per series (the historian's series also grow), filled in arrival order.
    const fresh = new Map<string, { ts: number[]; value: number[] }>();
    for (const r of lateBatches[late++ % lateBatches.length] ?? []) {
      const key = `${r.patientId}|${r.metric}`;
      let c = fresh.get(key);
      if (c === undefined) {
        c = { ts: [], value: [] };
        fresh.set(key, c);
      }
      c.ts.push(r.ts);
      c.value.push(r.value);
    }
  });
  figures.push({
    name: 'append, 10 % late by 5 s (insert in order), filling',
    value: lateRate,
    unit: 'appends/s',
    ...against(
      lateRate,
      'appends/s',
      'push onto growable columns per series in a Map, arrival order kept',
      bareFilling,
    ),
  });
  rings = undefined;

  // Range queries over the full historian: the last minute (60 points) and the whole hour.
  const keys: SeriesKey[] = [];
  for (let p = 0; p < PATIENTS; p++)
    for (const metric of METRIC_IDS) keys.push({ patientId: `patient-${p}`, metric });
  h = createHistorian({ capacityPerSeries: CAPACITY, maxSeries: SERIES });
  for (let chunk = 0; chunk < CAPACITY; chunk += 600) for (const r of readings(chunk, 600)) h.append(r);
  const end = T0 + CAPACITY * 1000;
  const QUERIES = 10_000;
  let points = 0;
  const minute = await medianRate(5, QUERIES, () => {
    for (let q = 0; q < QUERIES; q++)
      points += h.range(keys[q % keys.length] as SeriesKey, end - 60_000, end).length;
  });
  const minuteColumns = await medianRate(5, QUERIES, () => {
    for (let q = 0; q < QUERIES; q++) {
      points += h.rangeColumns(keys[q % keys.length] as SeriesKey, end - 60_000, end).ts.length;
    }
  });
  const hour = await medianRate(3, 500, () => {
    for (let q = 0; q < 500; q++) points += h.range(keys[q % keys.length] as SeriesKey, T0, end).length;
  });
  const latest = await medianRate(5, QUERIES * 10, () => {
    for (let q = 0; q < QUERIES * 10; q++) points += h.latest(keys[q % keys.length] as SeriesKey) ? 1 : 0;
  });
  // Ceilings: the same answers cut from plain sorted columns (binary search + slice), and the
  // same number of plain objects built from them.
  const sorted = new Map<string, { ts: Float64Array; value: Float64Array }>();
  for (const key of keys) {
    const c = h.rangeColumns(key, T0 - 1, end + 1);
    sorted.set(`${key.patientId}|${key.metric}`, {
      ts: Float64Array.from(c.ts),
      value: Float64Array.from(c.values),
    });
  }
  const cut = (key: SeriesKey, from: number, to: number) => {
    const c = sorted.get(`${key.patientId}|${key.metric}`) as { ts: Float64Array; value: Float64Array };
    let lo = 0;
    let hi = c.ts.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((c.ts[mid] as number) < from) lo = mid + 1;
      else hi = mid;
    }
    let stop = lo;
    while (stop < c.ts.length && (c.ts[stop] as number) < to) stop++;
    return { ts: c.ts.slice(lo, stop), value: c.value.slice(lo, stop) };
  };
  const asObjects = (key: SeriesKey, from: number, to: number): number => {
    const c = cut(key, from, to);
    const out = new Array<{ ts: number; value: number; patientId: string; metric: string }>(c.ts.length);
    for (let i = 0; i < c.ts.length; i++)
      out[i] = {
        ts: c.ts[i] as number,
        value: c.value[i] as number,
        patientId: key.patientId as string,
        metric: key.metric,
      };
    return out.length;
  };
  const bareMinute = await medianRate(5, QUERIES, () => {
    for (let q = 0; q < QUERIES; q++)
      points += asObjects(keys[q % keys.length] as SeriesKey, end - 60_000, end);
  });
  const bareMinuteColumns = await medianRate(5, QUERIES, () => {
    for (let q = 0; q < QUERIES; q++)
      points += cut(keys[q % keys.length] as SeriesKey, end - 60_000, end).ts.length;
  });
  const bareHour = await medianRate(3, 500, () => {
    for (let q = 0; q < 500; q++) points += asObjects(keys[q % keys.length] as SeriesKey, T0, end);
  });
  const bareLatest = await medianRate(5, QUERIES * 10, () => {
    for (let q = 0; q < QUERIES * 10; q++) {
      const key = keys[q % keys.length] as SeriesKey;
      const c = sorted.get(`${key.patientId}|${key.metric}`) as { ts: Float64Array; value: Float64Array };
      points += c.ts.length > 0 ? 1 : 0;
    }
  });
  if (points === 0) throw new Error('historian bench queried nothing');
  const objects = 'binary search + slice of sorted Float64Array columns, one plain object per point';
  figures.push(
    {
      name: 'range, last minute (60 points → Reading[])',
      value: minute,
      unit: 'queries/s',
      ...against(minute, 'queries/s', objects, bareMinute),
    },
    {
      name: 'rangeColumns, last minute (60 points → Float64Array ×2)',
      value: minuteColumns,
      unit: 'queries/s',
      ...against(
        minuteColumns,
        'queries/s',
        'binary search + slice of sorted Float64Array columns',
        bareMinuteColumns,
      ),
    },
    {
      name: 'range, whole hour (3 600 points → Reading[])',
      value: hour,
      unit: 'queries/s',
      ...against(hour, 'queries/s', objects, bareHour),
    },
    {
      name: 'latest',
      value: latest,
      unit: 'queries/s',
      ...against(latest, 'queries/s', 'Map lookup of the series columns', bareLatest),
    },
  );
  return figures;
}
