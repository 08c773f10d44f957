/**
 * The simulated devices: pulse oximeters of two hardware revisions in several wards, each with A/B
 * firmware storage, an update agent that self-tests a new image on its trial boot, a verifier of
 * signed update commands, a signer of its reports, and a verifying update source that fetches
 * everything through its gateway (Uptane director + image repository, SUIT, ledger proof).
 */
import { mkdtemp } from 'node:fs/promises';
import { join } from 'node:path';
import { createIdentity, type Identity } from '@healthit/core';
import {
  createUpdateCommandVerifier,
  createUpdateReporter,
  type UpdateCommandVerifier,
  type UpdateReport,
  type UpdateReporter,
} from '@healthit/core/updates';
import { TufClient, type VerifyingUpdateSource, verifyingUpdateSource } from '@healthit/core/updates/tuf';
import {
  createFirmwareStorage,
  createUpdateAgent,
  type FirmwareStorage,
  provisionFirmware,
  sensorSelfTest,
  type UpdateAgent,
  type UpdateStateChange,
} from '@healthit/device';
import { firmwareAuthorisationVerifier } from '@healthit/ledger';
import { lastValueFrom } from 'rxjs';
import type { SimGateway } from './gateways.js';
import { FACTORY, HARDWARE, type HardwareId, type Platform } from './release.js';
import { pick, type Rng, seedBytes } from './rng.js';

export const WARDS = ['icu', 'cardiology', 'ward-3', 'ward-7', 'paediatrics', 'recovery'] as const;
export const MODEL = 'po-200';

/** What happened to a command a device received. */
export type CommandOutcome = 'accepted' | { readonly refused: string };

/** One simulated device. */
export interface SimDevice {
  readonly id: string;
  readonly hardwareId: HardwareId;
  readonly ward: string;
  inTherapy: boolean;
  readonly gateway: SimGateway;
  readonly storage: FirmwareStorage;
  readonly agent: UpdateAgent;
  readonly identity: Identity;
  readonly commands: UpdateCommandVerifier;
  readonly reporter: UpdateReporter;
  /** The last state the device itself reported, per campaign. */
  readonly reported: Map<string, string>;
  /** Commands received and what the device did with each. */
  readonly received: CommandOutcome[];
}

/** The devices, and each one's verifying update source (created on first use). */
export interface Fleet {
  readonly devices: readonly SimDevice[];
  sourceOf(device: SimDevice): Promise<VerifyingUpdateSource>;
}

/** Options of {@link createFleet}. */
export interface FleetOptions {
  readonly count: number;
  readonly rng: Rng;
  readonly platform: Platform;
  readonly gateways: readonly SimGateway[];
  /** Public key of the platform's command-signing key, by key id. */
  readonly issuerKey: (keyId: string) => Uint8Array | undefined;
  /** Share of devices in active therapy (default 0.08). */
  readonly therapyShare?: number;
  /** Share of rev-b hardware (default 0.4). */
  readonly revBShare?: number;
}

/**
 * What the device's sensor reads on the trial boot of an image: the image header names its SpO₂
 * driver, and the `spo2-v3` driver of the new release mis-reads the rev-b sensor (the fault the
 * campaign meets). Readings are physiologically plausible otherwise.
 */
function sensorReadings(hardwareId: string, image: Uint8Array) {
  const header =
    new TextDecoder().decode(image.subarray(0, Math.min(image.length, 256))).split('\n')[0] ?? '';
  let driver = 'unknown';
  try {
    driver = String((JSON.parse(header) as { sensorDriver?: unknown }).sensorDriver);
  } catch {
    // an image without a header reads nothing sensible
  }
  const broken = driver === 'unknown' || (driver === 'spo2-v3' && hardwareId === 'po-200.rev-b');
  return [
    { metric: 'spo2' as const, value: broken ? 0 : 97 },
    { metric: 'heart-rate' as const, value: 72 },
  ];
}

/** Creates and provisions the fleet; devices are registered with the director. */
export async function createFleet(options: FleetOptions, workDir: string): Promise<Fleet> {
  const { rng, platform, gateways } = options;
  const therapyShare = options.therapyShare ?? 0.08;
  const revBShare = options.revBShare ?? 0.4;
  const authoriser = firmwareAuthorisationVerifier(platform.trust.authorisation);
  const devices: SimDevice[] = [];
  for (let i = 0; i < options.count; i++) {
    const id = `po-${String(i + 1).padStart(3, '0')}`;
    const hardwareId: HardwareId =
      rng() < revBShare ? (HARDWARE[1] as HardwareId) : (HARDWARE[0] as HardwareId);
    const ward = pick(rng, WARDS);
    const gateway = gateways.find((g) => g.wards.includes(ward)) as SimGateway;
    const storage = createFirmwareStorage();
    await provisionFirmware(storage, { image: platform.factory[hardwareId], ...FACTORY });
    const agent = createUpdateAgent({
      storage,
      hardwareId,
      selfTest: sensorSelfTest((booted) => sensorReadings(hardwareId, storage.readSlot(booted.slot).image)),
      selfTestTimeoutMs: 5_000,
    });
    await lastValueFrom(agent.start(), { defaultValue: undefined });
    const identity = createIdentity({ id, kind: 'device', signingSecretKey: seedBytes(rng) });
    platform.director.registerDevice({ deviceId: id, hardwareId, installedVersion: FACTORY.version });
    devices.push({
      id,
      hardwareId,
      ward,
      inTherapy: rng() < therapyShare,
      gateway,
      storage,
      agent,
      identity,
      commands: createUpdateCommandVerifier({ deviceId: id, issuerKey: options.issuerKey }),
      reporter: createUpdateReporter({
        deviceId: id,
        signer: { keyId: identity.keyId, secretKey: identity.signing.secretKey },
      }),
      reported: new Map(),
      received: [],
    });
  }
  // The verifying sources are created on first use (each needs two TUF metadata directories).
  const sources = new Map<string, Promise<VerifyingUpdateSource>>();
  const sourceOf = (device: SimDevice): Promise<VerifyingUpdateSource> => {
    let source = sources.get(device.id);
    if (source === undefined) {
      source = (async () =>
        verifyingUpdateSource({
          deviceId: device.id,
          hardwareId: device.hardwareId,
          director: await TufClient.create({
            metadataDir: await mkdtemp(join(workDir, `${device.id}-director-`)),
            trustedRoot: platform.director.trustedRoot(device.id),
            fetcher: device.gateway.cache,
            metadataPrefix: `director/${device.id}/metadata/`,
          }),
          images: await TufClient.create({
            metadataDir: await mkdtemp(join(workDir, `${device.id}-images-`)),
            trustedRoot: platform.trust.imagesRoot,
            fetcher: device.gateway.cache,
          }),
          suit: {
            trustedKeys: platform.trust.suitKeys,
            vendorId: platform.trust.vendorId,
            classId: platform.trust.classId(device.hardwareId),
          },
          authoriser,
        }))();
      sources.set(device.id, source);
    }
    return source;
  };
  return { devices, sourceOf };
}

function versionOf(change: UpdateStateChange): { version?: string } {
  return change.version === undefined ? {} : { version: change.version };
}

/**
 * A device receives a signed command (as JSON, from its gateway): it verifies it (signature,
 * addressee, expiry, replay), runs the update through its verifying source, and sends a signed
 * report for every state change. Resolves when the update has ended.
 */
export async function deliverCommand(
  fleet: Fleet,
  device: SimDevice,
  wire: unknown,
  send: (report: UpdateReport) => void,
): Promise<void> {
  let command: ReturnType<UpdateCommandVerifier['verify']>;
  try {
    command = device.commands.verify(wire);
  } catch (e) {
    device.received.push({ refused: e instanceof Error ? e.message : String(e) });
    return;
  }
  device.received.push('accepted');
  const source = await fleet.sourceOf(device);
  const { campaignId, targetPath, version } = command;
  await new Promise<void>((done, fail) => {
    device.agent.update(source, { campaignId, targetPath, version }).subscribe({
      next: (change) => {
        device.reported.set(campaignId, change.state);
        send(
          device.reporter.report({
            campaignId,
            state: change.state,
            detail: change.detail.slice(0, 1024),
            at: change.at,
            // A report's version is the one the state is about, and after a rollback the one that
            // runs again (the agent's change names the version given up on: that stays in `detail`).
            ...versionOf(change),
            ...(change.reason === undefined ? {} : { reason: change.reason }),
          }),
        );
      },
      complete: done,
      error: fail,
    });
  });
}
