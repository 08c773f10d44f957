import { createInProcessTransport, type Reading, readingsJsonCodec, Topics } from '@healthit/core';
import { describe, expect, it } from 'vitest';
import { envelopeBytes, reading } from '../test/fixtures.js';
import type { ReadingBatch } from './acquisition/reading-batch.js';
import { createGateway } from './gateway.js';
import { dropNewestOverBound } from './uplink/append-to-outbox.js';
import { shedPriorityOf } from './uplink/outbox-policy.js';
import { decodeUplinkRecord, readingBatchRecords } from './uplink/records.js';
import type { UplinkRecord, UplinkRecordKind } from './uplink/uplink.js';

describe('createGateway: readingBatches$', () => {
  it('emits one batch per message with accepted readings, carrying the device’s JSON only when every reading came through unchanged', async () => {
    const transport = createInProcessTransport();
    const gw = createGateway({ transport });
    const batches: ReadingBatch[] = [];
    const readings: Reading[] = [];
    const subs = [
      gw.readingBatches$.subscribe((b) => batches.push(b)),
      gw.readings$.subscribe((r) => readings.push(r)),
    ];
    const topic = Topics.deviceReadings('mon-1');
    const clean = [reading('mon-1', 1, 'spo2', 97, '%'), reading('mon-1', 2, 'heart-rate', 72, '/min')];
    await transport.publish(topic, envelopeBytes('mon-1', 1, clean)); // all unchanged: JSON reusable
    await transport.publish(
      topic,
      envelopeBytes('mon-1', 2, [reading('mon-1', 3, 'body-temperature', 101.3, '[degF]')]),
    ); // converted
    await transport.publish(
      topic,
      envelopeBytes('mon-1', 3, [reading('mon-1', 3, 'spo2', 96, '%'), reading('mon-1', 4, 'spo2', 95, '%')]),
    ); // one duplicate
    await transport.publish(
      topic,
      envelopeBytes('mon-1', 4, [reading('mon-1', 5, 'heart-rate', 1000, '/min')]),
    ); // none accepted
    await transport.publish(
      topic,
      envelopeBytes('mon-1', 5, [
        reading('mon-1', 6, 'heart-rate', 1000, '/min'),
        reading('mon-1', 7, 'spo2', 94, '%'),
      ]),
    ); // one refused

    expect(batches.map((b) => b.readings.map((r) => r.id))).toEqual([
      ['mon-1:1', 'mon-1:2'],
      ['mon-1:3'],
      ['mon-1:4'],
      ['mon-1:7'],
    ]);
    expect(batches.flatMap((b) => b.readings)).toEqual(readings); // the same readings, batched
    expect(batches.map((b) => b.json !== undefined)).toEqual([true, false, false, false]);
    expect(readingsJsonCodec.decode(batches[0]?.json as Uint8Array)).toEqual(batches[0]?.readings);
    for (const s of subs) s.unsubscribe();
    await transport.close();
  });
});

describe('readingBatchRecords → decodeUplinkRecord', () => {
  const a = [
    reading('mon-1', 5, 'spo2', 97, '%'),
    reading('mon-1', 9, 'heart-rate', 72, '/min'),
  ] as Reading[];

  it('makes one record per device, forwarding the device’s JSON as is, and decodes it back', () => {
    const json = readingsJsonCodec.encode(a);
    const [record, ...rest] = readingBatchRecords({ readings: a, json });
    expect(rest).toEqual([]);
    expect(record).toMatchObject({ id: 'mon-1:5-9', kind: 'reading-batch', key: 'mon-1' });
    expect(record?.payload).toBe(json);
    expect(decodeUplinkRecord(record!)).toEqual({
      type: 'reading-batch',
      id: 'mon-1:5-9',
      key: 'mon-1',
      readings: a,
    });
  });

  it('encodes the readings when there is no reusable JSON, and splits a batch of several devices', () => {
    const b = reading('mon-2', 1, 'spo2', 95, '%') as Reading;
    const records = readingBatchRecords({ readings: [a[0] as Reading, b, a[1] as Reading] });
    expect(records.map((r) => [r.id, r.key])).toEqual([
      ['mon-1:5-9', 'mon-1'],
      ['mon-2:1-1', 'mon-2'],
    ]);
    expect(records.map((r) => decodeUplinkRecord(r))).toEqual([
      { type: 'reading-batch', id: 'mon-1:5-9', key: 'mon-1', readings: a },
      { type: 'reading-batch', id: 'mon-2:1-1', key: 'mon-2', readings: [b] },
    ]);
    expect(readingBatchRecords({ readings: [] })).toEqual([]);
  });

  it('refuses a batch record whose id, key or readings do not agree, naming the field', () => {
    const [record] = readingBatchRecords({ readings: a });
    const r = record!;
    expect(() => decodeUplinkRecord({ ...r, id: 'mon-1:5-8' })).toThrow(/id.*"mon-1:5-9"/s);
    expect(() => decodeUplinkRecord({ ...r, key: 'mon-2' })).toThrow(/payload\.0\.deviceId/);
    const bad = readingBatchRecords({ readings: [{ ...(a[0] as Reading), unit: 'mm[Hg]' }] })[0]!;
    expect(() => decodeUplinkRecord(bad)).toThrow(/unit/);
    const empty = { ...r, payload: new TextEncoder().encode('[]') };
    expect(() => decodeUplinkRecord(empty)).toThrow(/Reading\[\]/);
  });
});

describe('reading-batch records under outbox pressure', () => {
  it('are shed and dropped like readings, never before alerts', () => {
    const rec = (id: string, kind: UplinkRecordKind): UplinkRecord => ({
      id,
      kind,
      key: 'mon-1',
      payload: new Uint8Array(10),
    });
    expect(shedPriorityOf('reading-batch')).toBe(shedPriorityOf('reading'));
    const { kept, dropped } = dropNewestOverBound(
      [rec('b1', 'reading-batch'), rec('a1', 'alert'), rec('e1', 'event'), rec('b2', 'reading-batch')],
      2,
    );
    expect(dropped.map((r) => r.id)).toEqual(['b1', 'b2']);
    expect(kept.map((r) => r.id)).toEqual(['a1', 'e1']);
  });
});
