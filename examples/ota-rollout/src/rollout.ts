/**
 * The rollout loop: the platform's rollouts engine runs a staged campaign; each assign command is
 * turned into a director assignment and a signed `UpdateCommand`, delivered to the device through
 * its gateway; every device report is signed by the device and verified by the platform (signature,
 * replay counter) before it feeds the engine.
 */
import type { LedgerRecord, LedgerSink } from '@healthit/core';
import {
  createUpdateCommandIssuer,
  createUpdateReportVerifier,
  type UpdateReport,
} from '@healthit/core/updates';
import {
  type CampaignStatus,
  createRolloutEngine,
  type RolloutCommand,
  type RolloutEngine,
} from '@healthit/platform/rollouts';
import { deliverCommand, type Fleet, MODEL, type SimDevice } from './fleet.js';
import { HARDWARE, imagePath, type Platform, RELEASE } from './release.js';

export const CAMPAIGN_ID = `po-200-${RELEASE.version}`;
export const WAVES = [1, 10, 50, 100] as const;

/** What the loop observed, for the summary and the consistency checks. */
export interface RolloutRun {
  readonly engine: RolloutEngine;
  readonly commands: readonly RolloutCommand[];
  readonly statuses: readonly CampaignStatus[];
  readonly audit: readonly LedgerRecord[];
  /** Reports the platform refused (signature, replay, engine transition), as text. */
  readonly refusedReports: readonly string[];
  readonly acceptedReports: number;
  /** Devices whose therapy ended during the run (then updated by the campaign). */
  readonly therapyEnded: readonly string[];
  readonly final: CampaignStatus;
}

/** Options of {@link runRollout}. */
export interface RolloutOptions {
  readonly platform: Platform;
  readonly fleet: Fleet;
  /** The platform's command-signing key. */
  readonly signer: { readonly keyId: string; readonly secretKey: Uint8Array };
  /** Where the engine's audit records go (the platform's audit log). */
  readonly ledger?: LedgerSink;
  /** Told of each change of the campaign's wave or phase (progress for the command line). */
  readonly onProgress?: (status: CampaignStatus) => void;
  /** Give up after this long (ms, default 120 000). */
  readonly deadlineMs?: number;
}

const FINAL = new Set(['aborted', 'cancelled', 'completed']);

/** Runs the campaign to its end (completed or aborted) and every started update to its end. */
export async function runRollout(options: RolloutOptions): Promise<RolloutRun> {
  const { platform, fleet } = options;
  const byId = new Map<string, SimDevice>(fleet.devices.map((d) => [d.id, d]));
  const engine = createRolloutEngine(options.ledger === undefined ? {} : { ledger: options.ledger });
  const issuer = createUpdateCommandIssuer({ signer: options.signer });
  const reports = createUpdateReportVerifier({
    deviceKey: (id) => byId.get(id)?.identity.signing.publicKey,
    maxDevices: fleet.devices.length + 16,
  });
  const commands: RolloutCommand[] = [];
  const statuses: CampaignStatus[] = [];
  const audit: LedgerRecord[] = [];
  const refusedReports: string[] = [];
  const therapyEnded: string[] = [];
  const inFlight = new Set<Promise<void>>();
  let acceptedReports = 0;

  // Platform side of a report: verify the device's signature and counter, then feed the engine.
  const receive = (deviceId: string, report: UpdateReport): void => {
    const wire: unknown = JSON.parse(JSON.stringify(report)); // through the gateway
    try {
      const verified = reports.verify(wire, { deviceId });
      const result = engine.report(verified);
      if (!result.ok) {
        refusedReports.push(`${deviceId}: ${result.error.message}`);
        return;
      }
      acceptedReports++;
      if (verified.state === 'updated' && verified.version !== undefined)
        platform.director.reportInstalled(deviceId, verified.version);
      if (verified.state === 'failed' || verified.state === 'rolled-back')
        platform.director.unassign(deviceId);
    } catch (e) {
      refusedReports.push(`${deviceId}: ${e instanceof Error ? e.message : String(e)}`);
    }
  };

  // An assign command: the director assigns the device's image, the platform signs the command.
  const dispatch = (command: RolloutCommand): void => {
    commands.push(command);
    const device = byId.get(command.deviceId);
    if (device === undefined) return;
    const targetPath = platform.assign(device.id, command.targetPath);
    const signed = issuer.issue({
      campaignId: command.campaignId,
      deviceId: device.id,
      targetPath,
      version: command.release.version,
      urgent: command.urgent,
      expiresAt: command.expiresAt,
    });
    const run = deliverCommand(fleet, device, JSON.parse(JSON.stringify(signed)), (r) =>
      receive(device.id, r),
    );
    inFlight.add(run);
    void run.finally(() => inFlight.delete(run));
  };

  let settle: (status: CampaignStatus) => void = () => {};
  const finished = new Promise<CampaignStatus>((resolve) => {
    settle = resolve;
  });
  const subscriptions = [
    engine.commands$.subscribe(dispatch),
    engine.audit$.subscribe((r) => audit.push(r)),
    engine.status$.subscribe((status) => {
      const previous = statuses.at(-1);
      if (previous === undefined || previous.wave !== status.wave || previous.phase !== status.phase) {
        options.onProgress?.(status);
      }
      statuses.push(status);
      if (FINAL.has(status.phase)) settle(status);
      // The last wave is reached and only devices in therapy wait: their patients are discharged.
      if (status.phase === 'running' && status.wave === status.waveCount && status.inFlight === 0) {
        const waiting = fleet.devices.filter((d) => d.inTherapy);
        if (waiting.length > 0) queueMicrotask(() => endTherapy(waiting));
      }
    }),
  ];
  const endTherapy = (devices: readonly SimDevice[]): void => {
    for (const d of devices) {
      if (!d.inTherapy) continue;
      d.inTherapy = false;
      therapyEnded.push(d.id);
    }
    engine.upsertDevices(devices.map(inventoryOf));
  };

  engine.upsertDevices(fleet.devices.map(inventoryOf));
  const created = engine.createCampaign(
    {
      id: CAMPAIGN_ID,
      title: `Pulse oximeter ${RELEASE.version}`,
      // One release, one image per hardware revision (`po-200/<rev>/<version>.bin`): each command
      // names the image of its device's hardware.
      release: {
        targets: Object.fromEntries(HARDWARE.map((h) => [h, imagePath(h, RELEASE.version)])),
        version: RELEASE.version,
        hardwareIds: [...HARDWARE],
      },
      waves: [...WAVES],
      successPercent: 95,
      abortAtFailurePercent: 20,
      deviceTimeoutMs: 120_000,
    },
    'biomed:mary',
  );
  if (!created.ok) throw created.error;

  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error('the campaign did not finish in time')),
      options.deadlineMs ?? 120_000,
    );
  });
  try {
    const final = await Promise.race([finished, deadline]);
    // Devices already updating finish and report after an abort.
    while (inFlight.size > 0) await Promise.race([Promise.allSettled([...inFlight]), deadline]);
    await engine.flushAudit();
    return {
      engine,
      commands,
      statuses,
      audit,
      refusedReports,
      acceptedReports,
      therapyEnded,
      final: engine.campaign(CAMPAIGN_ID) ?? final,
    };
  } finally {
    clearTimeout(timer);
    for (const s of subscriptions) s.unsubscribe();
  }
}

function inventoryOf(d: SimDevice) {
  return {
    deviceId: d.id,
    model: MODEL,
    hardwareId: d.hardwareId,
    ward: d.ward,
    firmwareVersion: d.agent.running()?.version ?? 'unknown',
    inTherapy: d.inTherapy,
    online: true,
  };
}
