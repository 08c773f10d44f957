/** Pre-encoded device messages for the load benchmarks: one envelope with one reading each. */
import {
  createEnvelope,
  envelopeJsonCodec,
  READINGS_JSON,
  type Reading,
  readingId,
  readingsJsonCodec,
  Topics,
} from '@healthit/core';

/** A device's reading number `seq` as the bytes it would publish, and its topic. */
export function deviceMessage(
  device: number,
  seq: number,
  ts: number,
  spo2 = 96 + (seq % 3),
): { topic: string; bytes: Uint8Array } {
  const deviceId = `sensor-${device}`;
  const reading = {
    id: readingId(deviceId, seq),
    deviceId,
    patientId: `patient-${device}`,
    metric: 'spo2',
    value: spo2,
    unit: '%',
    ts,
    seq,
  } as Reading;
  const envelope = createEnvelope({
    source: deviceId,
    seq,
    ts,
    contentType: READINGS_JSON,
    payload: readingsJsonCodec.encode([reading]),
  });
  return { topic: Topics.deviceReadings(deviceId), bytes: envelopeJsonCodec.encode(envelope) };
}

/** Percentile (0–100) of a sorted array, nearest rank. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank] ?? Number.NaN;
}
