/**
 * One run of the example, wired end to end: platform (ledger, image repository, director,
 * rollouts engine) → two gateways with firmware caches → the devices' update agents.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ed25519PublicKey } from '@healthit/core';
import type { CampaignStatus } from '@healthit/platform/rollouts';
import { createAuditLog } from './audit-log.js';
import { createFleet, WARDS } from './fleet.js';
import { createGateways } from './gateways.js';
import { createPlatform } from './release.js';
import { createRng, seedBytes } from './rng.js';
import { runRollout } from './rollout.js';
import { type OtaSummary, summarise } from './summary.js';

/** Options of {@link runOtaSimulation}. */
export interface OtaSimulationOptions {
  readonly devices: number;
  readonly seed: number;
  /** The release's rev-b image carries the faulty sensor driver (default true). */
  readonly fault?: boolean;
  /** Hardware whose release is never authorised in the ledger (default none). */
  readonly unauthorisedOn?: readonly string[];
  /** Told of each change of the campaign's wave or phase. */
  readonly onProgress?: (status: CampaignStatus) => void;
}

/** Runs the simulation in a temporary directory (TUF metadata), removed at the end. */
export async function runOtaSimulation(options: OtaSimulationOptions): Promise<OtaSummary> {
  const rng = createRng(options.seed);
  const workDir = await mkdtemp(join(tmpdir(), 'healthit-ota-'));
  const platform = await createPlatform({
    rng,
    faultyOn: options.fault === false ? [] : ['po-200.rev-b'],
    ...(options.unauthorisedOn === undefined ? {} : { unauthorisedOn: options.unauthorisedOn }),
  });
  try {
    const gateways = await createGateways(platform, WARDS, workDir);
    const signingKey = seedBytes(rng);
    const signer = { keyId: 'platform-ota-2026', secretKey: signingKey };
    const publicKey = ed25519PublicKey(signingKey);
    const fleet = await createFleet(
      {
        count: options.devices,
        rng,
        platform,
        gateways,
        issuerKey: (keyId) => (keyId === signer.keyId ? publicKey : undefined),
      },
      workDir,
    );
    const therapyAtStart = new Set(fleet.devices.filter((d) => d.inTherapy).map((d) => d.id));
    // Its own seed: the audit log's keys must not shift the scenario the seed picks.
    const auditLog = createAuditLog(createRng(options.seed ^ 0x5eed_a0d1));
    try {
      const run = await runRollout({
        platform,
        fleet,
        signer,
        ledger: auditLog.sink,
        ...(options.onProgress === undefined ? {} : { onProgress: options.onProgress }),
      });
      try {
        const logged = { entries: auditLog.log.size, checkpointSize: await auditLog.checkpointSize() };
        return await summarise(platform, gateways, fleet.devices, run, therapyAtStart, logged);
      } finally {
        run.engine.close();
      }
    } finally {
      await auditLog.close();
    }
  } finally {
    await platform.close();
    await rm(workDir, { recursive: true, force: true });
  }
}
