/**
 * Device certificates end to end, the way a hospital deploys them: the platform's CA and its EST
 * enrolment server over HTTPS, a Mosquitto of our own that requires client certificates from that
 * CA and checks its CRL, a device onboarded at the gateway (manufacturer attestation, one-time
 * token, proof of possession) and then issued its certificate, the gateway enrolling too, both
 * talking over mutual TLS, renewing their certificates mid-stream without losing a message, and the
 * device decommissioned: its certificate revoked with it, the broker refusing it.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createIdentity,
  type Identity,
  proveEnrolment,
  signAttestation,
  utf8Decode,
  utf8Encode,
} from '@healthit/core';
import { createCertificateClient, type TlsCredentials } from '@healthit/core/certificates';
import { createDeviceRegistry, createOnboarding } from '@healthit/gateway';
import { createMqttTransport, type MqttTransport } from '@healthit/gateway/mqtt';
import {
  type CertificateAuthority,
  createCertificateAuthority,
  type EnrolmentServer,
  issueServerCredentials,
  revokeWithLifecycle,
  startEnrolmentServer,
} from '@healthit/platform/pki';
import { filter, firstValueFrom, type Subscription, timeout } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { brokerAccepts as accepts } from '../src/broker-accepts.js';
import { startTlsBroker, type TlsBroker } from '../src/tls-broker.js';

let dir: string;
let ca: CertificateAuthority;
let enrolment: EnrolmentServer;
let broker: TlsBroker;
const transports: MqttTransport[] = [];
let revocations: Subscription | undefined;

const registry = createDeviceRegistry();
const manufacturer = createIdentity({ id: 'acme-medical', kind: 'service' });
const onboarding = createOnboarding({
  registry,
  gatewayId: 'gw-ward-7',
  owner: 'st-elsewhere',
  trustedManufacturers: (m, kid) =>
    m === 'acme-medical' && kid === manufacturer.keyId ? manufacturer.signing.publicKey : undefined,
});
const device = createIdentity({ id: 'pulse-ox-21', kind: 'device' });
const gateway = createIdentity({ id: 'gw-ward-7', kind: 'gateway' });
/** The platform's record of gateways (devices are in the gateway's registry). */
const gateways = new Map<string, Identity>([[gateway.keyId, gateway]]);

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'healthit-device-certs-'));
  ca = await createCertificateAuthority({ name: 'Ward 7 IoMT CA' });
  const serverTls = await issueServerCredentials(ca, { subjectId: 'platform', ipAddresses: ['127.0.0.1'] });
  enrolment = await startEnrolmentServer({
    ca,
    tls: serverTls,
    identityKey: (subjectId, kind, keyId) => {
      if (kind === 'device') return registry.activeKey(subjectId, keyId);
      const gw = gateways.get(keyId);
      return kind === 'gateway' && gw?.id === subjectId ? gw.signing.publicKey : undefined;
    },
  });
  revocations = revokeWithLifecycle(ca, registry.changes$).subscribe(() => void broker.publishCrl());

  broker = await startTlsBroker(ca, dir);
}, 60_000);

afterAll(async () => {
  revocations?.unsubscribe();
  await Promise.all(transports.map((t) => t.close()));
  await broker?.stop();
  await enrolment?.close();
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});

const enrolmentClient = (identity: Identity) =>
  createCertificateClient({ url: enrolment.url, trust: ca.certificatePem, identity });

function transportFor(credentials: TlsCredentials, clientId: string, persistent = false): MqttTransport {
  const t = createMqttTransport({
    url: broker.url,
    clientId,
    reconnectPeriodMs: 100,
    ...(persistent ? { sessionExpirySeconds: 300 } : {}),
    tls: { ca: ca.certificatePem, cert: credentials.certificatePem, key: credentials.privateKeyPem },
  });
  transports.push(t);
  return t;
}

const connected = (t: MqttTransport) =>
  firstValueFrom(
    t.state$.pipe(
      filter((s) => s === 'connected'),
      timeout(10_000),
    ),
  );

/** Whether the broker accepts a connection with these credentials (a fresh client, no retries). */
const brokerAccepts = (credentials: TlsCredentials) => accepts(broker.url, ca.certificatePem, credentials);

/** Whether the broker comes to refuse these credentials within `ms` (it reloads its CRL on SIGHUP). */
async function refusedWithin(credentials: TlsCredentials, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (!(await brokerAccepts(credentials))) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}

describe('device certificates: enrol, mutual TLS, renew mid-stream, revoke with the device', () => {
  let deviceCreds: TlsCredentials;
  let gatewayCreds: TlsCredentials;

  it('attack: a device not yet onboarded cannot get a certificate', async () => {
    await expect(enrolmentClient(device).enrol()).rejects.toThrow(/HTTP 403.*may not enrol/);
  });

  it('a device onboarded at the gateway, and the gateway, enrol over HTTPS and connect to the broker with their certificates', async () => {
    // Onboarding: the manufacturer's attestation of the device key, the installer's one-time token,
    // and the device's proof of possession over the gateway's fresh challenge.
    const attestation = signAttestation(
      {
        manufacturer: 'acme-medical',
        model: 'OX-2',
        serial: 'SN-21',
        publicKey: device.signing.publicKey,
        sealingKey: device.sealing.publicKey,
        issuedAt: Date.now() - 1000,
      },
      { keyId: manufacturer.keyId, secretKey: manufacturer.signing.secretKey },
    );
    const token = onboarding.issueToken({ serial: 'SN-21', expiresInMs: 3_600_000 });
    const { challenge } = onboarding.challenge();
    const proof = proveEnrolment(
      { challenge, deviceId: device.id, gatewayId: 'gw-ward-7', serial: 'SN-21' },
      device.signing.secretKey,
    );
    const onboarded = await onboarding.enrol({ deviceId: device.id, attestation, token, challenge, proof });
    expect(onboarded.ok).toBe(true);

    deviceCreds = await enrolmentClient(device).enrol();
    gatewayCreds = await enrolmentClient(gateway).enrol();
    expect(await brokerAccepts(deviceCreds)).toBe(true);
    expect(await brokerAccepts(gatewayCreds)).toBe(true);
  });

  it('attack: an unregistered device cannot get a certificate, and without one the broker refuses it', async () => {
    const rogue = createIdentity({ id: 'pulse-ox-99', kind: 'device' });
    await expect(enrolmentClient(rogue).enrol()).rejects.toThrow(/HTTP 403/);
    const foreign = await createCertificateAuthority({ name: 'Elsewhere CA' });
    const { createCertificateRequest, credentialsFor } = await import('@healthit/core/certificates');
    const csr = await createCertificateRequest('pulse-ox-99');
    const record = await foreign.issue({ csr: csr.der, subjectId: 'pulse-ox-99', kind: 'device' });
    expect(await brokerAccepts(await credentialsFor(record.certificatePem, csr))).toBe(false);
  });

  it('both renew their certificates mid-stream (device publishing, gateway subscribed): every message arrives, in order (QoS 1 redeliveries dropped by seq, as the gateway does)', async () => {
    const gw = transportFor(gatewayCreds, 'gw-ward-7', true);
    const received: number[] = [];
    const sub = gw
      .subscribe('ward/7/+/vitals')
      .subscribe((m) => received.push(JSON.parse(utf8Decode(m.payload)).seq));
    await connected(gw);
    const dev = transportFor(deviceCreds, 'pulse-ox-21');
    await connected(dev);
    await new Promise((r) => setTimeout(r, 200)); // the SUBACK

    const total = 60;
    const publishAll = (async () => {
      for (let seq = 1; seq <= total; seq++) {
        // What the device's outbox does: retry a publish the transport could not make while reconnecting.
        for (;;) {
          try {
            await dev.publish('ward/7/pulse-ox-21/vitals', utf8Encode(JSON.stringify({ seq })), { qos: 1 });
            break;
          } catch {
            await new Promise((r) => setTimeout(r, 50));
          }
        }
        await new Promise((r) => setTimeout(r, 10));
      }
    })();

    await new Promise((r) => setTimeout(r, 150));
    const renewedDevice = await enrolmentClient(device).reenrol(deviceCreds);
    await dev.rotateCredentials({ cert: renewedDevice.certificatePem, key: renewedDevice.privateKeyPem });
    const renewedGateway = await enrolmentClient(gateway).reenrol(gatewayCreds);
    await gw.rotateCredentials({ cert: renewedGateway.certificatePem, key: renewedGateway.privateKeyPem });
    await publishAll;
    await new Promise((r) => setTimeout(r, 500));
    sub.unsubscribe();

    expect([...new Set(received)]).toEqual(Array.from({ length: total }, (_, i) => i + 1));
    expect(ca.status(deviceCreds.serialNumber)).toBe('revoked'); // superseded
    expect(ca.status(renewedDevice.serialNumber)).toBe('valid');
    expect(await brokerAccepts(deviceCreds)).toBe(true); // until the broker has the new CRL
    await broker.publishCrl();
    expect(await refusedWithin(deviceCreds, 10_000)).toBe(true); // the superseded certificate is done
    expect(await brokerAccepts(renewedDevice)).toBe(true);
    deviceCreds = renewedDevice;
    gatewayCreds = renewedGateway;
  });

  it('decommissioning the device revokes its certificate; after the CRL reload the broker refuses it, the gateway still connects', async () => {
    registry.setState(device.id, 'decommissioned', { by: 'biomed:alice', reason: 'returned to vendor' });
    const record = ca.records().find((r) => r.serialNumber === deviceCreds.serialNumber);
    expect(record?.revocationReason).toBe('cessationOfOperation');
    expect(await refusedWithin(deviceCreds, 10_000)).toBe(true); // once the CRL is written and reloaded
    expect(await brokerAccepts(gatewayCreds)).toBe(true);
    await expect(enrolmentClient(device).enrol()).rejects.toThrow(/HTTP 403/); // and cannot enrol again
  });
});
