import { readFileSync } from 'node:fs';
import { METRICS, Reading, utf8Encode } from '@healthit/core';
import { createInProcessTransport } from '@healthit/core/testing';
import { createGateway, type GatewayEvent } from '@healthit/gateway';
import { describe, expect, it } from 'vitest';
import { decodeMasimoAscii, encodeMasimoAscii, MASIMO_EXCEPTIONS } from './masimo-ascii.js';
import { masimoChannelDecoder, masimoToReadings } from './masimo-readings.js';

const vector = (name: string): Uint8Array =>
  new Uint8Array(readFileSync(new URL(`../vectors/${name}`, import.meta.url)));
const rad7 = decodeMasimoAscii(vector('rad7-measuring.txt'));
const RECEIVED = Date.UTC(2026, 0, 1);

describe('masimoToReadings', () => {
  it('maps the Rad-7 line to SpO2 (LOINC 59408-5, %) and pulse rate (LOINC 8889-8, /min) readings that pass the core schema', () => {
    const { readings, notices } = masimoToReadings(rad7, {
      deviceId: 'rad7-1',
      patientId: 'P-1',
      receivedAt: RECEIVED,
      utcOffsetMinutes: 60,
    });
    const local = Date.UTC(2016, 2, 17, 19, 19, 36);
    expect(readings).toEqual([
      {
        id: `rad7-1:${(local / 1000) * 2}`,
        deviceId: 'rad7-1',
        patientId: 'P-1',
        metric: 'spo2',
        value: 98,
        unit: '%',
        ts: local - 3_600_000,
        seq: (local / 1000) * 2,
        quality: 'questionable', // EXC 0xC00: low signal IQ
      },
      {
        id: `rad7-1:${(local / 1000) * 2 + 1}`,
        deviceId: 'rad7-1',
        patientId: 'P-1',
        metric: 'pulse-rate',
        value: 123,
        unit: '/min',
        ts: local - 3_600_000,
        seq: (local / 1000) * 2 + 1,
        quality: 'questionable',
      },
    ]);
    for (const r of readings) expect(Reading.safeParse(r).success).toBe(true);
    expect(METRICS.spo2.loinc.map((c) => c.code)).toContain('59408-5');
    expect(METRICS['pulse-rate'].loinc[0]?.code).toBe('8889-8');
    expect(notices).toEqual([]);
  });

  it('without a UTC offset, readings carry the receive time; the ids still come from the line', () => {
    const { readings } = masimoToReadings(rad7, { deviceId: 'rad7-1', receivedAt: RECEIVED });
    expect(readings.map((r) => r.ts)).toEqual([RECEIVED, RECEIVED]);
    expect(readings[0]?.patientId).toBeUndefined();
    expect(readings[0]?.seq).toBe((Date.UTC(2016, 2, 17, 19, 19, 36) / 1000) * 2);
  });

  it('the manual line (dashes) makes no reading and a no-value notice', () => {
    const frame = decodeMasimoAscii(vector('radical7-no-value.txt'));
    const { readings, notices } = masimoToReadings(frame, { deviceId: 'rad7-1', receivedAt: RECEIVED });
    expect(readings).toEqual([]);
    expect(notices.map((n) => n.type)).toEqual(['no-value']);
    expect(notices[0]?.detail).toMatchObject({ missing: ['SPO2', 'BPM'] });
  });

  it('a sensor fault makes no reading even when numbers are printed; a device alarm is a notice', () => {
    const frame = { ...rad7, exceptions: MASIMO_EXCEPTIONS.sensorOff, alarm: 0x12 };
    const { readings, notices } = masimoToReadings(frame, { deviceId: 'rad7-1', receivedAt: RECEIVED });
    expect(readings).toEqual([]);
    expect(notices.map((n) => n.type)).toEqual(['device-alarm', 'sensor-fault']);
    expect(notices[1]?.message).toContain('sensorOff');
  });

  it('good quality when only Masimo SET is set', () => {
    const { readings } = masimoToReadings(
      { ...rad7, exceptions: MASIMO_EXCEPTIONS.masimoSet },
      { deviceId: 'rad7-1', receivedAt: RECEIVED },
    );
    expect(readings.map((r) => r.quality)).toEqual(['good', 'good']);
  });

  it('refuses an invalid device id with codec/decode', () => {
    expect(() => masimoToReadings(rad7, { deviceId: 'bad id', receivedAt: RECEIVED })).toThrow(
      /not a valid device id/,
    );
  });
});

describe('masimoChannelDecoder in a gateway', () => {
  it('readings flow from serial/{deviceId}; a resent line de-duplicates; a bad line is refused and the next one still flows', async () => {
    const bus = createInProcessTransport();
    const gateway = createGateway({
      inputs: [
        {
          name: 'oximeters',
          transport: bus,
          topicFilter: 'serial/{deviceId}',
          decoder: masimoChannelDecoder({ patients: { 'rad7-1': 'P-1' }, utcOffsetMinutes: 0 }),
        },
      ],
    });
    const readings: Reading[] = [];
    const events: GatewayEvent[] = [];
    const subs = [
      gateway.readings$.subscribe((r) => readings.push(r)),
      gateway.events$.subscribe((e) => events.push(e)),
    ];
    const next = encodeMasimoAscii({
      ...rad7,
      second: 37,
      spo2Percent: 97,
      exceptions: MASIMO_EXCEPTIONS.masimoSet,
    });

    await bus.publish('serial/rad7-1', vector('rad7-measuring.txt'));
    await bus.publish('serial/rad7-1', vector('rad7-measuring.txt'));
    await bus.publish('serial/rad7-1', utf8Encode('garbage\r\n'));
    await bus.publish('serial/rad7-1', next);

    expect(readings.map((r) => [r.metric, r.value, r.patientId])).toEqual([
      ['spo2', 98, 'P-1'],
      ['pulse-rate', 123, 'P-1'],
      ['spo2', 97, 'P-1'],
      ['pulse-rate', 123, 'P-1'],
    ]);
    expect(events.map((e) => e.type)).toEqual(['reading-duplicate', 'reading-duplicate', 'message-rejected']);
    const rejected = events[2];
    expect(rejected?.type === 'message-rejected' && rejected.error.code).toBe('codec/decode');
    for (const s of subs) s.unsubscribe();
    await bus.close();
  });

  it('an input whose topic does not name {deviceId} is refused when the gateway is created', () => {
    expect(() =>
      createGateway({
        inputs: [
          {
            name: 'x',
            transport: createInProcessTransport(),
            topicFilter: 'serial/#',
            decoder: masimoChannelDecoder(),
          },
        ],
      }),
    ).toThrow(/deviceId/);
  });

  it('refuses a UTC offset that is not whole minutes within a day', () => {
    expect(() => masimoChannelDecoder({ utcOffsetMinutes: 1.5 })).toThrow(RangeError);
  });
});
