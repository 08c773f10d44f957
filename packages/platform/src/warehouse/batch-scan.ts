import {
  DOUBLE,
  type DuckDBConnection,
  DuckDBDataChunk,
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

/** The typed array a vector of `@duckdb/node-api` keeps its values in (not part of its typed API). */
type VectorWithItems = { items?: unknown };

/**
 * Copies `values` into `vector` through the typed array the vector classes of `@duckdb/node-api` keep
 * their values in, which `flush` copies into DuckDB in one call: about a nanosecond a value, against
 * tens for `setItem` per value. A vector made while its chunk was still empty has an empty array (and
 * cost nothing to make: the library copies a vector's current contents out of DuckDB when it makes
 * one); its array is lent `values` for the flush. False, with nothing written, when the array is not
 * there or does not fit (another version of the library).
 */
function copyInto(vector: DuckDBVector, values: Int32Array | Float64Array): boolean {
  const v = vector as unknown as VectorWithItems;
  const items = v.items;
  if (
    !(items instanceof Int32Array || items instanceof Float64Array) ||
    items.constructor !== values.constructor
  ) {
    return false;
  }
  if (items.length === values.length) {
    items.set(values);
    vector.flush();
  } else if (items.length === 0) {
    v.items = values;
    try {
      vector.flush();
    } finally {
      v.items = items;
    }
  } else return false;
  return true;
}

/**
 * Copies a typed-array slice into a DuckDB vector of the same length: in one copy when the library's
 * vector exposes its typed array (see `copyInto`), otherwise value by value, with the same result.
 * @internal
 */
export function fill(vector: DuckDBVector, values: Int32Array | Float64Array): void {
  if (copyInto(vector, values)) return;
  const v = vector as DuckDBVector<number>;
  for (let i = 0; i < values.length; i++) v.setItem(i, values[i] as number);
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
        if (n === 0) {
          output.rowCount = 0;
          return;
        }
        // The vectors are taken while the chunk is empty (nothing to copy out of DuckDB), then filled.
        const slices = columns.map((c) => c.data.subarray(start, start + n));
        if (withRows) slices.push(rowsUpTo(start + n).subarray(start, start + n));
        const vectors = slices.map((_, k) => output.getColumnVector(k));
        output.rowCount = n;
        /** The chunk again, for vectors of its new size (when the library hides its arrays). */
        let sized: DuckDBDataChunk | undefined;
        slices.forEach((values, k) => {
          if (copyInto(vectors[k] as DuckDBVector, values)) return;
          sized ??= new DuckDBDataChunk(output.chunk);
          fill(sized.getColumnVector(k), values);
        });
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
