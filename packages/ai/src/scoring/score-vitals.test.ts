import { isHealthItError, type LoadedModel, type Reading, type Tensor } from '@healthit/core';
import { from, lastValueFrom, Subject, type Subscription, toArray } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NORMAL, type Row, reading, referenceRisk, SICK, T0, vitalsReadings } from '../../test/helpers.js';
import { fourColumnModel, rowMaxModel } from '../../test/onnx-models.js';
import { deteriorationModelV0 } from '../models/deterioration-v0.js';
import { createOnnxRuntime } from '../onnx/index.js';
import type { RiskScore, ScoreEvent, ScoreEventError } from './events.js';
import { scoreVitals } from './score-vitals.js';

const runtime = createOnnxRuntime();
let model: LoadedModel;

beforeAll(async () => {
  model = await runtime.load(deteriorationModelV0());
});
afterAll(async () => {
  await model.dispose();
});

function scores(events: readonly ScoreEvent[]): RiskScore[] {
  return events.flatMap((e) => (e.type === 'score' ? [e.score] : []));
}
function errors(events: readonly ScoreEvent[]): ScoreEventError[] {
  return events.flatMap((e) => (e.type === 'error' ? [e] : []));
}

/** Resolves once `predicate` holds, polling the event loop (model runs are asynchronous). */
async function waitFor(predicate: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
}

/**
 * The real model, recording the batch size of every run; `failFirst` makes the first run fail the
 * way a crashed runtime would, and `gate` holds each run until opened.
 */
function instrumented(inner: LoadedModel, opts: { failFirst?: boolean; gated?: boolean } = {}) {
  const sizes: number[] = [];
  let open: () => void = () => {};
  let gate = Promise.resolve();
  const close = () => {
    gate = new Promise<void>((resolve) => {
      open = resolve;
    });
  };
  if (opts.gated) close();
  const wrapped: LoadedModel = {
    ...inner,
    async run(feeds: Readonly<Record<string, Tensor>>) {
      sizes.push(feeds.vitals?.dims[0] ?? -1);
      await gate;
      if (opts.failFirst && sizes.length === 1) throw new Error('wasm memory access out of bounds');
      return inner.run(feeds);
    },
  };
  return {
    model: wrapped,
    sizes,
    release() {
      open();
    },
  };
}

/** Drives virtual time: runs every scheduled action up to `ms`. */
function advanceTo(scheduler: TestScheduler, ms: number): void {
  scheduler.maxFrames = ms;
  scheduler.flush();
}

function newScheduler(): TestScheduler {
  return new TestScheduler((a, e) => expect(a).toEqual(e));
}

describe('scoreVitals with the ONNX deterioration model', () => {
  it('scores each complete patient once, and nothing else, with a real short window', async () => {
    const p1 = vitalsReadings('p1', NORMAL);
    const p2 = vitalsReadings('p2', SICK, T0 + 1000, 10);
    const input: Reading[] = [
      ...p1.slice(0, 3),
      ...vitalsReadings('p3', SICK).slice(0, 4), // incomplete
      reading(undefined, 'heart-rate', 150, '/min', 1), // no patient
      reading('p1', 'glucose', 300, 'mg/dL', 2), // not a feature
      ...p2,
      ...p1.slice(3),
    ];
    const events = await lastValueFrom(from(input).pipe(scoreVitals(model, { windowMs: 20 }), toArray()));
    expect(errors(events)).toEqual([]);
    const got = scores(events).sort((a, b) => a.patientId.localeCompare(b.patientId));
    expect(got.map((s) => s.patientId)).toEqual(['p1', 'p2']);
    const [s1, s2] = got as [RiskScore, RiskScore];
    expect(Math.abs(s1.risk - referenceRisk(NORMAL))).toBeLessThanOrEqual(1e-6);
    expect(Math.abs(s2.risk - referenceRisk(SICK))).toBeLessThanOrEqual(1e-6);
    expect(s2.risk).toBeGreaterThan(s1.risk);
    expect(s1.readingIds).toEqual(p1.map((r) => r.id));
    expect(s2.readingIds).toEqual(p2.map((r) => r.id));
    expect(s1.ts).toBe(T0 + 4);
    expect(s2.ts).toBe(T0 + 1004);
    expect(s1.features).toEqual({
      'heart-rate': 72,
      'respiratory-rate': 14,
      spo2: 98,
      'body-temperature': 36.8,
      'bp-systolic': 122,
    });
    expect(s1.modelId).toBe('deterioration-risk');
    expect(s1.modelVersion).toBe('0.1.0');
  });

  it('runs the model once per window batch, on a TestScheduler', async () => {
    const scheduler = newScheduler();
    const m = instrumented(model);
    const source = new Subject<Reading>();
    const events: ScoreEvent[] = [];
    let completed = false;
    const sub = source.pipe(scoreVitals(m.model, { windowMs: 100, scheduler })).subscribe({
      next: (e) => events.push(e),
      complete: () => {
        completed = true;
      },
    });
    const at = (ms: number, readings: readonly Reading[]) =>
      scheduler.schedule(() => {
        for (const r of readings) source.next(r);
      }, ms);
    at(10, vitalsReadings('p1', NORMAL));
    at(20, vitalsReadings('p2', SICK));
    at(30, vitalsReadings('p3', NORMAL).slice(0, 4));
    at(150, [reading('p3', 'bp-systolic', 85, 'mm[Hg]', 100, T0 + 150)]);

    advanceTo(scheduler, 99);
    expect(m.sizes).toEqual([]); // nothing runs before the window closes
    advanceTo(scheduler, 100);
    await waitFor(() => events.length === 2, 'the first batch');
    expect(m.sizes).toEqual([2]);
    expect(scores(events).map((s) => s.patientId)).toEqual(['p1', 'p2']);

    advanceTo(scheduler, 200);
    await waitFor(() => events.length === 3, 'the second batch');
    expect(m.sizes).toEqual([2, 1]);
    expect(scores(events)[2]?.patientId).toBe('p3');
    expect(scores(events)[2]?.readingIds).toContain('p3-dev:100');

    source.complete();
    await waitFor(() => completed, 'completion');
    sub.unsubscribe();
  });

  it('scores a patient updated twice in one window once, from the latest values', async () => {
    const updated = reading('p1', 'spo2', 84, '%', 50, T0 + 50);
    const events = await lastValueFrom(
      from([...vitalsReadings('p1', NORMAL), updated]).pipe(scoreVitals(model, { windowMs: 20 }), toArray()),
    );
    expect(scores(events)).toHaveLength(1);
    const [score] = scores(events);
    expect(score?.readingIds[2]).toBe(updated.id);
    const row: Row = [NORMAL[0], NORMAL[1], 84, NORMAL[3], NORMAL[4]];
    expect(Math.abs((score?.risk as number) - referenceRisk(row))).toBeLessThanOrEqual(1e-6);
  });

  it('runs one batch at a time; rows arriving meanwhile wait, one per patient, newest wins', async () => {
    const scheduler = newScheduler();
    const m = instrumented(model, { gated: true });
    const source = new Subject<Reading>();
    const events: ScoreEvent[] = [];
    const sub: Subscription = source
      .pipe(scoreVitals(m.model, { windowMs: 100, scheduler }))
      .subscribe((e) => events.push(e));
    source.next(vitalsReadings('p1', NORMAL)[0] as Reading);
    for (const r of vitalsReadings('p1', NORMAL).slice(1)) source.next(r);
    advanceTo(scheduler, 100); // batch [p1] starts and hangs on the gate
    expect(m.sizes).toEqual([1]);
    scheduler.schedule(() => source.next(reading('p1', 'spo2', 90, '%', 60, T0 + 160)), 60);
    scheduler.schedule(() => source.next(reading('p1', 'spo2', 85, '%', 61, T0 + 260)), 160);
    scheduler.schedule(() => {
      for (const r of vitalsReadings('p2', SICK, T0 + 270, 70)) source.next(r);
    }, 170);
    advanceTo(scheduler, 400);
    expect(m.sizes).toEqual([1]); // still one run in flight
    m.release();
    await waitFor(() => events.length === 3, 'both batches');
    expect(m.sizes).toEqual([1, 2]);
    const got = scores(events);
    expect(got.map((s) => s.patientId)).toEqual(['p1', 'p1', 'p2']);
    expect(got[1]?.readingIds[2]).toBe('p1-dev:61'); // the newest SpO2, not the 90 % in between
    expect(got[1]?.risk).toBeGreaterThan(got[0]?.risk as number);
    sub.unsubscribe();
  });

  it('never runs more than maxBatch rows at once', async () => {
    const m = instrumented(model);
    const input = ['a', 'b', 'c', 'd', 'e'].flatMap((p, i) => vitalsReadings(p, NORMAL, T0, i * 10));
    const events = await lastValueFrom(
      from(input).pipe(scoreVitals(m.model, { windowMs: 20, maxBatch: 2 }), toArray()),
    );
    expect(scores(events).map((s) => s.patientId)).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(Math.max(...m.sizes)).toBeLessThanOrEqual(2);
    expect(m.sizes.reduce((n, s) => n + s, 0)).toBe(5);
  });
});

describe('scoreVitals failures are values', () => {
  it('emits a model/run error for every batch a broken model cannot run, and completes normally', async () => {
    const broken = await runtime.load(fourColumnModel());
    try {
      const scheduler = newScheduler();
      const source = new Subject<Reading>();
      const events: ScoreEvent[] = [];
      let completed = false;
      source.pipe(scoreVitals(broken, { windowMs: 100, scheduler })).subscribe({
        next: (e) => events.push(e),
        complete: () => {
          completed = true;
        },
      });
      for (const r of [...vitalsReadings('p1', NORMAL), ...vitalsReadings('p2', SICK)]) source.next(r);
      advanceTo(scheduler, 100);
      await waitFor(() => events.length === 1, 'the first error');
      const [first] = errors(events);
      expect(isHealthItError(first?.error, 'model/run')).toBe(true);
      expect(first?.error.message).toContain('the model expects [N, 4]');
      expect(first?.patientIds).toEqual(['p1', 'p2']);
      expect(first?.readingIds).toHaveLength(10);
      // The stream is alive: the next batch is tried too.
      source.next(reading('p1', 'spo2', 91, '%', 99, T0 + 500));
      source.complete();
      await waitFor(() => completed, 'completion');
      expect(events.map((e) => e.type)).toEqual(['error', 'error']);
      expect(errors(events)[1]?.patientIds).toEqual(['p1']);
    } finally {
      await broken.dispose();
    }
  });

  it('keeps scoring after a run fails inside the runtime', async () => {
    const scheduler = newScheduler();
    const m = instrumented(model, { failFirst: true });
    const source = new Subject<Reading>();
    const events: ScoreEvent[] = [];
    const sub = source
      .pipe(scoreVitals(m.model, { windowMs: 100, scheduler }))
      .subscribe((e) => events.push(e));
    for (const r of vitalsReadings('p1', NORMAL)) source.next(r);
    advanceTo(scheduler, 100);
    await waitFor(() => events.length === 1, 'the failure');
    const [failure] = errors(events);
    expect(isHealthItError(failure?.error, 'model/run')).toBe(true);
    expect(failure?.error.message).toContain('wasm memory access out of bounds');
    expect((failure?.error.cause as Error | undefined)?.message).toBe('wasm memory access out of bounds');
    for (const r of vitalsReadings('p2', SICK, T0 + 150, 20)) scheduler.schedule(() => source.next(r), 50);
    advanceTo(scheduler, 200);
    await waitFor(() => events.length === 2, 'the next score');
    expect(scores(events).map((s) => s.patientId)).toEqual(['p2']);
    sub.unsubscribe();
  });

  it('reports an output value outside 0..1 for that patient only', async () => {
    const rowMax = await runtime.load(rowMaxModel());
    try {
      const modest: Row = [72, 14, 98, 36.8, 95]; // max 98 → 0.98
      const events = await lastValueFrom(
        from([...vitalsReadings('p1', NORMAL), ...vitalsReadings('p2', modest)]).pipe(
          scoreVitals(rowMax, { windowMs: 20 }),
          toArray(),
        ),
      );
      const [bad] = errors(events);
      expect(bad?.patientIds).toEqual(['p1']); // max 122 → 1.22
      expect(bad?.error.message).toContain('not in 0..1');
      expect(scores(events).map((s) => [s.patientId, s.modelId])).toEqual([['p2', 'row-max']]);
      expect(scores(events)[0]?.risk).toBeCloseTo(0.98, 6);
    } finally {
      await rowMax.dispose();
    }
  });

  it('reports a disposed model as state/invalid', async () => {
    const disposed = await runtime.load(deteriorationModelV0());
    await disposed.dispose();
    const events = await lastValueFrom(
      from(vitalsReadings('p1', NORMAL)).pipe(scoreVitals(disposed, { windowMs: 20 }), toArray()),
    );
    expect(errors(events).map((e) => e.error.code)).toEqual(['state/invalid']);
  });

  it('passes an error of the source on as the stream error', async () => {
    const source = new Subject<Reading>();
    const result = lastValueFrom(source.pipe(scoreVitals(model, { windowMs: 20 }), toArray()));
    source.error(new Error('transport lost'));
    await expect(result).rejects.toThrow('transport lost');
  });
});

describe('scoreVitals options', () => {
  it('refuses wrong values and types', () => {
    expect(() => scoreVitals(model, { windowMs: 0 })).toThrow(RangeError);
    expect(() => scoreVitals(model, { windowMs: Number.POSITIVE_INFINITY })).toThrow(RangeError);
    expect(() => scoreVitals(model, { maxBatch: 0 })).toThrow(RangeError);
    expect(() => scoreVitals(model, { maxPatients: 2.5 })).toThrow(RangeError);
    expect(() => scoreVitals(model, { maxFeatureAgeMs: -1 })).toThrow(RangeError);
    expect(() => scoreVitals(model, { windowMs: '5' as unknown as number })).toThrow(TypeError);
    expect(() => scoreVitals({} as LoadedModel)).toThrow(TypeError);
  });

  it('refuses input and output names the model does not have', () => {
    expect(() => scoreVitals(model, { inputName: 'x' })).toThrow(
      /inputName "x" is not one of model deterioration-risk/,
    );
    expect(() => scoreVitals(model, { outputName: 'y' })).toThrow(RangeError);
  });
});
