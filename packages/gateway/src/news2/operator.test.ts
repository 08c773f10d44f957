import type { Reading } from '@healthit/core';
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import { type News2Entry, news2Scores } from './operator.js';

type Vital = [Reading['metric'], number, string];
const V: Record<string, Vital> = {
  rr16: ['respiratory-rate', 16, '/min'],
  rr25: ['respiratory-rate', 25, '/min'],
  spo2_97: ['spo2', 97, '%'],
  spo2_93: ['spo2', 93, '%'],
  sbp120: ['bp-systolic', 120, 'mm[Hg]'],
  pulse70: ['heart-rate', 70, '/min'],
  pulse115: ['pulse-rate', 115, '/min'],
  temp37: ['body-temperature', 37, 'Cel'],
};

/** A reading of patient `p` taken at `tsMs`, named `${p}:${name}@${tsMs}`. */
function vital(name: string, tsMs: number, patient = 'p1'): Reading {
  const [metric, value, unit] = V[name]!;
  return {
    id: `${patient}:${name}@${tsMs}`,
    deviceId: `mon-${patient}` as Reading['deviceId'],
    patientId: patient as NonNullable<Reading['patientId']>,
    metric,
    value,
    unit,
    ts: tsMs,
    seq: tsMs,
  };
}

function withoutPatient({ patientId: _patient, ...rest }: Reading): Reading {
  return rest;
}

const charted = (id: string, patientId = 'p1', extra: Partial<News2Entry> = {}): News2Entry =>
  ({ id, patientId, ts: 0, consciousness: 'A', onOxygen: false, ...extra }) as News2Entry;

const score = (total: number, clinicalRisk: string) =>
  expect.objectContaining({ type: 'news2-score', result: expect.objectContaining({ total, clinicalRisk }) });
const alert = (severity: string, text: string) =>
  expect.objectContaining({
    type: 'news2-alert',
    alert: expect.objectContaining({ rule: 'news2', severity, message: expect.stringContaining(text) }),
  });

function scheduler(): TestScheduler {
  return new TestScheduler((a, e) => expect(a).toEqual(e));
}

describe('news2Scores', () => {
  it('emits the score when it changes and an alert each time the clinical risk rises', () => {
    const s = scheduler();
    s.run(({ cold, expectObservable }) => {
      const readings = cold('abcdf---g---h---i---j---k|', {
        a: vital('rr16', 0),
        b: vital('spo2_97', 1),
        c: vital('sbp120', 2),
        d: vital('pulse70', 3),
        f: vital('temp37', 4),
        g: vital('rr25', 8),
        h: vital('rr25', 12),
        i: vital('spo2_93', 16),
        j: vital('pulse115', 20),
        k: vital('rr16', 24),
      });
      const entries = cold('e|', { e: charted('chart-1') });
      const out = readings.pipe(news2Scores({ entries$: entries, clock: { now: () => s.now() } }));
      expectObservable(out).toBe('----x---(yz)----(AB)(CD)k|', {
        x: score(0, 'low'),
        y: score(3, 'low-medium'),
        z: alert(
          'low-medium',
          'urgent ward-based response; monitoring minimum 1-hourly; RN to inform medical team',
        ),
        A: score(5, 'medium'),
        B: alert('medium', 'key threshold for urgent response'),
        C: score(7, 'high'),
        D: alert('high', 'urgent or emergency response; monitoring continuous monitoring of vital signs'),
        k: score(4, 'low'),
      });
    });
  });

  it('builds the alert from the readings used and the RCP response', () => {
    const s = scheduler();
    s.run(({ cold, expectObservable }) => {
      const readings = cold('abcdf---|', {
        a: vital('rr25', 0),
        b: vital('spo2_97', 1),
        c: vital('sbp120', 2),
        d: vital('pulse70', 3),
        f: vital('temp37', 4),
      });
      const out = readings.pipe(
        news2Scores({ entries$: cold('e|', { e: charted('chart-1') }), clock: { now: () => s.now() } }),
      );
      expectObservable(out).toBe('----(xy)|', {
        x: {
          type: 'news2-score',
          patientId: 'p1',
          ts: 4,
          result: {
            subscores: { rr: 3, spo2: 0, airOrOxygen: 0, sbp: 0, pulse: 0, consciousness: 0, temp: 0 },
            total: 3,
            redScore: true,
            clinicalRisk: 'low-medium',
          },
          input: {
            rr: 25,
            spo2: 97,
            spo2Scale: 1,
            onOxygen: false,
            sbp: 120,
            pulse: 70,
            consciousness: 'A',
            temp: 37,
          },
          readingIds: ['p1:rr25@0', 'p1:spo2_97@1', 'p1:sbp120@2', 'p1:pulse70@3', 'p1:temp37@4', 'chart-1'],
        },
        y: {
          type: 'news2-alert',
          alert: {
            id: 'news2:p1:4:low-medium',
            rule: 'news2',
            severity: 'low-medium',
            message:
              'NEWS2 3 (low-medium clinical risk, red score) for p1: urgent ward-based response; ' +
              'monitoring minimum 1-hourly; RN to inform medical team, who will review and decide whether ' +
              'escalation is necessary',
            ts: 4,
            patientId: 'p1',
            readingIds: [
              'p1:rr25@0',
              'p1:spo2_97@1',
              'p1:sbp120@2',
              'p1:pulse70@3',
              'p1:temp37@4',
              'chart-1',
            ],
          },
        },
      });
    });
  });

  it('does not use a value past its staleness limit, and scores again when it is refreshed', () => {
    const s = scheduler();
    s.run(({ cold, expectObservable }) => {
      const readings = cold('abcdf 15ms g-h|', {
        a: vital('rr16', 0),
        b: vital('spo2_97', 1),
        c: vital('sbp120', 2),
        d: vital('pulse70', 3),
        f: vital('temp37', 4),
        g: vital('spo2_97', 20),
        h: vital('rr16', 22),
      });
      const out = readings.pipe(
        news2Scores({
          entries$: cold('e|', { e: charted('chart-1') }),
          maxAgeMs: { rr: 10 },
          clock: { now: () => s.now() },
        }),
      );
      expectObservable(out).toBe('----x 15ms y-z|', {
        x: score(0, 'low'),
        y: { type: 'news2-incomplete', patientId: 'p1', ts: 20, missing: ['rr'], stale: ['rr'], ahead: [] },
        z: score(0, 'low'),
      });
    });
  });

  it('takes consciousness and oxygen status from entries, and refuses a malformed entry as an event', () => {
    const s = scheduler();
    s.run(({ cold, expectObservable }) => {
      const readings = cold('abcdf|', {
        a: vital('rr16', 0),
        b: vital('spo2_97', 1),
        c: vital('sbp120', 2),
        d: vital('pulse70', 3),
        f: vital('temp37', 4),
      });
      const entries = cold('-------a-b-c-d---|', {
        a: { id: 'oxygen-on', patientId: 'p1', ts: 7, onOxygen: true },
        b: { id: 'acvpu-1', patientId: 'p1', ts: 9, consciousness: 'A' },
        c: { id: 'bad', patientId: 'p1', ts: 11, consciousness: 'alert' },
        d: { id: 'acvpu-2', patientId: 'p1', ts: 13, consciousness: 'V' },
      });
      const out = readings.pipe(news2Scores({ entries$: entries, clock: { now: () => s.now() } }));
      expectObservable(out).toBe('---------x-y-(zA)|', {
        x: expect.objectContaining({
          result: expect.objectContaining({ total: 2 }),
          readingIds: expect.arrayContaining(['acvpu-1', 'oxygen-on']),
        }),
        y: expect.objectContaining({
          type: 'news2-rejected',
          error: expect.objectContaining({
            code: 'validation/invalid',
            message: expect.stringContaining('consciousness'),
          }),
        }),
        z: score(5, 'medium'),
        A: alert('medium', 'for p1'),
      });
    });
  });

  it('scores with assumed context, rounds to the chart resolution, converts units and skips unusable readings', () => {
    const s = scheduler();
    s.run(({ cold, expectObservable }) => {
      const readings = cold<Reading>('abcdfghij|', {
        a: { ...vital('rr16', 0), value: 20.6 }, // rounds to 21 → 2
        b: vital('spo2_97', 1),
        c: vital('sbp120', 2),
        d: vital('pulse70', 3),
        f: { ...vital('temp37', 4), value: 100.4, unit: '[degF]' }, // 38.0 °C → 0
        g: { ...vital('rr25', 5), quality: 'bad' }, // skipped
        h: withoutPatient(vital('rr25', 6)), // no patient: skipped
        i: { ...vital('rr25', 7), metric: 'body-weight', unit: 'kg' }, // not a NEWS2 metric
        j: { ...vital('temp37', 8), value: 38.06 }, // rounds to 38.1 → 1
      });
      const out = readings.pipe(
        news2Scores({ assume: { consciousness: 'A', onOxygen: false }, clock: { now: () => s.now() } }),
      );
      expectObservable(out).toBe('----x---y|', {
        x: expect.objectContaining({
          result: expect.objectContaining({ total: 2 }),
          input: expect.objectContaining({ rr: 21, temp: 38 }),
        }),
        y: expect.objectContaining({
          result: expect.objectContaining({ total: 3 }),
          input: expect.objectContaining({ temp: 38.1 }),
        }),
      });
    });
  });

  it('refuses an implausible value as an event and keeps going', () => {
    const s = scheduler();
    s.run(({ cold, expectObservable }) => {
      const readings = cold('abcdfg|', {
        a: vital('rr16', 0),
        b: vital('spo2_97', 1),
        c: vital('sbp120', 2),
        d: vital('pulse70', 3),
        f: { ...vital('temp37', 4), value: 47 },
        g: vital('temp37', 5),
      });
      const out = readings.pipe(
        news2Scores({ assume: { consciousness: 'A', onOxygen: false }, clock: { now: () => s.now() } }),
      );
      expectObservable(out).toBe('----xy|', {
        x: expect.objectContaining({ type: 'news2-rejected', input: expect.objectContaining({ temp: 47 }) }),
        y: score(0, 'low'),
      });
    });
  });

  it('forgets the least recently updated patient when maxPatients is reached', () => {
    const s = scheduler();
    s.run(({ cold, expectObservable }) => {
      const readings = cold('abcdfgh|', {
        a: vital('rr16', 0),
        b: vital('spo2_97', 1),
        c: vital('sbp120', 2),
        d: vital('pulse70', 3),
        f: vital('temp37', 4),
        g: vital('rr16', 5, 'p2'), // p1 forgotten
        h: vital('rr25', 6), // p1 starts again: only rr known, no score
      });
      const out = readings.pipe(
        news2Scores({
          assume: { consciousness: 'A', onOxygen: false },
          maxPatients: 1,
          clock: { now: () => s.now() },
        }),
      );
      expectObservable(out).toBe('----x--|', { x: score(0, 'low') });
    });
  });

  it('keeps patients apart', () => {
    const s = scheduler();
    s.run(({ cold, expectObservable }) => {
      const names = ['rr16', 'spo2_97', 'sbp120', 'pulse70', 'temp37'];
      const values: Record<string, Reading> = {};
      names.forEach((n, i) => {
        values[String.fromCharCode(97 + i)] = vital(n, i, 'p1');
        values[String.fromCharCode(65 + i)] = vital(n === 'rr16' ? 'rr25' : n, i, 'p2');
      });
      const out = cold('aAbBcCdDeE---|', values).pipe(
        news2Scores({ assume: { consciousness: 'A', onOxygen: false }, clock: { now: () => s.now() } }),
      );
      expectObservable(out).toBe('--------x(yz)|', {
        x: expect.objectContaining({ patientId: 'p1', result: expect.objectContaining({ total: 0 }) }),
        y: expect.objectContaining({ patientId: 'p2', result: expect.objectContaining({ total: 3 }) }),
        z: expect.objectContaining({
          type: 'news2-alert',
          alert: expect.objectContaining({ patientId: 'p2' }),
        }),
      });
    });
  });

  it('does not use a value stamped beyond maxAheadMs (clock ahead): reports the patient incomplete once, and scores once a right-clock value replaces it', () => {
    const s = scheduler();
    s.run(({ cold, expectObservable }) => {
      const readings = cold('abcdfgh|', {
        a: vital('rr16', 0),
        b: vital('spo2_97', 1),
        c: vital('sbp120', 2),
        d: vital('pulse70', 3 + 60_000), // the monitor's clock is a minute ahead
        f: vital('temp37', 4),
        g: vital('temp37', 5 + 20), // 20 ms ahead: within the tolerance
        h: { ...vital('pulse70', 6), seq: 60_004 }, // clock put right: replaces the value stamped ahead
      });
      const out = readings.pipe(
        news2Scores({
          assume: { consciousness: 'A', onOxygen: false },
          maxAheadMs: 30,
          clock: { now: () => s.now() },
        }),
      );
      expectObservable(out).toBe('---x--y|', {
        x: {
          type: 'news2-incomplete',
          patientId: 'p1',
          ts: 3,
          missing: ['pulse', 'temp'],
          stale: [],
          ahead: ['pulse'],
        },
        y: expect.objectContaining({
          type: 'news2-score',
          readingIds: ['p1:rr16@0', 'p1:spo2_97@1', 'p1:sbp120@2', 'p1:pulse70@6', 'p1:temp37@25'],
        }),
      });
    });
  });

  it('a scored patient whose value comes stamped ahead loses its score (incomplete, ahead), not keeps it for hours', () => {
    const s = scheduler();
    s.run(({ cold, expectObservable }) => {
      const readings = cold('abcdf-g-h|', {
        a: vital('rr16', 0),
        b: vital('spo2_97', 1),
        c: vital('sbp120', 2),
        d: vital('pulse70', 3),
        f: vital('temp37', 4),
        g: vital('rr16', 6 + 3 * 3_600_000), // the monitor's clock jumps 3 h ahead
        h: vital('spo2_97', 8 + 3 * 3_600_000),
      });
      const out = readings.pipe(
        news2Scores({ assume: { consciousness: 'A', onOxygen: false }, clock: { now: () => s.now() } }),
      );
      expectObservable(out).toBe('----x-y--|', {
        x: score(0, 'low'),
        y: { type: 'news2-incomplete', patientId: 'p1', ts: 6, missing: ['rr'], stale: [], ahead: ['rr'] },
      });
    });
  });

  it('reports once a never-scored patient whose values are stale on arrival (clock behind), instead of nothing', () => {
    const s = scheduler();
    s.run(({ cold, expectObservable }) => {
      // Stamped 10 ms before they arrive, with 5 ms staleness limits: stale on arrival.
      const readings = cold('10ms abcdf|', {
        a: vital('rr16', 0),
        b: vital('spo2_97', 1),
        c: vital('sbp120', 2),
        d: vital('pulse70', 3),
        f: vital('temp37', 4),
      });
      const out = readings.pipe(
        news2Scores({
          assume: { consciousness: 'A', onOxygen: false },
          maxAgeMs: { rr: 5, spo2: 5, sbp: 5, pulse: 5, temp: 5 },
          clock: { now: () => s.now() },
        }),
      );
      expectObservable(out).toBe('10ms x----|', {
        x: {
          type: 'news2-incomplete',
          patientId: 'p1',
          ts: 10,
          missing: ['rr', 'spo2', 'sbp', 'pulse', 'temp'],
          stale: ['rr'],
          ahead: [],
        },
      });
    });
  });

  it('keeps the newer value when an older reading of the same device arrives late (lower seq and time stamp)', () => {
    const s = scheduler();
    s.run(({ cold, expectObservable }) => {
      const readings = cold('abcdf-ghi---|', {
        a: vital('rr16', 0),
        b: vital('spo2_97', 1),
        c: vital('sbp120', 2),
        d: vital('pulse70', 3),
        f: vital('temp37', 4),
        g: vital('rr16', 6),
        h: vital('rr25', 5), // measured before g, arrived after it: ignored
        i: { ...vital('rr25', 5), seq: 7 }, // an earlier time stamp but a later seq (clock set back): used
      });
      const out = readings.pipe(
        news2Scores({ assume: { consciousness: 'A', onOxygen: false }, clock: { now: () => s.now() } }),
      );
      expectObservable(out).toBe('----x---(yz)|', {
        x: score(0, 'low'),
        y: score(3, 'low-medium'),
        z: alert('low-medium', 'for p1'),
      });
    });
  });

  it('rejects bad options', () => {
    expect(() => news2Scores({ maxAheadMs: -1 })).toThrow(/maxAheadMs/);
    expect(() => news2Scores({ maxPatients: 0 })).toThrow(RangeError);
    expect(() => news2Scores({ maxAgeMs: { rr: -1 } })).toThrow(/maxAgeMs.rr/);
  });
});
