import { HealthItError, type Reading, type ReadingStore } from '@healthit/core';
import { sampleReading } from '@healthit/core/testing';
import { describe, expect, it } from 'vitest';
import { appendWithRetry } from './append-with-retry.js';

const options = { maxAttempts: 3, retryBaseDelayMs: 1, retryMaxDelayMs: 2 };
const readings: Reading[] = [sampleReading(1)];

function storeFailing(errors: unknown[]): Pick<ReadingStore, 'append'> & { calls: number } {
  return {
    calls: 0,
    async append(rs) {
      this.calls += 1;
      const e = errors.shift();
      if (e !== undefined) throw e;
      return { inserted: rs.length, duplicates: 0, conflicts: [] };
    },
  };
}

describe('appendWithRetry', () => {
  it('retries a retryable error and resolves with the result and the attempts', async () => {
    const store = storeFailing([new HealthItError('store/unavailable', 'down')]);
    await expect(appendWithRetry(store, readings, options)).resolves.toMatchObject({ ok: true, attempts: 2 });
  });

  it('gives up after maxAttempts, and at once on a permanent error (a foreign one is wrapped)', async () => {
    const down = () => new HealthItError('store/unavailable', 'down');
    const out = await appendWithRetry(storeFailing([down(), down(), down(), down()]), readings, options);
    expect(out).toMatchObject({ ok: false, attempts: 3 });
    const foreign = await appendWithRetry(storeFailing([new Error('syntax error')]), readings, options);
    expect(foreign).toMatchObject({ ok: false, attempts: 1 });
    if (!foreign.ok) expect(foreign.error.code).toBe('store/query-failed');
  });

  it('stops waiting between attempts when aborted', async () => {
    const controller = new AbortController();
    controller.abort();
    const store = storeFailing([new HealthItError('store/unavailable', 'down')]);
    const out = await appendWithRetry(store, readings, {
      ...options,
      retryBaseDelayMs: 60_000,
      retryMaxDelayMs: 60_000,
      signal: controller.signal,
    });
    expect(out).toMatchObject({ ok: false, attempts: 1 });
  });
});
