import * as core from '@healthit/core';
import { deviceId, patientId, type Reading, readingId } from '@healthit/core';
import { describe, expect, it } from 'vitest';
import type { ReadingBatch } from '../acquisition/reading-batch.js';
import * as records from './records.js';
import { decodeUplinkRecord, readingBatchRecords } from './records.js';

// The record contract (encoders, ids, decoder) is tested in packages/core/src/uplink/; here: the
// gateway re-exports exactly core's functions, and splits its reading batches per device.

const reading = (device: string, seq: number): Reading => ({
  id: readingId(device, seq),
  deviceId: deviceId(device),
  patientId: patientId('patient-001'),
  metric: 'heart-rate',
  value: 60 + seq,
  unit: '/min',
  ts: 1_700_000_000_000 + seq,
  seq,
});

describe('uplink records (gateway)', () => {
  it('re-exports the record contract of @healthit/core unchanged', () => {
    const pairs: [unknown, unknown][] = [
      [records.alertKey, core.alertKey],
      [records.alertRecord, core.alertRecord],
      [records.commandRecord, core.commandRecord],
      [records.commandStatusRecord, core.commandStatusRecord],
      [records.commandStatusRecordId, core.commandStatusRecordId],
      [records.decodeUplinkRecord, core.decodeUplinkRecord],
      [records.readingBatchRecordId, core.readingBatchRecordId],
      [records.readingRecord, core.readingRecord],
      [records.WARD_ALERT_KEY, core.WARD_ALERT_KEY],
    ];
    for (const [ours, theirs] of pairs) expect(ours).toBe(theirs);
  });

  it('makes one batch record per device, keyed and named by device and seq range', () => {
    const batch: ReadingBatch = {
      readings: [reading('a', 1), reading('b', 4), reading('a', 2), reading('b', 5)],
    };
    const out = readingBatchRecords(batch);
    expect(out.map((r) => [r.id, r.kind, r.key])).toEqual([
      ['a:1-2', 'reading-batch', 'a'],
      ['b:4-5', 'reading-batch', 'b'],
    ]);
    expect(out.map((r) => decodeUplinkRecord(r))).toEqual([
      { type: 'reading-batch', id: 'a:1-2', key: 'a', readings: [reading('a', 1), reading('a', 2)] },
      { type: 'reading-batch', id: 'b:4-5', key: 'b', readings: [reading('b', 4), reading('b', 5)] },
    ]);
    expect(readingBatchRecords({ readings: [] })).toEqual([]);
  });
});
