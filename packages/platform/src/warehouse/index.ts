/**
 * `@healthit/platform/warehouse`: the warehouse for big-data mining — readings, NEWS2 scores, alerts
 * and clinical outcomes in Parquet files partitioned by date (and metric, kind), exported
 * incrementally from the operational store and queried with DuckDB. Needs the optional peer
 * `@duckdb/node-api`.
 * @packageDocumentation
 */
export {
  bucketedAggregate,
  type MetricChangeCase,
  metricChangeCohort,
  type News2RiseCase,
  news2RiseCohort,
  type WarehouseBucket,
} from './analytics.js';
export { type ExportNewReadingsOptions, type ExportResult, exportNewReadings } from './export-from-store.js';
export {
  OUTCOME_KINDS,
  OUTCOME_RECORD_SCHEMA_NAME,
  OutcomeKind,
  OutcomeRecord,
} from './outcome-record.js';
export {
  DETERIORATION_PHASES,
  type LabelledWindow,
  type LabelledWindowsOptions,
  labelledWindows,
  NEWS2_DERIVED_SOURCE,
  NEWS2_HIGH_THRESHOLD,
  news2HighOutcomes,
  outcomesFromTimeline,
  type TimelinePatient,
} from './outcomes.js';
export {
  openParquetWarehouse,
  type ParquetWarehouse,
  type ParquetWarehouseOptions,
  type ScoreRecord,
  WAREHOUSE_SCHEMA_VERSION,
  type WarehouseManifest,
} from './parquet-warehouse.js';
