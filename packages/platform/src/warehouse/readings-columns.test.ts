import type { Reading } from '@healthit/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Dictionary, ReadingColumns } from './readings-columns.js';

const reading = (deviceId: string, seq: number, id: string): Reading =>
  ({
    id,
    deviceId,
    patientId: 'pat-1',
    metric: 'heart-rate',
    value: 60,
    unit: '/min',
    ts: 0,
    seq,
  }) as Reading;

/** The ids the columns keep (those not of the `${deviceId}:${seq}` form DuckDB rebuilds). */
function keptIds(readings: readonly Reading[]): string[] {
  const columns = new ReadingColumns(new Dictionary(), 1024);
  columns.pushRange(readings, 0, readings.length);
  return columns.strings.texts;
}

describe('ReadingColumns', () => {
  it('keeps exactly the ids that differ from "deviceId:seq", read without making that string', () => {
    const defaults = [
      reading('mon-1', 0, 'mon-1:0'),
      reading('mon-1', 7, 'mon-1:7'),
      reading('mon-1', 123_456_789, 'mon-1:123456789'),
      reading('m', 999_999_999_999_999, 'm:999999999999999'),
      reading('a:b', 5, 'a:b:5'),
      reading('mon-1', -0, 'mon-1:0'),
      reading('mon-1', -3, 'mon-1:-3'),
      reading('mon-1', 1.5, 'mon-1:1.5'),
      reading('mon-1', 1e21, 'mon-1:1e+21'),
    ];
    expect(keptIds(defaults)).toEqual([]);
    const own = [
      reading('mon-1', 7, 'mon-1:07'),
      reading('mon-1', 0, 'mon-1:00'),
      reading('mon-1', 7, 'mon-2:7'),
      reading('mon-1', 7, 'mon-1:8'),
      reading('mon-1', 7, 'mon-1:7 '),
      reading('mon-1', 7, 'mon-1:'),
      reading('mon-1', 7, 'mon-1'),
      reading('mon-1', 7, 'mon-1;7'),
      reading('mon-1', 17, 'mon-1:1/'),
      reading('mon-1', 1, 'mon-1:0000000000000001'),
      reading('mon-1', 7, 'x'),
    ];
    expect(keptIds(own)).toEqual(own.map((r) => r.id));
  });

  it('property: an id is kept if and only if it is not "deviceId:seq"', () => {
    fc.assert(
      fc.property(
        fc.string({ maxLength: 6 }),
        fc.oneof(fc.nat(), fc.maxSafeNat(), fc.integer({ min: -1000, max: 1000 }), fc.double()),
        fc.option(fc.string({ maxLength: 20 }), { nil: undefined }),
        (deviceId, seq, other) => {
          const id = other ?? `${deviceId}:${seq}`;
          expect(keptIds([reading(deviceId, seq, id)])).toEqual(id === `${deviceId}:${seq}` ? [] : [id]);
        },
      ),
    );
  });

  it('hands released arrays to the next columns made, and still works on arrays of its own after release', () => {
    const dictionary = new Dictionary();
    const rows = Array.from({ length: 5000 }, (_, i) => reading(`mon-${i % 3}`, i, `mon-${i % 3}:${i}`));
    const first = new ReadingColumns(dictionary, 8192);
    first.pushRange(rows, 0, rows.length);
    const arrays = first.device;
    first.release();
    expect(first.length).toBe(0);
    const second = new ReadingColumns(dictionary, 8192);
    expect(second.device).toBe(arrays);
    second.pushRange(rows, 0, 10);
    first.pushRange(rows, 0, 20);
    expect(first.device).not.toBe(arrays);
    expect([...first.device.subarray(0, 10)]).toEqual([...second.device.subarray(0, 10)]);
    expect([...first.seq.subarray(0, 20)]).toEqual(rows.slice(0, 20).map((r) => r.seq));
  });
});
