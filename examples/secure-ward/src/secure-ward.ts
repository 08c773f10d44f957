import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createIdentity,
  HealthItError,
  type Identity,
  proveEnrolment,
  sealEnvelope,
  signAttestation,
  signEnvelope,
} from '@healthit/core';
import { createCertificateClient, type TlsCredentials } from '@healthit/core/certificates';
import { createWardSimulator, publishReadings } from '@healthit/device';
import {
  createDeviceRegistry,
  createGateway,
  createMessageAuthenticator,
  createOnboarding,
} from '@healthit/gateway';
import { createMqttTransport, type MqttTransport } from '@healthit/gateway/mqtt';
import {
  createCertificateAuthority,
  issueServerCredentials,
  revokeWithLifecycle,
  startEnrolmentServer,
} from '@healthit/platform/pki';
import {
  filter,
  firstValueFrom,
  groupBy,
  ignoreElements,
  lastValueFrom,
  mergeMap,
  Subject,
  takeUntil,
  tap,
  timeout,
} from 'rxjs';
import { brokerAccepts } from './broker-accepts.js';
import { reliablePublisher } from './reliable-publish.js';
import { startTlsBroker } from './tls-broker.js';

/** Options of {@link runSecureWard}. */
export interface SecureWardOptions {
  /** Simulated patients (one monitor each), at least 2; default 2. */
  readonly patients?: number;
  /** How long devices publish (default 20 s). Renewals happen at 30 %, the decommissioning at 60 %. */
  readonly durationMs?: number;
  /** Time between readings of one vital sign (default 1 000 ms). */
  readonly periodMs?: number;
  readonly seed?: number;
  /** Progress lines, as they happen. */
  readonly log?: (line: string) => void;
}

/** What {@link runSecureWard} did and checked. */
export interface SecureWardSummary {
  readonly devices: number;
  readonly certificatesIssued: number;
  readonly certificatesRevoked: number;
  /** Subjects whose certificates were renewed mid-run. */
  readonly renewed: readonly string[];
  /** Readings the devices published (each batch signed by the device, sealed to the gateway). */
  readonly published: number;
  /** Distinct readings the gateway accepted (authenticated, opened, validated). */
  readonly accepted: number;
  /** Readings published by devices in service that the gateway never accepted: must be 0. */
  readonly lost: number;
  /** Envelopes the gateway refused, by reason (the decommissioned device's, replays of retried publishes). */
  readonly refused: Readonly<Record<string, number>>;
  /** The device taken out of service mid-run. */
  readonly decommissioned: string;
  /** Whether the broker refused a new connection with its certificate after the CRL reload. */
  readonly decommissionedRefusedByBroker: boolean;
  /** Everything above holds. */
  readonly ok: boolean;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
/**
 * Runs a small ward with every hop secured, in one process: the platform's CA and its enrolment
 * server (HTTPS), a Mosquitto requiring client certificates, each device onboarded at the gateway
 * (manufacturer attestation, one-time token, proof of possession) and then issued its certificate,
 * mutual TLS from every device and the gateway, each batch signed by its device and sealed to the
 * gateway, certificates renewed mid-run without losing a reading, and one device decommissioned:
 * its certificate revoked, the broker refusing it after the CRL reload, its next message refused.
 * Needs `mosquitto` installed.
 */
export async function runSecureWard(options: SecureWardOptions = {}): Promise<SecureWardSummary> {
  const log = options.log ?? (() => {});
  const durationMs = options.durationMs ?? 20_000;
  const dir = await mkdtemp(join(tmpdir(), 'healthit-secure-ward-'));
  const closers: (() => Promise<unknown>)[] = [() => rm(dir, { recursive: true, force: true })];
  try {
    // Platform: the CA, its enrolment server on HTTPS, and the broker trusting it.
    const ca = await createCertificateAuthority({ name: 'Secure Ward Demo CA' });
    let issued = 0;
    let revoked = 0;
    ca.events$.subscribe((e) => (e.type === 'certificate.issued' ? issued++ : revoked++));
    const registry = createDeviceRegistry();
    const gatewayIdentity = createIdentity({ id: 'gw-secure-ward', kind: 'gateway' });
    const enrolment = await startEnrolmentServer({
      ca,
      tls: await issueServerCredentials(ca, {
        subjectId: 'platform',
        ipAddresses: ['127.0.0.1'],
        dnsNames: ['localhost'],
      }),
      identityKey: (subjectId, kind, keyId) =>
        kind === 'device'
          ? registry.activeKey(subjectId, keyId)
          : kind === 'gateway' && subjectId === gatewayIdentity.id && keyId === gatewayIdentity.keyId
            ? gatewayIdentity.signing.publicKey
            : undefined,
    });
    closers.unshift(() => enrolment.close());
    log(`platform: CA ready, enrolment server on ${enrolment.url}`);
    const broker = await startTlsBroker(ca, dir);
    closers.unshift(() => broker.stop());
    log(`broker: Mosquitto on ${broker.url}, client certificates required, CRL checked`);
    const revocations = revokeWithLifecycle(ca, registry.changes$).subscribe(() => void broker.publishCrl());
    closers.unshift(async () => revocations.unsubscribe());
    const enrolmentClient = (identity: Identity) =>
      createCertificateClient({ url: enrolment.url, trust: ca.certificatePem, identity });

    // Devices: onboarded at the gateway, then enrolled for their TLS certificates.
    const simulator = createWardSimulator({
      patients: options.patients ?? 2,
      seed: options.seed ?? 7,
      periodMs: options.periodMs ?? 1000,
    });
    if (simulator.devices.length < 2) {
      throw new HealthItError(
        'config/invalid',
        'The secure ward needs at least two devices (one renews, one is decommissioned)',
      );
    }
    const manufacturer = createIdentity({ id: 'acme-medical', kind: 'service' });
    const onboarding = createOnboarding({
      registry,
      gatewayId: gatewayIdentity.id,
      owner: 'st-elsewhere',
      trustedManufacturers: (m, kid) =>
        m === manufacturer.id && kid === manufacturer.keyId ? manufacturer.signing.publicKey : undefined,
    });
    const devices = new Map<
      string,
      { identity: Identity; credentials: TlsCredentials; transport: MqttTransport }
    >();
    const transportFor = (clientId: string, credentials: TlsCredentials, persistent = false) =>
      createMqttTransport({
        url: broker.url,
        clientId,
        reconnectPeriodMs: 200,
        ...(persistent ? { sessionExpirySeconds: 600 } : {}),
        tls: { ca: ca.certificatePem, cert: credentials.certificatePem, key: credentials.privateKeyPem },
      });
    for (const [i, descriptor] of simulator.devices.entries()) {
      const identity = createIdentity({ id: descriptor.id, kind: 'device' });
      const serial = `SN-${1000 + i}`;
      const attestation = signAttestation(
        {
          manufacturer: manufacturer.id,
          model: descriptor.model,
          serial,
          publicKey: identity.signing.publicKey,
          sealingKey: identity.sealing.publicKey,
          issuedAt: Date.now() - 60_000,
        },
        { keyId: manufacturer.keyId, secretKey: manufacturer.signing.secretKey },
      );
      const token = onboarding.issueToken({ serial, expiresInMs: 600_000 });
      const { challenge } = onboarding.challenge();
      const proof = proveEnrolment(
        { challenge, deviceId: identity.id, gatewayId: gatewayIdentity.id, serial },
        identity.signing.secretKey,
      );
      const result = await onboarding.enrol({ deviceId: identity.id, attestation, token, challenge, proof });
      if (!result.ok) throw result.error;
      const credentials = await enrolmentClient(identity).enrol();
      const transport = transportFor(identity.id, credentials);
      closers.unshift(() => transport.close());
      devices.set(identity.id, { identity, credentials, transport });
    }
    log(
      `devices: ${devices.size} onboarded (attestation, one-time token, proof of possession) and issued certificates`,
    );

    // Gateway: its own certificate, a persistent session, every envelope authenticated and opened.
    let gatewayCredentials = await enrolmentClient(gatewayIdentity).enrol();
    const gatewayTransport = transportFor(gatewayIdentity.id, gatewayCredentials, true);
    closers.unshift(() => gatewayTransport.close());
    const authenticate = createMessageAuthenticator({
      registry,
      replay: { maxAgeMs: 120_000 },
      recipient: { id: gatewayIdentity.id, secretKey: gatewayIdentity.sealing.secretKey },
    });
    const gateway = createGateway({ transport: gatewayTransport, authenticate });
    const acceptedIds = new Set<string>();
    const refused: Record<string, number> = {};
    const gatewaySubs = [
      gateway.readings$.subscribe((r) => acceptedIds.add(r.id)),
      gateway.events$.subscribe((e) => {
        if (e.type !== 'message-rejected') return;
        const reason = String((e.error.detail as { reason?: string } | undefined)?.reason ?? e.error.code);
        refused[reason] = (refused[reason] ?? 0) + 1;
      }),
    ];
    closers.unshift(async () => {
      for (const sub of gatewaySubs) sub.unsubscribe();
    });
    await Promise.all(
      [gatewayTransport, ...[...devices.values()].map((d) => d.transport)].map((t) =>
        firstValueFrom(
          t.state$.pipe(
            filter((s) => s === 'connected'),
            timeout(10_000),
          ),
        ),
      ),
    );
    await sleep(300); // the gateway's SUBACK
    log('mutual TLS: the gateway and every device connected with their certificates');

    // Publishing: each device on its own connection, each batch sealed to the gateway and signed.
    const recipient = { id: gatewayIdentity.id, sealingKey: gatewayIdentity.sealing.publicKey };
    const stop$ = new Subject<void>();
    const publishedByDevice = new Map<string, Set<string>>();
    const publishing = lastValueFrom(
      simulator.readings$.pipe(
        takeUntil(stop$),
        groupBy((r) => r.deviceId),
        mergeMap((readings$) => {
          const device = devices.get(readings$.key);
          if (device === undefined) throw new Error(`unknown device ${readings$.key}`);
          const signer = { keyId: device.identity.keyId, secretKey: device.identity.signing.secretKey };
          return readings$.pipe(
            publishReadings(reliablePublisher(device.transport), {
              secure: (envelope) => signEnvelope(sealEnvelope(envelope, recipient), signer),
            }),
          );
        }),
        tap((e) => {
          if (e.type !== 'published') return;
          const ids = publishedByDevice.get(e.deviceId) ?? new Set<string>();
          publishedByDevice.set(e.deviceId, ids);
          for (const r of e.readings) ids.add(r.id);
        }),
        ignoreElements(),
      ),
      { defaultValue: undefined },
    );

    // Renewal mid-stream: the gateway and the first device.
    await sleep(durationMs * 0.3);
    const [first] = devices.values();
    if (first === undefined) throw new Error('no device');
    const renewedDevice = await enrolmentClient(first.identity).reenrol(first.credentials);
    await first.transport.rotateCredentials({
      cert: renewedDevice.certificatePem,
      key: renewedDevice.privateKeyPem,
    });
    first.credentials = renewedDevice;
    gatewayCredentials = await enrolmentClient(gatewayIdentity).reenrol(gatewayCredentials);
    await gatewayTransport.rotateCredentials({
      cert: gatewayCredentials.certificatePem,
      key: gatewayCredentials.privateKeyPem,
    });
    await broker.publishCrl(); // the superseded certificates are now refused by the broker
    log(`renewed: ${first.identity.id} and ${gatewayIdentity.id} presented new certificates mid-stream`);

    // Decommissioning: the last device, while it is still publishing.
    await sleep(durationMs * 0.3);
    const last = [...devices.values()].at(-1);
    if (last === undefined) throw new Error('no device');
    registry.setState(last.identity.id, 'decommissioned', {
      by: 'biomed:demo',
      reason: 'returned to vendor',
    });
    log(
      `decommissioned: ${last.identity.id}; its certificate revoked, the CRL published, the broker reloaded`,
    );
    let decommissionedRefusedByBroker = false;
    for (let attempt = 0; attempt < 50 && !decommissionedRefusedByBroker; attempt++) {
      await sleep(100);
      decommissionedRefusedByBroker = !(await brokerAccepts(broker.url, ca.certificatePem, last.credentials));
    }

    await sleep(durationMs * 0.4);
    stop$.next();
    await publishing;
    await sleep(1000); // the last messages through the broker
    const decommissionedAt = [...(publishedByDevice.get(last.identity.id) ?? [])];
    let published = 0;
    let lost = 0;
    for (const [deviceId, ids] of publishedByDevice) {
      published += ids.size;
      if (deviceId === last.identity.id) continue; // refused after decommissioning, by design
      for (const id of ids) if (!acceptedIds.has(id)) lost++;
    }
    const summary = {
      devices: devices.size,
      certificatesIssued: issued,
      certificatesRevoked: revoked,
      renewed: [first.identity.id, gatewayIdentity.id],
      published,
      accepted: acceptedIds.size,
      lost,
      refused,
      decommissioned: last.identity.id,
      decommissionedRefusedByBroker,
    };
    return {
      ...summary,
      ok:
        lost === 0 &&
        decommissionedRefusedByBroker &&
        (refused['device-decommissioned'] ?? 0) > 0 &&
        decommissionedAt.length > 0 &&
        revoked >= 3,
    };
  } finally {
    for (const close of closers) await close().catch(() => {});
  }
}
