/** Which series a query reads: any of these left out matches every value. */
export interface SeriesFilterFields {
  readonly deviceId?: string | undefined;
  readonly patientId?: string | undefined;
  readonly metric?: string | undefined;
}

/**
 * The condition `series = ANY(ARRAY(SELECT key FROM <series> WHERE ...))` that lets a query by
 * device, or by patient and metric, read the readings table's `(series, ts)` index: the keys of
 * the matching series come from the dictionary (one row per series) in one step, then the index
 * is probed once per key. `undefined` when no field is given (every series). `bind` adds a
 * parameter and returns its placeholder, cast (`$4::text`).
 */
export function seriesCondition(
  seriesTable: string,
  fields: SeriesFilterFields,
  bind: (value: string) => string,
): string | undefined {
  const where: string[] = [];
  if (fields.deviceId !== undefined) where.push(`device_id = ${bind(fields.deviceId)}`);
  if (fields.patientId !== undefined) where.push(`patient_id = ${bind(fields.patientId)}`);
  if (fields.metric !== undefined) where.push(`metric = ${bind(fields.metric)}`);
  if (where.length === 0) return undefined;
  return `series = ANY(ARRAY(SELECT key FROM ${seriesTable} WHERE ${where.join(' AND ')}))`;
}
