/**
 * MQTT over TLS with client certificates (mutual TLS) against a Mosquitto of our own, configured
 * for TLS on a free port with a test PKI made by the openssl CLI: the gateway's transport connects
 * with its certificate; a client without one, with one from another CA, an expired or a revoked one
 * is refused by the broker; and the client refuses a broker its CA did not certify.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { utf8Decode, utf8Encode } from '@healthit/core';
import { connectAsync } from 'mqtt';
import { filter, firstValueFrom, timeout } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMqttTransport, type MqttTlsSettings } from '../src/mqtt/index.js';
import { resolveMqttOptions } from '../src/mqtt/options.js';
import { ChildBroker, freePort } from '../src/testing/mosquitto-child.js';
import { createTestPki, type TestPki } from './tls/test-pki.js';

let dir: string;
let pki: TestPki;
let broker: ChildBroker;
let url: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'healthit-mqtt-tls-'));
  pki = createTestPki(dir);
  const port = await freePort();
  const config = join(dir, 'mosquitto.conf');
  await writeFile(
    config,
    [
      `listener ${port} 127.0.0.1`,
      `cafile ${pki.caCertPath}`,
      `certfile ${pki.brokerCertPath}`,
      `keyfile ${pki.brokerKeyPath}`,
      'require_certificate true',
      'use_identity_as_username true',
      `crlfile ${pki.crlPath}`,
      'allow_anonymous true',
      '',
    ].join('\n'),
  );
  broker = new ChildBroker(port, config);
  await broker.start();
  url = `mqtts://127.0.0.1:${port}`;
}, 60_000);

afterAll(async () => {
  await broker?.stop();
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});

/** Whether a client with these TLS settings gets a CONNACK (the transport's own mqtt.js options). */
async function connects(tls: MqttTlsSettings): Promise<boolean> {
  const { connect } = resolveMqttOptions({ url, tls, reconnectPeriodMs: 0, connectTimeoutMs: 5_000 });
  if (connect === undefined) throw new Error('no connection settings');
  try {
    const client = await connectAsync(connect.url, connect.options);
    await client.endAsync();
    return true;
  } catch {
    return false;
  }
}

describe('MQTT over mutual TLS (own Mosquitto, test PKI)', () => {
  it('the gateway connects with its certificate, and messages flow over TLS', async () => {
    const transport = createMqttTransport({ url, tls: { ca: pki.caCert, ...pki.client('gateway-1') } });
    const got = firstValueFrom(transport.subscribe('devices/+/readings').pipe(timeout(10_000)));
    await firstValueFrom(
      transport.state$.pipe(
        filter((s) => s === 'connected'),
        timeout(10_000),
      ),
    );
    await new Promise((r) => setTimeout(r, 100));
    await transport.publish('devices/monitor-7/readings', utf8Encode('{"over":"tls"}'), { qos: 1 });
    expect(utf8Decode((await got).payload)).toBe('{"over":"tls"}');
    await transport.close();
  });

  it('attack: a client without a certificate → refused', async () => {
    expect(await connects({ ca: pki.caCert })).toBe(false);
  });

  it('attack: a client certificate from another CA → refused', async () => {
    expect(await connects({ ca: pki.caCert, ...pki.client('rogue') })).toBe(false);
  });

  it('attack: an expired client certificate → refused', async () => {
    expect(await connects({ ca: pki.caCert, ...pki.client('expired') })).toBe(false);
  });

  it('attack: a revoked client certificate (on the CA’s CRL) → refused', async () => {
    expect(await connects({ ca: pki.caCert, ...pki.client('revoked') })).toBe(false);
  });

  it('attack: a broker the client’s CA did not certify (man in the middle) → the client refuses it', async () => {
    expect(await connects({ ca: pki.rogueCaCert, ...pki.client('gateway-1') })).toBe(false);
    expect(await connects({ ca: pki.caCert, ...pki.client('gateway-1') })).toBe(true); // control
  });

  it('refuses TLS settings on a plain mqtt:// URL, a missing CA, or a certificate without its key', () => {
    expect(() => createMqttTransport({ url: 'mqtt://127.0.0.1:1883', tls: { ca: pki.caCert } })).toThrow(
      /mqtts/,
    );
    expect(() => createMqttTransport({ url, tls: { ca: undefined as unknown as string } })).toThrow(
      /ca is required/,
    );
    expect(() =>
      createMqttTransport({ url, tls: { ca: pki.caCert, cert: pki.client('gateway-1').cert } }),
    ).toThrow(/go together/);
  });
});
