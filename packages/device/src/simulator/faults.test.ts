import {
  envelopeJsonCodec,
  envelopePayload,
  type Reading,
  readingsJsonCodec,
  Topics,
  type TransportMessage,
} from '@healthit/core';
import { createInProcessTransport } from '@healthit/core/testing';
import { lastValueFrom, take, toArray, VirtualTimeScheduler } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { publishReadings } from '../publish/publish-readings.js';
import type { DeviceSample } from './device-process.js';
import type { DeviceSpec } from './devices.js';
import type { SimulationTick } from './engine.js';
import type { AppliedFault } from './faults.js';
import { createWardSimulator } from './ward-simulator.js';

const START = Date.UTC(2025, 0, 1);
const MINUTE = 60_000;
const HOUR = 3_600_000;

function simulate(
  devices: readonly DeviceSpec[],
  toMs: number,
  periodMs = MINUTE,
  seed = 3,
): SimulationTick[] {
  return [
    ...createWardSimulator({ patients: 1, seed, periodMs, startTs: START, devices }).simulate({ toMs }),
  ];
}

function has(sample: DeviceSample | undefined, kind: AppliedFault['kind']): boolean {
  return sample?.faults.some((f) => f.kind === kind) ?? false;
}

const clean = (tick: SimulationTick) =>
  tick.patients[0]?.vitals as NonNullable<SimulationTick['patients'][0]>['vitals'];

describe('sensor faults', () => {
  it('dropout in a window: due but no readings, flagged in the truth; readings resume with the next seq', () => {
    const ticks = simulate(
      [{ kind: 'monitor', faults: { dropout: { windows: [{ fromMs: 10 * MINUTE, toMs: 20 * MINUTE }] } } }],
      HOUR,
    );
    for (const t of ticks) {
      const sample = t.samples[0] as DeviceSample;
      const inWindow = t.elapsedMs >= 10 * MINUTE && t.elapsedMs < 20 * MINUTE;
      expect(has(sample, 'dropout')).toBe(inWindow);
      expect(sample.readings).toHaveLength(inWindow ? 0 : 6);
      expect(t.deliveries).toHaveLength(inWindow ? 0 : 1);
      if (inWindow) expect(sample).toMatchObject({ sampleSeq: 0, values: {}, faults: [{ kind: 'dropout' }] });
    }
    const seqs = ticks.flatMap((t) => t.samples[0]?.readings.map((r) => r.seq) ?? []);
    expect(seqs).toEqual(Array.from({ length: 50 * 6 }, (_, i) => i + 1));
  });

  it('random dropouts: about rate × mean duration of the time, in episodes', () => {
    const ticks = simulate(
      [{ kind: 'pulse-oximeter', faults: { dropout: { ratePerHour: 4, meanDurationMs: 3 * MINUTE } } }],
      48 * HOUR,
      30_000,
    );
    const dropped = ticks.map((t) => has(t.samples[0], 'dropout'));
    const fraction = dropped.filter(Boolean).length / dropped.length;
    // Onsets arrive only while up: fraction ≈ r·d / (1 + r·d) = 0.2 / 1.2.
    expect(fraction).toBeGreaterThan(0.1);
    expect(fraction).toBeLessThan(0.25);
    const episodes = dropped.filter((d, i) => d && !dropped[i - 1]).length;
    expect(episodes).toBeGreaterThan(100);
    expect(episodes).toBeLessThan(250);
  });

  it('stuck value: the device repeats its last values while the truth moves on', () => {
    const ticks = simulate(
      [
        {
          kind: 'monitor',
          faults: {
            stuck: { windows: [{ fromMs: 30 * MINUTE, toMs: 60 * MINUTE }], metrics: ['heart-rate', 'spo2'] },
          },
        },
      ],
      2 * HOUR,
    );
    const before = ticks.find((t) => t.elapsedMs === 29 * MINUTE)?.samples[0]?.values;
    const stuck = ticks.filter((t) => t.elapsedMs >= 30 * MINUTE && t.elapsedMs < 60 * MINUTE);
    expect(stuck).toHaveLength(30);
    for (const t of stuck) {
      const s = t.samples[0] as DeviceSample;
      expect(s.faults).toEqual([{ kind: 'stuck', metrics: ['heart-rate', 'spo2'] }]);
      expect(s.values['heart-rate']).toBe(before?.['heart-rate']);
      expect(s.values.spo2).toBe(before?.spo2);
      expect(s.values['respiratory-rate']).toBe(Math.round(clean(t)['respiratory-rate']));
      expect(s.readings.every((r) => r.quality === 'good')).toBe(true);
    }
    expect(new Set(stuck.map((t) => Math.round(clean(t)['heart-rate']))).size).toBeGreaterThan(3);
    const after = ticks.filter((t) => t.elapsedMs >= 60 * MINUTE);
    for (const t of after) {
      expect(t.samples[0]?.faults).toEqual([]);
      expect(t.samples[0]?.values['heart-rate']).toBe(Math.round(clean(t)['heart-rate']));
    }
  });

  it('motion artefacts: spikes at the configured probability, away from the truth, flagged; temperature spared', () => {
    const ticks = simulate(
      [{ kind: 'monitor', faults: { motionArtefact: { probability: 0.05 } } }],
      24 * HOUR,
      30_000,
    );
    let spiked = 0;
    for (const t of ticks) {
      const s = t.samples[0] as DeviceSample;
      const v = clean(t);
      expect(s.values['body-temperature']).toBe(Math.round(v['body-temperature'] * 10) / 10);
      if (!has(s, 'motion-artefact')) {
        expect(s.values['heart-rate']).toBe(Math.round(v['heart-rate']));
        expect(s.values.spo2).toBe(Math.round(v.spo2));
        continue;
      }
      spiked += 1;
      const fault = s.faults.find((f) => f.kind === 'motion-artefact');
      expect(fault).toEqual({
        kind: 'motion-artefact',
        metrics: ['heart-rate', 'respiratory-rate', 'spo2', 'bp-systolic', 'bp-diastolic'],
      });
      expect((s.values['heart-rate'] as number) - v['heart-rate']).toBeGreaterThan(24);
      expect(v.spo2 - (s.values.spo2 as number)).toBeGreaterThan(4);
      expect(s.readings.every((r) => r.quality === 'good')).toBe(true);
    }
    const rate = spiked / ticks.length;
    expect(rate).toBeGreaterThan(0.04);
    expect(rate).toBeLessThan(0.06);
  });

  it('motion artefacts in a window hit every measurement in it', () => {
    const ticks = simulate(
      [
        {
          kind: 'pulse-oximeter',
          faults: { motionArtefact: { windows: [{ fromMs: 5 * MINUTE, toMs: 8 * MINUTE }] } },
        },
      ],
      10 * MINUTE,
    );
    expect(ticks.filter((t) => has(t.samples[0], 'motion-artefact')).map((t) => t.tick)).toEqual([5, 6, 7]);
  });

  it('low battery: the level declines, a battery-low event at the threshold, then depletion stops readings', () => {
    const ticks = simulate(
      [{ kind: 'pulse-oximeter', battery: { startPct: 30, drainPctPerHour: 10, lowPct: 20 } }],
      4 * HOUR,
    );
    const levels = ticks.map((t) => t.samples[0]?.batteryPct);
    expect(levels[0]).toBe(30); // ceil(29.83)
    expect(levels[59]).toBe(20);
    const events = ticks.flatMap((t) => t.events.map((e) => ({ ...e, elapsedMs: t.elapsedMs })));
    expect(events).toEqual([
      {
        type: 'battery-low',
        deviceId: 'oximeter-001',
        patientId: 'patient-001',
        ts: START + HOUR,
        batteryPct: 20,
        elapsedMs: HOUR,
      },
      {
        type: 'battery-depleted',
        deviceId: 'oximeter-001',
        patientId: 'patient-001',
        ts: START + 3 * HOUR,
        elapsedMs: 3 * HOUR,
      },
    ]);
    for (const t of ticks) {
      const s = t.samples[0] as DeviceSample;
      if (t.elapsedMs >= 3 * HOUR) {
        expect(s).toMatchObject({ readings: [], faults: [{ kind: 'battery-depleted' }] });
        expect(s.batteryPct).toBeUndefined();
      } else {
        expect(s.readings).toHaveLength(2);
      }
    }
    // Levels never rise.
    const known = levels.filter((l): l is number => l !== undefined);
    expect(known.every((l, i) => i === 0 || l <= (known[i - 1] as number))).toBe(true);
  });

  it('clock drift: device timestamps run ahead of true time by offset + ppm × elapsed', () => {
    const ticks = simulate(
      [{ kind: 'monitor', faults: { clockDrift: { ppm: 200, offsetMs: 500 } } }],
      2 * HOUR,
    );
    for (const t of ticks) {
      const s = t.samples[0] as DeviceSample;
      const skew = Math.round(500 + 200e-6 * t.elapsedMs);
      expect(s.trueTs).toBe(t.ts);
      expect(s.ts).toBe(t.ts + skew);
      expect(s.readings.every((r) => r.ts === s.ts)).toBe(true);
      expect(s.faults).toEqual([{ kind: 'clock-drift', skewMs: skew }]);
    }
    expect(ticks.at(-1)?.samples[0]?.ts).toBe(START + 2 * HOUR + 500 + 1_440);
    // A slow clock near the epoch never stamps below 0.
    const slow = [
      ...createWardSimulator({
        patients: 1,
        seed: 1,
        startTs: 0,
        devices: [{ kind: 'monitor', faults: { clockDrift: { ppm: 0, offsetMs: -5_000 } } }],
      }).simulate({ toMs: 3_000 }),
    ];
    expect(slow.map((t) => t.samples[0]?.ts)).toEqual([0, 0, 0]);
  });

  it('duplicate delivery: the same readings (same ids) delivered twice in a row, flagged', () => {
    const ticks = simulate(
      [{ kind: 'monitor', faults: { duplicate: { probability: 0.1 } } }],
      24 * HOUR,
      30_000,
    );
    let duplicated = 0;
    for (const t of ticks) {
      const s = t.samples[0] as DeviceSample;
      if (has(s, 'duplicate')) {
        duplicated += 1;
        expect(t.deliveries).toEqual([
          { sample: s, delivery: 'on-time' },
          { sample: s, delivery: 'duplicate' },
        ]);
      } else {
        expect(t.deliveries).toEqual([{ sample: s, delivery: 'on-time' }]);
      }
    }
    expect(duplicated / ticks.length).toBeGreaterThan(0.08);
    expect(duplicated / ticks.length).toBeLessThan(0.12);
  });

  it('out-of-order delivery: held back 1…maxDelayTicks ticks, delivered after newer readings, never lost', () => {
    const ticks = simulate(
      [{ kind: 'monitor', faults: { outOfOrder: { probability: 0.2, maxDelayTicks: 3 } } }],
      6 * HOUR,
    );
    const delivered: { tick: number; sample: DeviceSample; delivery: string }[] = ticks.flatMap((t) =>
      t.deliveries.map((d) => ({ tick: t.tick, sample: d.sample, delivery: d.delivery })),
    );
    let late = 0;
    for (const t of ticks) {
      const s = t.samples[0] as DeviceSample;
      const fault = s.faults.find((f) => f.kind === 'out-of-order');
      const when = delivered.filter((d) => d.sample === s);
      if (t.tick > ticks.length - 3) continue; // may still be held back at the end
      expect(when).toHaveLength(1);
      if (fault === undefined) {
        expect(when[0]).toMatchObject({ tick: t.tick, delivery: 'on-time' });
      } else {
        late += 1;
        expect(fault.delayTicks).toBeGreaterThanOrEqual(1);
        expect(fault.delayTicks).toBeLessThanOrEqual(3);
        expect(when[0]).toMatchObject({ tick: t.tick + fault.delayTicks, delivery: 'late' });
      }
    }
    expect(late / ticks.length).toBeGreaterThan(0.15);
    expect(late / ticks.length).toBeLessThan(0.25);
    // On the wire, seq goes backwards now and then.
    const seqs = delivered.flatMap((d) => d.sample.readings.map((r) => r.seq));
    expect(seqs.some((seq, i) => i > 0 && seq < (seqs[i - 1] as number))).toBe(true);
  });

  it('random faults are seeded: the same seed gives the same faults, another seed others', () => {
    const devices: DeviceSpec[] = [
      {
        kind: 'monitor',
        faults: {
          dropout: { ratePerHour: 3 },
          stuck: { ratePerHour: 3 },
          motionArtefact: { probability: 0.03 },
          duplicate: { probability: 0.05 },
          outOfOrder: { probability: 0.05 },
        },
      },
    ];
    const faults = (seed: number) =>
      simulate(devices, 6 * HOUR, MINUTE, seed).map((t) => t.samples[0]?.faults.map((f) => f.kind).join('+'));
    expect(faults(8)).toEqual(faults(8));
    expect(faults(8)).not.toEqual(faults(9));
    expect(new Set(faults(8).flatMap((f) => f?.split('+') ?? []))).toEqual(
      new Set(['', 'dropout', 'stuck', 'motion-artefact', 'duplicate', 'out-of-order']),
    );
  });
});

describe('faults on the wire', () => {
  it('readings$ carries duplicates and late readings; publishReadings sends each delivery as its own envelope', async () => {
    const scheduler = new VirtualTimeScheduler();
    const ward = createWardSimulator({
      patients: 1,
      seed: 5,
      startTs: START,
      scheduler,
      devices: [
        {
          kind: 'pulse-oximeter',
          faults: { duplicate: { probability: 0.3 }, outOfOrder: { probability: 0.3 } },
        },
      ],
    });
    const transport = createInProcessTransport();
    const received: TransportMessage[] = [];
    transport.subscribe(Topics.allDeviceReadings).subscribe((m) => received.push(m));
    const emitted: Reading[] = [];
    const done = lastValueFrom(
      ward.readings$.pipe(take(200), publishReadings(transport, { scheduler }), toArray()),
    );
    ward.readings$.pipe(take(200)).subscribe((r) => emitted.push(r));
    scheduler.flush();
    const events = await done;
    expect(events.every((e) => e.type === 'published')).toBe(true);
    const batches = received.map((m) =>
      readingsJsonCodec.decode(envelopePayload(envelopeJsonCodec.decode(m.payload))),
    );
    expect(batches.flat()).toEqual(emitted);
    // Every batch is one measurement: two readings, one id each, never twice in a batch.
    for (const batch of batches) {
      expect(batch).toHaveLength(2);
      expect(new Set(batch.map((r) => r.id)).size).toBe(2);
    }
    const ids = emitted.map((r) => r.id);
    expect(new Set(ids).size).toBeLessThan(ids.length);
    await transport.close();
  });
});
