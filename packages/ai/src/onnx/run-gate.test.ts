import type { Tensor } from '@healthit/core';
import { describe, expect, it } from 'vitest';
import { NORMAL, type Row, referenceRisk, SICK } from '../../test/helpers.js';
import { deteriorationModelV0 } from '../models/deterioration-v0.js';
import { createOnnxRuntime } from './index.js';
import { RunGate } from './run-gate.js';

/** A promise and the functions that settle it. */
function deferred<T>(): { promise: Promise<T>; resolve: (v: T) => void; reject: (e: unknown) => void } {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe('RunGate', () => {
  it('starts a call at once when idle, and the next only after the previous settled, in call order', async () => {
    const gate = new RunGate();
    const started: number[] = [];
    const runs = [deferred<number>(), deferred<number>(), deferred<number>()];
    const results = runs.map((d, i) =>
      gate.run(() => {
        started.push(i);
        return d.promise;
      }),
    );
    expect(started).toEqual([0]);
    expect(gate.queued).toBe(2);
    runs[0]?.resolve(10);
    await expect(results[0]).resolves.toBe(10);
    expect(started).toEqual([0, 1]);
    runs[1]?.reject(new Error('boom'));
    await expect(results[1]).rejects.toThrow('boom');
    expect(started).toEqual([0, 1, 2]);
    runs[2]?.resolve(30);
    await expect(results[2]).resolves.toBe(30);
    expect(gate.queued).toBe(0);
    // Idle again: the next call starts synchronously.
    const next = deferred<number>();
    let ran = false;
    const last = gate.run(() => {
      ran = true;
      return next.promise;
    });
    expect(ran).toBe(true);
    next.resolve(1);
    await expect(last).resolves.toBe(1);
  });

  it('a task that throws synchronously rejects its call and frees the gate', async () => {
    const gate = new RunGate();
    await expect(
      gate.run(() => {
        throw new Error('sync');
      }),
    ).rejects.toThrow('sync');
    await expect(gate.run(() => Promise.resolve(2))).resolves.toBe(2);
  });
});

describe('overlapping runs of one onnxruntime-web session', () => {
  it('two handles of the same model, many runs in flight at once: every result is right', async () => {
    const runtime = createOnnxRuntime();
    const a = await runtime.load(deteriorationModelV0());
    const b = await runtime.load(deteriorationModelV0());
    expect(runtime.openSessions).toBe(1); // one shared session: its gate serialises both handles
    try {
      const rows: Row[] = Array.from(
        { length: 200 },
        (_, i) => (i % 2 === 0 ? NORMAL : SICK).map((v, j) => v + ((i * (j + 1)) % 7) * 0.1) as Row,
      );
      const feed = (row: Row): Record<string, Tensor> => ({
        vitals: { type: 'float32', data: Float32Array.from(row), dims: [1, 5] },
      });
      const outputs = await Promise.all(rows.map((row, i) => (i % 2 === 0 ? a : b).run(feed(row))));
      outputs.forEach((out, i) => {
        expect(out.risk?.data[0]).toBeCloseTo(referenceRisk(rows[i] as Row), 5);
      });
    } finally {
      await a.dispose();
      await b.dispose();
    }
  });
});

describe('a caller that reuses its feed buffer', () => {
  it('gets the result of the buffer contents at each run (the cached onnxruntime tensor is not stale)', async () => {
    const model = await createOnnxRuntime().load(deteriorationModelV0());
    try {
      const data = new Float32Array(10);
      const feeds = { vitals: { type: 'float32', data, dims: [2, 5] } } as const;
      for (const [first, second] of [
        [NORMAL, SICK],
        [SICK, NORMAL],
        [SICK, SICK],
      ] as const) {
        data.set(first, 0);
        data.set(second, 5);
        const out = await model.run(feeds);
        expect(out.risk?.data[0]).toBeCloseTo(referenceRisk(first), 5);
        expect(out.risk?.data[1]).toBeCloseTo(referenceRisk(second), 5);
      }
      // Same buffer, other dims: a new tensor of the new shape.
      const out = await model.run({ vitals: { type: 'float32', data: data.subarray(0, 5), dims: [1, 5] } });
      expect(out.risk?.dims).toEqual([1, 1]);
    } finally {
      await model.dispose();
    }
  });
});
