/**
 * The gateway authenticating every envelope (`createGateway({ authenticate })`) over the in-process
 * transport: devices sign each batch once; unknown, suspended, decommissioned or revoked devices,
 * bad signatures, replays and expired messages are refused with a typed event and counted, and the
 * pipeline goes on.
 */
import {
  createEnvelope,
  createIdentity,
  createInProcessTransport,
  type Envelope,
  envelopeJsonCodec,
  fromBase64Url,
  type Identity,
  type Reading,
  readingsJsonCodec,
  sealEnvelope,
  signEnvelope,
  Topics,
  toBase64Url,
} from '@healthit/core';
import { createFakeClock } from '@healthit/core/testing';
import { describe, expect, it } from 'vitest';
import type { MessageRejected } from '../events.js';
import { createGateway } from '../gateway.js';
import { createMessageAuthenticator } from './authenticator.js';
import { createDeviceRegistry } from './device-registry.js';

const T0 = Date.UTC(2026, 0, 1);
const BIOMED = { by: 'biomed:ana', reason: 'test' };

function readings(deviceId: string, seq: number): Reading[] {
  return [
    {
      id: `${deviceId}:${seq}`,
      deviceId,
      metric: 'spo2',
      value: 96,
      unit: '%',
      ts: T0 + seq * 1000,
      seq,
    } as Reading,
  ];
}

/** An envelope `seq` of `deviceId` carrying one reading (reading seq `readingSeq`, default `seq`). */
function envelopeOf(deviceId: string, seq: number, ts = T0 + seq * 1000, readingSeq = seq): Envelope {
  return createEnvelope({
    source: deviceId,
    seq,
    ts,
    contentType: readingsJsonCodec.contentType,
    payload: readingsJsonCodec.encode(readings(deviceId, readingSeq)),
  });
}

const sign = (e: Envelope, who: Identity, keyId = who.keyId) =>
  signEnvelope(e, { keyId, secretKey: who.signing.secretKey });

async function setup() {
  const clock = createFakeClock(T0 + 10_000);
  const registry = createDeviceRegistry({ clock });
  const monitor = createIdentity({ id: 'monitor-7', kind: 'device' });
  const other = createIdentity({ id: 'monitor-8', kind: 'device' });
  const gatewayId = createIdentity({ id: 'gateway-1', kind: 'gateway' });
  registry.register({ deviceId: 'monitor-7', publicKey: monitor.signing.publicKey, state: 'active' }, BIOMED);
  registry.register({ deviceId: 'monitor-8', publicKey: other.signing.publicKey, state: 'active' }, BIOMED);
  const authenticate = createMessageAuthenticator({
    registry,
    replay: { maxAgeMs: 60_000, window: 16, clock },
    recipient: { id: 'gateway-1', secretKey: gatewayId.sealing.secretKey },
  });
  const transport = createInProcessTransport();
  const gateway = createGateway({ transport, authenticate, clock });
  const accepted: string[] = [];
  const rejected: MessageRejected[] = [];
  gateway.readings$.subscribe((r) => accepted.push(r.id));
  gateway.events$.subscribe((e) => {
    if (e.type === 'message-rejected') rejected.push(e);
  });
  await new Promise((r) => setImmediate(r));
  const send = async (e: Envelope, topicDevice = e.source) => {
    await transport.publish(Topics.deviceReadings(topicDevice), envelopeJsonCodec.encode(e));
  };
  const reasons = () => rejected.map((e) => `${e.error.code}:${String(e.error.detail.reason)}`);
  return {
    clock,
    registry,
    monitor,
    other,
    gatewayId,
    authenticate,
    transport,
    accepted,
    rejected,
    send,
    reasons,
  };
}

describe('createGateway({ authenticate })', () => {
  it('accepts a batch signed once by an active device', async () => {
    const t = await setup();
    await t.send(sign(envelopeOf('monitor-7', 1), t.monitor));
    expect(t.accepted).toEqual(['monitor-7:1']);
    expect(t.rejected).toEqual([]);
  });

  it('attack: unsigned messages, and a broker injecting or altering messages → refused (unsigned / bad-signature), the pipeline goes on', async () => {
    const t = await setup();
    await t.send(envelopeOf('monitor-7', 1)); // unsigned
    const signed = sign(envelopeOf('monitor-7', 2), t.monitor);
    const payload = fromBase64Url(signed.payload);
    payload[payload.length - 3] = (payload[payload.length - 3] as number) ^ 1; // the broker changes a byte of the readings
    await t.send({ ...signed, payload: toBase64Url(payload) });
    await t.send(sign(envelopeOf('monitor-7', 3), t.monitor));
    expect(t.reasons()).toEqual([
      'security/unauthenticated:unsigned',
      'security/unauthenticated:bad-signature',
    ]);
    expect(t.accepted).toEqual(['monitor-7:3']);
  });

  it('attack: a device impersonating another (its own key, or the victim’s key id) → refused', async () => {
    const t = await setup();
    await t.send(sign(envelopeOf('monitor-7', 1), t.other)); // monitor-8's key id on monitor-7's envelope
    await t.send(sign(envelopeOf('monitor-7', 2), t.other, t.monitor.keyId)); // monitor-8 signs as monitor-7
    expect(t.reasons()).toEqual([
      'security/unauthenticated:unknown-key',
      'security/unauthenticated:bad-signature',
    ]);
    expect(t.accepted).toEqual([]);
  });

  it('attack: a replayed message (the same bytes again) and one older than the window → security/replay; a reordered one inside the window passes', async () => {
    const t = await setup();
    const first = sign(envelopeOf('monitor-7', 1), t.monitor);
    await t.send(first);
    await t.send(first);
    await t.send(sign(envelopeOf('monitor-7', 30), t.monitor));
    await t.send(sign(envelopeOf('monitor-7', 3), t.monitor)); // 30 − 16 ≥ 3: too old
    // envelope 25 arrives after 30 (reordered, inside the window), carrying a newer reading
    await t.send(sign(envelopeOf('monitor-7', 25, T0 + 31_000, 31), t.monitor));
    expect(t.reasons()).toEqual(['security/replay:replay', 'security/replay:too-old']);
    expect(t.accepted).toEqual(['monitor-7:1', 'monitor-7:30', 'monitor-7:31']);
  });

  it('attack: an expired message (captured and sent later) and one from the future → security/replay', async () => {
    const t = await setup();
    await t.send(sign(envelopeOf('monitor-7', 1, T0 + 10_000 - 60_001), t.monitor));
    await t.send(sign(envelopeOf('monitor-7', 2, T0 + 10_000 + 120_000), t.monitor));
    expect(t.reasons()).toEqual(['security/replay:expired', 'security/replay:future']);
  });

  it('attack: unknown, suspended and decommissioned devices, and a revoked key → refused from the next message on', async () => {
    const t = await setup();
    const stranger = createIdentity({ id: 'monitor-9', kind: 'device' });
    await t.send(sign(envelopeOf('monitor-9', 1), stranger));
    await t.send(sign(envelopeOf('monitor-7', 1), t.monitor));
    t.registry.revokeKey('monitor-7', t.monitor.keyId, { by: 'soc', reason: 'key leaked' });
    await t.send(sign(envelopeOf('monitor-7', 2), t.monitor));
    t.registry.setState('monitor-8', 'suspended', BIOMED);
    await t.send(sign(envelopeOf('monitor-8', 1), t.other));
    t.registry.setState('monitor-8', 'decommissioned', BIOMED);
    await t.send(sign(envelopeOf('monitor-8', 2), t.other));
    expect(t.reasons()).toEqual([
      'security/unauthenticated:unknown-device',
      'security/unauthenticated:unknown-key',
      'security/unauthenticated:device-suspended',
      'security/unauthenticated:device-decommissioned',
    ]);
    expect(t.accepted).toEqual(['monitor-7:1']);
    expect(t.authenticate.counts()).toMatchObject({
      'unknown-device': 1,
      'unknown-key': 1,
      'device-suspended': 1,
      'device-decommissioned': 1,
      replay: 0,
    });
  });

  it('key rotation loses no reading: messages under the old and the new key both pass until the old is revoked', async () => {
    const t = await setup();
    const rotated = createIdentity({ id: 'monitor-7', kind: 'device' });
    t.registry.addKey('monitor-7', rotated.signing.publicKey, { by: 'gateway', reason: 'rotation' });
    await t.send(sign(envelopeOf('monitor-7', 1), t.monitor)); // in flight under the old key
    await t.send(sign(envelopeOf('monitor-7', 2), rotated));
    t.registry.revokeKey('monitor-7', t.monitor.keyId, { by: 'gateway', reason: 'rotation done' });
    await t.send(sign(envelopeOf('monitor-7', 3), rotated));
    expect(t.accepted).toEqual(['monitor-7:1', 'monitor-7:2', 'monitor-7:3']);
  });

  it('sealed envelopes: sealed to the gateway and signed → opened and accepted; sealed for someone else → refused', async () => {
    const t = await setup();
    const toGateway = { id: 'gateway-1', sealingKey: t.gatewayId.sealing.publicKey };
    await t.send(sign(sealEnvelope(envelopeOf('monitor-7', 1), toGateway), t.monitor));
    const platform = createIdentity({ id: 'platform', kind: 'service' });
    await t.send(
      sign(
        sealEnvelope(envelopeOf('monitor-7', 2), { id: 'platform', sealingKey: platform.sealing.publicKey }),
        t.monitor,
      ),
    );
    expect(t.accepted).toEqual(['monitor-7:1']);
    expect(t.reasons()).toEqual(['security/unauthenticated:sealed-misdirected']);
  });
});
