import {
  type Alert,
  type AppendResult,
  alertRecord,
  type Reading,
  type ReadingStore,
  readingBatchRecord,
  readingRecord,
  type UplinkRecord,
  utf8Encode,
} from '@healthit/core';
import { sampleReading } from '@healthit/core/testing';
import { from, lastValueFrom, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import type { UplinkIngestEvent } from './events.js';
import { ingestUplinkRecords } from './ingest-uplink-records.js';

function memoryStore(): Pick<ReadingStore, 'append'> & { readonly stored: Map<string, Reading> } {
  const stored = new Map<string, Reading>();
  return {
    stored,
    async append(readings): Promise<AppendResult> {
      let inserted = 0;
      for (const r of readings) {
        if (stored.has(r.id)) continue;
        stored.set(r.id, r);
        inserted += 1;
      }
      return { inserted, duplicates: readings.length - inserted, conflicts: [] };
    },
  };
}

const alert: Alert = {
  id: 'alert-1',
  rule: 'threshold:heart-rate',
  severity: 'medium',
  message: 'heart rate 131/min',
  ts: 1_700_000_000_000,
  readingIds: ['monitor-1:1'],
};

describe('ingestUplinkRecords', () => {
  it('stores the readings of reading and batch records once, and passes alerts and refusals on', async () => {
    const store = memoryStore();
    const [a, b, c] = [sampleReading(1), sampleReading(2), sampleReading(3)];
    const broken: UplinkRecord = {
      id: 'monitor-1:9',
      kind: 'reading',
      key: 'monitor-1',
      payload: utf8Encode('{'),
    };
    const records = [
      readingRecord(a),
      alertRecord(alert),
      readingBatchRecord([b, c]),
      broken,
      readingRecord(a), // a redelivery
    ];
    const events: UplinkIngestEvent[] = await lastValueFrom(
      from(records).pipe(ingestUplinkRecords(store, { maxWaitMs: 5 }), toArray()),
    );
    expect([...store.stored.keys()]).toEqual([a.id, b.id, c.id]);
    expect(events.filter((e) => e.type === 'record')).toEqual([
      { type: 'record', record: { type: 'alert', id: 'alert-1', key: 'ward', alert } },
    ]);
    const rejected = events.filter((e) => e.type === 'record-rejected');
    expect(rejected.map((e) => [e.record.id, e.error.code])).toEqual([['monitor-1:9', 'codec/decode']]);
    const stored = events.flatMap((e) => (e.type === 'stored' ? [e.result] : []));
    expect(stored.reduce((n, r) => n + r.inserted, 0)).toBe(3);
    expect(stored.reduce((n, r) => n + r.duplicates, 0)).toBe(1);
  });
});
