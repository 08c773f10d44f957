/**
 * Acquisition from raw device protocols, wired by configuration: a simulated bedside monitor sends
 * HL7 v2 ORU^R01 over real TCP (MLLP) to an MLLP transport, simulated BLE wearables' GATT frames
 * arrive on an in-process transport topic `ble/{deviceId}/{characteristic}`; one gateway decodes
 * both with the device package's channel decoders.
 */
import { createInProcessTransport, type Reading } from '@healthit/core';
import {
  createWardSimulator,
  type EncodedSample,
  encodeDeviceSample,
  encodeGatt,
  gattChannelDecoder,
  oruChannelDecoder,
} from '@healthit/device';
import { createMllpClient, createMllpTransport } from '@healthit/device/mllp';
import { createGateway, type GatewayEvent } from '@healthit/gateway';
import { describe, expect, it } from 'vitest';

const START = Date.UTC(2025, 0, 1, 8);

describe('MLLP + BLE inputs → gateway', () => {
  it('turns ORU messages over TCP and GATT frames into readings; a malformed frame is an event and the pipeline goes on', async () => {
    const ward = createWardSimulator({
      patients: 2,
      seed: 11,
      periodMs: 60_000,
      startTs: START,
      devices: [
        { kind: 'monitor' },
        { kind: 'pulse-oximeter' },
        { kind: 'bp-cuff' },
        { kind: 'thermometer' },
      ],
    });
    // Patient binding from configuration (as from an admission system): BLE frames carry none.
    const patients = Object.fromEntries(
      ward.devices.flatMap((d) => (d.patientId === undefined ? [] : [[d.id, d.patientId]])),
    );
    const encoded: EncodedSample[] = [];
    for (const tick of ward.simulate({ toMs: 31 * 60_000 })) {
      for (const { sample } of tick.deliveries) {
        const e = encodeDeviceSample(sample);
        if (e !== undefined) encoded.push(e);
      }
    }
    expect(new Set(encoded.map((e) => e.encoding))).toEqual(new Set(['hl7v2', 'ble-gatt']));

    const mllp = createMllpTransport({ port: 0, acceptMessageTypes: ['ORU^R01'] });
    const ble = createInProcessTransport();
    let now = START;
    const gateway = createGateway({
      transports: { mllp, ble },
      decoders: {
        oru: oruChannelDecoder({ ignore: ['observation-unmapped'] }),
        gatt: gattChannelDecoder({ patients, utcOffsetMinutes: 0 }),
      },
      inputs: [
        { name: 'monitors', transport: 'mllp', topicFilter: 'mllp/{remote}', decoder: 'oru' },
        {
          name: 'wearables',
          transport: 'ble',
          topicFilter: 'ble/{deviceId}/{characteristic}',
          decoder: 'gatt',
        },
      ],
      clock: { now: () => now },
    });
    const accepted: Reading[] = [];
    const events: GatewayEvent[] = [];
    const subs = [
      gateway.readings$.subscribe((r) => accepted.push(r)),
      gateway.events$.subscribe((e) => events.push(e)),
    ];
    const { port } = await mllp.server.listen();
    const client = createMllpClient({ host: '127.0.0.1', port, timeoutMs: 5000 });

    const sent: Reading[] = [];
    const half = Math.floor(encoded.length / 2);
    for (const [i, e] of encoded.entries()) {
      if (i === half) {
        // A truncated PLX frame from a real device id, mid-stream.
        await ble.publish(
          'ble/oximeter-001/2a5f',
          encodeGatt(0x2a5f, { spo2: 97, pulseRate: 70 }).slice(0, 3),
        );
      }
      if (e.encoding === 'hl7v2') {
        const ack = await client.send(e.message);
        expect(ack.code).toBe('AA');
      } else if (e.encoding === 'ble-gatt') {
        now = e.sample.ts;
        await ble.publish(`ble/${e.sample.deviceId}/${e.characteristic.toString(16)}`, e.bytes);
      }
      sent.push(...e.sample.readings);
    }
    await client.close();

    expect(events).toHaveLength(1);
    const [bad] = events;
    expect(bad).toMatchObject({
      type: 'message-rejected',
      inputName: 'wearables',
      topic: 'ble/oximeter-001/2a5f',
    });
    expect(bad?.type === 'message-rejected' && bad.error.code).toBe('codec/decode');
    expect(bad?.type === 'message-rejected' && bad.error.message).toMatch(
      /PLX Continuous Measurement.*truncated/,
    );

    // Every reading the devices measured came out, with its device, patient, metric, unit and time.
    const key = (r: Reading) => `${r.deviceId}|${r.metric}|${r.ts}`;
    const got = new Map(accepted.map((r) => [key(r), r]));
    expect(accepted).toHaveLength(sent.length);
    for (const s of sent) {
      const r = got.get(key(s));
      expect(r, key(s)).toBeDefined();
      expect(r).toMatchObject({
        deviceId: s.deviceId,
        patientId: s.patientId,
        metric: s.metric,
        unit: s.unit,
      });
      expect(r?.value).toBeCloseTo(s.value, 1);
    }
    const byInput = (prefix: string) => accepted.filter((r) => r.deviceId.startsWith(prefix)).length;
    expect(byInput('monitor-')).toBeGreaterThan(0);
    expect(byInput('oximeter-')).toBeGreaterThan(0);
    expect(byInput('bp-cuff-')).toBeGreaterThan(0);
    expect(byInput('thermometer-')).toBeGreaterThan(0);
    // Readings after the malformed frame were accepted too.
    const lastSent = sent[sent.length - 1] as Reading;
    expect(got.has(key(lastSent))).toBe(true);

    for (const s of subs) s.unsubscribe();
    await mllp.close();
    await ble.close();
  });
});
