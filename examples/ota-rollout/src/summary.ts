/**
 * The end of a run: counts per state, gateway cache figures, audit records, and the consistency
 * checks — every device boots a valid image, the engine's fleet view matches each device, nothing
 * was assigned after an abort, no device in therapy was touched, one upstream download per image
 * file and gateway.
 */
import { bootFirmware, cloneMedium, createFirmwareStorage } from '@healthit/device';
import type { SimDevice } from './fleet.js';
import { type SimGateway, upstreamImageFetches } from './gateways.js';
import { FACTORY, type Platform, RELEASE, sha256Hex } from './release.js';
import { CAMPAIGN_ID, type RolloutRun } from './rollout.js';

/** One failed consistency check. */
export interface Inconsistency {
  readonly check: string;
  readonly detail: string;
}

/** What `--json` prints, and what the text summary shows. */
export interface OtaSummary {
  readonly devices: number;
  readonly hardware: Record<string, number>;
  readonly gateways: readonly {
    readonly id: string;
    readonly wards: readonly string[];
    readonly devices: number;
    readonly upstreamImageFetches: number;
    readonly imageFiles: number;
    readonly hits: number;
    readonly misses: number;
    readonly refusedImages: number;
  }[];
  readonly release: readonly {
    readonly hardwareId: string;
    readonly path: string;
    readonly sha256: string;
    readonly ledgerIndex?: number;
    readonly endorsedBy: readonly string[];
  }[];
  readonly campaign: {
    readonly id: string;
    readonly phase: string;
    readonly reason?: string;
    readonly wave: number;
    readonly assigned: number;
    readonly population: number;
    readonly waves: readonly {
      wave: number;
      planned: number;
      assigned: number;
      updated: number;
      failed: number;
    }[];
  };
  readonly counts: Record<string, number>;
  /** Devices by the firmware version they boot. */
  readonly running: Record<string, number>;
  readonly rolledBack: { readonly byHardware: Record<string, number> };
  readonly commands: { readonly signed: number; readonly accepted: number; readonly refused: number };
  readonly reports: { readonly accepted: number; readonly refused: number };
  readonly audit: Record<string, number>;
  /** The platform's audit log: entries appended, and the size of its latest signed checkpoint. */
  readonly auditLog: { readonly entries: number; readonly checkpointSize: number };
  readonly therapy: {
    readonly devices: number;
    readonly assignedWhileInTherapy: number;
    readonly ended: number;
  };
  readonly inconsistencies: readonly Inconsistency[];
  readonly consistent: boolean;
}

const inc = (record: Record<string, number>, key: string) => {
  record[key] = (record[key] ?? 0) + 1;
};

/** Checks the fleet and builds the summary. */
export async function summarise(
  platform: Platform,
  gateways: readonly SimGateway[],
  devices: readonly SimDevice[],
  run: RolloutRun,
  therapyAtStart: ReadonlySet<string>,
  logged: OtaSummary['auditLog'],
): Promise<OtaSummary> {
  const problems: Inconsistency[] = [];
  const fail = (check: string, detail: string) => problems.push({ check, detail });
  // Every audit record the engine emitted is in the audit log, under a signed checkpoint.
  if (logged.entries !== run.audit.length || logged.checkpointSize !== logged.entries) {
    fail(
      'audit-log',
      `${run.audit.length} audit records, ${logged.entries} log entries, checkpoint at ${logged.checkpointSize}`,
    );
  }
  const valid = new Map<string, string>(); // sha256 → version
  for (const [hw, image] of Object.entries(platform.factory))
    valid.set(`${hw}:${sha256Hex(image)}`, FACTORY.version);
  for (const r of Object.values(platform.released)) valid.set(`${r.hardwareId}:${r.sha256}`, RELEASE.version);

  const running: Record<string, number> = {};
  const rolledBack: Record<string, number> = {};
  const hardware: Record<string, number> = {};
  const byId = new Map(devices.map((d) => [d.id, d]));
  for (const d of devices) {
    inc(hardware, d.hardwareId);
    // Every device boots a valid image: power a copy of its flash on, from scratch.
    try {
      const boot = await bootFirmware(createFirmwareStorage({ medium: cloneMedium(d.storage.medium) }));
      const version = valid.get(`${d.hardwareId}:${boot.running.sha256}`);
      if (version === undefined || version !== boot.running.version || boot.trial)
        fail(
          'boots a valid image',
          `${d.id} boots ${boot.running.version} ${boot.running.sha256.slice(0, 12)}…`,
        );
      inc(running, boot.running.version);
      if (boot.running.version !== d.agent.running()?.version)
        fail(
          'boots a valid image',
          `${d.id} would boot ${boot.running.version}, runs ${d.agent.running()?.version}`,
        );
    } catch (e) {
      fail('boots a valid image', `${d.id}: ${e instanceof Error ? e.message : String(e)}`);
    }
    const status = d.agent.status();
    if (d.agent.running()?.version === FACTORY.version && status.counter !== FACTORY.sequence)
      fail('anti-rollback counter', `${d.id} runs ${FACTORY.version} with counter ${status.counter}`);
    if (d.reported.get(CAMPAIGN_ID) === 'rolled-back') inc(rolledBack, d.hardwareId);
  }

  // The engine's fleet view agrees with each device, device by device.
  const view = run.engine.fleet({ campaignId: CAMPAIGN_ID, limit: 100_000 });
  const inView = new Set(view.map((e) => e.deviceId as string));
  for (const d of devices)
    if (!inView.has(d.id)) fail('fleet view', `${d.id} is missing from the fleet view`);
  for (const entry of view) {
    const d = byId.get(entry.deviceId);
    if (d === undefined) {
      fail('fleet view', `${entry.deviceId} is not a device of the fleet`);
      continue;
    }
    const actual = d.agent.running()?.version;
    if (entry.version !== actual)
      fail('fleet view', `${d.id}: view says ${entry.version}, device runs ${actual}`);
    const reported = d.reported.get(CAMPAIGN_ID) ?? 'pending';
    if (entry.state !== reported)
      fail('fleet view', `${d.id}: view says ${entry.state}, device's last state is ${reported}`);
  }

  // Nothing assigned after an abort; nothing to a device in therapy; each command reached one device.
  const aborted = run.statuses.find((s) => s.phase === 'aborted');
  if (aborted !== undefined) {
    const late = run.commands.filter((c) => c.issuedAt > aborted.ts);
    if (late.length > 0) fail('nothing assigned after the abort', `${late.length} commands after the abort`);
    if (run.final.assigned !== aborted.assigned)
      fail(
        'nothing assigned after the abort',
        `${aborted.assigned} assigned at the abort, ${run.final.assigned} at the end`,
      );
  }
  const ended = new Set(run.therapyEnded);
  const assignedWhileInTherapy = run.commands.filter(
    (c) => therapyAtStart.has(c.deviceId) && !ended.has(c.deviceId),
  ).length;
  if (assignedWhileInTherapy > 0)
    fail('therapy guard', `${assignedWhileInTherapy} devices in therapy were assigned`);
  const received = devices.reduce((n, d) => n + d.received.length, 0);
  if (received !== run.commands.length)
    fail('commands', `${run.commands.length} issued, ${received} received`);
  const refusedCommands = devices.reduce((n, d) => n + d.received.filter((r) => r !== 'accepted').length, 0);
  if (run.refusedReports.length > 0) fail('reports', run.refusedReports.slice(0, 3).join('; '));

  // One upstream download per image file and gateway.
  const gatewayRows = gateways.map((g) => {
    const fetched = upstreamImageFetches(g);
    for (const [path, n] of fetched) if (n > 1) fail('gateway cache', `${g.id} fetched ${path} ${n} times`);
    const stats = g.cache.stats;
    return {
      id: g.id,
      wards: g.wards,
      devices: devices.filter((d) => d.gateway === g).length,
      upstreamImageFetches: [...fetched.values()].reduce((a, b) => a + b, 0),
      imageFiles: fetched.size,
      hits: stats.hits,
      misses: stats.misses,
      refusedImages: stats.refusedImages,
    };
  });

  const audit: Record<string, number> = {};
  for (const r of run.audit) inc(audit, r.type);
  const counts = Object.fromEntries(Object.entries(run.final.counts).filter(([, n]) => n > 0));
  return {
    devices: devices.length,
    hardware,
    gateways: gatewayRows,
    release: Object.values(platform.released).map((r) => ({
      hardwareId: r.hardwareId,
      path: r.path,
      sha256: r.sha256,
      ...(r.ledgerIndex === undefined ? {} : { ledgerIndex: r.ledgerIndex }),
      endorsedBy: r.endorsedBy,
    })),
    campaign: {
      id: CAMPAIGN_ID,
      phase: run.final.phase,
      ...(run.final.reason === undefined ? {} : { reason: run.final.reason }),
      wave: run.final.wave,
      assigned: run.final.assigned,
      population: run.final.population,
      waves: run.final.waves.map(({ wave, planned, assigned, updated, failed }) => ({
        wave,
        planned,
        assigned,
        updated,
        failed,
      })),
    },
    counts,
    running,
    rolledBack: { byHardware: rolledBack },
    commands: { signed: run.commands.length, accepted: received - refusedCommands, refused: refusedCommands },
    reports: { accepted: run.acceptedReports, refused: run.refusedReports.length },
    audit,
    auditLog: logged,
    therapy: { devices: therapyAtStart.size, assignedWhileInTherapy, ended: run.therapyEnded.length },
    inconsistencies: problems,
    consistent: problems.length === 0,
  };
}

/** The summary as text lines. */
export function formatSummary(s: OtaSummary, elapsedMs: number): string[] {
  const kv = (r: Record<string, number>) =>
    Object.entries(r)
      .map(([k, v]) => `${k} ${v}`)
      .join(' · ');
  const lines = [
    `OTA rollout — ${s.devices} devices (${kv(s.hardware)}) behind ${s.gateways.length} gateways`,
    '',
    'release',
    ...s.release.map(
      (r) =>
        `  ${r.path.padEnd(24)} sha256 ${r.sha256.slice(0, 12)}…  ${
          r.ledgerIndex === undefined
            ? 'NOT authorised in the ledger'
            : `firmware.authorize #${r.ledgerIndex} endorsed by ${r.endorsedBy.join(' + ')} (witnessed)`
        }`,
    ),
    '',
    `campaign ${s.campaign.id}: ${s.campaign.phase.toUpperCase()} in wave ${s.campaign.wave}${
      s.campaign.reason === undefined ? '' : ` — ${s.campaign.reason}`
    }`,
    ...s.campaign.waves.map(
      (w) =>
        `  wave ${w.wave}: planned ${String(w.planned).padStart(3)}  assigned ${String(w.assigned).padStart(3)}  updated ${String(w.updated).padStart(3)}  failed/rolled back ${w.failed}`,
    ),
    `  states: ${kv(s.counts)}`,
    `  devices boot: ${kv(s.running)}${
      Object.keys(s.rolledBack.byHardware).length === 0
        ? ''
        : ` · rolled back: ${kv(s.rolledBack.byHardware)}`
    }`,
    `  therapy: ${s.therapy.devices} devices in therapy, ${s.therapy.assignedWhileInTherapy} assigned while in therapy, ${s.therapy.ended} discharged and then updated`,
    `  commands: ${s.commands.signed} signed, ${s.commands.accepted} verified by devices, ${s.commands.refused} refused · reports: ${s.reports.accepted} verified, ${s.reports.refused} refused`,
    '',
    'gateways',
    ...s.gateways.map(
      (g) =>
        `  ${g.id} (${g.wards.join(', ')}): ${g.devices} devices · ${g.upstreamImageFetches} upstream target downloads for ${g.imageFiles} files · cache hits ${g.hits}, misses ${g.misses}, refused ${g.refusedImages}`,
    ),
    '',
    `audit: ${kv(s.audit)} · ${s.auditLog.entries} entries in the platform's audit log, signed checkpoint at size ${s.auditLog.checkpointSize}`,
    '',
    s.consistent
      ? `fleet CONSISTENT: every device boots a valid image, the fleet view matches every device${
          s.campaign.phase === 'aborted' ? ', nothing assigned after the abort' : ''
        } (${(elapsedMs / 1000).toFixed(1)} s)`
      : `fleet INCONSISTENT (${s.inconsistencies.length}):`,
    ...s.inconsistencies.slice(0, 20).map((p) => `  ${p.check}: ${p.detail}`),
  ];
  return lines;
}
