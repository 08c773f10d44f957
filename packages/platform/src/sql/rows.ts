import type { Reading } from '@healthit/core';

/** The column list every SELECT of readings uses, in {@link ReadingRow} order. */
export const READING_SELECT_LIST = 'id, device_id, patient_id, metric, value, unit, ts, seq, quality';

/**
 * A readings row as drivers return it: `bigint` columns arrive as strings (`pg`), numbers or
 * BigInts (PGlite), so they go through `Number` (exact: `ts` and `seq` are safe integers).
 */
export interface ReadingRow {
  readonly id: string;
  readonly device_id: string;
  readonly patient_id: string | null;
  readonly metric: string;
  readonly value: number | string;
  readonly unit: string;
  readonly ts: number | string | bigint;
  readonly seq: number | string | bigint;
  readonly quality: string | null;
}

/** A stored row as a {@link Reading}; absent optional fields are left out, not set to undefined. */
export function rowToReading(row: ReadingRow): Reading {
  const reading: Record<string, unknown> = {
    id: row.id,
    deviceId: row.device_id,
    metric: row.metric,
    value: Number(row.value),
    unit: row.unit,
    ts: Number(row.ts),
    seq: Number(row.seq),
  };
  if (row.patient_id !== null) reading.patientId = row.patient_id;
  if (row.quality !== null) reading.quality = row.quality;
  return reading as Reading;
}

/**
 * A double as text that PostgreSQL's `float8` input parses back to the identical value:
 * `String(n)` is the shortest round-trip form, except that it drops the sign of -0.
 */
export function float8Text(n: number): string {
  return Object.is(n, -0) ? '-0' : String(n);
}

/**
 * Readings as the nine column arrays the `unnest` insert takes (`$1`...`$9`). Numbers go as
 * text so no driver rounds or drops the sign of zero.
 */
export function readingColumns(readings: readonly Reading[]): unknown[][] {
  return [
    readings.map((r) => r.id),
    readings.map((r) => r.deviceId),
    readings.map((r) => r.patientId ?? null),
    readings.map((r) => r.metric),
    readings.map((r) => float8Text(r.value)),
    readings.map((r) => r.unit),
    readings.map((r) => String(r.ts)),
    readings.map((r) => String(r.seq)),
    readings.map((r) => r.quality ?? null),
  ];
}

/** True when two readings have identical content (values compared exactly, -0 ≠ 0). */
export function sameReading(a: Reading, b: Reading): boolean {
  return (
    a.id === b.id &&
    a.deviceId === b.deviceId &&
    a.patientId === b.patientId &&
    a.metric === b.metric &&
    Object.is(a.value, b.value) &&
    a.unit === b.unit &&
    a.ts === b.ts &&
    a.seq === b.seq &&
    a.quality === b.quality
  );
}

/** A text field as CSV: always quoted (so an empty string is not NULL), quotes doubled. */
function csvText(s: string): string {
  return s.includes('"') ? `"${s.replaceAll('"', '""')}"` : `"${s}"`;
}

/**
 * Readings as CSV rows in {@link READING_SELECT_LIST} order, followed by their series key when
 * `series` is given, for `COPY ... (FORMAT csv)`: text quoted, an absent optional field an
 * unquoted empty field (NULL), numbers in round-trip form.
 */
export function readingsCsv(readings: readonly Reading[], series?: Int32Array): string {
  let out = '';
  for (let i = 0; i < readings.length; i++) {
    const r = readings[i] as Reading;
    out += `${csvText(r.id)},${csvText(r.deviceId)},${r.patientId === undefined ? '' : csvText(r.patientId)},${csvText(r.metric)},${float8Text(r.value)},${csvText(r.unit)},${r.ts},${r.seq},${r.quality === undefined ? '' : csvText(r.quality)}${series === undefined ? '' : `,${series[i]}`}\n`;
  }
  return out;
}
