/**
 * Seeded fuzzing: `FUZZ_RUNS` (100 000 in the long run, see docs/fuzzing.md) random and mutated frames per characteristic each decode to a
 * measurement or throw a GattDecodeError — never another exception, never a hang. A decoded
 * measurement (one in eight, sampled) also re-encodes to a frame that decodes to the same measurement (or is refused with
 * a GattEncodeError because its Date Time is outside the standard's ranges, which decoding accepts).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';
import type { RandomGenerator } from 'pure-rand/types/RandomGenerator';
import { describe, expect, it } from 'vitest';
import { fuzzRuns, fuzzTimeout, recordFuzzResult } from '../../../../test/fuzz/fuzz.js';
import { GATT_CHARACTERISTIC_NAMES, type GattCharacteristicUuid } from './characteristics.js';
import { GattDecodeError, GattEncodeError } from './errors.js';
import { decodeGatt, encodeGatt } from './gatt-codec.js';
import { SPECIAL_VALUES } from './ieee11073.js';

const FRAMES_PER_CHARACTERISTIC = fuzzRuns(5_000); // cheap: a higher default than most fuzz targets
const SEED = 0x11073;

const vectors = JSON.parse(
  readFileSync(join(import.meta.dirname, '../../test/vectors/gatt/gatt-vectors.json'), 'utf8'),
) as { vectors: { characteristic: string; hex: string }[] };

const t = { year: 2024, month: 2, day: 29, hours: 23, minutes: 59, seconds: 59 };

/** Frames with every optional field present, to mutate from. */
const FULL: { readonly [C in GattCharacteristicUuid]: Uint8Array } = {
  10807: encodeGatt(0x2a37, {
    heartRate: 300,
    sensorContact: 'detected',
    energyExpended: 12,
    rrIntervalsRaw1024: [800, 810, 820],
  }),
  10805: encodeGatt(0x2a35, {
    unit: 'kPa',
    systolic: 16,
    diastolic: 10.7,
    meanArterialPressure: SPECIAL_VALUES.NaN,
    timestamp: t,
    pulseRate: 72,
    userId: 1,
    measurementStatusRaw: 0x3f,
  }),
  10780: encodeGatt(0x2a1c, { unit: 'Fahrenheit', temperature: 98.6, timestamp: t, temperatureType: 2 }),
  10776: encodeGatt(0x2a18, {
    sequenceNumber: 7,
    baseTime: t,
    timeOffsetMinutes: -90,
    unit: 'mol/L',
    glucoseConcentration: 0.0055,
    type: 1,
    sampleLocation: 1,
    sensorStatusRaw: 0x0fff,
    contextInformationFollows: true,
  }),
  10909: encodeGatt(0x2a9d, { unit: 'lb', weight: 154.3, timestamp: t, userId: 2, bmi: 22.1, height: 69.3 }),
  10846: encodeGatt(0x2a5e, {
    spo2: 97,
    pulseRate: 70,
    timestamp: t,
    measurementStatusRaw: 0xffe0,
    deviceAndSensorStatusRaw: 0xffff,
    pulseAmplitudeIndex: 3.2,
    deviceClockNotSet: true,
  }),
  10847: encodeGatt(0x2a5f, {
    spo2: 97,
    pulseRate: 70,
    spo2prFast: { spo2: 96, pulseRate: 71 },
    spo2prSlow: { spo2: 97, pulseRate: 69 },
    measurementStatusRaw: 0x0020,
    deviceAndSensorStatusRaw: 0x20,
    pulseAmplitudeIndex: SPECIAL_VALUES.NRes,
  }),
};

function templatesOf(c: GattCharacteristicUuid): Uint8Array[] {
  const fromVectors = vectors.vectors
    .filter((v) => v.characteristic.startsWith(`0x${c.toString(16).toUpperCase()}`))
    .map((v) => Uint8Array.from(v.hex.match(/../g) ?? [], (h) => Number.parseInt(h, 16)));
  return [FULL[c], ...fromVectors];
}

/** Uniform integer in [0, n) from the generator (n ≤ 2^16, so the modulo bias is negligible here). */
function below(rng: RandomGenerator, n: number): number {
  return (rng.next() >>> 0) % n;
}

/** One fuzz frame: random bytes, or a template with flipped bytes, random flags, truncation or extra bytes. */
function frame(rng: RandomGenerator, templates: readonly Uint8Array[]): Uint8Array {
  const mode = below(rng, 5);
  if (mode === 0) {
    const out = new Uint8Array(below(rng, 33));
    for (let i = 0; i < out.length; i++) out[i] = below(rng, 256);
    return out;
  }
  const template = templates[below(rng, templates.length)] as Uint8Array;
  if (mode === 1) {
    const out = template.slice();
    const flips = 1 + below(rng, 3);
    for (let k = 0; k < flips && out.length > 0; k++) out[below(rng, out.length)] = below(rng, 256);
    return out;
  }
  if (mode === 2) return template.slice(0, below(rng, template.length + 1));
  if (mode === 3) {
    const out = new Uint8Array(template.length + 1 + below(rng, 4));
    out.set(template);
    for (let i = template.length; i < out.length; i++) out[i] = below(rng, 256);
    return out;
  }
  // A random flags byte over the template's body: flags and length disagree in every way.
  const out = template.slice();
  if (out.length > 0) out[0] = below(rng, 256);
  return out;
}

function sameMeasurement(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

describe(`fuzzing the GATT decoders (${FRAMES_PER_CHARACTERISTIC} seeded frames each)`, () => {
  const uuids = Object.keys(FULL).map(Number) as GattCharacteristicUuid[];
  it.each(uuids.map((c) => [c.toString(16), GATT_CHARACTERISTIC_NAMES[c], c] as const))(
    '0x%s %s: a measurement or a GattDecodeError, nothing else',
    (hex, name, c) => {
      const t0 = performance.now();
      let maxInputMs = 0;
      const rng = xoroshiro128plus(SEED + c);
      const templates = templatesOf(c);
      const failures: string[] = [];
      let decoded = 0;
      let refused = 0;
      let checked = 0;
      let reencoded = 0;
      for (let i = 0; i < FRAMES_PER_CHARACTERISTIC && failures.length < 5; i++) {
        const bytes = frame(rng, templates);
        const hex = (): string => Buffer.from(bytes).toString('hex');
        let m: ReturnType<typeof decodeGatt>;
        const start = performance.now();
        try {
          m = decodeGatt(c, bytes);
        } catch (e) {
          maxInputMs = Math.max(maxInputMs, performance.now() - start);
          const ok =
            e instanceof GattDecodeError &&
            e.code === 'codec/decode' &&
            e.characteristic === c &&
            e.offset >= 0 &&
            e.offset <= bytes.length &&
            e.frameLength === bytes.length;
          if (ok) refused += 1;
          else failures.push(`${hex()}: ${String(e)}`);
          continue;
        }
        maxInputMs = Math.max(maxInputMs, performance.now() - start);
        decoded += 1;
        if (m.characteristic !== c) failures.push(`${hex()}: decoded as ${m.characteristic}`);
        // Re-encoding is ~30 times the cost of decoding: check one decoded frame in eight.
        if (decoded % 8 !== 0) continue;
        checked += 1;
        try {
          if (!sameMeasurement(decodeGatt(c, encodeGatt(c, m)), m))
            failures.push(`${hex()}: re-encoding changed it`);
          else reencoded += 1;
        } catch (e) {
          const dateRefused = e instanceof GattEncodeError && /^(timestamp|baseTime)$/.test(e.field);
          if (!dateRefused) failures.push(`${hex()}: re-encoding threw ${String(e)}`);
        }
      }
      expect(failures).toEqual([]);
      expect(decoded + refused).toBe(FRAMES_PER_CHARACTERISTIC);
      recordFuzzResult({
        name: `GATT 0x${hex} ${name} (decodeGatt)`,
        runs: FRAMES_PER_CHARACTERISTIC,
        returned: decoded,
        rejected: refused,
        outcomes: { decoded, 'rejected: GattDecodeError codec/decode': refused, 're-encoded': reencoded },
        totalMs: Math.round(performance.now() - t0),
        maxInputMs: Math.round(maxInputMs * 10) / 10,
      });
      // Not degenerate: plenty of both outcomes, and most decodable frames re-encode.
      expect(decoded).toBeGreaterThan(FRAMES_PER_CHARACTERISTIC / 20);
      expect(refused).toBeGreaterThan(FRAMES_PER_CHARACTERISTIC / 20);
      // (a third: at small run counts the share of decoded frames whose Date Time is out of range varies)
      expect(reencoded).toBeGreaterThan(checked / 3);
    },
    fuzzTimeout(200),
  );
});
