import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { utf8Encode } from '../encoding/bytes.js';
import type { HealthItError } from '../errors/health-it-error.js';
import { isHealthItError } from '../errors/index.js';
import { ValidationError } from '../errors/validation-error.js';
import type { Alert } from '../schemas/alert.js';
import type { Command, CommandStatus } from '../schemas/command.js';
import { deviceId, patientId } from '../schemas/ids.js';
import { type Reading, readingId } from '../schemas/reading.js';
import { decodeUplinkRecord } from './decode.js';
import type { UplinkRecord } from './record.js';
import {
  alertRecord,
  commandRecord,
  commandStatusRecord,
  readingBatchRecord,
  readingRecord,
  WARD_ALERT_KEY,
} from './records.js';

const reading: Reading = {
  id: readingId('mon-1', 7),
  deviceId: deviceId('mon-1'),
  patientId: patientId('patient-001'),
  metric: 'spo2',
  value: 91,
  unit: '%',
  ts: 1_700_000_000_000,
  seq: 7,
  quality: 'good',
};

const alert: Alert = {
  id: 'alert-1',
  rule: 'news2:spo2',
  severity: 'low-medium',
  message: 'SpO2 91 % scores 3',
  ts: 1_700_000_000_000,
  patientId: patientId('patient-001'),
  deviceId: deviceId('mon-1'),
  metric: 'spo2',
  value: 91,
  readingIds: [reading.id],
};

const command: Command = {
  id: 'cmd-1',
  deviceId: deviceId('o2-001'),
  action: 'oxygen.set-flow',
  params: { flowLpm: 2 },
  issuedBy: 'spo2-oxygen',
  issuedAt: 1_700_000_000_000,
  causedBy: [reading.id],
};

const status: CommandStatus = {
  commandId: 'cmd-1',
  deviceId: deviceId('o2-001'),
  state: 'rejected',
  at: 1_700_000_000_500,
  reason: 'exceeds safety limit 6 L/min',
};

function caught(f: () => unknown): unknown {
  try {
    f();
  } catch (e) {
    return e;
  }
  throw new Error('expected a throw');
}

describe('uplink records', () => {
  it('builds a reading record keyed by device, with the reading id and UTF-8 JSON', () => {
    const r = readingRecord(reading);
    expect(r).toMatchObject({ id: 'mon-1:7', kind: 'reading', key: 'mon-1' });
    expect(JSON.parse(new TextDecoder().decode(r.payload))).toEqual(reading);
    expect(decodeUplinkRecord(r)).toEqual({ type: 'reading', id: 'mon-1:7', key: 'mon-1', reading });
  });

  it('keys alerts by device, else patient, else "ward"', () => {
    expect(alertRecord(alert)).toMatchObject({ id: 'alert-1', kind: 'alert', key: 'mon-1' });
    const { deviceId: _d, ...patientAlert } = alert;
    expect(alertRecord(patientAlert).key).toBe('patient-001');
    const { patientId: _p, ...wardAlert } = patientAlert;
    expect(alertRecord(wardAlert).key).toBe(WARD_ALERT_KEY);
    for (const a of [alert, patientAlert, wardAlert]) {
      expect(decodeUplinkRecord(alertRecord(a))).toEqual({
        type: 'alert',
        id: a.id,
        key: alertRecord(a).key,
        alert: a,
      });
    }
  });

  it('builds command and command-status records; a status id is commandId:state', () => {
    const c = commandRecord(command);
    expect(c).toMatchObject({ id: 'cmd-1', kind: 'command', key: 'o2-001' });
    expect(decodeUplinkRecord(c)).toEqual({ type: 'command', id: 'cmd-1', key: 'o2-001', command });
    const s = commandStatusRecord(status);
    expect(s).toMatchObject({ id: 'cmd-1:rejected', kind: 'command-status', key: 'o2-001' });
    expect(decodeUplinkRecord(s)).toEqual({
      type: 'command-status',
      id: 'cmd-1:rejected',
      key: 'o2-001',
      status,
    });
    expect(commandStatusRecord({ ...status, state: 'accepted' }).id).toBe('cmd-1:accepted');
  });

  it('round-trips any valid reading', () => {
    const arb = fc.record({
      dev: fc.stringMatching(/^[a-z0-9][a-z0-9._:-]{0,20}$/),
      seq: fc.nat(),
      value: fc.double({ noNaN: true, noDefaultInfinity: true }),
      ts: fc.nat(),
    });
    fc.assert(
      fc.property(arb, ({ dev, seq, value, ts }) => {
        const r: Reading = {
          id: readingId(dev, seq),
          deviceId: deviceId(dev),
          metric: 'heart-rate',
          value: Object.is(value, -0) ? 0 : value,
          unit: '/min',
          ts,
          seq,
        };
        const decoded = decodeUplinkRecord(readingRecord(r));
        expect(decoded).toEqual({ type: 'reading', id: r.id, key: dev, reading: r });
      }),
    );
  });

  it('names the record id and the field when the payload does not match its schema', () => {
    const bad: UplinkRecord = {
      ...readingRecord(reading),
      payload: utf8Encode(JSON.stringify({ ...reading, value: 'high' })),
    };
    const e = caught(() => decodeUplinkRecord(bad));
    expect(e).toBeInstanceOf(ValidationError);
    const v = e as ValidationError;
    expect(v.code).toBe('validation/invalid');
    expect(v.source).toBe('uplink record mon-1:7');
    expect(v.issues.map((i) => i.path)).toEqual(['value']);
    expect(v.message).toMatch(/Invalid Reading \(from uplink record mon-1:7\): value:/);
  });

  it('refuses a record whose id or key is not the one its payload gives', () => {
    const wrongId = caught(() => decodeUplinkRecord({ ...readingRecord(reading), id: 'mon-1:8' }));
    expect(wrongId).toBeInstanceOf(ValidationError);
    expect((wrongId as ValidationError).issues[0]).toMatchObject({ path: 'id' });
    expect((wrongId as ValidationError).message).toMatch(/uplink record mon-1:8.*id: expected "mon-1:7"/);
    const wrongKey = caught(() => decodeUplinkRecord({ ...alertRecord(alert), key: 'patient-001' }));
    expect((wrongKey as ValidationError).issues[0]).toMatchObject({ path: 'key' });
    const wrongStatusId = caught(() => decodeUplinkRecord({ ...commandStatusRecord(status), id: 'cmd-1' }));
    expect((wrongStatusId as ValidationError).issues[0]?.message).toMatch(/cmd-1:rejected/);
  });

  it('refuses a payload that is not UTF-8 JSON with codec/decode, naming the record', () => {
    for (const payload of [utf8Encode('{"id":'), new Uint8Array([0xff, 0xfe])]) {
      const e = caught(() => decodeUplinkRecord({ id: 'r-9', kind: 'reading', key: 'mon-1', payload }));
      expect(isHealthItError(e, 'codec/decode')).toBe(true);
      expect((e as HealthItError).message).toMatch(/uplink record r-9 \(reading\)/);
      expect((e as HealthItError).detail).toMatchObject({ recordId: 'r-9', kind: 'reading' });
    }
  });

  it('refuses kinds it has no decoder for', () => {
    const e = caught(() =>
      decodeUplinkRecord({ id: 'ev-1', kind: 'event', key: 'mon-1', payload: utf8Encode('{}') }),
    );
    expect(e).toBeInstanceOf(ValidationError);
    expect((e as ValidationError).issues[0]).toMatchObject({ path: 'kind' });
    expect((e as ValidationError).source).toBe('uplink record ev-1');
  });
});

describe('reading batch records', () => {
  const second: Reading = { ...reading, id: readingId('mon-1', 9), seq: 9, value: 92 };

  it('names a batch by device and seq range and round-trips it', () => {
    const r = readingBatchRecord([second, reading]);
    expect(r).toMatchObject({ id: 'mon-1:7-9', kind: 'reading-batch', key: 'mon-1' });
    expect(decodeUplinkRecord(r)).toEqual({
      type: 'reading-batch',
      id: 'mon-1:7-9',
      key: 'mon-1',
      readings: [second, reading],
    });
  });

  it('forwards pre-encoded JSON as is', () => {
    const json = utf8Encode(JSON.stringify([reading]));
    expect(readingBatchRecord([reading], json).payload).toBe(json);
  });

  it('refuses an empty batch, a reading of another device and a wrong seq range', () => {
    expect(() => readingBatchRecord([])).toThrow(RangeError);
    const other: Reading = { ...reading, id: readingId('mon-2', 8), deviceId: deviceId('mon-2'), seq: 8 };
    const mixed: UplinkRecord = {
      ...readingBatchRecord([reading]),
      id: 'mon-1:7-8',
      payload: utf8Encode(JSON.stringify([reading, other])),
    };
    expect((caught(() => decodeUplinkRecord(mixed)) as ValidationError).issues[0]).toMatchObject({
      path: 'payload.1.deviceId',
    });
    const wrongRange = { ...readingBatchRecord([reading, second]), id: 'mon-1:7-8' };
    expect((caught(() => decodeUplinkRecord(wrongRange)) as ValidationError).issues[0]).toMatchObject({
      path: 'id',
    });
  });
});
