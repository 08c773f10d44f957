/** Marble tests and properties of the stateless/stateful edge checks: schema, units, de-duplication. */
import { deviceId, type Reading, readingId, ValidationError } from '@healthit/core';
import * as fc from 'fast-check';
import { from, lastValueFrom, toArray } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import { dedupeBySeq } from './dedupe-by-seq.js';
import { normaliseUnits } from './normalise-units.js';
import { validateReadings } from './validate-readings.js';

const scheduler = () => new TestScheduler((actual, expected) => expect(actual).toEqual(expected));

function reading(dev: string, seq: number, metric: Reading['metric'], value: number, unit: string): Reading {
  return { id: readingId(dev, seq), deviceId: deviceId(dev), metric, value, unit, ts: 1_000 * seq, seq };
}

describe('validateReadings', () => {
  it('passes valid readings and turns each invalid input into an event naming its fields, without stopping', () => {
    const good = reading('d1', 1, 'spo2', 97, '%');
    const badUnit = { ...reading('d1', 2, 'spo2', 97, '%'), unit: 'mm[Hg]' };
    const extra = { ...reading('d1', 3, 'spo2', 97, '%'), colour: 'red' };
    const after = reading('d1', 4, 'heart-rate', 70, '/min');
    scheduler().run(({ cold, expectObservable }) => {
      const out$ = cold('abcd|', { a: good, b: badUnit, c: extra, d: after }).pipe(validateReadings('test'));
      expectObservable(out$).toBe('abcd|', {
        a: { type: 'reading', reading: good },
        b: { type: 'invalid', input: badUnit, error: expect.any(ValidationError) },
        c: { type: 'invalid', input: extra, error: expect.any(ValidationError) },
        d: { type: 'reading', reading: after },
      });
    });
    const errors: ValidationError[] = [];
    from([badUnit, extra])
      .pipe(validateReadings('devices/d1/readings'))
      .subscribe((o) => {
        if (o.type === 'invalid') errors.push(o.error);
      });
    expect(errors[0]?.issues.map((i) => i.path)).toEqual(['unit']);
    expect(errors[0]?.message).toContain('devices/d1/readings');
    expect(errors[1]?.message).toMatch(/colour/);
  });
});

describe('normaliseUnits', () => {
  it('converts to the canonical unit and refuses implausible values as events', () => {
    const f = reading('t1', 1, 'body-temperature', 98.6, '[degF]');
    const hot = reading('t1', 2, 'body-temperature', 60, 'Cel');
    const c = reading('t1', 3, 'body-temperature', 37, 'Cel');
    scheduler().run(({ cold, expectObservable }) => {
      expectObservable(cold('abc|', { a: f, b: hot, c }).pipe(normaliseUnits())).toBe('abc|', {
        a: { type: 'reading', reading: { ...f, value: expect.closeTo(37, 9), unit: 'Cel' } },
        b: { type: 'rejected', reading: hot, error: expect.objectContaining({ code: 'validation/invalid' }) },
        c: { type: 'reading', reading: c },
      });
    });
  });
});

describe('dedupeBySeq', () => {
  it('drops repeats per device as duplicates with the last seq; a reading arriving after a newer one passes once, marked late', () => {
    const a1 = reading('a', 1, 'spo2', 97, '%');
    const a2 = reading('a', 2, 'spo2', 96, '%');
    const a3 = reading('a', 3, 'spo2', 95, '%');
    const b1 = reading('b', 1, 'spo2', 95, '%');
    scheduler().run(({ cold, expectObservable }) => {
      expectObservable(
        cold('abcdefg|', { a: a1, b: a3, c: a1, d: b1, e: a2, f: a2, g: a3 }).pipe(dedupeBySeq()),
      ).toBe('abcdefg|', {
        a: { type: 'reading', reading: a1 },
        b: { type: 'reading', reading: a3 },
        c: { type: 'duplicate', reading: a1, lastSeq: 3 },
        d: { type: 'reading', reading: b1 },
        e: { type: 'reading', reading: a2, late: true },
        f: { type: 'duplicate', reading: a2, lastSeq: 3 },
        g: { type: 'duplicate', reading: a3, lastSeq: 3 },
      });
    });
  });

  it('refuses a seq that fell out of the window as too-old', () => {
    const old = reading('a', 1, 'spo2', 97, '%');
    const top = reading('a', 40, 'spo2', 97, '%');
    scheduler().run(({ cold, expectObservable }) => {
      expectObservable(cold('ab|', { a: top, b: old }).pipe(dedupeBySeq({ window: 32 }))).toBe('ab|', {
        a: { type: 'reading', reading: top },
        b: { type: 'too-old', reading: old, lastSeq: 40, window: 32 },
      });
    });
    expect(() => dedupeBySeq({ window: 33 })).toThrow(RangeError);
  });

  it('keeps state per subscription and forgets the least recently heard device past maxDevices', async () => {
    const op = dedupeBySeq({ maxDevices: 1 });
    const input = [
      reading('a', 5, 'spo2', 97, '%'),
      reading('b', 1, 'spo2', 97, '%'),
      reading('a', 5, 'spo2', 97, '%'),
    ];
    const first = await lastValueFrom(from(input).pipe(op, toArray()));
    // 'a' was forgotten when 'b' arrived, so its repeat passes: the declared cost of the bound.
    expect(first.map((o) => o.type)).toEqual(['reading', 'reading', 'reading']);
    const again = await lastValueFrom(from(input.slice(0, 1)).pipe(op, toArray()));
    expect(again.map((o) => o.type)).toEqual(['reading']);
    expect(() => dedupeBySeq({ maxDevices: 0 })).toThrow(RangeError);
  });

  it('passes every distinct (device, seq) exactly once, whatever the order and repeats, when seqs span less than the window (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.constantFrom('a', 'b', 'c'), fc.nat({ max: 20 })), { maxLength: 60 }),
        async (items) => {
          const input = items.map(([dev, seq]) => reading(dev, seq, 'spo2', 97, '%'));
          const out = await lastValueFrom(from(input).pipe(dedupeBySeq({ window: 32 }), toArray()));
          expect(out).toHaveLength(input.length);
          const passed = out.filter((o) => o.type === 'reading').map((o) => o.reading.id);
          expect(passed.sort()).toEqual([...new Set(input.map((r) => r.id))].sort());
          const highest = new Map<string, number>();
          out.forEach((o, i) => {
            const r = input[i]!;
            const prev = highest.get(r.deviceId);
            if (o.type === 'reading') expect(o.late === true).toBe(prev !== undefined && r.seq < prev);
            else expect(o).toEqual({ type: 'duplicate', reading: r, lastSeq: prev });
            highest.set(r.deviceId, Math.max(prev ?? -1, r.seq));
          });
        },
      ),
    );
  });
});
