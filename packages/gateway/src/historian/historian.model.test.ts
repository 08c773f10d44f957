import { METRICS, type Reading } from '@healthit/core';
import { createFakeClock } from '@healthit/core/testing';
import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createHistorian, type SeriesKey } from './historian.js';
import { MAX_SPAN_MS } from './layout.js';
import { AppendOutcome, REFUSALS, type Refusal } from './outcome.js';

/**
 * A plain-array reference model of the historian's documented policies, written for clarity, not
 * speed: sorted arrays of readings, a list of series in update order.
 */
class ModelHistorian {
  private readonly series = new Map<string, { key: SeriesKey; points: Reading[] }>();
  private order: string[] = []; // least recently updated first
  readonly evicted = { age: 0, capacity: 0, seqSpan: 0, series: 0, seriesPoints: 0 };
  readonly refused = Object.fromEntries(REFUSALS.map((r) => [r, 0])) as Record<Refusal, number>;

  constructor(
    private readonly capacity: number,
    private readonly maxSeries: number,
    private readonly maxAgeMs: number | undefined,
    private readonly now: (() => number) | undefined,
  ) {}

  private get clockCutoff(): number {
    return this.now && this.maxAgeMs !== undefined ? this.now() - this.maxAgeMs : Number.NEGATIVE_INFINITY;
  }

  private get spanMs(): number {
    return !this.now && this.maxAgeMs !== undefined ? this.maxAgeMs : MAX_SPAN_MS;
  }

  private static id(key: SeriesKey): string {
    return key.patientId !== undefined
      ? `p/${key.patientId}/${key.metric}`
      : `d/${key.deviceId}/${key.metric}`;
  }

  private evictBefore(id: string, cutoff: number): void {
    const s = this.series.get(id);
    if (!s) return;
    const kept = s.points.filter((p) => p.ts >= cutoff);
    this.evicted.age += s.points.length - kept.length;
    s.points = kept;
  }

  /** Clock pruning: drops emptied series. */
  private prune(id: string): void {
    if (!this.now || this.maxAgeMs === undefined) return;
    this.evictBefore(id, this.clockCutoff);
    if (this.series.get(id)?.points.length === 0) this.drop(id);
  }

  private drop(id: string): void {
    this.series.delete(id);
    this.order = this.order.filter((x) => x !== id);
  }

  private refuse(outcome: Refusal): AppendOutcome {
    this.refused[outcome] += 1;
    return outcome;
  }

  append(r: Reading): AppendOutcome {
    if (r.unit !== METRICS[r.metric].unit) return this.refuse(AppendOutcome.notCanonical);
    const key: SeriesKey =
      r.patientId !== undefined
        ? { patientId: r.patientId, metric: r.metric }
        : { deviceId: r.deviceId, metric: r.metric };
    const id = ModelHistorian.id(key);
    this.prune(id);
    let s = this.series.get(id);
    if (!s) {
      if (r.ts < this.clockCutoff) return this.refuse(AppendOutcome.expired);
      if (this.series.size >= this.maxSeries) for (const other of [...this.order]) this.prune(other);
      if (this.series.size >= this.maxSeries) {
        const victim = this.order[0] as string;
        this.evicted.series += 1;
        this.evicted.seriesPoints += this.series.get(victim)?.points.length ?? 0;
        this.drop(victim);
      }
      s = { key, points: [] };
      this.series.set(id, s);
      this.order.push(id);
    }
    const newest = s.points.at(-1)?.ts;
    const cutoff = newest === undefined ? this.clockCutoff : Math.max(this.clockCutoff, newest - this.spanMs);
    if (r.ts < cutoff) return this.refuse(AppendOutcome.expired);
    if (s.points.some((p) => p.deviceId === r.deviceId && p.seq === r.seq)) {
      return this.refuse(AppendOutcome.duplicate);
    }
    if (s.points.length === this.capacity && r.ts < (s.points[0]?.ts ?? 0)) {
      return this.refuse(AppendOutcome.full);
    }
    if (newest !== undefined && r.ts > newest) this.evictBefore(id, r.ts - this.spanMs);
    if (s.points.length === this.capacity) {
      s.points.shift();
      this.evicted.capacity += 1;
    }
    const at = s.points.findIndex((p) => p.ts > r.ts);
    s.points.splice(at < 0 ? s.points.length : at, 0, r);
    this.order = [...this.order.filter((x) => x !== id), id];
    return AppendOutcome.stored;
  }

  range(key: SeriesKey, from: number, to: number): Reading[] {
    const id = ModelHistorian.id(key);
    this.prune(id);
    return (this.series.get(id)?.points ?? []).filter((p) => p.ts >= from && p.ts < to);
  }

  latest(key: SeriesKey): Reading | undefined {
    const id = ModelHistorian.id(key);
    this.prune(id);
    return this.series.get(id)?.points.at(-1);
  }

  list(): unknown[] {
    for (const id of [...this.order]) this.prune(id);
    return this.order.map((id) => {
      const s = this.series.get(id);
      const points = s?.points ?? [];
      return { ...s?.key, points: points.length, oldestTs: points[0]?.ts, newestTs: points.at(-1)?.ts };
    });
  }
}

const T0 = Date.UTC(2025, 0, 1);
const DEVICES = ['d0', 'd1', 'd2'] as const;
const PATIENTS = ['p0', 'p1', undefined] as const;

const readingArb = fc
  .record({
    device: fc.constantFrom(...DEVICES),
    patient: fc.constantFrom(...PATIENTS),
    metric: fc.constantFrom('spo2' as const, 'heart-rate' as const),
    canonical: fc.integer({ min: 0, max: 9 }).map((n) => n > 0),
    tsStep: fc.integer({ min: 0, max: 20 }),
    seq: fc.nat(25),
    value: fc.double({ noNaN: true, noDefaultInfinity: true }),
    quality: fc.constantFrom('good' as const, 'questionable' as const, 'bad' as const, undefined),
  })
  .map(({ device, patient, metric, canonical, tsStep, seq, value, quality }) => {
    const reading = {
      id: `${device}:${seq}`,
      deviceId: device,
      metric,
      value,
      unit: canonical ? METRICS[metric].unit : metric === 'spo2' ? '1' : '/s',
      ts: T0 + tsStep * 250,
      seq,
    } as Reading;
    if (patient !== undefined) reading.patientId = patient as Reading['patientId'];
    if (quality !== undefined) reading.quality = quality;
    return reading;
  });

const keyArb: fc.Arbitrary<SeriesKey> = fc.oneof(
  fc.record({
    patientId: fc.constantFrom('p0', 'p1'),
    metric: fc.constantFrom('spo2' as const, 'heart-rate' as const),
  }),
  fc.record({
    deviceId: fc.constantFrom(...DEVICES),
    metric: fc.constantFrom('spo2' as const, 'heart-rate' as const),
  }),
);

const boundArb = fc.oneof(
  fc.integer({ min: -2, max: 42 }).map((k) => T0 + k * 250),
  fc.constantFrom(Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY),
);

type Op =
  | { op: 'append'; reading: Reading }
  | { op: 'range'; key: SeriesKey; from: number; to: number }
  | { op: 'latest'; key: SeriesKey }
  | { op: 'series' }
  | { op: 'advance'; ms: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 8, arbitrary: readingArb.map((reading) => ({ op: 'append' as const, reading })) },
  {
    weight: 2,
    arbitrary: fc.record({ op: fc.constant('range' as const), key: keyArb, from: boundArb, to: boundArb }),
  },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('latest' as const), key: keyArb }) },
  { weight: 1, arbitrary: fc.constant({ op: 'series' as const }) },
  {
    weight: 1,
    arbitrary: fc.record({ op: fc.constant('advance' as const), ms: fc.integer({ min: 0, max: 1500 }) }),
  },
);

const optionsArb = fc.record({
  capacity: fc.integer({ min: 1, max: 8 }),
  initial: fc.integer({ min: 1, max: 4 }),
  maxSeries: fc.integer({ min: 1, max: 4 }),
  maxAgeMs: fc.option(fc.integer({ min: 1, max: 4000 }), { nil: undefined }),
  withClock: fc.boolean(),
});

describe('historian against a reference model', () => {
  it('agrees with a plain sorted-array model over random operation sequences', () => {
    fc.assert(
      fc.property(optionsArb, fc.array(opArb, { maxLength: 120 }), (o, ops) => {
        const clock = createFakeClock(T0 + 2000);
        const h = createHistorian({
          capacityPerSeries: o.capacity,
          initialCapacityPerSeries: o.initial,
          maxSeries: o.maxSeries,
          ...(o.maxAgeMs === undefined ? {} : { maxAgeMs: o.maxAgeMs }),
          ...(o.withClock ? { clock } : {}),
        });
        const m = new ModelHistorian(
          o.capacity,
          o.maxSeries,
          o.maxAgeMs,
          o.withClock ? clock.now : undefined,
        );
        for (const step of ops) {
          switch (step.op) {
            case 'append':
              expect(h.append(step.reading)).toBe(m.append(step.reading));
              break;
            case 'range':
              expect(h.range(step.key, step.from, step.to)).toEqual(m.range(step.key, step.from, step.to));
              break;
            case 'latest':
              expect(h.latest(step.key)).toEqual(m.latest(step.key));
              break;
            case 'series':
              expect(h.series()).toEqual(m.list());
              break;
            case 'advance':
              clock.advance(step.ms);
              break;
          }
        }
        for (const metric of ['spo2', 'heart-rate'] as const) {
          for (const key of [
            ...['p0', 'p1'].map((patientId) => ({ patientId, metric })),
            ...DEVICES.map((deviceId) => ({ deviceId, metric })),
          ]) {
            const all = [Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY] as const;
            expect(h.range(key, ...all)).toEqual(m.range(key, ...all));
          }
        }
        const stats = h.stats();
        expect(h.series()).toEqual(m.list());
        expect(stats.evicted).toEqual(m.evicted);
        expect(stats.refused).toEqual(m.refused);
        const listed = m.list() as { points: number }[];
        expect(stats.series).toBe(listed.length);
        expect(stats.points).toBe(listed.reduce((n, s) => n + s.points, 0));
      }),
      { numRuns: 400 },
    );
  });
});
