import { createFakeClock } from '@healthit/core/testing';
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import { reading } from '../../test/fixtures.js';
import { thresholdAlerts } from './threshold.js';

const spo2 = (seq: number, value: number) => reading('mon-1', seq, 'spo2', value, '%');

describe('thresholdAlerts', () => {
  it('raises one alert per episode and re-arms when the value is back within bounds', () => {
    const clock = createFakeClock(1000);
    const scheduler = new TestScheduler((a, e) => expect(a).toEqual(e));
    scheduler.run(({ cold, expectObservable }) => {
      const input = cold('a-b-c-d-e-f|', {
        a: spo2(1, 97),
        b: spo2(2, 90),
        c: spo2(3, 89),
        d: spo2(4, 95),
        e: reading('mon-1', 5, 'heart-rate', 140, '/min'),
        f: spo2(6, 88),
      });
      const out = input.pipe(
        thresholdAlerts({ id: 'spo2-low', metric: 'spo2', below: 92, severity: 'high' }, clock),
      );
      expectObservable(out).toBe('--x-------y|', {
        x: expect.objectContaining({
          id: 'threshold:spo2-low:mon-1:2',
          readingIds: ['mon-1:2'],
          value: 90,
          severity: 'high',
          ts: 1000,
        }),
        y: expect.objectContaining({ id: 'threshold:spo2-low:mon-1:6', readingIds: ['mon-1:6'], value: 88 }),
      });
    });
  });

  it('keeps series apart and says what was breached', () => {
    const scheduler = new TestScheduler((a, e) => expect(a).toEqual(e));
    scheduler.run(({ cold, expectObservable }) => {
      const input = cold('ab|', {
        a: reading('mon-1', 1, 'heart-rate', 140, '/min'),
        b: reading('mon-2', 1, 'heart-rate', 131, '/min'),
      });
      expectObservable(
        input.pipe(thresholdAlerts({ id: 'hr-high', metric: 'heart-rate', above: 130, severity: 'medium' })),
      ).toBe('xy|', {
        x: expect.objectContaining({
          patientId: 'patient-of-mon-1',
          message: 'Heart rate 140 /min for patient-of-mon-1 is above 130 /min',
        }),
        y: expect.objectContaining({ patientId: 'patient-of-mon-2' }),
      });
    });
  });

  it('rejects a rule without bounds or with crossed bounds', () => {
    expect(() => thresholdAlerts({ id: 'x', metric: 'spo2', severity: 'low' })).toThrow(RangeError);
    expect(() => thresholdAlerts({ id: 'x', metric: 'spo2', below: 95, above: 90, severity: 'low' })).toThrow(
      /greater/,
    );
  });
});
