import { describe, expect, it } from 'vitest';
import { quoteIdentifier, readingTableNames } from './names.js';
import { readingTableDdl } from './schema.js';

describe('readingTableNames', () => {
  it('defaults to public.readings', () => {
    const names = readingTableNames();
    expect(names.qualified).toBe('"public"."readings"');
    expect(names.indexes).toEqual({
      ts: '"readings_ts_idx"',
      seriesTs: '"readings_series_ts_idx"',
      deviceTs: '"readings_device_ts_idx"',
      patientTs: '"readings_patient_ts_idx"',
      patientMetricTs: '"readings_pat_met_ts_idx"',
    });
    expect(names.series).toBe('"public"."readings_series"');
    expect(names.seriesIndex).toBe('"readings_series_key_idx"');
    expect(names.migrations).toBe('"public"."readings_versions"');
    expect(names.rollups).toBe('"public"."readings_rollups"');
    expect(names.rollupState).toBe('"public"."readings_rollstate"');
  });

  it('applies the schema and prefix to the table and its indexes', () => {
    const names = readingTableNames({ schema: 'ward_7', tablePrefix: 'iomt_' });
    expect(names.qualified).toBe('"ward_7"."iomt_readings"');
    expect(names.indexes.patientTs).toBe('"iomt_readings_patient_ts_idx"');
    const ddl = readingTableDdl(names);
    expect(ddl[0]).toContain('CREATE TABLE IF NOT EXISTS "ward_7"."iomt_readings"');
    expect(
      ddl
        .slice(1)
        .every((s) =>
          /^(CREATE (UNIQUE )?(INDEX|TABLE) IF NOT EXISTS|DROP INDEX IF EXISTS|ALTER TABLE|INSERT INTO|UPDATE) /.test(
            s,
          ),
        ),
    ).toBe(true);
    expect(ddl.join('\n')).toContain('"ward_7"."iomt_readings_rollups"');
  });

  it('refuses names that are not plain lower-case identifiers or too long for PostgreSQL', () => {
    for (const schema of ['', 'Public', '1abc', 'a-b', 'a"b', 'x'.repeat(64)]) {
      expect(() => readingTableNames({ schema })).toThrow(RangeError);
    }
    expect(() => readingTableNames({ tablePrefix: 'A_' })).toThrow(RangeError);
    expect(() => readingTableNames({ tablePrefix: 'x'.repeat(41) })).toThrow(RangeError);
    expect(readingTableNames({ tablePrefix: 'x'.repeat(40) }).table).toHaveLength(48);
    expect(() => readingTableNames({ schema: 5 as unknown as string })).toThrow(TypeError);
  });

  it('quotes identifiers, doubling embedded quotes', () => {
    expect(quoteIdentifier('a"b')).toBe('"a""b"');
  });
});
