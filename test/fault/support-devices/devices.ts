/**
 * Hostile devices for the fault-injection tests: what leaves a device is made with the SDK's own
 * device side — simulator samples encoded by `encodeDeviceSample` (the JSON device message of
 * `@healthit/device`) or readings encoded by core's readings codec — wrapped in a core envelope,
 * optionally signed with the device's Ed25519 key. The faults are applied to what the device
 * stamps (its clock) or to how the bytes are delivered (twice, swapped, replayed), never to the
 * gateway.
 */
import {
  createEnvelope,
  createIdentity,
  type Envelope,
  envelopeJsonCodec,
  type Identity,
  METRICS,
  type Reading,
  readingId,
  readingsJsonCodec,
  signEnvelope,
} from '@healthit/core';
import { DEVICE_JSON_V1, type DeviceSample, encodeDeviceSample } from '@healthit/device';
import { createDeviceRegistry, type DeviceRegistry } from '@healthit/gateway';

/** The sample as a device whose clock reads `ts` would stamp it (every reading re-stamped). */
export function restamp(sample: DeviceSample, ts: number): DeviceSample {
  return { ...sample, ts, readings: sample.readings.map((r) => ({ ...r, ts })) };
}

/** A JSON device message (`@healthit/device`) of `sample`, in an envelope. */
export function sampleEnvelope(
  sample: DeviceSample,
  envelope: { readonly seq: number; readonly ts: number },
): Envelope {
  const frame = encodeDeviceSample(sample, { encoding: 'mqtt-json' });
  if (frame?.encoding !== 'mqtt-json') throw new Error(`sample of ${sample.deviceId} has no JSON encoding`);
  return createEnvelope({
    source: sample.deviceId,
    seq: envelope.seq,
    ts: envelope.ts,
    contentType: DEVICE_JSON_V1,
    payload: frame.bytes,
  });
}

/** Readings (one device) in core's readings-JSON codec, in an envelope. */
export function readingsEnvelope(
  readings: readonly Reading[],
  envelope: { readonly seq: number; readonly ts: number },
): Envelope {
  const first = readings[0];
  if (first === undefined) throw new RangeError('readingsEnvelope needs a reading');
  return createEnvelope({
    source: first.deviceId,
    seq: envelope.seq,
    ts: envelope.ts,
    contentType: readingsJsonCodec.contentType,
    payload: readingsJsonCodec.encode([...readings]),
  });
}

/** The bytes a device publishes. */
export const wire = (envelope: Envelope): Uint8Array => envelopeJsonCodec.encode(envelope);

/** One reading of `metric`, in its canonical unit, from `deviceId` (`seq` also names its id). */
export function reading(
  deviceId: string,
  seq: number,
  ts: number,
  metric: Reading['metric'] = 'heart-rate',
  value = 72,
  patientId?: string,
): Reading {
  return {
    id: readingId(deviceId, seq),
    deviceId,
    ...(patientId === undefined ? {} : { patientId }),
    metric,
    value,
    unit: METRICS[metric].unit,
    ts,
    seq,
  } as Reading;
}

/** Registered, active devices with their keys, and a signer per device. */
export interface SignedFleet {
  readonly registry: DeviceRegistry;
  readonly identities: ReadonlyMap<string, Identity>;
  sign(envelope: Envelope): Envelope;
}

const BIOMED = { by: 'biomed:fault-tests', reason: 'onboarded for the fault-injection tests' };

export function signedFleet(deviceIds: readonly string[]): SignedFleet {
  const registry = createDeviceRegistry();
  const identities = new Map<string, Identity>();
  for (const id of deviceIds) {
    const identity = createIdentity({ id, kind: 'device' });
    identities.set(id, identity);
    registry.register({ deviceId: id, publicKey: identity.signing.publicKey, state: 'active' }, BIOMED);
  }
  return {
    registry,
    identities,
    sign(envelope) {
      const who = identities.get(envelope.source);
      if (who === undefined) throw new Error(`no identity for ${envelope.source}`);
      return signEnvelope(envelope, { keyId: who.keyId, secretKey: who.signing.secretKey });
    },
  };
}
