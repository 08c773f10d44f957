import type { Reading } from '@healthit/core';
import { createPgliteReadingStore } from '@healthit/platform/pglite';
import { bestRate, type Figure } from './measure.js';

const BATCH = 500;
const BATCHES = 20;

function batch(n: number): Reading[] {
  return Array.from({ length: BATCH }, (_, i) => {
    const seq = n * BATCH + i;
    return {
      id: `bench-1:${seq}`,
      deviceId: 'bench-1',
      patientId: 'patient-1',
      metric: 'heart-rate',
      value: 60 + (seq % 40),
      unit: '/min',
      ts: Date.UTC(2025, 0, 1) + seq,
      seq,
    } as Reading;
  });
}

/** PGlite ReadingStore: new appends, idempotent re-appends, range query. */
export async function benchStore(): Promise<Figure[]> {
  const store = await createPgliteReadingStore();
  let round = 0;
  const append = await bestRate(3, BATCH * BATCHES, async () => {
    const base = round++ * BATCHES;
    for (let b = 0; b < BATCHES; b++) await store.append(batch(base + b));
  });
  const again = await bestRate(3, BATCH * BATCHES, async () => {
    for (let b = 0; b < BATCHES; b++) await store.append(batch(b));
  });
  const total = await store.count();
  const query = await bestRate(3, 10_000, async () => {
    await store.query({ from: 0, to: Number.MAX_SAFE_INTEGER, limit: 10_000 });
  });
  await store.close();
  return [
    { name: `PGlite append, new readings (batches of ${BATCH})`, value: append, unit: 'readings/s' },
    { name: `PGlite append, duplicates (idempotent re-append)`, value: again, unit: 'readings/s' },
    {
      name: `PGlite range query (10 000 of ${total.toLocaleString('en-US')})`,
      value: query,
      unit: 'readings/s',
    },
  ];
}
