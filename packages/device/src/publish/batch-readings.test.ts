import type { DeviceId, Reading } from '@healthit/core';
import { map } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import { batchReadingsByDevice } from './batch-readings.js';

function reading(device: string, seq: number, ts: number): Reading {
  return {
    id: `${device}:${seq}`,
    deviceId: device as DeviceId,
    metric: 'heart-rate',
    value: 70,
    unit: '/min',
    ts,
    seq,
    quality: 'good',
  };
}

const a = reading('mon-1', 1, 1_000);
const b = reading('mon-1', 2, 1_000);
const c = reading('mon-2', 1, 1_000);
const d = reading('mon-1', 3, 2_000);
const e = reading('mon-1', 4, 2_000);

function newTestScheduler(): TestScheduler {
  return new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
}

const ids = map((batch: { deviceId: string; ts: number; readings: readonly Reading[] }) => ({
  deviceId: batch.deviceId,
  ts: batch.ts,
  ids: batch.readings.map((r) => r.id),
}));

describe('batchReadingsByDevice', () => {
  it('groups consecutive readings of one device and time, flushing at the end of each burst', () => {
    newTestScheduler().run(({ cold, expectObservable }) => {
      const source = cold<Reading>('1ms (abc) 3ms (de) 10ms |', { a, b, c, d, e });
      expectObservable(source.pipe(batchReadingsByDevice(), ids)).toBe('1ms (xy) 4ms z 13ms |', {
        x: { deviceId: 'mon-1', ts: 1_000, ids: ['mon-1:1', 'mon-1:2'] },
        y: { deviceId: 'mon-2', ts: 1_000, ids: ['mon-2:1'] },
        z: { deviceId: 'mon-1', ts: 2_000, ids: ['mon-1:3', 'mon-1:4'] },
      });
    });
  });

  it('separates readings of one device at different times even within one burst', () => {
    newTestScheduler().run(({ cold, expectObservable }) => {
      const source = cold<Reading>('(abde)', { a, b, d, e });
      expectObservable(source.pipe(batchReadingsByDevice(), ids)).toBe('(xz)', {
        x: { deviceId: 'mon-1', ts: 1_000, ids: ['mon-1:1', 'mon-1:2'] },
        z: { deviceId: 'mon-1', ts: 2_000, ids: ['mon-1:3', 'mon-1:4'] },
      });
    });
  });

  it('starts a new batch when seq does not increase: a duplicate delivery is a message of its own', () => {
    newTestScheduler().run(({ cold, expectObservable }) => {
      const source = cold<Reading>('(ababd)', { a, b, d });
      expectObservable(source.pipe(batchReadingsByDevice(), ids)).toBe('(xyz)', {
        x: { deviceId: 'mon-1', ts: 1_000, ids: ['mon-1:1', 'mon-1:2'] },
        y: { deviceId: 'mon-1', ts: 1_000, ids: ['mon-1:1', 'mon-1:2'] },
        z: { deviceId: 'mon-1', ts: 2_000, ids: ['mon-1:3'] },
      });
    });
  });

  it('emits a batch as soon as it reaches maxBatchSize, and the rest when the source completes', () => {
    const testScheduler = newTestScheduler();
    testScheduler.run(({ cold, expectObservable }) => {
      const source = cold<Reading>('(abde|)', {
        a,
        b,
        d: { ...b, id: 'mon-1:9', seq: 9 },
        e: { ...b, id: 'mon-1:10' },
      });
      expectObservable(
        source.pipe(batchReadingsByDevice({ maxBatchSize: 3, scheduler: testScheduler }), ids),
      ).toBe('(xy|)', {
        x: { deviceId: 'mon-1', ts: 1_000, ids: ['mon-1:1', 'mon-1:2', 'mon-1:9'] },
        y: { deviceId: 'mon-1', ts: 1_000, ids: ['mon-1:10'] },
      });
    });
  });

  it('flushes the pending batch before an error', () => {
    newTestScheduler().run(({ cold, expectObservable }) => {
      const source = cold<Reading>('(ab#)', { a, b }, new Error('sensor gone'));
      expectObservable(source.pipe(batchReadingsByDevice(), ids)).toBe(
        '(x#)',
        { x: { deviceId: 'mon-1', ts: 1_000, ids: ['mon-1:1', 'mon-1:2'] } },
        new Error('sensor gone'),
      );
    });
  });

  it('emits nothing after unsubscription', () => {
    newTestScheduler().run(({ cold, expectObservable }) => {
      const source = cold<Reading>('a 4ms c', { a, c });
      expectObservable(source.pipe(batchReadingsByDevice(), ids), '^ 2ms !').toBe('x', {
        x: { deviceId: 'mon-1', ts: 1_000, ids: ['mon-1:1'] },
      });
    });
  });

  it('rejects a maxBatchSize that is not a positive integer', () => {
    expect(() => batchReadingsByDevice({ maxBatchSize: 0 })).toThrow(RangeError);
    expect(() => batchReadingsByDevice({ maxBatchSize: 1.5 })).toThrow(
      /maxBatchSize must be an integer >= 1/,
    );
  });
});
