/**
 * Secure OTA end to end, across packages: the platform's repositories (TUF image repository,
 * Uptane director, SUIT manifests, `firmware.authorize` proofs from a witnessed transparency log
 * endorsed by manufacturer and hospital) → a gateway's verifying firmware cache → the device's
 * verifying update source (`@healthit/core/updates/tuf`) with the ledger's real verifier → the
 * device's update agent, which installs, boots, self-tests and confirms. Refusals end to end leave
 * nothing installed and the device booting its old image.
 *
 * The platform, gateway and device wiring is the ota-rollout example's (the integrator's code).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ed25519PublicKey } from '@healthit/core';
import {
  createUpdateCommandIssuer,
  createUpdateReportVerifier,
  UpdateRejectedError,
  type UpdateReport,
} from '@healthit/core/updates';
import { bootFirmware, cloneMedium, createFirmwareStorage } from '@healthit/device';
import { afterEach, describe, expect, it } from 'vitest';
import { createFleet, deliverCommand, type Fleet, WARDS } from '../examples/ota-rollout/src/fleet.js';
import { createGateways, upstreamImageFetches } from '../examples/ota-rollout/src/gateways.js';
import {
  createPlatform,
  imagePath,
  type Platform,
  RELEASE,
  sha256Hex,
} from '../examples/ota-rollout/src/release.js';
import { createRng, seedBytes } from '../examples/ota-rollout/src/rng.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

interface Setup {
  readonly platform: Platform;
  readonly fleet: Fleet;
  readonly reports: UpdateReport[];
  command(deviceId: string): unknown;
  update(deviceId: string, wire?: unknown): Promise<void>;
}

/**
 * A platform, two gateways and `count` rev-a devices. `tamper` changes the bytes the platform
 * serves for a path (a compromised mirror between platform and gateway).
 */
async function setup(
  options: { unauthorisedOn?: string[]; tamper?: (path: string, bytes: Uint8Array) => Uint8Array } = {},
  count = 2,
): Promise<Setup> {
  const rng = createRng(11);
  const workDir = await mkdtemp(join(tmpdir(), 'healthit-ota-e2e-'));
  const real = await createPlatform({ rng, faultyOn: [], ...options });
  cleanups.push(async () => {
    await real.close();
    await rm(workDir, { recursive: true, force: true });
  });
  const tamper = options.tamper;
  const platform: Platform =
    tamper === undefined
      ? real
      : {
          ...real,
          upstream: {
            fetch: async (path, o) => tamper(path, await real.upstream.fetch(path, o)),
          },
        };
  const gateways = await createGateways(platform, WARDS, workDir);
  const secretKey = seedBytes(rng);
  const publicKey = ed25519PublicKey(secretKey);
  const fleet = await createFleet(
    {
      count,
      rng,
      platform,
      gateways,
      issuerKey: (id) => (id === 'platform' ? publicKey : undefined),
      revBShare: 0,
      therapyShare: 0,
    },
    workDir,
  );
  const issuer = createUpdateCommandIssuer({ signer: { keyId: 'platform', secretKey } });
  const verifier = createUpdateReportVerifier({
    deviceKey: (id) => fleet.devices.find((d) => d.id === id)?.identity.signing.publicKey,
  });
  const reports: UpdateReport[] = [];
  const byId = (id: string) => {
    const d = fleet.devices.find((x) => x.id === id);
    if (d === undefined) throw new Error(`no device ${id}`);
    return d;
  };
  const command = (deviceId: string) => {
    const device = byId(deviceId);
    const targetPath = platform.assign(deviceId, imagePath(device.hardwareId, RELEASE.version));
    const signed = issuer.issue({ campaignId: 'c-1', deviceId, targetPath, version: RELEASE.version });
    return JSON.parse(JSON.stringify(signed)) as unknown;
  };
  return {
    platform,
    fleet,
    reports,
    command,
    update: (deviceId, wire) =>
      deliverCommand(fleet, byId(deviceId), wire ?? command(deviceId), (r) =>
        reports.push(verifier.verify(JSON.parse(JSON.stringify(r)), { deviceId })),
      ),
  };
}

/** What the device boots when powered on from its flash as it is now. */
async function bootsFromFlash(storage: Parameters<typeof cloneMedium>[0]) {
  return (await bootFirmware(createFirmwareStorage({ medium: cloneMedium(storage) }))).running;
}

describe('secure OTA end to end (platform → gateway → device)', () => {
  it('installs an authorised release through the gateway: boots it, self-tests, confirms; one upstream download', async () => {
    const { platform, fleet, reports, update } = await setup({}, 6);
    const onOneGateway = fleet.devices.filter((d) => d.gateway === fleet.devices[0]?.gateway).slice(0, 2);
    expect(onOneGateway).toHaveLength(2);
    await Promise.all(onOneGateway.map((d) => update(d.id)));

    const released = platform.released['po-200.rev-a'];
    for (const d of onOneGateway) {
      const states = reports.filter((r) => r.deviceId === d.id).map((r) => r.state);
      expect(states).toEqual(['pending', 'downloading', 'verifying', 'installing', 'confirming', 'updated']);
      expect(d.agent.running()).toMatchObject({
        version: RELEASE.version,
        sequence: RELEASE.sequence,
        sha256: released.sha256,
      });
      expect(d.agent.status().counter).toBe(RELEASE.sequence);
      expect(await bootsFromFlash(d.storage.medium)).toMatchObject({ version: RELEASE.version });
    }
    // Both devices fetched through their gateway; the gateway downloaded each file once.
    const gateway = onOneGateway[0]?.gateway;
    const fetched = gateway === undefined ? new Map() : upstreamImageFetches(gateway);
    expect([...fetched.values()].every((n) => n === 1)).toBe(true);
    expect([...fetched.keys()]).toContain(`targets/po-200/rev-a/${released.sha256}.2.5.0.bin`);
    expect(gateway?.cache.stats.hits).toBeGreaterThan(0);
  });

  it('U14 end to end: an image never authorised in the ledger is refused; nothing installed, the old image boots', async () => {
    const { fleet, reports, update } = await setup({ unauthorisedOn: ['po-200.rev-a'] });
    const device = fleet.devices[0];
    if (device === undefined) throw new Error('no device');
    const before = device.agent.status();
    await update(device.id);
    const last = reports.at(-1);
    expect(last).toMatchObject({ state: 'failed', reason: 'not-authorised' });
    expect(reports.map((r) => r.state)).not.toContain('installing');
    const after = device.agent.status();
    expect(after.slots).toEqual(before.slots); // slot b still empty
    expect(after.counter).toBe(240);
    expect(await bootsFromFlash(device.storage.medium)).toMatchObject({ version: '2.4.0', slot: 'a' });
  });

  it('U1 end to end: the gateway refuses a substituted image before caching it; the device installs nothing', async () => {
    const { fleet, reports, update } = await setup({
      tamper: (path, bytes) => {
        if (!path.startsWith('targets/') || !path.endsWith('.bin')) return bytes;
        const evil = bytes.slice();
        evil[evil.length - 1] = (evil[evil.length - 1] ?? 0) ^ 0xff;
        return evil;
      },
    });
    const device = fleet.devices[0];
    if (device === undefined) throw new Error('no device');
    await update(device.id);
    expect(reports.at(-1)?.state).toBe('failed');
    expect(reports.map((r) => r.state)).not.toContain('installing');
    expect(device.gateway.cache.stats.refusedImages).toBeGreaterThan(0);
    expect(device.gateway.cache.stats.cachedImages).toBeLessThanOrEqual(2); // manifest and proof only
    expect(await bootsFromFlash(device.storage.medium)).toMatchObject({ version: '2.4.0' });
  });

  it('U16 end to end: a replayed update command is refused by the device and starts nothing', async () => {
    const { fleet, reports, update, command } = await setup();
    const device = fleet.devices[0];
    if (device === undefined) throw new Error('no device');
    const wire = command(device.id);
    await update(device.id, wire);
    const reported = reports.length;
    await update(device.id, wire);
    expect(device.received).toHaveLength(2);
    expect(device.received[1]).toMatchObject({ refused: expect.stringMatching(/replay|sequence/i) });
    expect(reports).toHaveLength(reported);
    expect(device.agent.running()?.version).toBe(RELEASE.version);
  });

  it('a device refuses the release for other hardware even when the director assigns it (U8)', async () => {
    const { platform, fleet, reports } = await setup();
    const device = fleet.devices[0];
    if (device === undefined) throw new Error('no device');
    // A compromised director key lists the rev-b image for a rev-a device.
    const revB = platform.released['po-200.rev-b'];
    platform.director
      .repository(device.id)
      .addTarget(
        revB.path,
        { length: revB.length, sha256: revB.sha256 },
        { custom: { hardwareId: device.hardwareId, deviceId: device.id, version: RELEASE.version } },
      );
    platform.director.repository(device.id).publish();
    const error = await (await fleet.sourceOf(device))
      .fetch({
        hardwareId: device.hardwareId,
        installed: { version: '2.4.0', sequence: 240 },
        antiRollbackCounter: 240,
      })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UpdateRejectedError);
    expect((error as UpdateRejectedError).reason).toBe('wrong-hardware');
    expect(reports).toHaveLength(0);
    expect(device.agent.running()?.version).toBe('2.4.0');
    expect(sha256Hex(device.storage.readSlot('a').image)).toBe(sha256Hex(platform.factory['po-200.rev-a']));
  });
});
