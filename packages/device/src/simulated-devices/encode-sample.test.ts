import type { Reading } from '@healthit/core';
import { describe, expect, it } from 'vitest';
import { decodeGatt } from '../gatt/gatt-codec.js';
import { gattToReadings } from '../gatt/to-readings.js';
import { oruToReadings } from '../hl7v2/oru-to-readings.js';
import { parseHl7 } from '../hl7v2/parse.js';
import { deviceJsonCodec } from '../json/device-json-codec.js';
import { createWardSimulator } from '../simulator/ward-simulator.js';
import { encodeDeliveries } from './encode-deliveries.js';
import { type EncodedSample, encodeDeviceSample } from './encode-sample.js';

const START = Date.UTC(2025, 2, 1, 10);

function ward() {
  return createWardSimulator({
    patients: 3,
    seed: 11,
    periodMs: 60_000,
    startTs: START,
    devices: [
      { kind: 'monitor' },
      { kind: 'pulse-oximeter' },
      { kind: 'bp-cuff' },
      { kind: 'thermometer' },
      { kind: 'heart-rate-sensor' },
    ],
  });
}

function samples() {
  return [...ward().simulate({ toMs: 10 * 60_000 })]
    .flatMap((t) => t.samples)
    .filter((s) => s.readings.length > 0);
}

/** What a receiver gets back from the wire: the readings, by the device's own codec. */
function decodeBack(frame: EncodedSample): Reading[] {
  const { sample } = frame;
  const first = sample.readings[0]?.seq ?? 0;
  if (frame.encoding === 'ble-gatt') {
    const m = decodeGatt(frame.characteristic, frame.bytes);
    return [
      ...gattToReadings(m, {
        deviceId: sample.deviceId,
        patientId: sample.patientId,
        seq: first,
        fallbackTs: sample.ts,
        utcOffsetMinutes: 0,
      }).readings,
    ];
  }
  if (frame.encoding === 'hl7v2') return [...oruToReadings(parseHl7(frame.message)).readings];
  return deviceJsonCodec.decode(frame.bytes);
}

const byMetric = (rs: readonly Reading[]) => Object.fromEntries(rs.map((r) => [r.metric, r.value]));

describe('simulated devices speak real encodings', () => {
  it('each kind encodes in its own format, and its codec gives the measured values back', () => {
    const seen = new Set<string>();
    for (const sample of samples()) {
      const frame = encodeDeviceSample(sample);
      expect(frame).toBeDefined();
      if (!frame) continue;
      seen.add(
        `${sample.kind}:${frame.encoding}:${frame.encoding === 'ble-gatt' ? frame.characteristic : ''}`,
      );
      const back = decodeBack(frame);
      // Every value the device measured comes back (the GATT frames carry the values the profile has).
      const expected = byMetric(sample.readings);
      const got = byMetric(back);
      for (const [metric, value] of Object.entries(got))
        expect(value).toBeCloseTo(expected[metric] as number, 6);
      expect(Object.keys(got).sort()).toEqual(Object.keys(expected).sort());
      for (const r of back) expect(r.deviceId).toBe(sample.deviceId);
    }
    expect([...seen].sort()).toEqual([
      'bp-cuff:ble-gatt:10805',
      'heart-rate-sensor:ble-gatt:10807',
      'monitor:hl7v2:',
      'pulse-oximeter:ble-gatt:10847',
      'thermometer:ble-gatt:10780',
    ]);
  });

  it('HL7 and JSON round-trip the readings exactly, ids and times included', () => {
    for (const sample of samples()
      .filter((s) => s.kind === 'monitor')
      .slice(0, 5)) {
      const hl7 = encodeDeviceSample(sample);
      expect(hl7 && decodeBack(hl7)).toEqual(sample.readings);
      const json = encodeDeviceSample(sample, { encoding: 'mqtt-json' });
      expect(json && decodeBack(json)).toEqual(sample.readings);
    }
  });

  it('time-stamped GATT frames carry the device clock, placed with its UTC offset', () => {
    const sample = samples().find((s) => s.kind === 'thermometer');
    expect(sample).toBeDefined();
    if (!sample) return;
    const frame = encodeDeviceSample(sample, { utcOffsetMinutes: 60 });
    if (frame?.encoding !== 'ble-gatt') throw new Error('expected a GATT frame');
    const m = decodeGatt(0x2a1c, frame.bytes);
    const { readings } = gattToReadings(m, {
      deviceId: sample.deviceId,
      seq: 1,
      fallbackTs: 0,
      utcOffsetMinutes: 60,
    });
    expect(readings[0]?.ts).toBe(Math.floor(sample.ts / 1000) * 1000);
  });

  it('encodeDeliveries turns ticks into frames in delivery order', async () => {
    const { lastValueFrom, from, toArray } = await import('rxjs');
    const ticks = [...ward().simulate({ toMs: 3 * 60_000 })];
    const frames = await lastValueFrom(from(ticks).pipe(encodeDeliveries(), toArray()));
    const delivered = ticks
      .flatMap((t) => t.deliveries.map((d) => d.sample))
      .filter((s) => s.readings.length > 0);
    expect(frames.map((f) => f.sample)).toEqual(delivered);
  });
});
