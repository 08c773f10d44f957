import { type ChannelContext, isHealthItError, Reading, ValidationError } from '@healthit/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { gattChannelDecoder } from './gatt-channel-decoder.js';
import { encodeGatt } from './gatt-codec.js';

const RECEIVED = Date.UTC(2025, 0, 1, 12, 0, 0);
const t = { year: 2025, month: 1, day: 1, hours: 11, minutes: 58, seconds: 30 };
const T = Date.UTC(2025, 0, 1, 11, 58, 30);

function ctx(topic: string, receivedAt = RECEIVED): ChannelContext {
  const [, deviceId, characteristic] = topic.split('/');
  return {
    inputName: 'ble',
    topic,
    params: {
      ...(deviceId === undefined ? {} : { deviceId }),
      ...(characteristic === undefined ? {} : { characteristic }),
    },
    receivedAt,
  };
}

const bp = (systolic = 120) =>
  encodeGatt(0x2a35, {
    unit: 'mmHg',
    systolic,
    diastolic: 80,
    meanArterialPressure: 93,
    pulseRate: 64,
    timestamp: t,
  });
const glucose = (sequenceNumber: number) =>
  encodeGatt(0x2a18, {
    sequenceNumber,
    baseTime: t,
    unit: 'kg/L',
    glucoseConcentration: 0.00095,
    type: 1,
    sampleLocation: 1,
  });

describe('gattChannelDecoder', () => {
  it('decodes a frame with the device and characteristic from the topic and the patient from configuration', () => {
    const d = gattChannelDecoder({ patients: { 'bp-1': 'P-1' }, utcOffsetMinutes: 0 });
    expect(d.requiredParams).toEqual(['deviceId', 'characteristic']);
    const { readings, notices } = d.decode(bp(), ctx('ble/bp-1/2a35'));
    expect(notices).toEqual([]);
    expect(readings.map((r) => [r.deviceId, r.patientId, r.metric, r.value, r.unit, r.ts])).toEqual([
      ['bp-1', 'P-1', 'bp-systolic', 120, 'mm[Hg]', T],
      ['bp-1', 'P-1', 'bp-diastolic', 80, 'mm[Hg]', T],
      ['bp-1', 'P-1', 'bp-mean', 93, 'mm[Hg]', T],
      ['bp-1', 'P-1', 'pulse-rate', 64, '/min', T],
    ]);
    for (const r of readings) expect(Reading.parse(r)).toEqual(r);
    // Every form of the UUID in the topic works; a device without binding has no patient.
    const hr = d.decode(
      encodeGatt(0x2a37, { heartRate: 72 }),
      ctx('ble/hr-9/00002a37-0000-1000-8000-00805f9b34fb'),
    );
    expect(hr.readings).toMatchObject([{ deviceId: 'hr-9', metric: 'heart-rate', value: 72, ts: RECEIVED }]);
    expect(hr.readings[0]?.patientId).toBeUndefined();
  });

  it('takes the characteristic from configuration when the topic has none, and refuses a topic naming another', () => {
    const d = gattChannelDecoder({ characteristic: '0x2A37' });
    expect(d.requiredParams).toEqual(['deviceId']);
    expect(d.decode(encodeGatt(0x2a37, { heartRate: 61 }), ctx('hr/hr-1')).readings[0]?.value).toBe(61);
    expect(() => d.decode(encodeGatt(0x2a37, { heartRate: 61 }), ctx('hr/hr-1/2a35'))).toThrow(
      /configured for 0x2a37/,
    );
  });

  it('throws codec/decode errors naming the characteristic, offset and reason for malformed frames', () => {
    const d = gattChannelDecoder();
    const e = (() => {
      try {
        d.decode(bp().slice(0, 4), ctx('ble/bp-1/2a35'));
      } catch (err) {
        return err;
      }
    })();
    expect(isHealthItError(e, 'codec/decode')).toBe(true);
    expect((e as Error).message).toMatch(/0x2A35.*truncated/);
    expect(() => d.decode(bp(), ctx('ble/bp-1/zzzz'))).toThrow(/names characteristic "zzzz"/);
    expect(() => d.decode(bp(), ctx('ble/bp-1/2a00'))).toThrow(/No GATT codec for characteristic 0x2A00/);
    expect(() => d.decode(bp(), ctx('ble/bad id!/2a35'))).toThrow(/not name a valid device id/);
  });

  it('reports special values and skipped measurements as notices', () => {
    const d = gattChannelDecoder();
    // Blood pressure 120/80 with MAP = 0x0800 (NRes).
    const frame = Uint8Array.of(0x00, 0x78, 0x00, 0x50, 0x00, 0x00, 0x08);
    const { readings, notices } = d.decode(frame, ctx('ble/bp-1/2a35'));
    expect(readings.map((r) => r.metric)).toEqual(['bp-systolic', 'bp-diastolic']);
    expect(notices).toMatchObject([
      { type: 'special-value', detail: { deviceId: 'bp-1', field: 'meanArterialPressure', special: 'NRes' } },
    ]);
    expect(notices?.[0]?.message).toMatch(/meanArterialPressure is the special value NRes/);
    const skipped = d.decode(
      encodeGatt(0x2a9d, { unit: 'kg', measurementUnsuccessful: true }),
      ctx('ble/sc-1/2a9d'),
    );
    expect(skipped).toMatchObject({ readings: [], notices: [{ type: 'measurement-skipped' }] });
  });

  it('auto seq: a glucose record keeps its own sequence number, so a re-download has the same ids', () => {
    const d = gattChannelDecoder();
    const first = d.decode(glucose(41), ctx('ble/gl-1/2a18'));
    const again = d.decode(glucose(41), ctx('ble/gl-1/2a18', RECEIVED + 60_000));
    expect(first.readings.map((r) => r.id)).toEqual(['gl-1:41']);
    expect(again.readings.map((r) => r.id)).toEqual(['gl-1:41']);
    expect(
      gattChannelDecoder({ seq: 'receive-time' }).decode(glucose(41), ctx('ble/gl-1/2a18')).readings[0]?.seq,
    ).toBe(RECEIVED * 32);
  });

  it('receive-time seq: strictly increasing per device, also for frames received in the same millisecond', () => {
    const d = gattChannelDecoder();
    const a = d.decode(bp(), ctx('ble/bp-1/2a35')).readings.map((r) => r.seq);
    const b = d.decode(bp(), ctx('ble/bp-1/2a35')).readings.map((r) => r.seq);
    const other = d.decode(bp(), ctx('ble/bp-2/2a35')).readings.map((r) => r.seq);
    expect(a).toEqual([0, 1, 2, 3].map((i) => RECEIVED * 32 + i));
    expect(b).toEqual([4, 5, 6, 7].map((i) => RECEIVED * 32 + i));
    expect(other).toEqual(a);
  });

  it('frame-time seq: the same stored measurement sent again gets the same ids; frames without time fall back', () => {
    const d = gattChannelDecoder({ seq: 'frame-time', utcOffsetMinutes: 0 });
    const first = d.decode(bp(), ctx('ble/bp-1/2a35'));
    const resent = d.decode(bp(), ctx('ble/bp-1/2a35', RECEIVED + 5000));
    expect(resent.readings.map((r) => r.id)).toEqual(first.readings.map((r) => r.id));
    const seqs = first.readings.map((r) => r.seq);
    expect(seqs).toEqual([...seqs].sort((x, y) => x - y));
    expect(Math.floor((seqs[0] as number) / 32)).toBe(T);
    // Without a UTC offset the frame time is not used: receive-time numbering.
    const noOffset = gattChannelDecoder({ seq: 'frame-time' }).decode(bp(), ctx('ble/bp-1/2a35'));
    expect(noOffset.readings[0]?.seq).toBe(RECEIVED * 32);
    expect(noOffset.notices?.[0]).toMatchObject({ type: 'timestamp-fallback' });
  });

  it('property: receive-time seqs of a device strictly increase whatever the receive times, within maxDevices', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 5000 })), {
          maxLength: 60,
        }),
        (frames) => {
          const d = gattChannelDecoder({ maxDevices: 4 });
          const last = new Map<string, number>();
          for (const [device, dt] of frames) {
            for (const r of d.decode(bp(), ctx(`ble/bp-${device}/2a35`, RECEIVED + dt)).readings) {
              expect(r.seq).toBeGreaterThan(last.get(r.deviceId) ?? -1);
              last.set(r.deviceId, r.seq);
            }
          }
        },
      ),
    );
  });

  it('validates its options', () => {
    expect(() => gattChannelDecoder({ characteristic: '2a00' })).toThrow(ValidationError);
    expect(() => gattChannelDecoder({ patients: { 'hr-1': 'not a patient!' } })).toThrow(/patients\.hr-1/);
    expect(() => gattChannelDecoder({ seq: 'random' as never })).toThrow(/seq/);
    expect(() => gattChannelDecoder({ attMtu: 10 })).toThrow(/attMtu/);
    const d = gattChannelDecoder({ attMtu: 23 });
    const long = Uint8Array.of(...bp(), 0, 0, 0, 0, 0);
    expect(() => d.decode(long, ctx('ble/bp-1/2a35'))).toThrow(/ATT_MTU/);
    expect(() =>
      gattChannelDecoder({ trailingBytes: 'ignore' }).decode(long, ctx('ble/bp-1/2a35')),
    ).not.toThrow();
  });
});
