import type { Reading, ReadingQuery, ReadingStore } from '@healthit/core';

/** The default number of readings fetched per `query` call. */
export const DEFAULT_PAGE_SIZE = 5000;

/**
 * Every reading matching `query`, in the port's order (`ts`, `deviceId`, `seq`), fetched in pages
 * of `pageSize` through {@link ReadingStore.query} (which has a limit but no cursor). The next
 * page starts at the last page's greatest `ts`; readings at that `ts` already yielded are skipped
 * by id. When a whole page shares one `ts`, the page is widened (doubled) until it moves on, so
 * no reading is lost or repeated. Memory: one page.
 */
export async function* readingPages(
  store: ReadingStore,
  query: Omit<ReadingQuery, 'limit'>,
  pageSize: number = DEFAULT_PAGE_SIZE,
): AsyncGenerator<readonly Reading[], void, undefined> {
  let from = query.from;
  let limit = pageSize;
  let seenAtFrom = new Set<string>();
  for (;;) {
    const page = await store.query({ ...query, from, limit });
    const fresh = seenAtFrom.size === 0 ? page : page.filter((r) => !(r.ts === from && seenAtFrom.has(r.id)));
    if (fresh.length > 0) yield fresh;
    if (page.length < limit) return;
    const lastTs = (page[page.length - 1] as Reading).ts;
    if (lastTs === from) {
      for (const r of fresh) seenAtFrom.add(r.id);
      limit *= 2;
      continue;
    }
    seenAtFrom = new Set(page.filter((r) => r.ts === lastTs).map((r) => r.id));
    from = lastTs;
    limit = pageSize;
  }
}
