/**
 * The staging table of the COPY path: temporary (one per database session, so connections of a
 * pool never share one), emptied at every commit, with the readings columns and the series key.
 * Every store of a session uses the same one: it holds rows only inside one append's transaction.
 */
export const STAGE_TABLE = 'pg_temp.healthit_readings_stage';

/** The statement creating {@link STAGE_TABLE} when the session has none yet (idempotent). */
export function stageTableDdl(): string {
  return `CREATE TEMP TABLE IF NOT EXISTS healthit_readings_stage (
  id text, device_id text, patient_id text, metric text, value double precision, unit text,
  ts bigint, seq bigint, quality text, series integer
) ON COMMIT DELETE ROWS`;
}
