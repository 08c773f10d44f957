import * as fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isHealthItError } from '../errors/health-it-error.js';
import { ValidationError } from '../errors/validation-error.js';
import type { ReadingStore } from '../ports/reading-store.js';
import type { Reading } from '../schemas/reading.js';

const T0 = Date.UTC(2025, 0, 1);

/** A valid reading for tests; `overrides` replace fields. */
export function sampleReading(seq: number, overrides: Partial<Reading> = {}): Reading {
  const deviceId = (overrides.deviceId ?? 'monitor-1') as Reading['deviceId'];
  return {
    id: `${deviceId}:${seq}`,
    deviceId,
    patientId: 'patient-1' as Reading['patientId'] & string,
    metric: 'heart-rate',
    value: 60 + (seq % 40),
    unit: '/min',
    ts: T0 + seq * 1000,
    seq,
    quality: 'good',
    ...overrides,
  } as Reading;
}

/**
 * The conformance suite every {@link ReadingStore} implementation must pass. `makeStore` opens a
 * fresh, empty store for each test.
 */
export function describeReadingStoreConformance(name: string, makeStore: () => Promise<ReadingStore>): void {
  describe(`ReadingStore conformance: ${name}`, () => {
    let store: ReadingStore;
    beforeEach(async () => {
      store = await makeStore();
    });
    afterEach(async () => {
      await store.close();
    });

    it('stores readings and returns them unchanged, optional fields included or absent', async () => {
      const a = sampleReading(1, { value: 36.6 + 0.1, metric: 'body-temperature', unit: 'Cel' });
      const { patientId: _p, quality: _q, ...rest } = sampleReading(2);
      const b = rest as Reading;
      const result = await store.append([a, b]);
      expect(result).toEqual({ inserted: 2, duplicates: 0, conflicts: [] });
      const got = await store.query({ from: T0, to: T0 + 10_000 });
      expect(got).toEqual([a, b]);
      expect('patientId' in (got[1] as object)).toBe(false);
    });

    it('is idempotent: re-appending the same readings stores nothing new', async () => {
      const batch = [1, 2, 3].map((s) => sampleReading(s));
      await store.append(batch);
      const again = await store.append(batch);
      expect(again).toEqual({ inserted: 0, duplicates: 3, conflicts: [] });
      expect(await store.count()).toBe(3);
    });

    it('stores a reading repeated inside one batch once', async () => {
      const r = sampleReading(7);
      const result = await store.append([r, r, sampleReading(8)]);
      expect(result.inserted).toBe(2);
      expect(result.duplicates).toBe(1);
      expect(await store.count()).toBe(2);
    });

    it('keeps the stored reading and reports a conflict when an id comes back with other content', async () => {
      const r = sampleReading(4);
      await store.append([r]);
      const changed = { ...r, value: r.value + 1 };
      const result = await store.append([changed, sampleReading(5)]);
      expect(result).toEqual({ inserted: 1, duplicates: 0, conflicts: [r.id] });
      const [stored] = await store.query({ from: r.ts, to: r.ts + 1 });
      expect(stored).toEqual(r);
    });

    it('answers range queries: from inclusive, to exclusive, filtered, ordered, limited', async () => {
      const readings = [
        sampleReading(1, { deviceId: 'dev-b' as Reading['deviceId'] }),
        sampleReading(1, { deviceId: 'dev-a' as Reading['deviceId'] }),
        sampleReading(2, { deviceId: 'dev-a' as Reading['deviceId'], metric: 'spo2', unit: '%', value: 97 }),
        sampleReading(3, {
          deviceId: 'dev-a' as Reading['deviceId'],
          patientId: 'patient-2' as Reading['patientId'] & string,
        }),
      ];
      await store.append(readings);
      const all = await store.query({ from: T0 + 1000, to: T0 + 3000 });
      expect(all.map((r) => r.id)).toEqual(['dev-a:1', 'dev-b:1', 'dev-a:2']);
      expect((await store.query({ from: T0, to: T0 + 10_000, deviceId: 'dev-b' })).map((r) => r.id)).toEqual([
        'dev-b:1',
      ]);
      expect((await store.query({ from: T0, to: T0 + 10_000, metric: 'spo2' })).map((r) => r.id)).toEqual([
        'dev-a:2',
      ]);
      expect(
        (await store.query({ from: T0, to: T0 + 10_000, patientId: 'patient-2' })).map((r) => r.id),
      ).toEqual(['dev-a:3']);
      expect((await store.query({ from: T0, to: T0 + 10_000, limit: 2 })).map((r) => r.id)).toEqual([
        'dev-a:1',
        'dev-b:1',
      ]);
      expect(await store.query({ from: T0 + 3000, to: T0 + 3000 })).toEqual([]);
    });

    it('rejects an invalid reading with a ValidationError and stores nothing of its batch', async () => {
      const bad = { ...sampleReading(2), value: 'fast' } as unknown as Reading;
      const err = await store.append([sampleReading(1), bad]).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(ValidationError);
      expect((err as ValidationError).message).toContain('value');
      expect(await store.count()).toBe(0);
    });

    it('keeps exactly one copy of each distinct reading whatever the order and repetition of appends', async () => {
      let run = 0;
      await fc.assert(
        fc.asyncProperty(
          fc.array(fc.array(fc.integer({ min: 0, max: 30 }), { minLength: 1, maxLength: 8 }), {
            maxLength: 6,
          }),
          async (batches) => {
            run += 1;
            const deviceId = `prop-${run}` as Reading['deviceId'];
            const before = await store.count();
            const distinct = new Set(batches.flat());
            for (const b of batches) await store.append(b.map((s) => sampleReading(s, { deviceId })));
            expect((await store.count()) - before).toBe(distinct.size);
          },
        ),
        { numRuns: 15 },
      );
    });

    it('is closed after close: appends fail with store/closed, close is idempotent', async () => {
      await store.close();
      await store.close();
      const err = await store.append([sampleReading(1)]).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(isHealthItError(err, 'store/closed')).toBe(true);
    });
  });
}
