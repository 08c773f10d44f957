import { describe, expect, it } from 'vitest';
import { expectRejected } from '../../test/expect-invalid.js';
import { METRIC_IDS } from '../metrics/catalogue.js';
import { parse } from '../validate.js';
import { DeviceDescriptor, DeviceProtocol, DeviceRole } from './device.js';

const minimal = {
  id: 'oximeter-3',
  role: 'sensor',
  protocol: 'ble-gatt',
  manufacturer: 'Nonin',
  model: '3230',
  metrics: ['spo2', 'pulse-rate'],
} as const;

const full = {
  ...minimal,
  serialNumber: 'SN-0001',
  firmwareVersion: '1.4.2',
  patientId: 'patient-7',
  publicKey: 'MCowBQYDK2VwAyEA',
} as const;

function reject(input: unknown, path: string) {
  return expectRejected(DeviceDescriptor, 'DeviceDescriptor', input, path);
}

describe('DeviceDescriptor: valid input', () => {
  it('accepts a descriptor with every field', () => {
    expect(parse(DeviceDescriptor, 'DeviceDescriptor', full)).toEqual(full);
  });

  it('accepts a descriptor without its optional fields and adds none', () => {
    const d = parse(DeviceDescriptor, 'DeviceDescriptor', minimal);
    expect(d).toEqual(minimal);
    expect(Object.keys(d).sort()).toEqual(['id', 'manufacturer', 'metrics', 'model', 'protocol', 'role']);
  });

  it('accepts a pure actuator with no metrics', () => {
    const pump = { ...minimal, id: 'o2-valve-1', role: 'actuator', protocol: 'mqtt-json', metrics: [] };
    expect(parse(DeviceDescriptor, 'DeviceDescriptor', pump).metrics).toEqual([]);
  });

  it('accepts every role, every protocol and every catalogue metric', () => {
    for (const role of DeviceRole.options) {
      for (const protocol of DeviceProtocol.options) {
        expect(
          parse(DeviceDescriptor, 'DeviceDescriptor', { ...minimal, role, protocol, metrics: METRIC_IDS }),
        ).toEqual({ ...minimal, role, protocol, metrics: METRIC_IDS });
      }
    }
    expect(DeviceRole.options).toEqual(['sensor', 'actuator', 'sensor-actuator']);
    expect(DeviceProtocol.options).toEqual(['ble-gatt', 'hl7v2', 'mqtt-json', 'openmhealth', 'simulator']);
  });
});

describe('DeviceDescriptor: invalid input names the field', () => {
  it.each(['id', 'role', 'protocol', 'manufacturer', 'model', 'metrics'] as const)(
    'rejects a missing %s',
    (field) => {
      const { [field]: _gone, ...rest } = full;
      reject(rest, field);
    },
  );

  it.each([
    ['a malformed id', { id: 'oximeter 3' }, 'id'],
    ['an unknown role', { role: 'gateway' }, 'role'],
    ['an unknown protocol', { protocol: 'zigbee' }, 'protocol'],
    ['an empty manufacturer', { manufacturer: '' }, 'manufacturer'],
    ['an empty model', { model: '' }, 'model'],
    ['an empty serialNumber', { serialNumber: '' }, 'serialNumber'],
    ['an empty firmwareVersion', { firmwareVersion: '' }, 'firmwareVersion'],
    ['a malformed patientId', { patientId: 'patient/7' }, 'patientId'],
    ['an empty publicKey', { publicKey: '' }, 'publicKey'],
    ['metrics that are not an array', { metrics: 'spo2' }, 'metrics'],
    ['an unknown metric', { metrics: ['spo2', 'blood-alcohol'] }, 'metrics.1'],
  ])('rejects %s', (_why, override, path) => {
    reject({ ...full, ...override }, path);
  });

  it('rejects unknown fields (strict)', () => {
    const error = reject({ ...full, location: 'ward 3' }, '');
    expect(error.issues[0]?.code).toBe('unrecognized_keys');
    expect(error.message).toContain('"location"');
  });
});
