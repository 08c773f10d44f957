import { type Reading, utf8Decode, ValidationError } from '@healthit/core';
import { sampleReading } from '@healthit/core/testing';
import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { signer, unsigned } from '../../test/entries-fixtures.js';
import { toHex } from '../hex.js';
import { merkleRoot } from '../merkle/index.js';
import { decodeEntry, encodeEntry } from './codec.js';
import { saltedCommitment } from './commitment.js';
import {
  MAX_BATCH_READINGS,
  ReadingBatchBody,
  readingBatchBody,
  readingLeaf,
  verifyReadingBatchBody,
} from './reading-batch.js';
import { signEntry } from './signatures.js';

const SALT = '11'.repeat(32);
const PATIENT = saltedCommitment('patient-1', SALT);

function readings(n: number, from = 1): Reading[] {
  return Array.from({ length: n }, (_, i) =>
    sampleReading(from + i, { deviceId: 'logger-7' as Reading['deviceId'] }),
  );
}

function withoutPatient(rs: Reading[]): Reading[] {
  return rs.map(({ patientId: _p, ...r }) => r as Reading);
}

describe('readingBatchBody', () => {
  it('root = merkleRoot over the canonical JSON of the readings in seq order', () => {
    const rs = readings(7);
    const leaves = rs.map((r) =>
      new TextEncoder().encode(
        JSON.stringify(
          Object.fromEntries(
            Object.entries(r)
              .filter(([, v]) => v !== undefined)
              .sort(([a], [b]) => (a < b ? -1 : 1)),
          ),
        ),
      ),
    );
    const body = readingBatchBody([...rs].reverse(), { patient: PATIENT });
    expect(body.root).toBe(toHex(merkleRoot(leaves)));
    expect(rs.map(readingLeaf)).toEqual(leaves);
    expect(body).toEqual({
      device: 'logger-7',
      count: 7,
      firstSeq: 1,
      lastSeq: 7,
      firstTs: rs[0]?.ts,
      lastTs: rs[6]?.ts,
      root: body.root,
      patient: PATIENT.commitment,
    });
    expect(ReadingBatchBody.safeParse(body).success).toBe(true);
  });

  it('the order of the input does not matter; the order of seqs does (fast-check)', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.nat({ max: 10_000 }), { minLength: 1, maxLength: 30 }),
        fc.infiniteStream(fc.nat()),
        (seqs, rnd) => {
          const rs = seqs.map((s) => sampleReading(s, { deviceId: 'logger-7' as Reading['deviceId'] }));
          const shuffled = [...rs].sort(() => ((rnd.next().value as number) % 3) - 1);
          const body = readingBatchBody(shuffled, { patient: PATIENT });
          expect(body).toEqual(readingBatchBody(rs, { patient: PATIENT }));
          const sorted = [...rs].sort((a, b) => a.seq - b.seq);
          expect(body.root).toBe(toHex(merkleRoot(sorted.map(readingLeaf))));
          expect(verifyReadingBatchBody(shuffled, body, PATIENT.salt)).toBe(true);
        },
      ),
      { numRuns: 100 },
    );
  });

  it('the ledger entry carries the commitment, never the patient id', () => {
    const rs = readings(3);
    const entry = signEntry(
      unsigned('reading.batch', { body: readingBatchBody(rs, { patient: PATIENT }) }),
      signer(1),
    );
    const text = utf8Decode(encodeEntry(entry));
    expect(text).not.toContain('patient-1');
    expect(text).toContain(PATIENT.commitment);
    expect(decodeEntry(encodeEntry(entry))).toEqual(entry);
  });

  it('requires a patient commitment that opens to the readings patient, and none without a patient', () => {
    const rs = readings(3);
    expect(() => readingBatchBody(rs)).toThrow(/patient/);
    expect(() => readingBatchBody(rs, { patient: saltedCommitment('patient-2', SALT) })).toThrow(
      ValidationError,
    );
    expect(() => readingBatchBody(withoutPatient(rs), { patient: PATIENT })).toThrow(ValidationError);
    expect(readingBatchBody(withoutPatient(rs)).patient).toBeUndefined();
  });

  it('rejects mixed devices, mixed patients, duplicate seqs, empty and malformed batches', () => {
    const rs = readings(3);
    const other = sampleReading(9, { deviceId: 'logger-8' as Reading['deviceId'] });
    expect(() => readingBatchBody([...rs, other], { patient: PATIENT })).toThrow(/one device/);
    const otherPatient = {
      ...(rs[0] as Reading),
      seq: 50,
      patientId: 'patient-2' as Reading['patientId'] & string,
    };
    expect(() => readingBatchBody([...rs, otherPatient], { patient: PATIENT })).toThrow(/same patient/);
    expect(() => readingBatchBody([...rs, rs[0] as Reading], { patient: PATIENT })).toThrow(/duplicate seq/);
    expect(() => readingBatchBody([])).toThrow(ValidationError);
    expect(() =>
      readingBatchBody([{ ...(rs[0] as Reading), value: Number.NaN }], { patient: PATIENT }),
    ).toThrow(ValidationError);
    expect(MAX_BATCH_READINGS).toBe(100_000);
  });
});

describe('verifyReadingBatchBody', () => {
  const rs = readings(5);
  const body = readingBatchBody(rs, { patient: PATIENT });

  it('is true for the same readings (with or without the salt)', () => {
    expect(verifyReadingBatchBody(rs, body, PATIENT.salt)).toBe(true);
    expect(verifyReadingBatchBody(rs, body)).toBe(true);
  });

  it('is false for an altered, missing or extra reading, a wrong salt or a malformed body', () => {
    const altered = rs.map((r, i) => (i === 2 ? { ...r, value: r.value + 0.5 } : r));
    expect(verifyReadingBatchBody(altered, body)).toBe(false);
    expect(verifyReadingBatchBody(rs.slice(1), body)).toBe(false);
    expect(verifyReadingBatchBody([...rs, ...readings(1, 6)], body)).toBe(false);
    expect(verifyReadingBatchBody(rs, body, '22'.repeat(32))).toBe(false);
    expect(verifyReadingBatchBody(rs, { ...body, root: 'x' })).toBe(false);
    expect(verifyReadingBatchBody(withoutPatient(rs), body)).toBe(false);
    expect(verifyReadingBatchBody([], body)).toBe(false);
  });
});
