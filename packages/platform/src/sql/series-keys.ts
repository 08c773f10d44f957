import type { Reading } from '@healthit/core';
import type { SqlExecutor } from './executor.js';
import type { ReadingTableNames } from './names.js';

/** How many series keys a store keeps in memory by default (a few MB at most). */
export const DEFAULT_SERIES_CACHE_SIZE = 100_000;

/** The parts of a reading that name its series. */
type SeriesOf = Pick<Reading, 'deviceId' | 'patientId' | 'metric'>;

/** Resolves the integer key of each reading's series, creating missing series. */
export interface SeriesKeys {
  /**
   * The series key of each reading, in order. Series not yet in the dictionary are inserted
   * (`ON CONFLICT DO NOTHING`, so concurrent writers agree) and read back, in one statement (two
   * when a concurrent writer added one of them meanwhile).
   */
  keysOf(readings: readonly SeriesOf[]): Promise<Int32Array>;
  /** How many keys are cached now (at most the cache size). */
  cached(): number;
}

/** device → patient ('' for none: a patient id is never empty) → metric → key. */
type KeyCache = Map<string, Map<string, Map<string, number>>>;

function cachedKey(cache: KeyCache, r: SeriesOf): number | undefined {
  return cache
    .get(r.deviceId)
    ?.get(r.patientId ?? '')
    ?.get(r.metric);
}

function setKey(cache: KeyCache, deviceId: string, patientId: string, metric: string, key: number): void {
  let byPatient = cache.get(deviceId);
  if (byPatient === undefined) {
    byPatient = new Map();
    cache.set(deviceId, byPatient);
  }
  let byMetric = byPatient.get(patientId);
  if (byMetric === undefined) {
    byMetric = new Map();
    byPatient.set(patientId, byMetric);
  }
  byMetric.set(metric, key);
}

interface SeriesRow {
  readonly key: number | string;
  readonly device_id: string;
  readonly patient_id: string | null;
  readonly metric: string;
}

/**
 * The series dictionary of a readings table (`<table>_series`, see schema version 4) with an
 * in-memory cache of at most `cacheSize` keys; when it is full it is emptied, and keys are read
 * back from the table as their series are seen again. Keys never change once assigned, so a cached
 * key is never stale.
 *
 * @throws {RangeError} when `cacheSize` is not an integer ≥ 1.
 */
export function seriesKeys(
  executor: SqlExecutor,
  names: ReadingTableNames,
  cacheSize: number = DEFAULT_SERIES_CACHE_SIZE,
): SeriesKeys {
  if (!Number.isSafeInteger(cacheSize) || cacheSize < 1) {
    throw new RangeError(`seriesCacheSize must be an integer >= 1, got ${cacheSize}`);
  }
  let cache: KeyCache = new Map();
  let size = 0;

  /** Inserts the missing series (those already there are kept) and returns every one's key. */
  async function fetch(missing: readonly SeriesOf[]): Promise<KeyCache> {
    const columns: [string[], (string | null)[], string[]] = [[], [], []];
    for (const r of missing) {
      columns[0].push(r.deviceId);
      columns[1].push(r.patientId ?? null);
      columns[2].push(r.metric);
    }
    const match = `k.device_id = w.device_id AND k.metric = w.metric
  AND coalesce(k.patient_id, '') = coalesce(w.patient_id, '')`;
    const wanted = 'unnest($1::text[], $2::text[], $3::text[]) AS w(device_id, patient_id, metric)';
    const found: KeyCache = new Map();
    const add = (rows: readonly SeriesRow[]): void => {
      for (const row of rows) setKey(found, row.device_id, row.patient_id ?? '', row.metric, Number(row.key));
    };
    add(
      await executor.query<SeriesRow>(
        `WITH added AS (
  INSERT INTO ${names.series} (device_id, patient_id, metric)
  SELECT device_id, patient_id, metric FROM ${wanted} ON CONFLICT DO NOTHING
  RETURNING key, device_id, patient_id, metric
)
SELECT key, device_id, patient_id, metric FROM added
UNION ALL
SELECT k.key, k.device_id, k.patient_id, k.metric FROM ${names.series} k JOIN ${wanted} ON ${match}`,
        columns,
      ),
    );
    if (missing.some((r) => cachedKey(found, r) === undefined)) {
      // A concurrent writer added a series after this statement's snapshot: a new statement sees it.
      add(
        await executor.query<SeriesRow>(
          `SELECT k.key, k.device_id, k.patient_id, k.metric FROM ${names.series} k JOIN ${wanted} ON ${match}`,
          columns,
        ),
      );
    }
    for (const r of missing) {
      if (cachedKey(found, r) === undefined) {
        throw new Error(
          `the series dictionary has no key for device ${r.deviceId}, patient ${r.patientId ?? '(none)'}, metric ${r.metric}`,
        );
      }
    }
    return found;
  }

  return {
    async keysOf(readings) {
      const keys = new Int32Array(readings.length);
      const missing: SeriesOf[] = [];
      for (let i = 0; i < readings.length; i++) {
        const r = readings[i] as SeriesOf;
        const key = cachedKey(cache, r);
        if (key === undefined) missing.push(r);
        else keys[i] = key;
      }
      if (missing.length === 0) return keys;
      const found = await fetch(missing);
      for (let i = 0; i < readings.length; i++) {
        const key = cachedKey(found, readings[i] as SeriesOf);
        if (key !== undefined) keys[i] = key;
      }
      // Remembered after use: a batch with more new series than the cache holds still gets all.
      for (const r of missing) {
        if (cachedKey(cache, r) !== undefined) continue;
        if (size >= cacheSize) {
          cache = new Map();
          size = 0;
        }
        setKey(cache, r.deviceId, r.patientId ?? '', r.metric, cachedKey(found, r) as number);
        size += 1;
      }
      return keys;
    },
    cached: () => size,
  };
}
