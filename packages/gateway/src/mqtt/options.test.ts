import { connect } from 'mqtt';
import { describe, expect, it } from 'vitest';
import { type MqttTransportOptions, resolveMqttOptions } from './options.js';
import { createMqttTransport } from './transport.js';

describe('resolveMqttOptions', () => {
  it('defaults to MQTT 5, QoS 1, a clean session with resubscription and no QoS 0 offline queue', () => {
    const r = resolveMqttOptions({ url: 'mqtt://127.0.0.1:1883' });
    expect(r.client).toBeUndefined();
    expect(r.subscribeQos).toBe(1);
    expect(r.publishTimeoutMs).toBe(10_000);
    expect(r.connect).toEqual({
      url: 'mqtt://127.0.0.1:1883',
      options: {
        protocolVersion: 5,
        keepalive: 30,
        reconnectPeriod: 1000,
        connectTimeout: 10_000,
        clean: true,
        resubscribe: true,
        queueQoSZero: false,
      },
    });
  });

  it('maps the connection settings to mqtt.js options', () => {
    const r = resolveMqttOptions({
      url: 'mqtt://broker:1883',
      clientId: 'gw-1',
      username: 'gw',
      password: 'secret',
      protocolVersion: 4,
      keepaliveSeconds: 10,
      reconnectPeriodMs: 0,
      connectTimeoutMs: 500,
      subscribeQos: 2,
      publishTimeoutMs: 50,
    });
    expect(r.subscribeQos).toBe(2);
    expect(r.publishTimeoutMs).toBe(50);
    expect(r.connect?.options).toMatchObject({
      clientId: 'gw-1',
      username: 'gw',
      password: 'secret',
      protocolVersion: 4,
      keepalive: 10,
      reconnectPeriod: 0,
      connectTimeout: 500,
    });
  });

  it('keeps a persistent session (MQTT 5 session expiry) when asked, and only with a fixed clientId', () => {
    const r = resolveMqttOptions({ url: 'mqtt://broker:1883', clientId: 'gw-1', sessionExpirySeconds: 300 });
    expect(r.connect?.options).toMatchObject({ clean: false, properties: { sessionExpiryInterval: 300 } });
    expect(resolveMqttOptions({ url: 'mqtt://broker:1883' }).connect?.options.clean).toBe(true);
    expect(() => resolveMqttOptions({ url: 'mqtt://broker:1883', sessionExpirySeconds: 300 })).toThrow(
      /sessionExpirySeconds needs a fixed clientId/,
    );
    expect(() =>
      resolveMqttOptions({ url: 'mqtt://b:1883', clientId: 'x', sessionExpirySeconds: 0 }),
    ).toThrow(/positive number of seconds/);
  });

  it('rotateCredentials refuses a caller-owned client and a client without a certificate', async () => {
    const client = connect('mqtt://127.0.0.1:1', { manualConnect: true });
    const borrowed = createMqttTransport({ client });
    await expect(borrowed.rotateCredentials({ cert: 'c', key: 'k' })).rejects.toThrow(/owns its client/);
    await borrowed.close();
    const plain = createMqttTransport({ url: 'mqtt://127.0.0.1:1', reconnectPeriodMs: 0 });
    await expect(plain.rotateCredentials({ cert: 'c', key: 'k' })).rejects.toThrow(/client certificate/);
    await plain.close();
    await expect(plain.rotateCredentials({ cert: 'c', key: 'k' })).rejects.toThrow(/closed/);
  });

  it('takes a caller-owned client as it is', () => {
    const client = connect('mqtt://127.0.0.1:1', { manualConnect: true });
    const r = resolveMqttOptions({ client });
    expect(r.client).toBe(client);
    expect(r.connect).toBeUndefined();
  });

  it.each([
    ['neither client nor url', {}],
    [
      'both client and url',
      { client: connect('mqtt://127.0.0.1:1', { manualConnect: true }), url: 'mqtt://x' },
    ],
    ['a url that is not a string', { url: 1883 }],
    ['a client that is not an MqttClient', { client: {} }],
    ['a clientId that is not a string', { url: 'mqtt://x', clientId: 7 }],
  ])('throws a TypeError for %s', (_why, options) => {
    expect(() => resolveMqttOptions(options as unknown as MqttTransportOptions)).toThrow(TypeError);
  });

  it.each([
    ['protocolVersion 3', { protocolVersion: 3 }],
    ['a negative keepalive', { keepaliveSeconds: -1 }],
    ['a fractional reconnect period', { reconnectPeriodMs: 1.5 }],
    ['a zero publish timeout', { publishTimeoutMs: 0 }],
    ['subscribeQos 3', { subscribeQos: 3 }],
  ])('throws a RangeError for %s', (_why, extra) => {
    expect(() =>
      resolveMqttOptions({ url: 'mqtt://127.0.0.1:1883', ...extra } as unknown as MqttTransportOptions),
    ).toThrow(RangeError);
  });
});
