import { DeviceDescriptor, METRICS, Reading } from '@healthit/core';
import { createFakeClock } from '@healthit/core/testing';
import fc from 'fast-check';
import { map, type Observable, Subject, take, timer, toArray, VirtualTimeScheduler } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import type { OxygenSetting, SimulationTick } from './engine.js';
import { createWardSimulator, type WardSimulatorOptions } from './ward-simulator.js';

const START = Date.UTC(2025, 0, 1);
const MINUTE = 60_000;
const HOUR = 3_600_000;

/** Runs `ticks$` in virtual time (instantly) and returns its first `count` ticks. */
function virtualTicks(options: Omit<WardSimulatorOptions, 'scheduler'>, count: number): SimulationTick[] {
  const scheduler = new VirtualTimeScheduler(undefined, Number.POSITIVE_INFINITY);
  const out: SimulationTick[] = [];
  createWardSimulator({ ...options, scheduler })
    .ticks$.pipe(take(count))
    .subscribe((t) => out.push(t));
  scheduler.flush();
  return out;
}

/** The best of `runs` wall times of `fn`, in ms (the machine may be busy with other work). */
function bestMs(runs: number, fn: () => void): number {
  let best = Number.POSITIVE_INFINITY;
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    fn();
    best = Math.min(best, performance.now() - t0);
  }
  return best;
}

const EVERY_KIND = [
  { kind: 'monitor' },
  { kind: 'pulse-oximeter' },
  { kind: 'bp-cuff' },
  { kind: 'thermometer' },
  { kind: 'heart-rate-sensor' },
] as const;

describe('simulator: ticks, runs and time', () => {
  it('emits one tick per period in virtual time, with truth, samples and deliveries (marble)', () => {
    new TestScheduler((a, e) => expect(a).toEqual(e)).run(({ expectObservable }) => {
      const ward = createWardSimulator({ patients: 2, seed: 3, periodMs: 1_000, startTs: START });
      const summary$ = ward.ticks$.pipe(
        map((t) => `${t.tick}@${t.ts} ${t.patients.length}p ${t.samples.length}s ${t.deliveries.length}d`),
        take(3),
      );
      expectObservable(summary$).toBe('1s a 999ms b 999ms (c|)', {
        a: `1@${START + 1_000} 2p 2s 2d`,
        b: `2@${START + 2_000} 2p 2s 2d`,
        c: `3@${START + 3_000} 2p 2s 2d`,
      });
    });
  });

  it('gives the same ticks from ticks$ in virtual time and from simulate() (and from a stepped run)', () => {
    const options = {
      patients: 3,
      seed: 77,
      periodMs: 10_000,
      startTs: START,
      devices: EVERY_KIND,
      scenarios: ['deteriorating', 'atrial-fibrillation', 'copd'],
    } satisfies Omit<WardSimulatorOptions, 'scheduler'>;
    const fromObservable = virtualTicks(options, 200);
    const ward = createWardSimulator(options);
    expect([...ward.simulate({ toMs: 200 * 10_000 })]).toEqual(fromObservable);
    const run = ward.createRun();
    expect(Array.from({ length: 200 }, () => run.step())).toEqual(fromObservable);
    expect(run.ticks).toBe(200);
    // fromMs skips the first ticks but simulates them.
    expect([...ward.simulate({ fromMs: 150 * 10_000, toMs: 200 * 10_000 })]).toEqual(
      fromObservable.slice(150),
    );
  });

  it('is deterministic: the same seed and options give identical ticks, another seed other values', () => {
    fc.assert(
      fc.property(fc.integer(), fc.integer({ min: 1, max: 4 }), (seed, patients) => {
        const options = {
          patients,
          seed,
          periodMs: 5_000,
          startTs: START,
          devices: [
            {
              kind: 'monitor',
              faults: { motionArtefact: { probability: 0.1 }, duplicate: { probability: 0.1 } },
            },
            {
              kind: 'heart-rate-sensor',
              faults: { dropout: { ratePerHour: 20 }, outOfOrder: { probability: 0.1 } },
            },
          ],
        } as const;
        const a = [...createWardSimulator(options).simulate({ toMs: 30 * 5_000 })];
        const b = [...createWardSimulator(options).simulate({ toMs: 30 * 5_000 })];
        expect(b).toEqual(a);
      }),
      { numRuns: 20 },
    );
    const values = (seed: number) =>
      [...createWardSimulator({ patients: 2, seed, startTs: START }).simulate({ toMs: 20_000 })].map((t) =>
        t.patients.map((p) => p.vitals),
      );
    expect(values(1)).not.toEqual(values(2));
  });

  it("keeps a patient's truth and readings independent of the ward size and of other devices' faults", () => {
    const devices = (faulty: boolean) =>
      [
        { kind: 'monitor' },
        {
          kind: 'pulse-oximeter',
          ...(faulty ? { faults: { dropout: { ratePerHour: 30 }, stuck: { ratePerHour: 30 } } } : {}),
        },
      ] as const;
    const run = (patients: number, faulty: boolean) =>
      [
        ...createWardSimulator({
          patients,
          seed: 5,
          startTs: START,
          periodMs: 5_000,
          scenarios: (['deteriorating', 'copd', 'stable', 'fever'] as const).slice(0, patients),
          devices: devices(faulty),
        }).simulate({ toMs: HOUR / 4 }),
      ].map((t) => ({
        truth: t.patients[0],
        monitor: t.samples.find((s) => s.deviceId === 'monitor-001'),
      }));
    const reference = run(2, false);
    expect(run(4, false)).toEqual(reference);
    expect(run(2, true)).toEqual(reference);
  });

  it('fast-forwards an hour of simulated time in under a second, in virtual time and with simulate()', () => {
    const options = {
      patients: 4,
      seed: 1,
      periodMs: 1_000,
      startTs: START,
      devices: [{ kind: 'monitor' }, { kind: 'pulse-oximeter' }],
    } as const;
    let readings = 0;
    let lastTs = 0;
    const viaScheduler = bestMs(3, () => {
      const scheduler = new VirtualTimeScheduler(undefined, Number.POSITIVE_INFINITY);
      readings = 0;
      createWardSimulator({ ...options, scheduler })
        .readings$.pipe(take(3_600 * 4 * 8))
        .subscribe((r) => {
          readings += 1;
          lastTs = r.ts;
        });
      scheduler.flush();
    });
    expect(readings).toBe(3_600 * 4 * 8);
    expect(lastTs).toBe(START + HOUR);
    const viaSimulate = bestMs(3, () => {
      let ticks = 0;
      for (const _ of createWardSimulator(options).simulate({ toMs: HOUR })) ticks += 1;
      expect(ticks).toBe(3_600);
    });
    expect(viaScheduler).toBeLessThan(1_000);
    expect(viaSimulate).toBeLessThan(1_000);
  });

  it('fast-forwards 10 000 patients by one tick quickly', () => {
    let ward = createWardSimulator({ patients: 1, seed: 1 });
    const createMs = bestMs(1, () => {
      ward = createWardSimulator({ patients: 10_000, seed: 2, periodMs: 1_000, startTs: START });
    });
    let tick: SimulationTick | undefined;
    const tickMs = bestMs(2, () => {
      tick = ward.createRun().step();
    });
    expect(tick?.patients).toHaveLength(10_000);
    expect(tick?.deliveries.flatMap((d) => d.sample.readings)).toHaveLength(60_000);
    expect(createMs).toBeLessThan(5_000);
    expect(tickMs).toBeLessThan(2_000);
  });

  it('stamps ticks from startTs, the injected clock, or the scheduler', () => {
    const clock = createFakeClock(START + 123);
    const [fromClock] = virtualTicks({ patients: 1, seed: 1, clock }, 1);
    expect(fromClock?.ts).toBe(START + 123);
    const [fromScheduler] = virtualTicks({ patients: 1, seed: 1, periodMs: 500 }, 1);
    expect(fromScheduler?.ts).toBe(500);
    const run = createWardSimulator({ patients: 1, seed: 1, clock }).createRun();
    expect([run.step().ts, run.step().ts]).toEqual([START + 123 + 1_000, START + 123 + 2_000]);
    expect(createWardSimulator({ patients: 1, seed: 1 }).createRun({ startTs: 7 }).step(99).ts).toBe(99);
  });

  it('rejects bad simulate() and run options', () => {
    const ward = createWardSimulator({ patients: 1, seed: 1, startTs: START });
    expect(() => ward.simulate({ toMs: -1 }).next()).toThrow(/toMs must be a finite number/);
    expect(() => ward.simulate({ toMs: 10, fromMs: Number.NaN }).next()).toThrow(RangeError);
    expect(() => ward.createRun({ startTs: -5 })).toThrow(/startTs/);
  });
});

describe('simulator: patients and devices', () => {
  it('attaches the configured devices to every patient, with descriptors, ids and metrics', () => {
    const ward = createWardSimulator({ patients: 2, seed: 1, devices: EVERY_KIND, startTs: START });
    expect(ward.devices).toHaveLength(10);
    expect(ward.devices.map((d) => d.id)).toEqual([
      'monitor-001',
      'oximeter-001',
      'bp-cuff-001',
      'thermometer-001',
      'hr-sensor-001',
      'monitor-002',
      'oximeter-002',
      'bp-cuff-002',
      'thermometer-002',
      'hr-sensor-002',
    ]);
    for (const d of ward.devices) expect(DeviceDescriptor.parse(d)).toEqual(d);
    const p = ward.patients[1];
    expect(p?.deviceId).toBe('monitor-002');
    expect(p?.devices.map((d) => [d.index, d.slot, d.kind, d.metrics.join(',')])).toEqual([
      [5, 0, 'monitor', 'heart-rate,respiratory-rate,spo2,body-temperature,bp-systolic,bp-diastolic'],
      [6, 1, 'pulse-oximeter', 'spo2,pulse-rate'],
      [7, 2, 'bp-cuff', 'bp-systolic,bp-diastolic,bp-mean,pulse-rate'],
      [8, 3, 'thermometer', 'body-temperature'],
      [9, 4, 'heart-rate-sensor', 'heart-rate'],
    ]);
    expect(p?.devices[0]?.battery).toBeUndefined();
    expect(p?.devices[1]?.battery).toEqual({ startPct: 100, drainPctPerHour: 1, lowPct: 20 });
  });

  it('measures on the first tick and then every everyMs; readings match the sample values', () => {
    const ward = createWardSimulator({
      patients: 1,
      seed: 4,
      periodMs: 60_000,
      startTs: START,
      devices: EVERY_KIND,
    });
    const ticks = [...ward.simulate({ toMs: 2 * HOUR })];
    const at = (kind: string) =>
      ticks.filter((t) => t.samples.some((s) => s.kind === kind)).map((t) => t.tick);
    expect(at('monitor')).toHaveLength(120);
    expect(at('bp-cuff')).toEqual([1, 16, 31, 46, 61, 76, 91, 106]);
    expect(at('thermometer')).toEqual([1, 31, 61, 91]);
    for (const t of ticks) {
      const truth = t.patients[0];
      for (const s of t.samples) {
        expect(s.faults).toEqual([]);
        expect(s.ts).toBe(t.ts);
        expect(s.readings.map((r) => [r.metric, r.value])).toEqual(Object.entries(s.values));
        for (const r of s.readings) {
          expect(Reading.safeParse(r).success).toBe(true);
          expect(r).toMatchObject({
            deviceId: s.deviceId,
            patientId: 'patient-001',
            ts: t.ts,
            quality: 'good',
          });
          expect(r.unit).toBe(METRICS[r.metric].unit);
        }
        if (s.kind === 'bp-cuff') {
          const {
            'bp-systolic': sbp,
            'bp-diastolic': dbp,
            'bp-mean': mean,
          } = s.values as Record<string, number>;
          expect(
            Math.abs((mean as number) - ((dbp as number) + ((sbp as number) - (dbp as number)) / 3)),
          ).toBeLessThanOrEqual(1);
          expect(s.values['pulse-rate']).toBe(Math.round(truth?.vitals['heart-rate'] as number));
        }
        if (s.kind === 'thermometer') {
          expect(s.values['body-temperature']).toBe(
            Math.round((truth?.vitals['body-temperature'] as number) * 10) / 10,
          );
        }
      }
    }
    // Sequence numbers: per device, from 1.
    const oximeter = ticks.flatMap((t) => t.samples.filter((s) => s.kind === 'pulse-oximeter'));
    expect(oximeter.map((s) => s.sampleSeq)).toEqual(Array.from({ length: 120 }, (_, i) => i + 1));
    expect(oximeter.at(-1)?.readings.map((r) => r.id)).toEqual(['oximeter-001:239', 'oximeter-001:240']);
  });

  it('carries every beat exactly once in beat-sensing devices, and none when heartbeats are off', () => {
    const ward = createWardSimulator({
      patients: 1,
      seed: 2,
      periodMs: 1_000,
      startTs: START,
      devices: [{ kind: 'heart-rate-sensor', everyMs: 5_000 }, { kind: 'pulse-oximeter' }],
    });
    const ticks = [...ward.simulate({ toMs: 10 * MINUTE })];
    const truthBeats = ticks.flatMap((t) => t.patients[0]?.rrIntervalsMs ?? []);
    const sensor = ticks.flatMap((t) => t.samples.filter((s) => s.kind === 'heart-rate-sensor'));
    expect(sensor).toHaveLength(120);
    // Beats after the last measurement are still pending.
    const carried = sensor.flatMap((s) => s.rrIntervalsMs ?? []);
    expect(truthBeats.slice(0, carried.length)).toEqual(carried);
    expect(truthBeats.length - carried.length).toBeLessThan(10);
    expect(
      ticks
        .flatMap((t) => t.samples.filter((s) => s.kind === 'pulse-oximeter'))
        .every((s) => s.rrIntervalsMs === undefined),
    ).toBe(true);
    const beats = (options: Partial<WardSimulatorOptions>) =>
      [
        ...createWardSimulator({ patients: 1, seed: 2, startTs: START, ...options }).simulate({
          toMs: MINUTE,
        }),
      ].flatMap((t) => t.patients[0]?.rrIntervalsMs ?? []).length;
    expect(beats({})).toBe(0); // a monitor senses no beats: none generated by default
    expect(beats({ heartbeats: true })).toBeGreaterThan(40);
    expect(beats({ devices: [{ kind: 'heart-rate-sensor' }], heartbeats: false })).toBe(0);
  });

  it('chooses devices per patient with a function', () => {
    const ward = createWardSimulator({
      patients: 3,
      seed: 1,
      scenarios: ['stable', 'atrial-fibrillation', 'stable'],
      devices: (p) =>
        p.scenario.name === 'atrial-fibrillation'
          ? [{ kind: 'heart-rate-sensor', idPrefix: 'ecg-patch', protocol: 'ble-gatt' }]
          : [{ kind: 'monitor', protocol: 'hl7v2' }],
    });
    expect(ward.devices.map((d) => `${d.id} ${d.protocol}`)).toEqual([
      'monitor-001 hl7v2',
      'ecg-patch-002 ble-gatt',
      'monitor-003 hl7v2',
    ]);
  });

  it('rejects bad device and physiology options, naming them', () => {
    const bad: [Partial<WardSimulatorOptions>, RegExp][] = [
      [{ devices: [] }, /devices must list 1…16 devices/],
      [{ devices: [{ kind: 'toaster' as never }] }, /devices\[0\]: unknown device kind "toaster"/],
      [{ devices: [{ kind: 'monitor' }, { kind: 'monitor' }] }, /second device with id "monitor-001"/],
      [{ devices: [{ kind: 'monitor', metrics: ['glucose' as never] }] }, /"glucose" is not simulated/],
      [{ devices: [{ kind: 'monitor', everyMs: 0 }] }, /devices\[0\].everyMs/],
      [
        { devices: [{ kind: 'pulse-oximeter', battery: { startPct: 120 } }] },
        /battery.startPct must be a percentage/,
      ],
      [
        { devices: [{ kind: 'monitor', faults: { duplicate: { probability: 2 } } }] },
        /duplicate.probability/,
      ],
      [
        { devices: [{ kind: 'pulse-oximeter', faults: { stuck: { metrics: ['heart-rate'] } } }] },
        /does not report "heart-rate"/,
      ],
      [
        { devices: [{ kind: 'monitor', faults: { dropout: { windows: [{ fromMs: 5, toMs: 5 }] } } }] },
        /toMs \(5\) must be after/,
      ],
      [
        { devices: [{ kind: 'monitor', faults: { outOfOrder: { probability: 0.1, maxDelayTicks: 0 } } }] },
        /maxDelayTicks/,
      ],
      [{ devices: [{ kind: 'monitor', faults: { clockDrift: { ppm: Number.NaN } } }] }, /clockDrift.ppm/],
      [{ circadian: { utcOffsetMinutes: 5_000 } }, /utcOffsetMinutes/],
      [{ circadian: { rhythms: { 'heart-rate': { amplitude: -1, nadirHour: 3 } } } }, /amplitude/],
      [
        { circadian: { rhythms: { glucose: { amplitude: 1, nadirHour: 3 } } as never } },
        /"glucose" is not a vital sign/,
      ],
      [{ feverResponse: { heartRatePerDegC: -1 } }, /feverResponse.heartRatePerDegC/],
      [{ oxygenResponse: { capPct: 101 } }, /oxygenResponse.capPct/],
      [{ oxygenResponse: { washInMs: 0 } }, /oxygenResponse.washInMs/],
      [{ scenarios: [{ timeline: [] }] }, /scenarios\[0\].timeline must be an array of 1…64 phases/],
      [
        {
          scenarios: [
            {
              timeline: [
                { name: 'fever', atMs: 10 },
                { name: 'recovery', atMs: 5 },
              ],
            },
          ],
        },
        /timeline\[1\].atMs 5 is before the previous phase/,
      ],
      [{ scenarios: [{ timeline: [{ name: 'sepsis' as never, atMs: 0 }] }] }, /unknown scenario "sepsis"/],
      [{ scenarios: [{ timeline: [{ name: 'copd', atMs: 0, consciousness: 'C' }] }] }, /chronic condition/],
      [
        { scenarios: [{ timeline: [{ name: 'fever', atMs: 0, consciousness: 'X' as never }] }] },
        /consciousness/,
      ],
    ];
    for (const [options, message] of bad) {
      expect(() => createWardSimulator({ patients: 1, seed: 1, ...options })).toThrow(message);
    }
    expect(() => createWardSimulator({ patients: 1, seed: 1, devices: 'monitor' as never })).toThrow(
      TypeError,
    );
  });
});

describe('simulator: oxygen input', () => {
  const hypoxic = {
    patients: 2,
    seed: 4,
    periodMs: 10_000,
    startTs: START,
    scenarios: [
      { timeline: [{ name: 'hypoxic', atMs: 10 * MINUTE, rampMs: 5 * MINUTE }] },
      { timeline: [{ name: 'hypoxic', atMs: 10 * MINUTE, rampMs: 5 * MINUTE }] },
    ],
  } as const;

  it('applies oxygen$ settings from the next tick, with events, in virtual time', () => {
    const scheduler = new VirtualTimeScheduler(undefined, Number.POSITIVE_INFINITY);
    const oxygen$: Observable<OxygenSetting> = timer(30 * MINUTE + 5_000, scheduler).pipe(
      map(() => ({ patientId: 'patient-001', flowLpm: 3, ts: START + 30 * MINUTE + 5_000 })),
    );
    const ticks: SimulationTick[] = [];
    createWardSimulator({ ...hypoxic, scheduler, oxygen$ })
      .ticks$.pipe(take(6 * 60))
      .subscribe((t) => ticks.push(t));
    scheduler.flush();
    const first = ticks.find((t) => t.patients[0]?.onOxygen);
    expect(first?.elapsedMs).toBe(30 * MINUTE + 10_000);
    expect(first?.events).toEqual([
      { type: 'oxygen-set', patientId: 'patient-001', flowLpm: 3, ts: START + 30 * MINUTE + 5_000 },
    ]);
    expect(first?.patients[0]?.oxygenFlowLpm).toBe(3);
    expect(first?.patients[1]?.onOxygen).toBe(false);
    const spo2At = (minute: number, i: number) =>
      ticks.find((t) => t.elapsedMs === minute * MINUTE)?.patients[i]?.vitals.spo2 as number;
    expect(spo2At(50, 0)).toBeGreaterThan(94);
    expect(spo2At(50, 1)).toBeLessThan(91);
  });

  it('closes the loop: readings → a rule → oxygen$ → SpO2 recovers, all in virtual time', () => {
    const scheduler = new VirtualTimeScheduler(undefined, Number.POSITIVE_INFINITY);
    const oxygen$ = new Subject<OxygenSetting>();
    const ward = createWardSimulator({
      ...hypoxic,
      patients: 1,
      scenarios: [hypoxic.scenarios[0]],
      scheduler,
      oxygen$,
    });
    const spo2: { ts: number; value: number }[] = [];
    let started = false;
    ward.readings$.pipe(take(6 * 60 * 6)).subscribe((r) => {
      if (r.metric !== 'spo2') return;
      spo2.push({ ts: r.ts, value: r.value });
      if (!started && r.value < 90) {
        started = true;
        oxygen$.next({ patientId: r.patientId as string, flowLpm: 2, ts: r.ts });
      }
    });
    scheduler.flush();
    const lowest = spo2.reduce((a, b) => (b.value < a.value ? b : a));
    expect(lowest.value).toBeLessThan(90);
    const last10 = spo2.slice(-60).map((s) => s.value);
    expect(Math.min(...last10)).toBeGreaterThanOrEqual(91);
  });

  it('rejects settings for unknown patients or with a bad flow, and reports an erroring input', () => {
    const run = createWardSimulator({ patients: 1, seed: 1, startTs: START }).createRun();
    expect(run.setOxygen({ patientId: 'patient-999', flowLpm: 2, ts: 0 })).toMatchObject({
      type: 'oxygen-rejected',
      reason: expect.stringMatching(/unknown patient "patient-999"/),
    });
    expect(run.setOxygen({ patientId: 'patient-001', flowLpm: -1, ts: 0 })).toMatchObject({
      type: 'oxygen-rejected',
      reason: expect.stringMatching(/flowLpm must be a finite number >= 0/),
    });
    const tick = run.step();
    expect(tick.events.map((e) => e.type)).toEqual(['oxygen-rejected', 'oxygen-rejected']);
    expect(tick.patients[0]?.onOxygen).toBe(false);

    const scheduler = new VirtualTimeScheduler();
    const failing = new Subject<OxygenSetting>();
    const events: string[] = [];
    createWardSimulator({ patients: 1, seed: 1, startTs: START, scheduler, oxygen$: failing })
      .ticks$.pipe(take(3), toArray())
      .subscribe((ts) => {
        for (const t of ts) for (const e of t.events) events.push(`${t.tick} ${e.type}`);
      });
    failing.next({ patientId: 'patient-001', flowLpm: 1, ts: 0 });
    failing.error(new Error('concentrator offline'));
    scheduler.flush();
    expect(events).toEqual(['1 oxygen-set', '1 oxygen-input-failed']);
  });
});
