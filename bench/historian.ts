/**
 * The gateway historian: appends/s, range queries/s and the real bytes per stored point.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { METRICS, type MetricId, type Reading, readingId } from '@healthit/core';
import { createHistorian, type SeriesKey } from '@healthit/gateway';
import { bestRate, type Figure } from './measure.js';

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
  figures.push(
    { name: 'bytes per point, typed arrays (stats().bytesPerPoint)', value: stats.bytesPerPoint, unit: 'B' },
    {
      name: 'bytes per point, measured heap + ArrayBuffers after GC',
      value: heapBytes / stats.points,
      unit: 'B',
      note: `${SERIES} series × ${CAPACITY} points, ${(heapBytes / 2 ** 20).toFixed(1)} MiB`,
    },
  );

  // Appends at capacity: every append overwrites the oldest point of its series. One reading
  // object per series, moved on one second per round, so no garbage is made while measuring.
  const pool = readings(CAPACITY, 1) as { ts: number; seq: number }[] as Reading[];
  const ROUNDS = 120;
  gc();
  const inOrder = await bestRate(5, ROUNDS * pool.length, () => {
    for (let round = 0; round < ROUNDS; round++) {
      for (const r of pool) {
        (r as { ts: number }).ts += 1000;
        (r as { seq: number }).seq += METRIC_IDS.length;
        h.append(r);
      }
    }
  });
  figures.push({
    name: 'append, in order, series at capacity (overwrite oldest)',
    value: inOrder,
    unit: 'appends/s',
    note: `${SERIES} series, round-robin`,
  });

  // Appends with 1 reading in 10 arriving 5 s late (inserted in order, shifting 5 points).
  gc();
  const lateBatches = Array.from({ length: 6 }, (_, i) => readings(i * 120, 120, 10));
  let late = 0;
  const lateRate = await bestRate(5, lateBatches[0]?.length ?? 0, () => {
    const hl = createHistorian({ capacityPerSeries: CAPACITY, maxSeries: SERIES });
    for (const r of lateBatches[late++ % lateBatches.length] ?? []) hl.append(r);
  });
  figures.push({
    name: 'append, 10 % late by 5 s (insert in order), filling',
    value: lateRate,
    unit: 'appends/s',
  });

  // Range queries over the full historian: the last minute (60 points) and the whole hour.
  const keys: SeriesKey[] = [];
  for (let p = 0; p < PATIENTS; p++)
    for (const metric of METRIC_IDS) keys.push({ patientId: `patient-${p}`, metric });
  h = createHistorian({ capacityPerSeries: CAPACITY, maxSeries: SERIES });
  for (let chunk = 0; chunk < CAPACITY; chunk += 600) for (const r of readings(chunk, 600)) h.append(r);
  const end = T0 + CAPACITY * 1000;
  const QUERIES = 10_000;
  let points = 0;
  const minute = await bestRate(5, QUERIES, () => {
    for (let q = 0; q < QUERIES; q++)
      points += h.range(keys[q % keys.length] as SeriesKey, end - 60_000, end).length;
  });
  const minuteColumns = await bestRate(5, QUERIES, () => {
    for (let q = 0; q < QUERIES; q++) {
      points += h.rangeColumns(keys[q % keys.length] as SeriesKey, end - 60_000, end).ts.length;
    }
  });
  const hour = await bestRate(3, 500, () => {
    for (let q = 0; q < 500; q++) points += h.range(keys[q % keys.length] as SeriesKey, T0, end).length;
  });
  const latest = await bestRate(5, QUERIES * 10, () => {
    for (let q = 0; q < QUERIES * 10; q++) points += h.latest(keys[q % keys.length] as SeriesKey) ? 1 : 0;
  });
  if (points === 0) throw new Error('historian bench queried nothing');
  figures.push(
    { name: 'range, last minute (60 points → Reading[])', value: minute, unit: 'queries/s' },
    {
      name: 'rangeColumns, last minute (60 points → Float64Array ×2)',
      value: minuteColumns,
      unit: 'queries/s',
    },
    { name: 'range, whole hour (3 600 points → Reading[])', value: hour, unit: 'queries/s' },
    { name: 'latest', value: latest, unit: 'queries/s' },
  );
  return figures;
}
