import {
  createEnvelope,
  envelopeJsonCodec,
  READINGS_JSON,
  type Reading,
  readingId,
  readingsJsonCodec,
} from '@healthit/core';

export const T0 = Date.UTC(2025, 5, 1, 12);

/** A valid reading of `deviceId` number `seq`. */
export function reading(
  deviceId: string,
  seq: number,
  metric: Reading['metric'],
  value: number,
  unit: string,
): Reading {
  return {
    id: readingId(deviceId, seq),
    deviceId: deviceId as Reading['deviceId'],
    patientId: `patient-of-${deviceId}` as NonNullable<Reading['patientId']>,
    metric,
    value,
    unit,
    ts: T0 + seq * 1000,
    seq,
    quality: 'good',
  };
}

/** The bytes a device publishes: an envelope around a JSON batch. */
export function envelopeBytes(source: string, seq: number, readings: readonly unknown[]): Uint8Array {
  const payload = readingsJsonCodec.encode(readings as Reading[]);
  return envelopeJsonCodec.encode(
    createEnvelope({ source, seq, ts: T0, contentType: READINGS_JSON, payload }),
  );
}
