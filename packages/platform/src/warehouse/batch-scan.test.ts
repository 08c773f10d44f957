import { DOUBLE, DuckDBDataChunk, DuckDBInstance, type DuckDBVector, INTEGER } from '@duckdb/node-api';
import { describe, expect, it } from 'vitest';
import { fill, registerBatchScan } from './batch-scan.js';
import type { ScanSource } from './readings-columns.js';

describe('the batch scan', () => {
  it('fills a vector with one typed-array copy, or value by value when the library hides its array — the same values', () => {
    const ints = Int32Array.from({ length: 2048 }, (_, i) => i * 7 - 5000);
    const doubles = Float64Array.from({ length: 2048 }, (_, i) => (i % 2 ? -1 : 1) * i * 1e-3);
    const fast = DuckDBDataChunk.create([INTEGER, DOUBLE], 2048);
    fill(fast.getColumnVector(0), ints);
    fill(fast.getColumnVector(1), doubles);
    const slow = DuckDBDataChunk.create([INTEGER, DOUBLE], 2048);
    // A vector without the `items` array (as another version of the library might be).
    const hidden = (v: DuckDBVector) =>
      ({
        setItem: (i: number, x: number) => v.setItem(i, x as never),
        flush: () => v.flush(),
      }) as unknown as DuckDBVector;
    fill(hidden(slow.getColumnVector(0)), ints);
    fill(hidden(slow.getColumnVector(1)), doubles);
    expect(fast.getColumns()).toEqual(slow.getColumns());
    expect(fast.getColumns()).toEqual([[...ints], [...doubles]]);
  });

  it('scans registered batches over several chunks, their sparse strings by row, and fails the query for an unknown batch', async () => {
    const db = await DuckDBInstance.create(':memory:', { threads: '2' });
    const c = await db.connect();
    const n = 5000;
    const source: ScanSource = {
      length: n,
      columns: [
        { name: 'a', type: 'INTEGER', data: Int32Array.from({ length: n }, (_, i) => i) },
        { name: 'b', type: 'DOUBLE', data: Float64Array.from({ length: n }, (_, i) => i / 2) },
      ],
      strings: { rows: [3, 4999], texts: ['three', "o'clock"] },
    };
    const batches = new Map([[7, source]]);
    registerBatchScan(c, batches, 2);
    const sums = await c.runAndReadAll(
      'SELECT count(*)::INTEGER AS n, sum(a)::BIGINT AS a, sum(b) AS b, count(DISTINCT row)::INTEGER AS r FROM healthit_scan(7)',
    );
    expect(sums.getRowObjects()).toEqual([{ n, a: BigInt((n * (n - 1)) / 2), b: (n * (n - 1)) / 4, r: n }]);
    const strings = await c.runAndReadAll(
      'SELECT s.a, t.text FROM healthit_scan(7) s JOIN healthit_strings(7) t ON t.row = s.row ORDER BY s.a',
    );
    expect(strings.getRows()).toEqual([
      [3, 'three'],
      [4999, "o'clock"],
    ]);
    await expect(c.run('SELECT * FROM healthit_scan(8)')).rejects.toThrow(/no batch 8/);
    c.closeSync();
    db.closeSync();
  });
});
