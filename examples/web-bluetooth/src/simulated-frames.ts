/**
 * GATT frames of a simulated patient's wearable, from the project's clinical simulator and its
 * device encoders (`createWardSimulator` → `encodeDeviceSample`): a pulse oximeter's PLX Continuous
 * Measurements (0x2A5F) or a heart-rate strap's Heart Rate Measurements (0x2A37), byte for byte
 * what the real device would notify, with the values they carry.
 */
import { createWardSimulator, encodeDeviceSample, type ScenarioName } from '@healthit/device';
import type { ProfileId } from './profiles.js';

/** One notification frame and what it carries. */
export interface SimulatedFrame {
  /** The characteristic value, in hex. */
  readonly hex: string;
  /** The measured values by core metric id (`spo2`, `pulse-rate`, `heart-rate`). */
  readonly values: Readonly<Record<string, number>>;
  /** The simulated time of the measurement (epoch ms). */
  readonly ts: number;
}

/** Options of {@link simulatedFrames}. */
export interface SimulatedFramesOptions {
  /** How many frames (default 30). */
  readonly count?: number;
  /** The simulator's seed (default 7): the same seed gives the same frames. */
  readonly seed?: number;
  /** Simulated time between measurements in ms (default 1000). */
  readonly periodMs?: number;
  /** The patient's clinical scenario (default `'stable'`), one of the simulator's `SCENARIO_NAMES`. */
  readonly scenario?: ScenarioName;
}

const KIND_OF = { 'pulse-oximeter': 'pulse-oximeter', 'heart-rate': 'heart-rate-sensor' } as const;

function hexOf(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

/** The first `count` GATT frames a simulated device of `profile` notifies. */
export function simulatedFrames(profile: ProfileId, options: SimulatedFramesOptions = {}): SimulatedFrame[] {
  const count = options.count ?? 30;
  const periodMs = options.periodMs ?? 1000;
  const simulator = createWardSimulator({
    patients: 1,
    seed: options.seed ?? 7,
    periodMs,
    startTs: Date.UTC(2025, 0, 1, 8),
    devices: [{ kind: KIND_OF[profile] }],
    scenarios: [options.scenario ?? 'stable'],
  });
  const frames: SimulatedFrame[] = [];
  // The run is lazy: stop as soon as there are enough frames (a sample may carry nothing, e.g. a
  // sensor dropout, so allow for ten times as many ticks).
  for (const tick of simulator.simulate({ toMs: 10 * count * periodMs })) {
    for (const sample of tick.samples) {
      const frame = encodeDeviceSample(sample);
      if (frame?.encoding === 'ble-gatt') {
        frames.push({ hex: hexOf(frame.bytes), values: { ...sample.values }, ts: sample.ts });
      }
    }
    if (frames.length >= count) break;
  }
  return frames.slice(0, count);
}
