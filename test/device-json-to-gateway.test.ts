/**
 * A simulated MQTT device speaks the JSON device message; the gateway decodes it with the device
 * package's codec, chosen by the envelope's content type.
 */
import {
  createEnvelope,
  createInProcessTransport,
  envelopeJsonCodec,
  type Reading,
  Topics,
} from '@healthit/core';
import { createWardSimulator, DEVICE_JSON_V1, deviceJsonCodec, encodeDeviceSample } from '@healthit/device';
import { createGateway, type GatewayEvent } from '@healthit/gateway';
import { describe, expect, it } from 'vitest';

describe('JSON device → transport → gateway', () => {
  it('delivers every reading the devices measured, through the registered device codec', async () => {
    const transport = createInProcessTransport();
    const gateway = createGateway({ transport, codecs: [deviceJsonCodec] });
    const accepted: Reading[] = [];
    const events: GatewayEvent[] = [];
    const subs = [
      gateway.readings$.subscribe((r) => accepted.push(r)),
      gateway.events$.subscribe((e) => events.push(e)),
    ];

    const ward = createWardSimulator({
      patients: 3,
      seed: 9,
      periodMs: 60_000,
      startTs: Date.UTC(2025, 0, 1),
    });
    const sent: Reading[] = [];
    const envelopeSeq = new Map<string, number>();
    for (const tick of ward.simulate({ toMs: 15 * 60_000 })) {
      for (const { sample } of tick.deliveries) {
        const frame = encodeDeviceSample(sample, { encoding: 'mqtt-json' });
        if (frame?.encoding !== 'mqtt-json') continue;
        const seq = (envelopeSeq.get(sample.deviceId) ?? 0) + 1;
        envelopeSeq.set(sample.deviceId, seq);
        const envelope = createEnvelope({
          source: sample.deviceId,
          seq,
          ts: sample.ts,
          contentType: DEVICE_JSON_V1,
          payload: frame.bytes,
        });
        await transport.publish(Topics.deviceReadings(sample.deviceId), envelopeJsonCodec.encode(envelope));
        sent.push(...sample.readings);
      }
    }
    expect(sent.length).toBe(3 * 15 * 6);
    expect(events).toEqual([]);
    expect(accepted).toEqual(sent);
    for (const s of subs) s.unsubscribe();
    await transport.close();
  });
});
