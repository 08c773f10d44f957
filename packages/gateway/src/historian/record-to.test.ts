import type { Reading } from '@healthit/core';
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import { createHistorian } from './historian.js';
import type { Refusal } from './outcome.js';
import { recordTo } from './record-to.js';

const T0 = Date.UTC(2025, 5, 1, 12);

function r(seq: number, unit = '%'): Reading {
  return {
    id: `d1:${seq}`,
    deviceId: 'd1',
    patientId: 'p1',
    metric: 'spo2',
    value: 90 + seq,
    unit,
    ts: T0 + seq * 1000,
    seq,
  } as Reading;
}

describe('recordTo', () => {
  it('passes every reading through unchanged, at the same time, and records the ones it can', () => {
    const historian = createHistorian();
    const refusals: [string, Refusal][] = [];
    const values = { a: r(1), b: r(2), c: r(2), d: r(3, '1') };
    new TestScheduler((actual, expected) => expect(actual).toEqual(expected)).run(
      ({ cold, expectObservable }) => {
        const source = cold('a-b--c-d|', values);
        expectObservable(
          source.pipe(recordTo(historian, (x, outcome) => refusals.push([x.id, outcome]))),
        ).toBe('a-b--c-d|', values);
      },
    );
    expect(historian.range({ patientId: 'p1', metric: 'spo2' }, T0, T0 + 10_000)).toEqual([
      values.a,
      values.b,
    ]);
    expect(refusals).toEqual([
      ['d1:2', 'duplicate'],
      ['d1:3', 'not-canonical'],
    ]);
    expect(historian.stats().refused).toMatchObject({ duplicate: 1, 'not-canonical': 1 });
  });

  it('passes errors and completion through', () => {
    const historian = createHistorian();
    new TestScheduler((actual, expected) => expect(actual).toEqual(expected)).run(
      ({ cold, expectObservable }) => {
        expectObservable(cold('a-#', { a: r(1) }).pipe(recordTo(historian))).toBe('a-#', { a: r(1) });
      },
    );
    expect(historian.stats().points).toBe(1);
  });
});
