import type { Reading } from '@healthit/core';
import { from, map } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import { NORMAL, reading, SICK, T0, vitalsReadings } from '../../test/helpers.js';
import { type CollectedVitals, collectVitals } from './collect-vitals.js';

const defaults = { windowMs: 100, maxBatch: 10, maxPatients: 100, maxFeatureAgeMs: Number.POSITIVE_INFINITY };

/** An emission, compactly: `batch:p1,p2` or `error:<code>:<patients>`. */
function describeItem(item: CollectedVitals): string {
  return item.type === 'batch'
    ? `batch:${item.rows.map((r) => r.patientId).join(',')}`
    : `error:${item.error.code}:${item.patientIds.join(',')}`;
}

/** Marble values: one letter per reading, from `a`. */
function letters(readings: readonly Reading[]): { marble: string; values: Record<string, Reading> } {
  const values: Record<string, Reading> = {};
  let marble = '';
  readings.forEach((r, i) => {
    const key = String.fromCharCode(97 + i);
    values[key] = r;
    marble += key;
  });
  return { marble, values };
}

function testScheduler(): TestScheduler {
  return new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
}

describe('collectVitals (marbles)', () => {
  it('batches complete patients per window and emits nothing for incomplete ones', () => {
    const ts = testScheduler();
    // Frames 0-4: p1 complete at 4. Frames 5-8: p3, four features only. Frames 9-13: p2 complete at 13.
    const { marble, values } = letters([
      ...vitalsReadings('p1', NORMAL),
      ...vitalsReadings('p3', NORMAL).slice(0, 4),
      ...vitalsReadings('p2', SICK),
    ]);
    values.z = reading('p1', 'spo2', 90, '%', 99, T0 + 150);
    ts.run(({ cold, expectObservable }) => {
      const source = cold(`${marble} 136ms z 99ms |`, values); // z at 150, complete at 250
      const out = source.pipe(collectVitals({ ...defaults, scheduler: ts }), map(describeItem));
      expectObservable(out).toBe('100ms x 99ms y 49ms |', { x: 'batch:p1,p2', y: 'batch:p1' });
    });
  });

  it('emits a full batch at once and starts a new window', () => {
    const ts = testScheduler();
    const { marble, values } = letters([
      ...vitalsReadings('p1', NORMAL), // complete at 4
      ...vitalsReadings('p2', NORMAL), // complete at 9: batch full
      ...vitalsReadings('p3', NORMAL), // complete at 14: next window ends at 109
    ]);
    ts.run(({ cold, expectObservable }) => {
      const out = cold(`${marble} 185ms |`, values).pipe(
        collectVitals({ ...defaults, maxBatch: 2, scheduler: ts }),
        map(describeItem),
      );
      expectObservable(out).toBe('9ms x 99ms y 90ms |', { x: 'batch:p1,p2', y: 'batch:p3' });
    });
  });

  it('passes errors on at once, without waiting for the window', () => {
    const ts = testScheduler();
    const { marble, values } = letters([
      reading('p1', 'heart-rate', 80, 'kg', 1), // not a unit of heart rate
      ...vitalsReadings('p2', NORMAL),
    ]);
    ts.run(({ cold, expectObservable }) => {
      const out = cold(`${marble} 200ms |`, values).pipe(
        collectVitals({ ...defaults, scheduler: ts }),
        map(describeItem),
      );
      expectObservable(out).toBe('e 99ms x 105ms |', { e: 'error:units/unsupported:p1', x: 'batch:p2' });
    });
  });

  it('evicts past maxPatients with a buffer/overflow error', () => {
    const ts = testScheduler();
    const { marble, values } = letters([...vitalsReadings('p1', NORMAL), ...vitalsReadings('p2', NORMAL)]);
    ts.run(({ cold, expectObservable }) => {
      const out = cold(`${marble} |`, values).pipe(
        collectVitals({ ...defaults, maxPatients: 1, scheduler: ts }),
        map(describeItem),
      );
      // p2's first reading (frame 5) evicts p1; p2 completes at 9; the source completes at 10.
      expectObservable(out).toBe('5ms e 4ms (x|)', { e: 'error:buffer/overflow:p1', x: 'batch:p1,p2' });
    });
  });

  it('does not lose a synchronous source: the last batch comes on completion', () => {
    const ts = testScheduler();
    ts.run(({ expectObservable }) => {
      const out = from([...vitalsReadings('p1', NORMAL), ...vitalsReadings('p2', SICK)]).pipe(
        collectVitals({ ...defaults, scheduler: ts }),
        map(describeItem),
      );
      expectObservable(out).toBe('(x|)', { x: 'batch:p1,p2' });
    });
  });

  it('keeps state per subscription (cold)', () => {
    const ts = testScheduler();
    const { marble, values } = letters(vitalsReadings('p1', NORMAL));
    ts.run(({ cold, expectObservable }) => {
      const out = cold(`${marble} |`, values).pipe(
        collectVitals({ ...defaults, scheduler: ts }),
        map(describeItem),
      );
      expectObservable(out).toBe('5ms (x|)', { x: 'batch:p1' });
      expectObservable(out).toBe('5ms (x|)', { x: 'batch:p1' });
    });
  });
});
