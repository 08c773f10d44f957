import {
  DOUBLE,
  type DuckDBConnection,
  DuckDBTableFunction,
  type DuckDBTableFunctionBindInfo,
  type DuckDBTableFunctionInfo,
  type DuckDBVector,
  INTEGER,
  VARCHAR,
} from '@duckdb/node-api';
import type { ScanSource } from './readings-columns.js';

/** DuckDB's vector size: rows per chunk a table function produces. */
const CHUNK_ROWS = 2048;

/**
 * Copies a typed-array slice into a DuckDB vector. The vector classes of `@duckdb/node-api` keep
 * their values in a typed array of the same kind, which `flush` copies into DuckDB in one call:
 * filling it with one `set` costs about a nanosecond a value, against tens for `setItem` per value.
 * The array is not part of the typed API, so it is used only when it is there and fits; otherwise
 * (another version of the library) the values go in one by one, with the same result.
 * @internal
 */
export function fill(vector: DuckDBVector, values: Int32Array | Float64Array): void {
  const items = (vector as unknown as { items?: unknown }).items;
  if (
    (items instanceof Int32Array || items instanceof Float64Array) &&
    items.constructor === values.constructor &&
    items.length === values.length
  ) {
    items.set(values);
  } else {
    const v = vector as DuckDBVector<number>;
    for (let i = 0; i < values.length; i++) v.setItem(i, values[i] as number);
  }
  vector.flush();
}

/** Row numbers 0, 1, 2, … (the `row` column of a scan whose batch has strings of its own). */
let rowNumbers = new Int32Array(0);
function rowsUpTo(n: number): Int32Array {
  if (rowNumbers.length < n) {
    rowNumbers = new Int32Array(Math.max(n, rowNumbers.length * 2));
    for (let i = 0; i < rowNumbers.length; i++) rowNumbers[i] = i;
  }
  return rowNumbers;
}

interface ScanState {
  next: number;
}

/**
 * Registers, on `connection`, the table functions through which DuckDB reads batches straight from
 * JavaScript typed arrays — no staging table, no per-value conversion:
 *
 * - `healthit_scan(batch)`: the batch's columns (and `row`, when it has strings of its own);
 * - `healthit_strings(batch)`: `(row INTEGER, text VARCHAR)`, its sparse strings by row.
 *
 * Batches are looked up in `batches` by number when a query binds the function. DuckDB may scan
 * with several threads; the callbacks all run on the JavaScript thread, one after the other.
 * @internal
 */
export function registerBatchScan(
  connection: DuckDBConnection,
  batches: ReadonlyMap<number, ScanSource>,
  maxThreads: number,
): void {
  /** The batch a query names, or undefined (and the query fails) when none is registered. */
  const source = (info: DuckDBTableFunctionBindInfo): ScanSource | undefined => {
    const n = info.getParameter(0);
    const batch = batches.get(Number(n));
    if (batch === undefined) info.setError(`no batch ${String(n)} is registered for the scan`);
    return batch;
  };
  connection.registerTableFunction(
    DuckDBTableFunction.create({
      name: 'healthit_scan',
      parameterTypes: [INTEGER],
      bindFunction: (info) => {
        const batch = source(info);
        if (batch === undefined) return;
        for (const c of batch.columns) info.addResultColumn(c.name, c.type === 'INTEGER' ? INTEGER : DOUBLE);
        const withRows = batch.strings.rows.length > 0;
        if (withRows) info.addResultColumn('row', INTEGER);
        info.setBindData({ batch, columns: batch.columns, withRows });
        info.setCardinality(batch.length, true);
      },
      initFunction: (info) => {
        info.setInitData({ next: 0 } satisfies ScanState);
        info.setMaxThreads(maxThreads);
      },
      mainFunction: (info: DuckDBTableFunctionInfo, output) => {
        const { batch, columns, withRows } = info.bindData as {
          batch: ScanSource;
          columns: readonly ScanSource['columns'][number][];
          withRows: boolean;
        };
        const state = info.initData as ScanState;
        const start = state.next;
        const n = Math.min(CHUNK_ROWS, batch.length - start);
        state.next = start + n;
        output.rowCount = n;
        if (n === 0) return;
        columns.forEach((c, k) => {
          fill(output.getColumnVector(k), c.data.subarray(start, start + n));
        });
        if (withRows)
          fill(output.getColumnVector(columns.length), rowsUpTo(start + n).subarray(start, start + n));
      },
    }),
  );
  connection.registerTableFunction(
    DuckDBTableFunction.create({
      name: 'healthit_strings',
      parameterTypes: [INTEGER],
      bindFunction: (info) => {
        const batch = source(info);
        if (batch === undefined) return;
        info.addResultColumn('row', INTEGER);
        info.addResultColumn('text', VARCHAR);
        info.setBindData({ strings: batch.strings });
        info.setCardinality(batch.strings.rows.length, true);
      },
      initFunction: (info) => {
        info.setInitData({ next: 0 } satisfies ScanState);
      },
      mainFunction: (info, output) => {
        const { strings } = info.bindData as { strings: ScanSource['strings'] };
        const state = info.initData as ScanState;
        const start = state.next;
        const n = Math.min(CHUNK_ROWS, strings.rows.length - start);
        state.next = start + n;
        output.rowCount = n;
        if (n === 0) return;
        const rows = output.getColumnVector(0) as DuckDBVector<number>;
        const texts = output.getColumnVector(1) as DuckDBVector<string>;
        for (let i = 0; i < n; i++) {
          rows.setItem(i, strings.rows[start + i] as number);
          texts.setItem(i, strings.texts[start + i] as string);
        }
        rows.flush();
        texts.flush();
      },
    }),
  );
}
