/**
 * The warehouse at 100 M readings (issue 7: "a cohort query over 100 M readings < 10 s"). Not part of
 * `npm run bench` or CI: `node --conditions=@healthit/source --import tsx bench/warehouse.ts
 * --hundred-million` (about 3 GB of disk under the OS temp dir, removed afterwards; add `--keep` to
 * keep it and print where).
 *
 * A day of per-minute vital signs of 10 000 patients — 7 metrics × 1 440 minutes each, 100.8 M
 * readings — and their per-minute NEWS2 scores (14.4 M), exported through the SDK's real path:
 * `Reading` objects → `appendReadings` → Parquet, scores scored by the gateway's NEWS2 scorer
 * (`scoreValidNews2`) → `appendScores`, minute by minute (the order the store's incremental export
 * delivers), committed every two hours of data. One patient in ten deteriorates (sepsis-like: heart rate,
 * respiratory rate and temperature rise, blood pressure and SpO2 fall over four hours from a
 * time of its own); the others fluctuate around their baseline. Then, timed: the NEWS2-rise cohort
 * over the scores, a cohort over the readings themselves (respiratory rate up 8 /min in 6 h), a
 * full scan of the 100 M readings, the NEWS2-high outcomes derived and stored, and labelled
 * windows for an hour of the whole ward — each checked against what the generator put in.
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Reading } from '@healthit/core';
import { scoreValidNews2 } from '@healthit/gateway';
import {
  labelledWindows,
  metricChangeCohort,
  news2HighOutcomes,
  news2RiseCohort,
  openParquetWarehouse,
  type ScoreRecord,
} from '@healthit/platform/warehouse';
import { against, type Figure, median } from './measure.js';

const MINUTES = 1_440;
/** Noon UTC: the day spans two `date=` partitions, as a real day of a ward in most time zones does. */
const T0 = Date.UTC(2026, 10, 1, 12);
const MINUTE = 60_000;
const HOUR = 3_600_000;

/** Stable vital signs, and where a deteriorating patient ends up (canonical units). */
const VITALS = [
  ['heart-rate', '/min', 76, 124, 0],
  ['respiratory-rate', '/min', 15, 28, 0],
  ['spo2', '%', 97, 91, 0],
  ['body-temperature', 'Cel', 36.9, 38.8, 1],
  ['bp-systolic', 'mm[Hg]', 124, 88, 0],
  ['bp-diastolic', 'mm[Hg]', 78, 52, 0],
  ['bp-mean', 'mm[Hg]', 93, 64, 0],
] as const;

/** Patients whose condition deteriorates during the day. */
export const deteriorates = (p: number) => p % 10 === 0;
/** When a deteriorating patient starts to (minute of the day, 6–16 h), over four hours. */
const onsetMinute = (p: number) => 360 + ((p * 37) % 600);
const RAMP_MINUTES = 240;

/** A small deterministic noise source per patient (xorshift32). */
function noise(seed: number): () => number {
  let x = (seed * 2_654_435_761) >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return ((x >>> 0) / 4_294_967_296) * 2 - 1; // −1…1
  };
}

/**
 * The ward minute by minute, as the store's incremental export delivers it (in time order): each
 * patient's readings of minute `m` (ids `${deviceId}:${seq}`) and NEWS2 score.
 */
function wardMinute(
  m: number,
  patients: number,
  rands: readonly (() => number)[],
  readings: Reading[],
  scores: ScoreRecord[],
): void {
  const ts = T0 + m * MINUTE;
  const values = [0, 0, 0, 0, 0, 0, 0];
  for (let p = 0; p < patients; p++) {
    const deviceId = `mon-${p}`;
    const patientId = `pat-${p}`;
    const rand = rands[p] as () => number;
    const progress = deteriorates(p) ? Math.min(1, Math.max(0, (m - onsetMinute(p)) / RAMP_MINUTES)) : 0;
    for (let k = 0; k < VITALS.length; k++) {
      const [metric, unit, stable, ill, decimals] = VITALS[k] as (typeof VITALS)[number];
      const spread = k === 3 ? 0.2 : k === 2 ? 0.8 : 2;
      const raw = stable + (ill - stable) * progress + rand() * spread;
      const value =
        decimals === 1 ? Math.round(raw * 10) / 10 : Math.round(k === 2 ? Math.min(100, raw) : raw);
      values[k] = value;
      const seq = m * VITALS.length + k;
      readings.push({
        id: `${deviceId}:${seq}`,
        deviceId,
        patientId,
        metric,
        value,
        unit,
        ts,
        seq,
      } as Reading);
    }
    const score = scoreValidNews2({
      rr: values[1] as number,
      spo2: values[2] as number,
      spo2Scale: 1,
      onOxygen: false,
      sbp: values[4] as number,
      pulse: values[0] as number,
      consciousness: 'A',
      temp: values[3] as number,
    });
    scores.push({ patientId, ts, total: score.total });
  }
}

/** Bytes on disk under `path`. */
function du(path: string): number {
  return Number(execFileSync('du', ['-sb', path], { encoding: 'utf8' }).split('\t')[0]);
}

/** Warm runs of each 100 M query (the cold one runs once: its cache state cannot be repeated). */
const WARM_RUNS = 3;

/**
 * A query's figures: its cold run, then the median of WARM_RUNS warm runs, each followed by its
 * ceiling (after one warm-up of the ceiling, so both run warm).
 */
async function coldAndWarm(
  name: string,
  query: () => Promise<[number, string]>,
  ceiling: () => Promise<number>,
  ceilingName: string,
  target?: string,
): Promise<Figure[]> {
  const [coldMs, coldNote] = await query();
  await ceiling();
  const warm: number[] = [];
  const ceilings: number[] = [];
  let note = coldNote;
  for (let run = 0; run < WARM_RUNS; run++) {
    const [ms, n] = await query();
    warm.push(ms);
    note = n;
    ceilings.push(await ceiling());
  }
  const warmMs = median(warm);
  const suffix = target === undefined ? '' : `; ${target}`;
  return [
    { name: `${name} (cold)`, value: coldMs, unit: 'ms', runs: 1, note: `${coldNote}${suffix}` },
    {
      name: `${name} (warm)`,
      value: warmMs,
      unit: 'ms',
      runs: WARM_RUNS,
      note: `${note}${suffix}`,
      ...against(warmMs, 'ms', ceilingName, median(ceilings)),
    },
  ];
}

async function timed<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const t0 = performance.now();
  const result = await fn();
  return [result, performance.now() - t0];
}

/** Builds the 100 M-reading warehouse and times the queries over it. */
export async function benchHundredMillion(
  options: {
    /** Keep the warehouse (and print where). */
    readonly keep?: boolean;
    /** Time the queries over a warehouse an earlier `keep` run built, without building it again. */
    readonly reuse?: string;
    readonly patients?: number;
  } = {},
): Promise<Figure[]> {
  const PATIENTS = options.patients ?? 10_000;
  const keep = options.keep === true || options.reuse !== undefined;
  const root = options.reuse ?? (await mkdtemp(join(tmpdir(), 'healthit-bench-warehouse-100m-')));
  const figures: Figure[] = [];
  const log = (text: string) => console.log(`  [100 M] ${text}`);
  try {
    const w = await openParquetWarehouse({ dir: root });
    if (options.reuse === undefined) {
      const rands = Array.from({ length: PATIENTS }, (_, p) => noise(p + 1));
      let generateMs = 0;
      const t0 = performance.now();
      for (let m = 0; m < MINUTES; m++) {
        const g0 = performance.now();
        const readings: Reading[] = [];
        const scores: ScoreRecord[] = [];
        wardMinute(m, PATIENTS, rands, readings, scores);
        generateMs += performance.now() - g0;
        await w.appendReadings(readings);
        await w.appendScores(scores);
        if ((m + 1) % 120 === 0 && m + 1 < MINUTES) {
          await w.flush(); // commit every 2 hours of data, as a periodic incremental export would
          log(`${(m + 1) / 60} h, ${w.manifest().readings.toLocaleString('en-US')} readings committed`);
        }
      }
      await w.flush();
      const totalMs = performance.now() - t0;
      figures.push({
        name: `100 M: export ${(w.manifest().readings / 1e6).toFixed(1)} M readings + ${(w.manifest().scores / 1e6).toFixed(1)} M scores (excl. generating them)`,
        value: w.manifest().readings / ((totalMs - generateMs) / 1000),
        unit: 'readings/s',
        note: `${((totalMs - generateMs) / 1000).toFixed(0)} s exporting, ${(generateMs / 1000).toFixed(0)} s generating and scoring`,
      });
    }
    const { readings: nReadings, scores: nScores } = w.manifest();
    if (nReadings !== PATIENTS * MINUTES * VITALS.length || nScores !== PATIENTS * MINUTES) {
      throw new Error(`100 M: manifest counts ${nReadings} readings, ${nScores} scores`);
    }
    figures.push({
      name: '100 M: size on disk, readings + scores (Parquet, ZSTD)',
      value: (du(join(root, 'readings')) + du(join(root, 'scores'))) / 1e9,
      unit: 'GB',
      note: `readings ${(du(join(root, 'readings')) / nReadings).toFixed(1)} bytes each; ${
        execFileSync('find', [root, '-name', '*.parquet'], { encoding: 'utf8' }).trim().split('\n').length
      } files`,
    });

    // Full scan: every reading, per metric (the median of WARM_RUNS).
    const scans: number[] = [];
    let perMetric: { metric: string; n: bigint }[] = [];
    for (let run = 0; run < WARM_RUNS; run++) {
      const [rows, ms] = await timed(() =>
        w.query<{ metric: string; n: bigint }>(
          'SELECT metric, count(*) AS n, avg(value) AS mean FROM readings GROUP BY metric',
        ),
      );
      perMetric = rows;
      scans.push(ms);
    }
    const scanMs = median(scans);
    const scanned = perMetric.reduce((s, r) => s + Number(r.n), 0);
    if (scanned !== nReadings || perMetric.length !== VITALS.length)
      throw new Error(`100 M: scan counted ${scanned}`);
    figures.push({
      name: '100 M: full scan, count and mean per metric over all readings',
      value: scanMs,
      unit: 'ms',
      runs: WARM_RUNS,
      note: `first run ${scans[0]?.toFixed(0)} ms`,
    });

    // The NEWS2-rise cohort over the scores of the 100 M-reading warehouse: once cold, then
    // WARM_RUNS times warm, each beside its ceiling — the exact window query alone, by hand.
    const expected = Array.from({ length: PATIENTS }, (_, p) => p).filter(deteriorates);
    const news2Cohort = async (): Promise<[number, string]> => {
      const [cohort, ms] = await timed(() => news2RiseCohort(w, { rise: 3, withinMs: 6 * HOUR }));
      const found = new Set(cohort.map((c) => c.patientId));
      const missed = expected.filter((p) => !found.has(`pat-${p}`)).length;
      const extra = cohort.filter((c) => !deteriorates(Number(c.patientId.slice(4)))).length;
      if (missed > 0 || extra > cohort.length / 10) {
        throw new Error(`100 M: NEWS2 cohort missed ${missed} deteriorating patients, has ${extra} others`);
      }
      return [ms, `${cohort.length} patients: all ${expected.length} deteriorating, ${extra} others`];
    };
    const news2Ceiling = async (): Promise<number> =>
      (
        await timed(() =>
          w.query(
            `SELECT count(DISTINCT patient_id) AS n FROM (
               SELECT patient_id, total - min(total) OVER (PARTITION BY patient_id ORDER BY ts RANGE BETWEEN ${6 * HOUR} PRECEDING AND CURRENT ROW) AS rise
               FROM scores) WHERE rise >= 3`,
          ),
        )
      )[1];
    figures.push(
      ...(await coldAndWarm(
        `100 M: cohort NEWS2 rose ≥ 3 in 6 h, over ${(nScores / 1e6).toFixed(1)} M scores`,
        news2Cohort,
        news2Ceiling,
        'the exact window query alone (no pruning pass), by hand over the same files',
        'target < 10 s',
      )),
    );

    // A cohort over the readings themselves: respiratory rate up 8 /min within 6 hours.
    const rrCohort = async (): Promise<[number, string]> => {
      const [cohort, ms] = await timed(() =>
        metricChangeCohort(w, { metric: 'respiratory-rate', change: 8, withinMs: 6 * HOUR }),
      );
      const found = new Set(cohort.map((c) => c.patientId));
      const missed = expected.filter((p) => !found.has(`pat-${p}`)).length;
      const extra = cohort.length - (expected.length - missed);
      if (missed > 0 || extra > 0) throw new Error(`100 M: RR cohort missed ${missed}, has ${extra} others`);
      return [ms, `${cohort.length} patients, exactly the deteriorating ones`];
    };
    const rrCeiling = async (): Promise<number> =>
      (
        await timed(() =>
          w.query(
            `SELECT count(DISTINCT patient_id) AS n FROM (
               SELECT patient_id, value - min(value) OVER (PARTITION BY patient_id ORDER BY ts RANGE BETWEEN ${6 * HOUR} PRECEDING AND CURRENT ROW) AS rise
               FROM readings WHERE metric = 'respiratory-rate') WHERE rise >= 8`,
          ),
        )
      )[1];
    figures.push(
      ...(await coldAndWarm(
        '100 M: cohort respiratory rate rose ≥ 8 /min in 6 h, over the readings',
        rrCohort,
        rrCeiling,
        'the exact window query alone over the respiratory-rate readings, by hand',
      )),
    );

    // Outcomes: the NEWS2-high onsets derived from 14.4 M scores and stored, then an hour of labelled
    // 5-minute windows of the whole ward ("NEWS2 ≥ 7 within the next hour").
    const [outcomes, deriveMs] = await timed(async () => {
      const o = await news2HighOutcomes(w);
      if ((w.manifest().outcomes ?? 0) === 0) {
        await w.appendOutcomes(o);
        await w.flush();
      }
      return o;
    });
    figures.push({
      name: '100 M: derive and store the NEWS2 ≥ 7 onsets (outcomes) from all scores',
      value: deriveMs,
      unit: 'ms',
      runs: 1,
      note: `${outcomes.length} onsets (stores them: runs once)`,
    });
    const from = T0 + 14 * HOUR;
    const labelRuns: number[] = [];
    let windows: Awaited<ReturnType<typeof labelledWindows>> = [];
    for (let run = 0; run < WARM_RUNS; run++) {
      const [rows, ms] = await timed(() =>
        labelledWindows(w, { windowMs: 5 * MINUTE, horizonMs: HOUR, from, to: from + HOUR }),
      );
      windows = rows;
      labelRuns.push(ms);
    }
    const labelMs = median(labelRuns);
    const positives = windows.filter((x) => x.label).length;
    if (windows.length !== PATIENTS * 12 || positives === 0) {
      throw new Error(`100 M: ${windows.length} labelled windows, ${positives} positive`);
    }
    figures.push({
      name: '100 M: labelled 5-min windows of the ward for one hour (readings ⋈ scores ⋈ outcomes)',
      value: labelMs,
      unit: 'ms',
      runs: WARM_RUNS,
      note: `${windows.length} windows, ${positives} labelled positive; first run ${labelRuns[0]?.toFixed(0)} ms`,
    });
    await w.close();
    if (keep) log(`kept in ${root}`);
  } finally {
    if (!keep) await rm(root, { recursive: true, force: true });
  }
  return figures;
}
