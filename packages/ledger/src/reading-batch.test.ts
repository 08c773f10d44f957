import { createHash } from 'node:crypto';
import { type Reading, ValidationError } from '@healthit/core';
import { sampleReading } from '@healthit/core/testing';
import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { WRITER } from '../test/fixtures.js';
import { createHashChainLedger } from './ledger.js';
import { READING_BATCH, ReadingBatchBody, readingBatchRecord, verifyReadingBatch } from './reading-batch.js';
import { verifyChain } from './verify.js';

const T0 = Date.UTC(2025, 0, 1);

function batch(n: number): Reading[] {
  return Array.from({ length: n }, (_, i) =>
    sampleReading(i + 1, { deviceId: (i % 2 === 0 ? 'monitor-b' : 'monitor-a') as Reading['deviceId'] }),
  );
}

/** Readings with distinct ids and a field to change: value, ts, unit, quality, patient or device. */
const readingsArb = fc
  .uniqueArray(fc.integer({ min: 0, max: 10_000 }), { minLength: 1, maxLength: 20 })
  .chain((seqs) =>
    fc.tuple(
      fc.constant(seqs.map((seq) => sampleReading(seq, { value: 60 + (seq % 50) + 0.5 }))),
      fc.shuffledSubarray(
        seqs.map((_, i) => i),
        { minLength: seqs.length, maxLength: seqs.length },
      ),
    ),
  );

const changes: ((r: Reading) => Reading)[] = [
  (r) => ({ ...r, value: r.value + 0.1 }),
  (r) => ({ ...r, ts: r.ts + 1 }),
  (r) => ({ ...r, unit: '{beats}/min' }),
  (r) => ({ ...r, quality: r.quality === 'good' ? 'questionable' : 'good' }),
  (r) => ({ ...r, patientId: 'patient-2' as Reading['patientId'] & string }),
  (r) => {
    const { quality: _q, ...rest } = r;
    return rest as Reading;
  },
  (r) => ({ ...r, seq: r.seq + 100_000 }),
  (r) => ({ ...r, id: `${r.id}-x` }),
];

describe('readingBatchRecord', () => {
  it('builds a reading-batch record with count, digest, time span and sorted unique devices', () => {
    const readings = batch(5);
    const record = readingBatchRecord(readings);
    expect(record.type).toBe(READING_BATCH);
    expect(record.body).toMatchObject({
      count: 5,
      firstTs: T0 + 1000,
      lastTs: T0 + 5000,
      deviceIds: ['monitor-a', 'monitor-b'],
    });
    expect(ReadingBatchBody.safeParse(record.body).success).toBe(true);
  });

  it('digest = SHA-256 of the RFC 8785 JSON of the readings sorted by id (recomputed with node:crypto)', () => {
    const readings = [sampleReading(2), sampleReading(10)];
    // Sorted by id as strings: "monitor-1:10" < "monitor-1:2".
    const json = `[${[readings[1], readings[0]]
      .map(
        (r) =>
          `{"deviceId":"${r?.deviceId}","id":"${r?.id}","metric":"heart-rate","patientId":"patient-1",` +
          `"quality":"good","seq":${r?.seq},"ts":${r?.ts},"unit":"/min","value":${r?.value}}`,
      )
      .join(',')}]`;
    const expected = createHash('sha256').update(json, 'utf8').digest('hex');
    expect(readingBatchRecord(readings).body.digest).toBe(expected);
  });

  it('digest is order-independent', () => {
    fc.assert(
      fc.property(readingsArb, ([readings, order]) => {
        const shuffled = order.map((i) => readings[i] as Reading);
        expect(readingBatchRecord(shuffled)).toEqual(readingBatchRecord(readings));
        expect(verifyReadingBatch(shuffled, readingBatchRecord(readings).body)).toBe(true);
      }),
      { numRuns: 200 },
    );
  });

  it('digest changes when any reading changes in any field', () => {
    fc.assert(
      fc.property(readingsArb, fc.nat(), fc.nat({ max: changes.length - 1 }), ([readings], which, change) => {
        const i = which % readings.length;
        const changed = readings.map((r, k) =>
          k === i ? (changes[change] as (r: Reading) => Reading)(r) : r,
        );
        fc.pre(new Set(changed.map((r) => r.id)).size === changed.length);
        const body = readingBatchRecord(readings).body;
        expect(readingBatchRecord(changed).body.digest).not.toBe(body.digest);
        expect(verifyReadingBatch(changed, body)).toBe(false);
      }),
      { numRuns: 300 },
    );
  });

  it('refuses an empty batch, malformed readings and duplicate ids with a ValidationError', () => {
    expect(() => readingBatchRecord([])).toThrow(ValidationError);
    expect(() => readingBatchRecord([{ ...sampleReading(1), value: 'x' } as unknown as Reading])).toThrow(
      ValidationError,
    );
    expect(() => readingBatchRecord([{ ...sampleReading(1), extra: 1 } as unknown as Reading])).toThrow(
      ValidationError,
    );
    const dup = (() => {
      try {
        readingBatchRecord([sampleReading(1), sampleReading(2), sampleReading(1)]);
      } catch (e) {
        return e as ValidationError;
      }
      return undefined;
    })();
    expect(dup).toBeInstanceOf(ValidationError);
    expect(dup?.issues[0]?.path).toBe('2.id');
  });
});

describe('verifyReadingBatch', () => {
  const readings = batch(6);
  const { body } = readingBatchRecord(readings);

  it('is true for the same readings in any order', () => {
    expect(verifyReadingBatch([...readings].reverse(), body)).toBe(true);
  });

  it('is false for a missing, extra, duplicated or altered reading', () => {
    expect(verifyReadingBatch(readings.slice(1), body)).toBe(false);
    expect(verifyReadingBatch([...readings, sampleReading(99)], body)).toBe(false);
    expect(verifyReadingBatch([...readings, readings[0] as Reading], body)).toBe(false);
    expect(
      verifyReadingBatch(
        readings.map((r, i) => (i === 3 ? { ...r, value: r.value + 1 } : r)),
        body,
      ),
    ).toBe(false);
  });

  it('is false when the body was altered, or is not a reading-batch body', () => {
    expect(verifyReadingBatch(readings, { ...body, count: 7 })).toBe(false);
    expect(verifyReadingBatch(readings, { ...body, lastTs: body.lastTs + 1 })).toBe(false);
    expect(verifyReadingBatch(readings, { ...body, deviceIds: ['monitor-a'] })).toBe(false);
    expect(verifyReadingBatch(readings, { ...body, digest: '0'.repeat(64) })).toBe(false);
    expect(verifyReadingBatch(readings, { ...body, extra: 1 })).toBe(false);
    expect(verifyReadingBatch(readings, null)).toBe(false);
    expect(verifyReadingBatch([], body)).toBe(false);
  });

  it('anchors through the ledger: the stored body proves the batch', async () => {
    const ledger = createHashChainLedger({ key: WRITER });
    const [receipt] = await ledger.append([readingBatchRecord(readings)]);
    const [entry] = await ledger.entries(receipt?.index ?? 0, (receipt?.index ?? 0) + 1);
    verifyChain(await ledger.entries(), ledger.publicKey);
    expect(entry?.type).toBe('reading-batch');
    expect(verifyReadingBatch([...readings].reverse(), entry?.body)).toBe(true);
    expect(verifyReadingBatch(readings.slice(0, 5), entry?.body)).toBe(false);
  });
});
