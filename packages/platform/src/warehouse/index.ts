/**
 * `@healthit/platform/warehouse`: the warehouse for big-data mining — readings and NEWS2 scores in
 * Parquet files partitioned by date and metric, exported incrementally from the operational store
 * and queried with DuckDB. Needs the optional peer `@duckdb/node-api`.
 * @packageDocumentation
 */
export {
  bucketedAggregate,
  type News2RiseCase,
  news2RiseCohort,
  type WarehouseBucket,
} from './analytics.js';
export { type ExportNewReadingsOptions, type ExportResult, exportNewReadings } from './export-from-store.js';
export {
  openParquetWarehouse,
  type ParquetWarehouse,
  type ParquetWarehouseOptions,
  type ScoreRecord,
  WAREHOUSE_SCHEMA_VERSION,
  type WarehouseManifest,
} from './parquet-warehouse.js';
