import {
  type AppendResult,
  HealthItError,
  type Reading,
  type ReadingStore,
  ValidationError,
} from '@healthit/core';
import { sampleReading } from '@healthit/core/testing';
import { map, Observable } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import type { IngestEvent } from './events.js';
import { ingestReadings } from './ingest-readings.js';

// A fake, in-memory ReadingStore for the marble tests only: its append settles on the
// TestScheduler after `writeMs` of virtual time, so batching, ordering, retry and back-off timing
// are exact. The real stores (PGlite, PostgreSQL) run the conformance suite elsewhere.
interface VirtualStore extends Pick<ReadingStore, 'append'> {
  /** When each append was called (virtual ms) and with which ids. */
  readonly calls: { readonly at: number; readonly ids: readonly string[] }[];
  readonly stored: Map<string, Reading>;
}

function createVirtualStore(
  scheduler: TestScheduler,
  writeMs: number,
  failOnCall: (call: number) => HealthItError | undefined = () => undefined,
): VirtualStore {
  const calls: { at: number; ids: string[] }[] = [];
  const stored = new Map<string, Reading>();
  return {
    calls,
    stored,
    append(readings) {
      const call = calls.length + 1;
      calls.push({ at: scheduler.now(), ids: readings.map((r) => r.id) });
      // A thenable settled by the TestScheduler (a real Promise would settle outside virtual time).
      const thenable = {
        // biome-ignore lint/suspicious/noThenProperty: a thenable that settles in virtual time is the point
        then(onOk?: (r: AppendResult) => unknown, onError?: (e: unknown) => unknown) {
          scheduler.schedule(() => {
            const failure = failOnCall(call);
            if (failure !== undefined) {
              onError?.(failure);
              return;
            }
            let inserted = 0;
            for (const r of readings) {
              if (stored.has(r.id)) continue;
              stored.set(r.id, r);
              inserted += 1;
            }
            onOk?.({ inserted, duplicates: readings.length - inserted, conflicts: [] });
          }, writeMs);
          // biome-ignore lint/suspicious/noThenProperty: RxJS chains a `.then` on the result; it needs no value
          return { then: () => undefined };
        },
      };
      return thenable as unknown as Promise<AppendResult>;
    },
  };
}

/** Events reduced to what the marble diagrams compare. */
function summary(e: IngestEvent): Record<string, unknown> {
  switch (e.type) {
    case 'stored':
      return { type: e.type, ids: e.readingIds, inserted: e.result.inserted };
    case 'store-failed':
      return { type: e.type, ids: e.readings.map((r) => r.id), code: e.error.code, attempts: e.attempts };
    case 'reading-rejected':
      return { type: e.type, code: e.error.code };
  }
}

const R = {
  a: sampleReading(1),
  b: sampleReading(2),
  c: sampleReading(3),
  d: sampleReading(4),
  e: sampleReading(5),
  f: sampleReading(6),
};
const stored = (...keys: (keyof typeof R)[]) => ({
  type: 'stored',
  ids: keys.map((k) => R[k].id),
  inserted: keys.length,
});
const unavailable = () => new HealthItError('store/unavailable', 'database down (test)');

function newScheduler(): TestScheduler {
  return new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
}

describe('ingestReadings (marbles)', () => {
  it('writes a batch maxWaitMs after it started, and flushes the partial batch on completion', () => {
    const ts = newScheduler();
    ts.run(({ cold, expectObservable }) => {
      const store = createVirtualStore(ts, 0);
      const source = cold<Reading>('a-b 10ms c|', R);
      const out = source.pipe(ingestReadings(store, { maxWaitMs: 10, scheduler: ts }), map(summary));
      expectObservable(out).toBe('10ms x 3ms (y|)', { x: stored('a', 'b'), y: stored('c') });
    });
  });

  it('writes a batch as soon as it holds maxBatch readings, and writes nothing for empty windows', () => {
    const ts = newScheduler();
    ts.run(({ cold, expectObservable, flush }) => {
      const store = createVirtualStore(ts, 0);
      const source = cold<Reading>('(abcd) 20ms |', R);
      const out = source.pipe(
        ingestReadings(store, { maxBatch: 3, maxWaitMs: 10, scheduler: ts }),
        map(summary),
      );
      expectObservable(out).toBe('x 9ms y 15ms |', { x: stored('a', 'b', 'c'), y: stored('d') });
      flush();
      expect(store.calls.map((c) => c.at)).toEqual([0, 10]);
    });
  });

  it('writes batches one at a time, in order, while the store is slow', () => {
    const ts = newScheduler();
    ts.run(({ cold, expectObservable, flush }) => {
      const store = createVirtualStore(ts, 4);
      const source = cold<Reading>('(abcdef)|', R);
      const out = source.pipe(
        ingestReadings(store, { maxBatch: 2, maxWaitMs: 10, scheduler: ts }),
        map(summary),
      );
      expectObservable(out).toBe('4ms x 3ms y 3ms (z|)', {
        x: stored('a', 'b'),
        y: stored('c', 'd'),
        z: stored('e', 'f'),
      });
      flush();
      expect(store.calls).toEqual([
        { at: 0, ids: ['monitor-1:1', 'monitor-1:2'] },
        { at: 4, ids: ['monitor-1:3', 'monitor-1:4'] },
        { at: 8, ids: ['monitor-1:5', 'monitor-1:6'] },
      ]);
    });
  });

  it('retries a retryable failure with exponential back-off, capped at retryMaxDelayMs', () => {
    const ts = newScheduler();
    ts.run(({ cold, expectObservable, flush }) => {
      const store = createVirtualStore(ts, 1, (call) => (call <= 2 ? unavailable() : undefined));
      const source = cold<Reading>('a|', R);
      const out = source.pipe(
        ingestReadings(store, {
          maxBatch: 1,
          maxWaitMs: 10,
          retryBaseDelayMs: 10,
          retryMaxDelayMs: 15,
          scheduler: ts,
        }),
        map(summary),
      );
      // call 1 at 0 fails at 1; +10 → call 2 at 11 fails at 12; +min(15, 20) → call 3 at 27, done at 28.
      expectObservable(out).toBe('28ms (x|)', { x: stored('a') });
      flush();
      expect(store.calls.map((c) => c.at)).toEqual([0, 11, 27]);
    });
  });

  it('reports store-failed after maxAttempts and goes on with the next batch', () => {
    const ts = newScheduler();
    ts.run(({ cold, expectObservable }) => {
      const store = createVirtualStore(ts, 1, (call) => (call <= 3 ? unavailable() : undefined));
      const source = cold<Reading>('ab|', R);
      const out = source.pipe(
        ingestReadings(store, { maxBatch: 1, maxAttempts: 3, retryBaseDelayMs: 10, scheduler: ts }),
        map(summary),
      );
      // a: calls at 0, 11, 32 (delays 10, 20), fails for good at 33; b: call at 33, stored at 34.
      expectObservable(out).toBe('33ms x (y|)', {
        x: { type: 'store-failed', ids: ['monitor-1:1'], code: 'store/unavailable', attempts: 3 },
        y: stored('b'),
      });
    });
  });

  it('does not retry a permanent failure', () => {
    const ts = newScheduler();
    ts.run(({ cold, expectObservable, flush }) => {
      const store = createVirtualStore(ts, 2, (call) =>
        call === 1 ? new HealthItError('store/query-failed', 'refused (test)') : undefined,
      );
      const source = cold<Reading>('ab|', R);
      const out = source.pipe(ingestReadings(store, { maxBatch: 1, scheduler: ts }), map(summary));
      expectObservable(out).toBe('--x-(y|)', {
        x: { type: 'store-failed', ids: ['monitor-1:1'], code: 'store/query-failed', attempts: 1 },
        y: stored('b'),
      });
      flush();
      expect(store.calls.map((c) => c.at)).toEqual([0, 2]);
    });
  });

  it('bounds pending batches: when maxPendingBatches wait, a new batch is rejected at once as buffer/overflow', () => {
    const ts = newScheduler();
    ts.run(({ cold, expectObservable }) => {
      const store = createVirtualStore(ts, 10);
      const source = cold<Reading>('abcd 10ms e|', R);
      const out = source.pipe(
        ingestReadings(store, { maxBatch: 1, maxPendingBatches: 2, scheduler: ts }),
        map(summary),
      );
      const overflow = (k: keyof typeof R) => ({
        type: 'store-failed',
        ids: [R[k].id],
        code: 'buffer/overflow',
        attempts: 0,
      });
      // a and b are pending (a being written), c and d overflow; a done at 10 frees a slot for e.
      expectObservable(out).toBe('--cd 6ms x 9ms y 9ms (z|)', {
        c: overflow('c'),
        d: overflow('d'),
        x: stored('a'),
        y: stored('b'),
        z: stored('e'),
      });
    });
  });

  it('on a source error, writes the readings received before it, then forwards the error', () => {
    const ts = newScheduler();
    ts.run(({ cold, expectObservable }) => {
      const store = createVirtualStore(ts, 3);
      const source = cold<Reading>('ab#', R, new Error('source broke'));
      const out = source.pipe(
        ingestReadings(store, { maxBatch: 10, maxWaitMs: 50, scheduler: ts }),
        map(summary),
      );
      expectObservable(out).toBe('5ms (x#)', { x: stored('a', 'b') }, new Error('source broke'));
    });
  });

  it('rejects an invalid reading at once and keeps it out of its batch', () => {
    const ts = newScheduler();
    ts.run(({ cold, expectObservable, flush }) => {
      const store = createVirtualStore(ts, 0);
      const bad = { ...R.b, value: 'fast' } as unknown as Reading;
      const source = cold<Reading>('a-b-c 10ms |', { a: R.a, b: bad, c: R.c });
      const out = source.pipe(ingestReadings(store, { maxWaitMs: 10, scheduler: ts }), map(summary));
      expectObservable(out).toBe('--r 7ms x 4ms |', {
        r: { type: 'reading-rejected', code: 'validation/invalid' },
        x: stored('a', 'c'),
      });
      flush();
      expect(store.calls).toEqual([{ at: 10, ids: ['monitor-1:1', 'monitor-1:3'] }]);
    });
  });

  it('stops reading and reporting when unsubscribed', () => {
    const ts = newScheduler();
    ts.run(({ cold, expectObservable, flush }) => {
      const store = createVirtualStore(ts, 0);
      const source = cold<Reading>('a 20ms b|', R);
      const out = source.pipe(ingestReadings(store, { maxWaitMs: 10, scheduler: ts }), map(summary));
      expectObservable(out, '15ms !').toBe('10ms x', { x: stored('a') });
      flush();
      expect(store.calls).toHaveLength(1);
    });
  });
});

describe('ingestReadings (events and options)', () => {
  it('carries the error and the readings of a failed batch, and wraps a foreign error', async () => {
    const cause = new Error('socket hang up');
    const store: Pick<ReadingStore, 'append'> = { append: () => Promise.reject(cause) };
    const events: IngestEvent[] = [];
    await new Promise<void>((resolve, reject) => {
      new Observable<Reading>((s) => {
        s.next(R.a);
        s.complete();
      })
        .pipe(ingestReadings(store, { maxWaitMs: 5 }))
        .subscribe({ next: (e) => events.push(e), error: reject, complete: resolve });
    });
    expect(events).toHaveLength(1);
    const [event] = events;
    if (event?.type !== 'store-failed') throw new Error(`expected store-failed, got ${event?.type}`);
    expect(event.readings).toEqual([R.a]);
    expect(event.error.code).toBe('store/query-failed');
    expect(event.error.cause).toBe(cause);
  });

  it('reports a rejected reading with its ValidationError and input', async () => {
    const store: Pick<ReadingStore, 'append'> = {
      append: async (rs) => ({ inserted: rs.length, duplicates: 0, conflicts: [] }),
    };
    const bad = { ...R.a, unit: 'kg' };
    const events: IngestEvent[] = [];
    await new Promise<void>((resolve, reject) => {
      new Observable<Reading>((s) => {
        s.next(bad as Reading);
        s.complete();
      })
        .pipe(ingestReadings(store, { maxWaitMs: 5 }))
        .subscribe({ next: (e) => events.push(e), error: reject, complete: resolve });
    });
    expect(events).toHaveLength(1);
    const [event] = events;
    if (event?.type !== 'reading-rejected') throw new Error(`expected reading-rejected, got ${event?.type}`);
    expect(event.error).toBeInstanceOf(ValidationError);
    expect(event.error.message).toContain('unit');
    expect(event.input).toBe(bad);
  });

  it('refuses bad options with TypeError / RangeError', () => {
    const store: Pick<ReadingStore, 'append'> = {
      append: async () => ({ inserted: 0, duplicates: 0, conflicts: [] }),
    };
    expect(() => ingestReadings({} as ReadingStore)).toThrow(TypeError);
    expect(() => ingestReadings(store, { maxBatch: 0 })).toThrow(RangeError);
    expect(() => ingestReadings(store, { maxBatch: 1.5 })).toThrow(RangeError);
    expect(() => ingestReadings(store, { maxWaitMs: 0 })).toThrow(RangeError);
    expect(() => ingestReadings(store, { maxWaitMs: Number.NaN })).toThrow(RangeError);
    expect(() => ingestReadings(store, { maxAttempts: 0 })).toThrow(RangeError);
    expect(() => ingestReadings(store, { maxPendingBatches: -1 })).toThrow(RangeError);
    expect(() => ingestReadings(store, { retryBaseDelayMs: 100, retryMaxDelayMs: 10 })).toThrow(RangeError);
    expect(() => ingestReadings(store, { maxBatch: '5' as unknown as number })).toThrow(TypeError);
  });
});
