import { isHealthItError } from '@healthit/core';
import { describe, expect, it } from 'vitest';
import { NORMAL, reading, T0, vitalsReadings } from '../../test/helpers.js';
import { createLatestVitals, type VitalsUpdate } from './latest-vitals.js';

const unbounded = { maxPatients: 10_000, maxFeatureAgeMs: Number.POSITIVE_INFINITY };

function feed(latest: ReturnType<typeof createLatestVitals>, readings: ReturnType<typeof vitalsReadings>) {
  return readings.flatMap((r) => latest.update(r));
}

function rows(updates: readonly VitalsUpdate[]) {
  return updates.flatMap((u) => (u.type === 'row' ? [u.row] : []));
}

describe('createLatestVitals', () => {
  it('yields a row once a patient has all five features, with reading ids in feature order', () => {
    const latest = createLatestVitals(unbounded);
    const readings = vitalsReadings('p1', NORMAL);
    const updates = readings.map((r) => latest.update(r));
    expect(updates.slice(0, 4)).toEqual([[], [], [], []]);
    expect(updates[4]).toEqual([
      {
        type: 'row',
        row: { patientId: 'p1', values: NORMAL, readingIds: readings.map((r) => r.id), ts: T0 + 4 },
      },
    ]);
  });

  it('yields a new row on every later update, using the latest value', () => {
    const latest = createLatestVitals(unbounded);
    feed(latest, vitalsReadings('p1', NORMAL));
    const [row] = rows(latest.update(reading('p1', 'spo2', 91, '%', 10, T0 + 100)));
    expect(row?.values).toEqual([72, 14, 91, 36.8, 122]);
    expect(row?.readingIds[2]).toBe('p1-dev:10');
    expect(row?.ts).toBe(T0 + 100);
  });

  it('converts to canonical units', () => {
    const latest = createLatestVitals(unbounded);
    feed(latest, vitalsReadings('p1', NORMAL));
    const [row] = rows(latest.update(reading('p1', 'body-temperature', 102.2, '[degF]', 10, T0 + 100)));
    expect(row?.values[3]).toBeCloseTo(39, 10);
  });

  it('ignores readings without a patient, of other metrics, of bad quality, older or re-delivered', () => {
    const latest = createLatestVitals(unbounded);
    feed(latest, vitalsReadings('p1', NORMAL, T0 + 1000));
    expect(latest.update(reading(undefined, 'heart-rate', 80, '/min', 1))).toEqual([]);
    expect(latest.update(reading('p1', 'bp-diastolic', 80, 'mm[Hg]', 2, T0 + 2000))).toEqual([]);
    expect(
      latest.update({ ...reading('p1', 'heart-rate', 150, '/min', 3, T0 + 2000), quality: 'bad' }),
    ).toEqual([]);
    expect(latest.update(reading('p1', 'heart-rate', 150, '/min', 4, T0))).toEqual([]);
    const again = vitalsReadings('p1', NORMAL, T0 + 1000)[0];
    expect(again && latest.update(again)).toEqual([]);
    expect(latest.size).toBe(1);
    // The held values are unchanged: the next update still sees heart rate 72.
    expect(rows(latest.update(reading('p1', 'spo2', 97, '%', 5, T0 + 3000)))[0]?.values[0]).toBe(72);
  });

  it('reports a value that cannot be converted, and goes on', () => {
    const latest = createLatestVitals(unbounded);
    const [event] = latest.update(reading('p1', 'heart-rate', 80, 'mm[Hg]', 1));
    expect(event?.type).toBe('error');
    expect(event?.type === 'error' && isHealthItError(event.error, 'units/unsupported')).toBe(true);
    expect(event?.type === 'error' && event.readingIds).toEqual(['p1-dev:1']);
    const [nan] = latest.update(reading('p1', 'heart-rate', Number.NaN, '/min', 2));
    expect(nan?.type === 'error' && isHealthItError(nan.error, 'validation/invalid')).toBe(true);
    expect(rows(feed(latest, vitalsReadings('p1', NORMAL, T0 + 10)))).toHaveLength(1);
  });

  it('scores only values measured within maxFeatureAgeMs of each other', () => {
    const latest = createLatestVitals({ maxPatients: 10, maxFeatureAgeMs: 60_000 });
    const readings = vitalsReadings('p1', NORMAL);
    const late = { ...readings[4], ts: T0 + 120_000 } as (typeof readings)[number];
    expect(rows(feed(latest, [...readings.slice(0, 4), late]))).toEqual([]);
    // A fresh heart rate is still 120 s from the oldest value: nothing yet.
    expect(rows(latest.update(reading('p1', 'heart-rate', 80, '/min', 20, T0 + 120_000)))).toEqual([]);
    const fresh = vitalsReadings('p1', NORMAL, T0 + 100_000, 30).slice(1, 4);
    expect(rows(feed(latest, fresh))).toHaveLength(1);
  });

  it('evicts the least recently updated patient past maxPatients, and says so', () => {
    const latest = createLatestVitals({ maxPatients: 2, maxFeatureAgeMs: Number.POSITIVE_INFINITY });
    feed(latest, vitalsReadings('p1', NORMAL));
    feed(latest, vitalsReadings('p2', NORMAL));
    latest.update(reading('p1', 'spo2', 95, '%', 50, T0 + 50)); // p1 is now the most recent
    const updates = latest.update(reading('p3', 'spo2', 95, '%', 51, T0 + 51));
    expect(latest.size).toBe(2);
    expect(updates).toHaveLength(1);
    const [evicted] = updates;
    expect(evicted?.type === 'error' && isHealthItError(evicted.error, 'buffer/overflow')).toBe(true);
    expect(evicted?.type === 'error' && evicted.patientIds).toEqual(['p2']);
    expect(evicted?.type === 'error' && evicted.readingIds).toHaveLength(5);
    // p1 kept its values, p2 starts over.
    expect(rows(latest.update(reading('p1', 'spo2', 94, '%', 52, T0 + 52)))).toHaveLength(1);
    expect(rows(latest.update(reading('p2', 'spo2', 94, '%', 53, T0 + 53)))).toEqual([]);
  });
});
