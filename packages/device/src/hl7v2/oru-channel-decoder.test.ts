import { type ChannelContext, isHealthItError, METRIC_IDS, Reading, ValidationError } from '@healthit/core';
import { describe, expect, it } from 'vitest';
import { buildOruR01 } from './build-oru.js';
import { encodeHl7Text } from './charset.js';
import { Hl7ParseError, Hl7UnsupportedMessageError } from './errors.js';
import { oruChannelDecoder } from './oru-channel-decoder.js';

const T = Date.UTC(2025, 0, 1, 12);
const ctx = (params: Record<string, string> = {}): ChannelContext => ({
  inputName: 'monitors',
  topic: 'mllp/10.0.0.7',
  params,
  receivedAt: T + 500,
});
const bytes = (segments: readonly string[]) => encodeHl7Text(segments.join('\r'));

const MSH = 'MSH|^~\\&|MON||||20250101120000+0000||ORU^R01^ORU_R01|M-1|P|2.6|||||||UNICODE UTF-8';
const OBR = 'OBR|1|||182777000^monitoring of patient^SCT|||20250101120000+0000';
const SPO2 = 'OBX|1|NM|150456^MDC_PULS_OXIM_SAT_O2^MDC|1.0.0.1|97|262688^MDC_DIM_PERCENT^MDC|||||F|||||||';
const MDS = 'OBX|2|CWE|69965^MDC_DEV_MON_PHYSIO_MULTI_PARAM_MDS^MDC|1.0.0.0||||||X';

describe('oruChannelDecoder', () => {
  it('turns the bytes of an ORU^R01 into the readings oruToReadings gives, with device and patient from the message', () => {
    const r = Reading.parse({
      id: 'mon-1:7',
      deviceId: 'mon-1',
      patientId: 'P-1',
      metric: 'heart-rate',
      value: 72,
      unit: '/min',
      ts: T,
      seq: 7,
      quality: 'good',
    });
    const text = buildOruR01([r], { controlId: 'C-1', timestamp: T });
    const out = oruChannelDecoder().decode(encodeHl7Text(text), ctx());
    expect(out).toEqual({ readings: [r], notices: [] });
  });

  it('uses the topic device for OBX without OBX-18 and the topic patient instead of PID-3', () => {
    const d = oruChannelDecoder();
    expect(d.requiredParams).toBeUndefined();
    const { readings } = d.decode(
      bytes([MSH, 'PID|||P-1', OBR, SPO2]),
      ctx({ deviceId: 'mon-7', patientId: 'P-9' }),
    );
    expect(readings).toMatchObject([
      {
        id: `mon-7:${T * 32 + METRIC_IDS.indexOf('spo2')}`,
        deviceId: 'mon-7',
        patientId: 'P-9',
        metric: 'spo2',
        value: 97,
        ts: T,
      },
    ]);
    // Configuration wins over the topic.
    const fixed = oruChannelDecoder({ deviceId: 'mon-1', patientId: 'P-2' }).decode(
      bytes([MSH, OBR, SPO2]),
      ctx({ deviceId: 'x' }),
    );
    expect(fixed.readings).toMatchObject([{ deviceId: 'mon-1', patientId: 'P-2' }]);
  });

  it('reports observations that made no reading as notices, unless told to ignore them', () => {
    const withDevice = SPO2.replace(/\|+$/, '|||||||mon-1');
    const out = oruChannelDecoder().decode(bytes([MSH, OBR, MDS, withDevice]), ctx());
    expect(out.readings).toHaveLength(1);
    expect(out.notices).toMatchObject([
      { type: 'observation-unmapped', detail: { observation: { setId: '2' } } },
    ]);
    expect(out.notices?.[0]?.message).toMatch(
      /OBX 2 \(69965\^MDC_DEV_MON_PHYSIO_MULTI_PARAM_MDS\^MDC\) is not a mapped vital sign/,
    );
    const quiet = oruChannelDecoder({ ignore: ['observation-unmapped'] }).decode(
      bytes([MSH, OBR, MDS, withDevice]),
      ctx(),
    );
    expect(quiet.notices).toEqual([]);
  });

  it('throws codec/decode errors for a malformed message and for another message type', () => {
    const d = oruChannelDecoder();
    expect(() => d.decode(bytes(['garbage']), ctx())).toThrow(Hl7ParseError);
    let error: unknown;
    try {
      d.decode(bytes([MSH.replace('ORU^R01^ORU_R01', 'ADT^A01^ADT_A01'), 'PID|||P-1']), ctx());
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(Hl7UnsupportedMessageError);
    expect(isHealthItError(error, 'codec/decode')).toBe(true);
    expect(() => d.decode(Uint8Array.of(0x4d, 0x53, 0x48, 0xff, 0xfe), ctx())).toThrow(/HL7|MSH/);
  });

  it('validates its options', () => {
    expect(() => oruChannelDecoder({ defaultUtcOffsetMinutes: 30.5 })).toThrow(ValidationError);
    expect(() => oruChannelDecoder({ mdcMetrics: { '1': 'pulse' as never } })).toThrow(/mdcMetrics/);
    expect(() => oruChannelDecoder({ ignore: ['everything' as never] })).toThrow(/ignore/);
  });
});
