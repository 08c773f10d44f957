import * as fc from 'fast-check';
import { map, type Observable, Subject } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import { seededRandom } from '../training/random.js';
import {
  createModelMonitor,
  type LabelObservation,
  type MonitorEvent,
  type MonitorInput,
  monitorModel,
  type PredictionObservation,
} from './monitor.js';
import { buildReferenceProfile, type ReferenceProfile } from './reference-profile.js';
import { RetrainRequest } from './retrain-request.js';

const newScheduler = () => new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
const HOUR = 3_600_000;

const prediction = (
  windowId: string,
  ts: number,
  score: number,
  extra: Partial<PredictionObservation> = {},
): PredictionObservation => ({
  type: 'prediction',
  windowId,
  ts,
  version: '1.0.0',
  role: 'active',
  score,
  ...extra,
});
const label = (windowId: string, ts: number, y: 0 | 1 | null): LabelObservation => ({
  type: 'label',
  windowId,
  ts,
  label: y,
});

/** Events as short strings, for marbles. */
function compact(events$: Observable<MonitorEvent>): Observable<string> {
  return events$.pipe(
    map((e) => {
      switch (e.type) {
        case 'report': {
          const a = e.report.active?.accuracy;
          return `report ${a?.labelled} auroc=${a?.auroc?.toFixed(2)} brier=${a?.brier?.toFixed(3)} pending=${e.report.counts.pending}`;
        }
        case 'dropped':
          return `dropped ${e.item} ${e.reason} ${e.windowId}`;
        case 'alarm':
          return `alarm ${e.alarm.kind} ${e.alarm.raised ? 'raised' : 'cleared'} ${e.alarm.version}`;
        case 'retrain-request':
          return `retrain ${e.request.requestId}`;
      }
    }),
  );
}

/** A scored, labelled window of a model that ranks well (`good`) or backwards. */
function scoredWindow(random: ReturnType<typeof seededRandom>, good: boolean): { score: number; y: 0 | 1 } {
  const y = random.uniform() < 0.25 ? 1 : 0;
  const u = random.uniform();
  const high = 0.5 + 0.45 * u;
  const low = 0.05 + 0.4 * u;
  return { y, score: (y === 1) === good ? high : low };
}

describe('monitorModel: delayed labels joined by window id (marbles)', () => {
  it('joins each label to its pending prediction, reports every reportEvery joined labels, and reports an unmatched label', () => {
    const scheduler = newScheduler();
    scheduler.run(({ cold, expectObservable }) => {
      const values: Record<string, MonitorInput> = {
        a: prediction('w1', 0, 0.9),
        b: prediction('w2', 60_000, 0.1),
        c: label('w1', HOUR, 1),
        d: label('w2', HOUR + 60_000, 0),
        e: label('w9', HOUR + 120_000, 1),
      };
      const out = cold('a b - c d e', values).pipe(monitorModel({ modelId: 'm', reportEvery: 2 }));
      expectObservable(compact(out)).toBe('- - - - x y', {
        x: 'report 2 auroc=1.00 brier=0.010 pending=0',
        y: 'dropped label unmatched w9',
      });
    });
  });

  it('bounds the pending buffer: drop-oldest lets the oldest prediction go (its label is then unmatched)', () => {
    const scheduler = newScheduler();
    scheduler.run(({ cold, expectObservable }) => {
      const values: Record<string, MonitorInput> = {
        a: prediction('w1', 0, 0.9),
        b: prediction('w2', 1, 0.1),
        c: prediction('w3', 2, 0.2),
        d: label('w1', 3, 1),
      };
      const out = cold('a b c d', values).pipe(monitorModel({ modelId: 'm', maxPending: 2 }));
      expectObservable(compact(out)).toBe('- - x y', {
        x: 'dropped prediction pending-full w1',
        y: 'dropped label unmatched w1',
      });
    });
  });

  it('drop-newest keeps the waiting predictions and lets the arriving one go', () => {
    const scheduler = newScheduler();
    scheduler.run(({ cold, expectObservable }) => {
      const values: Record<string, MonitorInput> = {
        a: prediction('w1', 0, 0.9),
        b: prediction('w2', 1, 0.1),
        c: prediction('w3', 2, 0.2),
        d: label('w1', 3, 1),
        e: label('w3', 4, 1),
      };
      const out = cold('a b c d e', values).pipe(
        monitorModel({ modelId: 'm', maxPending: 2, pendingPolicy: 'drop-newest' }),
      );
      expectObservable(compact(out)).toBe('- - x - y', {
        x: 'dropped prediction pending-full w3',
        y: 'dropped label unmatched w3',
      });
    });
  });

  it('expires a prediction whose label is later than maxLabelDelayMs (data time), and releases a window labelled null', () => {
    const scheduler = newScheduler();
    scheduler.run(({ cold, expectObservable }) => {
      const values: Record<string, MonitorInput> = {
        a: prediction('w1', 0, 0.9),
        b: prediction('w2', 10, 0.5),
        c: label('w2', 20, null),
        d: prediction('w3', 2 * HOUR + 5, 0.2),
        e: label('w1', 2 * HOUR + 6, 1),
      };
      const out = cold('a b c d e', values).pipe(monitorModel({ modelId: 'm', maxLabelDelayMs: 2 * HOUR }));
      expectObservable(compact(out)).toBe('- - - x y', {
        x: 'dropped prediction expired w1',
        y: 'dropped label unmatched w1',
      });
    });
  });

  it('drops invalid inputs as values and goes on', () => {
    const monitor = createModelMonitor({ modelId: 'm' });
    const bad = [
      prediction('w1', 0, 1.5),
      prediction('', 0, 0.5),
      { type: 'label', windowId: 'w1', ts: -1, label: 1 },
      { type: 'label', windowId: 'w1', ts: 0, label: 2 },
      { type: 'other' },
    ];
    for (const input of bad) {
      const [event] = monitor.observe(input as MonitorInput);
      expect(event).toMatchObject({ type: 'dropped', reason: 'invalid' });
    }
    expect(monitor.observe(prediction('w1', 0, 0.5))).toEqual([]);
    expect(monitor.report().counts.dropped.invalid).toBe(5);
  });
});

describe('accuracy alarms and retrain requests', () => {
  it('raises an accuracy alarm when the rolling AUROC falls, asks for retraining once per cooldown, with a valid request', () => {
    const requests = new Subject<RetrainRequest>();
    const sent: RetrainRequest[] = [];
    requests.subscribe((r) => sent.push(r));
    const monitor = createModelMonitor({
      modelId: 'deterioration-risk',
      gatewayId: 'gw-7',
      accuracyWindow: 100,
      minLabelled: 60,
      evaluateEvery: 10,
      thresholds: { minAuroc: 0.8, maxBrier: 0.3 },
      triggers: ['accuracy'],
      cooldownMs: 2 * HOUR,
      requests,
    });
    const random = seededRandom(3);
    const events: MonitorEvent[] = [];
    const run = (from: number, to: number, good: boolean) => {
      for (let i = from; i < to; i++) {
        const ts = i * 60_000;
        const { score, y } = scoredWindow(random, good);
        events.push(...monitor.observe(prediction(`w${i}`, ts, score)));
        events.push(...monitor.observe(label(`w${i}`, ts + 1, y)));
      }
    };
    run(0, 200, true);
    expect(events.filter((e) => e.type === 'alarm')).toEqual([]);
    expect(monitor.report().active?.accuracy.auroc).toBeGreaterThan(0.95);
    run(200, 300, false); // the model now ranks backwards
    const alarms = events.filter((e) => e.type === 'alarm');
    expect(alarms).toHaveLength(1);
    expect(alarms[0]).toMatchObject({
      alarm: { kind: 'accuracy', raised: true, version: '1.0.0', role: 'active' },
    });
    expect(sent).toHaveLength(1);
    const [request] = sent as [RetrainRequest];
    expect(RetrainRequest.parse(JSON.parse(JSON.stringify(request)))).toEqual(request);
    expect(request).toMatchObject({
      requestId: 'gw-7/deterioration-risk@1.0.0#1',
      gatewayId: 'gw-7',
      modelId: 'deterioration-risk',
    });
    const finding = request.findings[0];
    expect(finding?.kind).toBe('accuracy');
    expect(finding?.kind === 'accuracy' && (finding.auroc as number) < 0.8).toBe(true);
    expect(request.evidence.from).toBeLessThan(request.ts);
    // Still bad: no second request within the cooldown (2 h of data time), one more after it.
    const due = Math.ceil((request.ts + 2 * HOUR) / 60_000);
    expect(due).toBeGreaterThan(300);
    run(300, due - 1, false);
    expect(sent).toHaveLength(1);
    run(due - 1, due + 30, false);
    expect(sent.map((r) => r.requestId)).toEqual([
      'gw-7/deterioration-risk@1.0.0#1',
      'gw-7/deterioration-risk@1.0.0#2',
    ]);
    expect((sent[1] as RetrainRequest).ts - request.ts).toBeGreaterThanOrEqual(2 * HOUR);
    expect(events.filter((e) => e.type === 'retrain-request')).toHaveLength(2);
    // Recovery clears the alarm (with its margin).
    run(due + 30, due + 230, true);
    expect(events.filter((e) => e.type === 'alarm').at(-1)).toMatchObject({
      alarm: { kind: 'accuracy', raised: false },
    });
  });

  it('tracks a shadow version on the same labels, never asks to retrain for it, and keeps its window once promoted', () => {
    const monitor = createModelMonitor({
      modelId: 'm',
      accuracyWindow: 200,
      minLabelled: 50,
      evaluateEvery: 10,
      thresholds: { minAuroc: 0.8 },
    });
    const random = seededRandom(5);
    const events: MonitorEvent[] = [];
    for (let i = 0; i < 150; i++) {
      const { score, y } = scoredWindow(random, true);
      events.push(...monitor.observe(prediction(`w${i}`, i, score)));
      events.push(
        ...monitor.observe(prediction(`w${i}`, i, 1 - score, { version: '2.0.0', role: 'shadow' })),
      );
      events.push(...monitor.observe(label(`w${i}`, i + 1, y)));
    }
    const report = monitor.report();
    expect(report.active?.version).toBe('1.0.0');
    expect(report.shadow?.version).toBe('2.0.0');
    expect(report.active?.accuracy.labelled).toBe(150);
    expect(report.shadow?.accuracy.labelled).toBe(150);
    expect(report.shadow?.accuracy.auroc).toBeLessThan(0.1);
    expect(report.counts.joined).toBe(150);
    expect(events.filter((e) => e.type === 'alarm')).toMatchObject([
      { alarm: { version: '2.0.0', role: 'shadow' } },
    ]);
    expect(events.filter((e) => e.type === 'retrain-request')).toEqual([]);
    // Promoted: the version's predictions are now active and its labelled window continues.
    monitor.observe(prediction('w-next', 200, 0.5, { version: '2.0.0', role: 'active' }));
    expect(monitor.report().active).toMatchObject({
      version: '2.0.0',
      role: 'active',
      accuracy: { labelled: 150 },
    });
    expect(monitor.report().shadow).toBeUndefined();
  });
});

describe('input and prediction drift against the reference profile', () => {
  const COLUMNS = ['hr', 'rr', 'spo2', 'temp'].map((name) => ({ name, unit: '1' }));
  const BASE = [75, 16, 97, 36.8];
  const SPREAD = [10, 3, 1.5, 0.4];

  function rows(random: ReturnType<typeof seededRandom>, n: number, shift: readonly number[]): Float32Array {
    const x = new Float32Array(n * 4);
    for (let r = 0; r < n; r++) {
      for (let f = 0; f < 4; f++)
        x[r * 4 + f] = (BASE[f] as number) + (shift[f] as number) + (SPREAD[f] as number) * random.normal();
    }
    return x;
  }
  const risk = (x: Float32Array, r: number) => 1 / (1 + Math.exp(-((x[r * 4] as number) - 90) / 8));

  function profileFor(version: string): ReferenceProfile {
    const random = seededRandom(11);
    const n = 2000;
    const x = rows(random, n, [0, 0, 0, 0]);
    return buildReferenceProfile(
      { columns: COLUMNS, rows: n, x },
      Array.from({ length: n }, (_, r) => risk(x, r)),
      {
        model: { id: 'm', version, sha256: '0'.repeat(64) },
      },
    );
  }

  function feed(shift: readonly number[], seed: number) {
    const monitor = createModelMonitor({
      modelId: 'm',
      profiles: profileFor,
      driftWindow: 300,
      minDriftSamples: 200,
      evaluateEvery: 20,
      thresholds: { minDriftedFeatures: 2 },
      triggers: ['input-drift', 'prediction-drift'],
    });
    const random = seededRandom(seed);
    const x = rows(random, 400, shift);
    const events: MonitorEvent[] = [];
    for (let r = 0; r < 400; r++) {
      const features = x.subarray(r * 4, r * 4 + 4);
      events.push(...monitor.observe(prediction(`w${r}`, r * 1000, risk(x, r), { features })));
    }
    return { events, report: monitor.report() };
  }

  it('stays quiet on a population like the training one', () => {
    const { events, report } = feed([0, 0, 0, 0], 12);
    expect(events.filter((e) => e.type !== 'dropped')).toEqual([]);
    expect(report.active?.inputDrift?.drifted).toBe(0);
    expect(report.active?.predictionDrift?.psi).toBeLessThan(0.1);
  });

  it('raises input and prediction drift for a new ward with other baselines, naming the drifted features', () => {
    const { events, report } = feed([20, 4, -5, 0], 13); // faster hearts and breathing, lower SpO2
    const kinds = events.filter((e) => e.type === 'alarm').map((e) => e.type === 'alarm' && e.alarm.kind);
    expect(kinds).toEqual(expect.arrayContaining(['input-drift', 'prediction-drift']));
    const request = events.find((e) => e.type === 'retrain-request');
    expect(request?.type === 'retrain-request' && request.request.findings.map((f) => f.kind)).toEqual(
      expect.arrayContaining(['input-drift']),
    );
    const drift = report.active?.inputDrift;
    expect(drift?.drifted).toBe(3);
    expect(
      drift?.top
        .slice(0, 3)
        .map((f) => f.name)
        .sort(),
    ).toEqual(['hr', 'rr', 'spo2']);
    expect(drift?.top.find((f) => f.name === 'temp')?.psi).toBeLessThan(0.1);
  });

  it('drops a feature row of the wrong width', () => {
    const monitor = createModelMonitor({ modelId: 'm', profiles: profileFor });
    expect(monitor.observe(prediction('w', 0, 0.5, { features: [1, 2] }))).toMatchObject([
      { type: 'dropped', reason: 'invalid', item: 'prediction' },
    ]);
  });
});

describe('the pending buffer (property)', () => {
  it('accounts for every prediction kept exactly once: joined, released, expired, evicted or still pending; never above its bound', () => {
    const op = fc.oneof(
      fc.record({
        kind: fc.constant('p' as const),
        w: fc.nat(12),
        role: fc.constantFrom('active' as const, 'shadow' as const),
        dt: fc.nat(40),
      }),
      fc.record({
        kind: fc.constant('l' as const),
        w: fc.nat(12),
        y: fc.constantFrom<0 | 1 | null>(0, 1, null),
        dt: fc.nat(40),
      }),
    );
    fc.assert(
      fc.property(
        fc.array(op, { maxLength: 200 }),
        fc.integer({ min: 1, max: 6 }),
        fc.boolean(),
        (ops, maxPending, newest) => {
          const monitor = createModelMonitor({
            modelId: 'm',
            maxPending,
            pendingPolicy: newest ? 'drop-newest' : 'drop-oldest',
            maxLabelDelayMs: 100,
          });
          let ts = 0;
          const pendingNow = new Set<string>();
          let created = 0;
          let settled = 0;
          for (const o of ops) {
            ts += o.dt;
            const events =
              o.kind === 'p'
                ? monitor.observe(
                    prediction(`w${o.w}`, ts, 0.5, {
                      role: o.role,
                      version: o.role === 'active' ? '1' : '2',
                    }),
                  )
                : monitor.observe(label(`w${o.w}`, ts, o.y));
            const wasPending = pendingNow.has(`w${o.w}`);
            for (const e of events) {
              if (
                e.type === 'dropped' &&
                e.item === 'prediction' &&
                (e.reason === 'expired' || e.reason === 'pending-full')
              ) {
                if (pendingNow.delete(e.windowId as string)) settled++;
              }
            }
            if (
              o.kind === 'p' &&
              !wasPending &&
              !events.some((e) => e.type === 'dropped' && e.windowId === `w${o.w}`)
            ) {
              pendingNow.add(`w${o.w}`);
              created++;
            }
            if (o.kind === 'l' && pendingNow.delete(`w${o.w}`)) settled++;
            const { counts } = monitor.report();
            expect(counts.pending).toBe(pendingNow.size);
            expect(counts.pending).toBeLessThanOrEqual(maxPending);
          }
          expect(created).toBe(settled + pendingNow.size);
          const { counts } = monitor.report();
          expect(
            counts.joined + counts.unlabelled + counts.dropped.expired + counts.dropped['pending-full'],
          ).toBeGreaterThanOrEqual(settled);
        },
      ),
    );
  });
});
