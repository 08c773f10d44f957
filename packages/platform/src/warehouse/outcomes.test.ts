import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type PatientId, type Reading, ValidationError } from '@healthit/core';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { OutcomeRecord } from './outcome-record.js';
import { labelledWindows, news2HighOutcomes, outcomesFromTimeline } from './outcomes.js';
import { openParquetWarehouse, type ParquetWarehouse, type ScoreRecord } from './parquet-warehouse.js';

const T0 = Date.UTC(2026, 10, 24, 22);
const MINUTE = 60_000;
const HOUR = 3_600_000;

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'healthit-outcomes-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function vital(patient: string, metric: 'heart-rate' | 'spo2', minute: number, value: number): Reading {
  const seq = minute * 2 + (metric === 'spo2' ? 1 : 0);
  return {
    id: `mon-${patient}:${seq}`,
    deviceId: `mon-${patient}`,
    patientId: patient,
    metric,
    value,
    unit: metric === 'spo2' ? '%' : '/min',
    ts: T0 + minute * MINUTE,
    seq,
  } as Reading;
}

const score = (patientId: string, minute: number, total: number): ScoreRecord => ({
  patientId,
  ts: T0 + minute * MINUTE,
  total,
});

describe('OutcomeRecord', () => {
  it('accepts the documented kinds and refuses unknown fields, kinds and times', () => {
    const ok = { patientId: 'pat-1', ts: T0, kind: 'cardiac-arrest', source: 'ehr' };
    expect(OutcomeRecord.safeParse(ok).success).toBe(true);
    expect(OutcomeRecord.safeParse({ ...ok, episodeId: 'enc-1', detail: 'VF' }).success).toBe(true);
    expect(OutcomeRecord.safeParse({ ...ok, kind: 'sneeze' }).success).toBe(false);
    expect(OutcomeRecord.safeParse({ ...ok, ts: 1.5 }).success).toBe(false);
    expect(OutcomeRecord.safeParse({ ...ok, source: '' }).success).toBe(false);
    expect(OutcomeRecord.safeParse({ ...ok, ward: 'B' }).success).toBe(false);
  });
});

describe('news2HighOutcomes', () => {
  async function withScores(scores: readonly ScoreRecord[]): Promise<ParquetWarehouse> {
    const w = await openParquetWarehouse({ dir: await mkdtemp(join(dir, 'w-')) });
    await w.appendScores(scores);
    await w.flush();
    return w;
  }

  it('derives the onsets of high-risk episodes: reaching 7 from below, not every high score', async () => {
    const w = await withScores([
      score('a', 0, 3),
      score('a', 10, 7), // onset
      score('a', 20, 9), // same episode
      score('a', 30, 4),
      score('a', 40, 8), // second onset
      score('b', 0, 7), // first score already high: onset
      score('c', 0, 6),
      score('c', 5, 6),
    ]);
    const onset = (patientId: string, minute: number, total: number) => ({
      patientId,
      ts: T0 + minute * MINUTE,
      kind: 'news2-high',
      source: 'derived:news2',
      detail: `NEWS2 ${total}`,
    });
    expect(await news2HighOutcomes(w)).toEqual([onset('b', 0, 7), onset('a', 10, 7), onset('a', 40, 8)]);
    expect((await news2HighOutcomes(w, { threshold: 6 })).map((o) => [o.patientId, o.ts - T0])).toEqual([
      ['b', 0],
      ['c', 0],
      ['a', 10 * MINUTE],
      ['a', 40 * MINUTE],
    ]);
    await expect(news2HighOutcomes(w, { threshold: 0 })).rejects.toThrow(ValidationError);
    await w.close();
  });

  it('property: deriving [t0, t1) then [t1, t2) gives what [t0, t2) gives', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.tuple(
            fc.constantFrom('a', 'b'),
            fc.integer({ min: 0, max: 120 }),
            fc.integer({ min: 0, max: 12 }),
          ),
          {
            maxLength: 40,
          },
        ),
        fc.integer({ min: 0, max: 121 }),
        async (entries, split) => {
          // one score per patient and minute
          const unique = new Map(entries.map(([p, m, t]) => [`${p}/${m}`, score(p, m, t)]));
          const w = await withScores([...unique.values()]);
          const cut = T0 + split * MINUTE;
          const whole = await news2HighOutcomes(w, { from: T0, to: T0 + 121 * MINUTE });
          const parts = [
            ...(await news2HighOutcomes(w, { from: T0, to: cut })),
            ...(await news2HighOutcomes(w, { from: cut, to: T0 + 121 * MINUTE })),
          ];
          await w.close();
          expect(parts).toEqual(whole);
        },
      ),
      { numRuns: 10 },
    );
  });
});

describe('outcomesFromTimeline', () => {
  it("turns a simulated ward's acute deterioration phases into ground-truth onsets", () => {
    const patients = [
      {
        patientId: 'p-1',
        timeline: [
          { name: 'copd', kind: 'chronic' as const, atMs: 0 },
          { name: 'stable', kind: 'acute' as const, atMs: 0 },
          { name: 'deteriorating', kind: 'acute' as const, atMs: 2 * HOUR },
          { name: 'recovery', kind: 'acute' as const, atMs: 5 * HOUR },
          { name: 'hypoxic', kind: 'acute' as const, atMs: 9 * HOUR },
        ],
      },
      { patientId: 'p-0', timeline: [{ name: 'fever', kind: 'acute' as const, atMs: HOUR }] },
    ];
    const outcomes = outcomesFromTimeline(patients, T0, { untilTs: T0 + 8 * HOUR });
    expect(outcomes).toEqual([
      { patientId: 'p-0', ts: T0 + HOUR, kind: 'deterioration-onset', source: 'simulator', detail: 'fever' },
      {
        patientId: 'p-1',
        ts: T0 + 2 * HOUR,
        kind: 'deterioration-onset',
        source: 'simulator',
        detail: 'deteriorating',
      },
    ]);
    for (const o of outcomes) expect(OutcomeRecord.safeParse(o).success).toBe(true);
    expect(outcomesFromTimeline(patients, T0, { phases: ['hypoxic'] }).map((o) => o.detail)).toEqual([
      'hypoxic',
    ]);
  });
});

describe('labelledWindows', () => {
  it('labels each window with "an outcome follows within the horizon", with the vital-sign means and NEWS2', async () => {
    const w = await openParquetWarehouse({ dir });
    const readings: Reading[] = [];
    for (let m = 0; m < 120; m++) {
      readings.push(vital('a', 'heart-rate', m, 70 + m), vital('a', 'spo2', m, 97 - Math.floor(m / 30)));
      readings.push(vital('b', 'heart-rate', m, 60));
    }
    await w.appendReadings(readings);
    await w.appendScores([score('a', 0, 2), score('a', 50, 5), score('a', 100, 7), score('a', 110, 8)]);
    await w.flush();
    await w.appendOutcomes(await news2HighOutcomes(w)); // a: onset at minute 100
    await w.appendOutcomes([
      { patientId: 'b' as PatientId, ts: T0 + 40 * MINUTE, kind: 'discharge', source: 'adt' },
    ]);
    await w.flush();

    const windows = await labelledWindows(w, {
      windowMs: 30 * MINUTE,
      horizonMs: HOUR,
      from: T0,
      to: T0 + 2 * HOUR,
    });
    const a = windows.filter((x) => x.patientId === 'a');
    expect(a.map((x) => (x.windowStart - T0) / MINUTE)).toEqual([0, 30, 60, 90]);
    // Outcome at minute 100: windows ending at 60 and 90 have it within the hour; the one ending at
    // 30 has it later (at 100 > 30 + 60), and none follows the one ending at 120.
    expect(a.map((x) => x.label)).toEqual([false, true, true, false]);
    expect(a.map((x) => (x.nextOutcome === null ? null : (x.nextOutcome.ts - T0) / MINUTE))).toEqual([
      100,
      100,
      100,
      null,
    ]);
    expect(a.map((x) => x.news2)).toEqual([2, 5, null, 8]);
    expect(a[0]?.means['heart-rate']).toBeCloseTo(70 + 14.5, 9);
    expect(a[0]?.means.spo2).toBe(97);
    expect(a[3]?.means.spo2).toBe(94);
    // b's discharge is not a news2-high outcome …
    expect(windows.filter((x) => x.patientId === 'b').every((x) => !x.label && x.news2 === null)).toBe(true);
    // … unless asked for.
    const discharge = await labelledWindows(w, {
      windowMs: 30 * MINUTE,
      horizonMs: HOUR,
      kinds: ['discharge'],
      from: T0,
      to: T0 + 2 * HOUR,
      patientId: 'b',
    });
    expect(
      discharge.map((x) => [(x.windowStart - T0) / MINUTE, x.label, x.nextOutcome?.kind ?? null]),
    ).toEqual([
      [0, true, 'discharge'],
      [30, false, null],
      [60, false, null],
      [90, false, null],
    ]);
    await expect(
      labelledWindows(w, { windowMs: 0, horizonMs: HOUR, from: T0, to: T0 + HOUR }),
    ).rejects.toThrow(ValidationError);
    await expect(
      labelledWindows(w, { windowMs: MINUTE, horizonMs: HOUR, from: T0, to: T0, kinds: ['sneeze' as never] }),
    ).rejects.toThrow(/kinds.*to|to.*kinds/s);
    await w.close();
  });
});
