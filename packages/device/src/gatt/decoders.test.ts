import { isHealthItError } from '@healthit/core';
import { describe, expect, it } from 'vitest';
import { describeCharacteristic, GattCharacteristic, parseCharacteristicUuid } from './characteristics.js';
import { GattDecodeError } from './errors.js';
import { decodeGatt, encodeGatt } from './gatt-codec.js';
import { SPECIAL_VALUES } from './ieee11073.js';

const hex = (s: string): Uint8Array => Uint8Array.from(s.match(/../g) ?? [], (h) => Number.parseInt(h, 16));

function decodeError(c: number, bytes: Uint8Array): GattDecodeError {
  try {
    decodeGatt(c, bytes);
  } catch (e) {
    if (e instanceof GattDecodeError) return e;
    throw e;
  }
  throw new Error(`expected ${Buffer.from(bytes).toString('hex')} to be refused`);
}

describe('naming the characteristic', () => {
  const frame = hex('0055');
  it.each([0x2a37, '0x2A37', '0x2a37', '2a37', '2A37', '00002a37-0000-1000-8000-00805f9b34fb'])(
    'accepts %s',
    (c) => {
      expect(decodeGatt(c, frame)).toEqual(decodeGatt(GattCharacteristic.heartRateMeasurement, frame));
    },
  );

  it('refuses malformed names with TypeError/RangeError and unsupported ones with codec/unknown-content-type', () => {
    for (const bad of ['0x2A3', '2a37x', 'heart', '0x12345', '00002a37-0000-1000-8000-00805f9b34fc', '']) {
      expect(() => decodeGatt(bad, frame), bad).toThrow(RangeError);
    }
    for (const bad of [-1, 0x10000, 1.5, Number.NaN])
      expect(() => decodeGatt(bad, frame), String(bad)).toThrow(RangeError);
    expect(() => decodeGatt({} as never, frame)).toThrow(TypeError);
    let error: unknown;
    try {
      decodeGatt('0x2A00', frame);
    } catch (e) {
      error = e;
    }
    expect(isHealthItError(error, 'codec/unknown-content-type')).toBe(true);
    expect((error as Error).message).toContain('No GATT codec for characteristic 0x2A00');
    expect((error as Error).message).toContain('Heart Rate Measurement (0x2A37)');
  });

  it('parses and describes UUIDs', () => {
    expect(parseCharacteristicUuid('2A5F')).toBe(0x2a5f);
    expect(parseCharacteristicUuid(0x2a00)).toBe(0x2a00);
    expect(describeCharacteristic(0x2a1c)).toBe('Temperature Measurement (0x2A1C)');
    expect(describeCharacteristic(0x180d)).toBe('characteristic (0x180D)');
  });
});

describe('frame bytes', () => {
  it('accepts a DataView (Web Bluetooth) or a Uint8Array view into a larger buffer', () => {
    const buffer = hex('AAAA0055BBBB').buffer;
    expect(decodeGatt(0x2a37, new DataView(buffer, 2, 2))).toMatchObject({ heartRate: 85 });
    expect(decodeGatt(0x2a37, new Uint8Array(buffer, 2, 2))).toMatchObject({ heartRate: 85 });
  });

  it('refuses other byte containers', () => {
    expect(() => decodeGatt(0x2a37, [0, 85] as never)).toThrow(TypeError);
    expect(() => decodeGatt(0x2a37, 'AA' as never)).toThrow(/Uint8Array or a DataView, got string/);
  });

  it('validates the options', () => {
    expect(() => decodeGatt(0x2a37, hex('0055'), { attMtu: 22 })).toThrow(RangeError);
    expect(() => decodeGatt(0x2a37, hex('0055'), { trailingBytes: 'keep' as never })).toThrow(RangeError);
  });
});

describe('truncated frames and trailing bytes', () => {
  const full: [number, string][] = [
    [0x2a37, '1F0101320101000201FFFF'],
    [0x2a35, '1E8A00580078000000041114293B3C00012700'],
    [0x2a1c, '06B00E00FEDC070C050B321B04'],
    [0x2a18, '1B0100E307021B0B0A1EFBFF1E00120501'],
    [0x2a9d, '0F543DE7070C190E1E2D03F500A802'],
    [0x2a5e, '0FACF3BEF5E8070B1D170839204022000066E3'],
    [0x2a5f, '1FDEF3CAF3CAF35AF5D4F3B2F220010000007AE3'],
  ];

  it('0x2a37: a prefix is refused unless it ends between two RR-Intervals', () => {
    const bytes = hex('1F0101320101000201FFFF'); // HR uint16, energy, 3 RR-Intervals from offset 5
    for (let length = 0; length < bytes.length; length++) {
      const prefix = bytes.subarray(0, length);
      if (length > 5 && (length - 5) % 2 === 0) {
        expect(decodeGatt(0x2a37, prefix).rrIntervalsRaw1024).toHaveLength((length - 5) / 2);
      } else {
        expect(decodeError(0x2a37, prefix).frameLength).toBe(length);
      }
    }
  });

  it.each(full.filter(([c]) => c !== 0x2a37))(
    '0x%s: every proper prefix is refused at the offset where a field is cut',
    (c, frame) => {
      const bytes = hex(frame);
      for (let length = 0; length < bytes.length; length++) {
        const e = decodeError(c, bytes.subarray(0, length));
        expect(e.reason).toMatch(/^truncated: /);
        expect(e.offset).toBeLessThanOrEqual(length);
        expect(e.frameLength).toBe(length);
      }
    },
  );

  it.each(full.filter(([c]) => c !== 0x2a37))(
    '0x%s: a trailing byte is refused, or ignored on request',
    (c, frame) => {
      const bytes = hex(`${frame}00`);
      const e = decodeError(c, bytes);
      expect(e.offset).toBe(bytes.length - 1);
      expect(e.reason).toBe('1 trailing byte(s) after the last field the flags announce');
      expect(decodeGatt(c, bytes, { trailingBytes: 'ignore' })).toEqual(decodeGatt(c, hex(frame)));
    },
  );

  it('heart rate: trailing bytes without the RR flag, half an RR-Interval, or an empty RR field are refused', () => {
    expect(decodeError(0x2a37, hex('005500')).offset).toBe(2);
    const half = decodeError(0x2a37, hex('10550004AA'));
    expect(half.offset).toBe(4);
    expect(half.reason).toContain('half an interval');
    expect(decodeGatt(0x2a37, hex('10550004AA'), { trailingBytes: 'ignore' }).rrIntervalsRaw1024).toEqual([
      1024,
    ]);
    expect(decodeError(0x2a37, hex('1055')).reason).toBe(
      'flags bit 4 announces RR-Intervals but none follow',
    );
  });

  it('says which characteristic, where and why in the message', () => {
    const e = decodeError(0x2a35, hex('03020304050607'));
    expect(e.message).toBe(
      'Cannot decode Blood Pressure Measurement (0x2A35) frame of 7 byte(s) at offset 7: truncated: Time Stamp ' +
        '(flags bit 1) needs 7 byte(s) but the frame ends after 0. Check that the bytes are the whole ' +
        'characteristic value as notified.',
    );
    expect(e.toJSON().detail).toEqual({
      characteristic: '0x2A35',
      offset: 7,
      reason: 'truncated: Time Stamp (flags bit 1) needs 7 byte(s) but the frame ends after 0',
      frameLength: 7,
    });
  });

  it('weight: Measurement Unsuccessful with BMI and Height contradicts the Weight Scale Service', () => {
    const e = decodeError(0x2a9d, hex('08FFFFF500D606'));
    expect(e.offset).toBe(3);
    expect(e.reason).toContain('Measurement Unsuccessful');
    expect(decodeGatt(0x2a9d, hex('06FFFFE7070C190E1E2D03'))).toMatchObject({
      weight: null,
      measurementUnsuccessful: true,
      userId: 3,
      timestamp: { year: 2023 },
    });
  });
});

describe('field details', () => {
  it('ignores reserved flag bits', () => {
    expect(decodeGatt(0x2a37, hex('E055'))).toEqual(decodeGatt(0x2a37, hex('0055')));
    expect(decodeGatt(0x2a35, hex('E0780050005D00'))).toEqual(decodeGatt(0x2a35, hex('00780050005D00')));
    expect(decodeGatt(0x2a9d, hex('F0B036'))).toEqual(decodeGatt(0x2a9d, hex('00B036')));
  });

  it('heart rate: sensor contact 0b01 is "not supported", like 0b00', () => {
    expect(decodeGatt(0x2a37, hex('0250')).sensorContact).toBe('not_supported');
    expect(decodeGatt(0x2a37, hex('0650')).sensorContact).toBe('detected');
  });

  it('blood pressure: keeps reserved status bits in the raw value and names pulse-rate range 3 "reserved"', () => {
    const m = decodeGatt(0x2a35, hex('10780050005D001880'));
    expect(m.measurementStatusRaw).toBe(0x8018);
    expect(m.measurementStatus).toEqual({
      bodyMovementDetected: false,
      cuffTooLoose: false,
      irregularPulseDetected: false,
      pulseRateRange: 'reserved',
      improperMeasurementPosition: false,
    });
  });

  it('blood pressure: special values stay special in every SFLOAT field', () => {
    const m = decodeGatt(0x2a35, hex('04FF070008FE070208'));
    expect([m.systolic, m.diastolic, m.meanArterialPressure, m.pulseRate]).toEqual([
      SPECIAL_VALUES.NaN,
      SPECIAL_VALUES.NRes,
      SPECIAL_VALUES['+INFINITY'],
      SPECIAL_VALUES['-INFINITY'],
    ]);
  });

  it('temperature: names the temperature type, null when reserved', () => {
    expect(decodeGatt(0x2a1c, hex('04720100FF06')).temperatureTypeName).toBe('Mouth');
    expect(decodeGatt(0x2a1c, hex('04720100FF0A'))).toMatchObject({
      temperatureType: 10,
      temperatureTypeName: null,
    });
    expect(decodeGatt(0x2a1c, hex('00FFFF7F00')).temperature).toBe(SPECIAL_VALUES.NaN);
  });

  it('glucose: signed time offset; no unit without a concentration', () => {
    const m = decodeGatt(0x2a18, hex('050100D0070102030405C4FF'));
    expect(m).toMatchObject({ timeOffsetMinutes: -60, unit: null, glucoseConcentration: null });
    expect(m.effectiveTime).toEqual({ year: 2000, month: 1, day: 2, hours: 2, minutes: 4, seconds: 5 });
    expect(decodeGatt(0x2a18, hex('00010000000000000000')).effectiveTime).toBeNull();
  });

  it('PLX: status flags in bit order, reserved bits only in the raw values', () => {
    const m = decodeGatt(0x2a5e, hex('0661006400FFFFFFFFFF'));
    expect(m.measurementStatusRaw).toBe(0xffff);
    expect(m.measurementStatus).toHaveLength(11);
    expect(m.measurementStatus?.[0]).toBe('measurementOngoing');
    expect(m.measurementStatus?.[10]).toBe('invalidMeasurementDetected');
    expect(m.deviceAndSensorStatusRaw).toBe(0xffffff);
    expect(m.deviceAndSensorStatus).toHaveLength(16);
    expect(m.deviceAndSensorStatus?.[10]).toBe('sensorInterferenceDetected');
    expect(m).toMatchObject({ spo2: 97, pulseRate: 100, timestamp: null, deviceClockNotSet: false });
  });

  it('round-trips a frame built by encodeGatt through every name of the characteristic', () => {
    const bytes = encodeGatt('0x2A5F', { spo2: 97, pulseRate: 70, spo2prFast: { spo2: 96, pulseRate: 72 } });
    expect(decodeGatt('2a5f', bytes)).toMatchObject({
      spo2: 97,
      spo2prFast: { spo2: 96, pulseRate: 72 },
      spo2prSlow: null,
    });
  });
});
