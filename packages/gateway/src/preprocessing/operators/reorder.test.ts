import { deviceId, type MetricId, type Reading, readingId } from '@healthit/core';
import * as fc from 'fast-check';
import { from, lastValueFrom, toArray } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import { type ReorderOutput, reorder } from './reorder.js';

function reading(dev: string, seq: number, ts: number, metric: MetricId = 'heart-rate'): Reading {
  return { id: readingId(dev, seq), deviceId: deviceId(dev), metric, value: seq, unit: '/min', ts, seq };
}

const scheduler = () => new TestScheduler((actual, expected) => expect(actual).toEqual(expected));

describe('reorder', () => {
  it('releases readings in (ts, seq) order once the watermark passes them', () => {
    const a = reading('d1', 1, 1000);
    const b = reading('d1', 2, 900); // arrives after a, measured before it
    const c = reading('d1', 3, 1300);
    const d = reading('d1', 4, 1600);
    scheduler().run(({ cold, expectObservable }) => {
      const src = cold('a----b----c----d----|', { a, b, c, d });
      expectObservable(src.pipe(reorder({ latenessMs: 300, maxBuffered: 10 }))).toBe(
        '----------(xy)-z----(w|)',
        {
          x: { type: 'reading', reading: b },
          y: { type: 'reading', reading: a },
          z: { type: 'reading', reading: c },
          w: { type: 'reading', reading: d },
        },
      );
    });
  });

  it('flushes every buffer in order on completion', () => {
    const a = reading('d1', 1, 1000);
    const b = reading('d1', 2, 1100);
    scheduler().run(({ cold, expectObservable }) => {
      const src = cold('ab|', { a, b });
      expectObservable(src.pipe(reorder({ latenessMs: 500, maxBuffered: 10 }))).toBe('--(xy|)', {
        x: { type: 'reading', reading: a },
        y: { type: 'reading', reading: b },
      });
    });
  });

  it('turns a reading older than what was released into a late event', () => {
    const a = reading('d1', 1, 1000);
    const b = reading('d1', 2, 2000);
    const late = reading('d1', 3, 500);
    scheduler().run(({ cold, expectObservable }) => {
      const src = cold('a-b-l|', { a, b, l: late });
      const expected: Record<string, ReorderOutput> = {
        x: { type: 'reading', reading: a },
        y: { type: 'reading', reading: b },
        z: { type: 'late', reading: late, releasedUpToMs: 2000 },
      };
      expectObservable(src.pipe(reorder({ latenessMs: 0, maxBuffered: 10 }))).toBe('x-y-z|', expected);
    });
  });

  it('keeps series apart: one device does not advance another one’s watermark', () => {
    const a = reading('d1', 1, 1000);
    const b = reading('d2', 1, 5000);
    const c = reading('d1', 2, 900);
    scheduler().run(({ cold, expectObservable }) => {
      const src = cold('abc|', { a, b, c });
      expectObservable(src.pipe(reorder({ latenessMs: 200, maxBuffered: 10 }))).toBe('---(zxy|)', {
        x: { type: 'reading', reading: c },
        y: { type: 'reading', reading: a },
        z: { type: 'reading', reading: b },
      });
    });
  });

  it('releases the oldest early when a series buffer is full, announced by an overflow event', () => {
    const r0 = reading('d1', 1, 1001);
    const r1 = reading('d1', 2, 1002);
    const r2 = reading('d1', 3, 1003);
    scheduler().run(({ cold, expectObservable }) => {
      const src = cold('abc-----|', { a: r0, b: r1, c: r2 });
      expectObservable(src.pipe(reorder({ latenessMs: 10_000, maxBuffered: 2 }))).toBe('--(ox)--(yz|)', {
        o: { type: 'overflow', deviceId: 'd1', metric: 'heart-rate', maxBuffered: 2 },
        x: { type: 'reading', reading: r0 },
        y: { type: 'reading', reading: r1 },
        z: { type: 'reading', reading: r2 },
      });
    });
  });

  it('flushes a series after flushAfterIdleMs of scheduler time without input', () => {
    const a = reading('d1', 1, 1000);
    const b = reading('d1', 2, 1100);
    const straggler = reading('d1', 3, 1050);
    const ts = scheduler();
    ts.run(({ cold, expectObservable }) => {
      const src = cold('ab 100ms s 10ms |', { a, b, s: straggler });
      expectObservable(
        src.pipe(reorder({ latenessMs: 500, maxBuffered: 10, flushAfterIdleMs: 50, scheduler: ts })),
      ).toBe('-- 49ms (xy) 47ms z 10ms |', {
        x: { type: 'reading', reading: a },
        y: { type: 'reading', reading: b },
        z: { type: 'late', reading: straggler, releasedUpToMs: 1100 },
      });
    });
  });

  it('rejects bad options', () => {
    expect(() => reorder({ latenessMs: -1, maxBuffered: 1 })).toThrow(RangeError);
    expect(() => reorder({ latenessMs: 0, maxBuffered: 0 })).toThrow(RangeError);
    expect(() => reorder({ latenessMs: 0, maxBuffered: 1, flushAfterIdleMs: 0 })).toThrow(RangeError);
  });

  it('property: output is sorted per series and is the input minus the late events', async () => {
    const arb = fc.record({
      items: fc.array(
        fc.tuple(fc.constantFrom('a', 'b'), fc.constantFrom<MetricId>('heart-rate', 'spo2'), fc.nat(2000)),
        {
          maxLength: 80,
        },
      ),
      latenessMs: fc.nat(500),
      maxBuffered: fc.integer({ min: 1, max: 20 }),
    });
    await fc.assert(
      fc.asyncProperty(arb, async ({ items, latenessMs, maxBuffered }) => {
        const seqs = new Map<string, number>();
        const input = items.map(([d, m, ts]) => {
          const seq = (seqs.get(d) ?? 0) + 1;
          seqs.set(d, seq);
          return reading(d, seq, ts, m);
        });
        const out = await lastValueFrom(from(input).pipe(reorder({ latenessMs, maxBuffered }), toArray()));
        const released = out.flatMap((o) => (o.type === 'reading' ? [o.reading] : []));
        const late = out.flatMap((o) => (o.type === 'late' ? [o.reading] : []));
        expect([...released, ...late].map((r) => r.id).sort()).toEqual(input.map((r) => r.id).sort());
        const lastBySeries = new Map<string, Reading>();
        for (const r of released) {
          const key = `${r.deviceId}|${r.metric}`;
          const prev = lastBySeries.get(key);
          if (prev !== undefined) expect(r.ts > prev.ts || (r.ts === prev.ts && r.seq > prev.seq)).toBe(true);
          lastBySeries.set(key, r);
        }
        if (latenessMs >= 2000 && maxBuffered >= 80) expect(late).toHaveLength(0);
      }),
    );
  });
});
