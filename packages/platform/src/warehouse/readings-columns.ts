import { DOUBLE, type DuckDBType, INTEGER, VARCHAR } from '@duckdb/node-api';
import type { Reading } from '@healthit/core';

/**
 * Readings as columns for DuckDB's appender, the fast way: the strings a batch repeats (device,
 * patient, metric, unit, quality) become integer codes of a dictionary kept per warehouse, and an id
 * of the SDK's `${deviceId}:${seq}` form is not stored twice (null, rebuilt in SQL). Converting
 * numbers costs a fraction of converting strings, so a batch is appended several times faster.
 * @internal
 */
export class ReadingColumns {
  readonly id: (string | null)[] = [];
  readonly device: number[] = [];
  readonly patient: (number | null)[] = [];
  readonly metric: number[] = [];
  readonly value: number[] = [];
  readonly unit: number[] = [];
  readonly ts: number[] = [];
  readonly seq: number[] = [];
  readonly quality: (number | null)[] = [];

  constructor(private readonly code: (text: string) => number) {}

  get length(): number {
    return this.ts.length;
  }

  push(r: Reading): void {
    const { code } = this;
    this.id.push(
      r.id.length === r.deviceId.length + 1 + String(r.seq).length && r.id === `${r.deviceId}:${r.seq}`
        ? null
        : r.id,
    );
    this.device.push(code(r.deviceId));
    this.patient.push(r.patientId === undefined ? null : code(r.patientId));
    this.metric.push(code(r.metric));
    this.value.push(r.value);
    this.unit.push(code(r.unit));
    this.ts.push(r.ts);
    this.seq.push(r.seq);
    this.quality.push(r.quality === undefined ? null : code(r.quality));
  }

  /** The columns in {@link STAGE_COLUMNS} order, rows `start` to `end`. */
  slice(start: number, end: number): (readonly (string | number | null)[])[] {
    return [
      this.id,
      this.device,
      this.patient,
      this.metric,
      this.value,
      this.unit,
      this.ts,
      this.seq,
      this.quality,
    ].map((c) => c.slice(start, end));
  }
}

/** The staging table's columns (codes, not strings) and their DuckDB types. @internal */
export const STAGE_COLUMNS: readonly (readonly [string, DuckDBType, string])[] = [
  ['id', VARCHAR, 'VARCHAR'],
  ['device', INTEGER, 'INTEGER'],
  ['patient', INTEGER, 'INTEGER'],
  ['metric', INTEGER, 'INTEGER'],
  ['value', DOUBLE, 'DOUBLE'],
  ['unit', INTEGER, 'INTEGER'],
  ['ts', DOUBLE, 'DOUBLE'],
  ['seq', DOUBLE, 'DOUBLE'],
  ['quality', INTEGER, 'INTEGER'],
];
