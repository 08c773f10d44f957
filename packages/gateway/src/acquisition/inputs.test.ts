import { type ChannelDecoder, createInProcessTransport, ValidationError } from '@healthit/core';
import { describe, expect, it } from 'vitest';
import { createCodecRegistry } from './codec-registry.js';
import { parseGatewayInputs, resolveInputs } from './inputs.js';

const mqtt = createInProcessTransport();
const mllp = createInProcessTransport();
const gatt: ChannelDecoder = {
  name: 'gatt',
  requiredParams: ['deviceId', 'characteristic'],
  decode: () => ({ readings: [] }),
};
const oru: ChannelDecoder = { name: 'oru', decode: () => ({ readings: [] }) };
const sources = { transports: { mqtt, mllp }, decoders: { gatt, oru }, codecs: () => createCodecRegistry() };

function configError(f: () => unknown): { code: string; message: string } {
  try {
    f();
  } catch (e) {
    return e as { code: string; message: string };
  }
  throw new Error('expected an error');
}

describe('gateway inputs', () => {
  it('resolves inputs named in data, and inputs given as objects', () => {
    const inputs = resolveInputs(
      [
        { name: 'ble', transport: 'mqtt', topicFilter: 'ble/{deviceId}/{characteristic}', decoder: 'gatt' },
        { name: 'monitors', transport: mllp, topicFilter: 'mllp/#', decoder: oru },
        { name: 'json', transport: 'mqtt', topicFilter: 'devices/{deviceId}/readings', decoder: 'envelope' },
      ],
      sources,
    );
    expect(inputs.map((i) => [i.name, i.topic.filter, i.decoderName, i.transport === mllp])).toEqual([
      ['ble', 'ble/+/+', 'gatt', false],
      ['monitors', 'mllp/#', 'oru', true],
      ['json', 'devices/+/readings', 'envelope', false],
    ]);
  });

  it('parses a JSON configuration and refuses objects or unknown keys in it', () => {
    const json = JSON.parse(
      '[{"name":"ble","transport":"mqtt","topicFilter":"ble/{deviceId}/{characteristic}","decoder":"gatt"}]',
    );
    expect(parseGatewayInputs(json)).toEqual(json);
    expect(() => parseGatewayInputs([{ ...json[0], qos: 1 }], 'gateway.json')).toThrow(ValidationError);
    expect(() => parseGatewayInputs([{ ...json[0], topicFilter: 'ble/{x' }])).toThrow(/whole level/);
  });

  it.each([
    [
      'a repeated name',
      [
        { name: 'a', transport: 'mqtt', topicFilter: 'x', decoder: 'oru' },
        { name: 'a', transport: 'mqtt', topicFilter: 'y', decoder: 'oru' },
      ],
      /Two gateway inputs are named "a"/,
    ],
    [
      'an unknown transport',
      [{ name: 'a', transport: 'nats', topicFilter: 'x', decoder: 'oru' }],
      /names transport "nats"; known: mqtt, mllp/,
    ],
    [
      'an unknown decoder',
      [{ name: 'a', transport: 'mqtt', topicFilter: 'x', decoder: 'hl7' }],
      /names decoder "hl7"; known: envelope, gatt, oru/,
    ],
    ['no transport at all', [{ name: 'a', topicFilter: 'x', decoder: 'oru' }], /names no transport/],
    [
      'a pattern without the levels the decoder needs',
      [{ name: 'a', transport: 'mqtt', topicFilter: 'ble/{deviceId}/+', decoder: 'gatt' }],
      /needs the topic level\(s\) \{characteristic\}/,
    ],
  ])('refuses %s with config/invalid', (_what, inputs, why) => {
    const e = configError(() => resolveInputs(inputs, sources));
    expect(e.code).toBe('config/invalid');
    expect(e.message).toMatch(why);
  });

  it('refuses malformed inputs with a ValidationError naming the field', () => {
    const e = configError(() =>
      resolveInputs([{ name: 'a b', transport: 42, topicFilter: 'x', decoder: 'oru' }], sources),
    );
    expect(e).toBeInstanceOf(ValidationError);
    expect(e.message).toMatch(/0\.name/);
    expect(e.message).toMatch(/0\.transport/);
    expect(configError(() => resolveInputs([], sources))).toBeInstanceOf(ValidationError);
  });

  it('reserves the decoder name "envelope"', () => {
    const e = configError(() =>
      resolveInputs([{ name: 'a', transport: 'mqtt', topicFilter: 'x', decoder: 'oru' }], {
        ...sources,
        decoders: { envelope: oru },
      }),
    );
    expect(e.message).toMatch(/"envelope" is reserved/);
  });
});
