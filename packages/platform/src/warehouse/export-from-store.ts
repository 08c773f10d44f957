import type { Reading, ReadingStore } from '@healthit/core';
import type { ParquetWarehouse } from './parquet-warehouse.js';

/** Options of {@link exportNewReadings}. */
export interface ExportNewReadingsOptions {
  /** Export readings with `ts` before this (epoch ms): leave room for readings still arriving late. */
  readonly until: number;
  /** Readings per store query (default 10 000). */
  readonly pageSize?: number;
}

/** What one incremental export did. */
export interface ExportResult {
  /** Readings handed to the warehouse by this export (written and committed once it resolved). */
  readonly exported: number;
  /** The manifest's watermark after it. */
  readonly watermark: { readonly ts: number; readonly deviceId: string; readonly seq: number } | undefined;
}

type Key = { readonly ts: number; readonly deviceId: string; readonly seq: number };

/** `a` after `b` in the store's order (ts, deviceId, seq). */
function after(a: Key, b: Key): boolean {
  if (a.ts !== b.ts) return a.ts > b.ts;
  if (a.deviceId !== b.deviceId) return a.deviceId > b.deviceId;
  return a.seq > b.seq;
}

/**
 * Exports to the warehouse what the store holds after the manifest's watermark and before `until`,
 * page by page in the store's order (ts, device, seq), and commits the new watermark with the data:
 * running it again exports only what is new. Readings that reach the store with a `ts` before the
 * watermark are not exported by later runs: choose `until` behind the uplink's worst lateness.
 */
export async function exportNewReadings(
  store: Pick<ReadingStore, 'query'>,
  warehouse: ParquetWarehouse,
  options: ExportNewReadingsOptions,
): Promise<ExportResult> {
  let pageSize = options.pageSize ?? 10_000;
  let mark: Key | undefined = warehouse.manifest().watermark;
  let exported = 0;
  for (;;) {
    const from = mark?.ts ?? 0;
    if (from >= options.until) break;
    const page: Reading[] = await store.query({ from, to: options.until, limit: pageSize });
    const fresh = mark === undefined ? page : page.filter((r) => after(r, mark as Key));
    if (fresh.length === 0) {
      // A full page of readings at the watermark's own ts, all exported: look further.
      if (page.length === pageSize) {
        pageSize *= 2;
        continue;
      }
      break;
    }
    await warehouse.appendReadings(fresh);
    exported += fresh.length;
    const last = fresh[fresh.length - 1] as Reading;
    mark = { ts: last.ts, deviceId: last.deviceId, seq: last.seq };
    if (page.length < pageSize) break;
  }
  await warehouse.flush(mark);
  return { exported, watermark: mark };
}
