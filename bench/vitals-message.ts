/** The device messages the gateway benchmarks feed in: an envelope around a JSON batch of vitals. */
import {
  createEnvelope,
  envelopeJsonCodec,
  READINGS_JSON,
  type Reading,
  readingId,
  readingsJsonCodec,
  Topics,
} from '@healthit/core';

/** A vital sign as [metric, value (or value by sequence number), UCUM unit]. */
export type Vital = readonly [Reading['metric'], number | ((seq: number) => number), string];

/**
 * `count` readings of `device` numbered from `seq0`, cycling through `vitals`, at `tsOf(seq)`: the
 * envelope bytes a monitor publishes, its topic, and the bare JSON payload (for ceilings).
 */
export function vitalsMessage(
  device: string,
  patient: string,
  seq0: number,
  count: number,
  vitals: readonly Vital[],
  tsOf: (seq: number) => number,
): { topic: string; bytes: Uint8Array; payload: Uint8Array } {
  const readings = Array.from({ length: count }, (_, i) => {
    const [metric, value, unit] = vitals[i % vitals.length] as Vital;
    const seq = seq0 + i;
    return {
      id: readingId(device, seq),
      deviceId: device,
      patientId: patient,
      metric,
      value: typeof value === 'number' ? value : value(seq),
      unit,
      ts: tsOf(seq),
      seq,
    } as Reading;
  });
  const payload = readingsJsonCodec.encode(readings);
  const envelope = createEnvelope({
    source: device,
    seq: seq0,
    ts: tsOf(seq0),
    contentType: READINGS_JSON,
    payload,
  });
  return { topic: Topics.deviceReadings(device), bytes: envelopeJsonCodec.encode(envelope), payload };
}
