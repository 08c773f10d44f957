import type { DeploymentEvent, MonitorAlarm, MonitorReport } from '@healthit/ai';
import type { RetrainOutcome } from '@healthit/ai/retraining';
import { type EdgeAiArgs, parseArgs, USAGE, UsageError } from './cli-args.js';
import { type LoopProgress, type LoopResult, type PhaseResult, RUN_START_TS, runEdgeAiLoop } from './loop.js';
import { RESPIRATORY_WARD } from './wards.js';

/** Where the command writes. */
export interface CliIo {
  readonly out: (line: string) => void;
  readonly err: (line: string) => void;
}

const HOUR_MS = 3_600_000;

/** Run time as `hh:mm` since the start of the gateway's run. */
export function clockTime(ts: number): string {
  const minutes = Math.round((ts - RUN_START_TS) / 60_000);
  const sign = minutes < 0 ? '-' : '';
  const m = Math.abs(minutes);
  return `${sign}${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;
}

/** An integer with thin groups: 27 800. */
export function count(n: number): string {
  return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ' ');
}

const f3 = (x: number | null | undefined) => (x === null || x === undefined ? '—' : x.toFixed(3));
const f2 = (x: number) => x.toFixed(2);

function line(at: number | undefined, tag: string, text: string): string {
  return `${at === undefined ? '     ' : clockTime(at)}  ${tag.padEnd(9)} ${text}`;
}

function deploymentText(e: DeploymentEvent, minShadow: number): string | undefined {
  switch (e.type) {
    case 'verified':
      return `${e.version} verified: SHA-256 ${e.sha256.slice(0, 12)}… signed by a trusted signer, approved by ${e.approvedBy ?? 'nobody'} (held by the ledger)${e.profiled ? ', signed reference profile' : ''}`;
    case 'loaded':
      return `${e.version} loaded, ${e.role === 'shadow' ? 'scoring in shadow (logged, not acted on)' : 'active'}`;
    case 'promoted':
      return `${e.version} promoted${e.trigger === 'auto' ? ` (after ${count(minShadow)} shadow scores)` : ` (${e.trigger})`}${e.previous === undefined ? '' : `; ${e.previous} kept for rollback`}`;
    case 'refused':
      return `REFUSED ${e.version ?? '?'}: ${e.error.reason} — ${e.error.message}`;
    case 'rolled-back':
      return `ROLLED BACK ${e.from} → ${e.to} (${e.trigger}): ${e.reason}`;
    case 'rollback-unavailable':
      return `rollback of ${e.version ?? '?'} not possible (${e.trigger}): no previous version kept`;
    case 'load-failed':
      return `${e.version} failed to load: ${e.error.message}`;
    case 'shadow-discarded':
      return `shadow ${e.version} discarded (${e.reason})`;
    case 'retired':
      return `${e.version} retired from the rollback history`;
    case 'command-rejected':
      return e.error.name === 'ModelDeploymentError'
        ? undefined
        : `command ${e.commandId ?? '?'} rejected: ${e.error.message}`;
    default:
      return undefined;
  }
}

/** `x < y` with as many decimals (3 to 6) as it takes to tell them apart. */
function apart(x: number, y: number): string {
  let d = 3;
  while (d < 6 && x.toFixed(d) === y.toFixed(d)) d++;
  return `${x.toFixed(d)} < ${y.toFixed(d)}`;
}

function alarmText(a: MonitorAlarm): string {
  const f = a.finding;
  if (!a.raised) return `${a.kind} on ${a.version} back within its threshold`;
  switch (f.kind) {
    case 'accuracy':
      return f.auroc !== null && f.auroc < f.minAuroc
        ? `accuracy on ${a.version}: rolling AUROC ${apart(f.auroc, f.minAuroc)} (${count(f.labelled)} labelled windows, ${count(f.positives)} events)`
        : `accuracy on ${a.version}: rolling Brier ${f3(f.brier)} > ${f3(f.maxBrier)} (${count(f.labelled)} labelled windows)`;
    case 'input-drift':
      return `input drift on ${a.version}: ${f.drifted} features at PSI ≥ ${f.threshold} (${f.features
        .slice(0, 3)
        .map((x) => `${x.name} ${f2(x.psi)}`)
        .join(', ')})`;
    case 'prediction-drift':
      return `prediction drift on ${a.version}: PSI of the scores ${f2(f.psi)} ≥ ${f.threshold}`;
  }
}

function statusText(ward: string, active: string | undefined, r: MonitorReport | undefined): string {
  const a = r?.active;
  if (active === undefined) return `${ward} · no version active yet`;
  if (a?.version !== active) {
    return `${ward} · ${active} · no report on it yet (a window's label comes an hour after the window)`;
  }
  const acc = a.accuracy;
  const drift = a.inputDrift?.top[0];
  return `${ward} · ${a.version} · rolling AUROC ${f3(acc.auroc)}, Brier ${f3(acc.brier)} (${count(acc.labelled)} labelled) · input PSI max ${drift === undefined ? '—' : `${f2(drift.psi)} ${drift.name}`} · prediction PSI ${a.predictionDrift === undefined ? '—' : f2(a.predictionDrift.psi)}`;
}

function retrainLines(at: number, o: RetrainOutcome): string[] {
  if (o.type === 'insufficient-data') {
    return [line(at, 'platform', `retrain: waiting for fresh labelled data (${o.message}); retry in 1 h`)];
  }
  const e = o.evaluation;
  const cur = e.current.evaluation;
  const cand = e.candidate.evaluation;
  const head = line(
    at,
    'platform',
    `retrain on ${count(e.train.rows)} fresh windows of ${e.train.patients} patients: candidate ${e.candidate.version} vs current ${e.current.version} on the same ${e.heldOut.patients} held-out patients (${count(e.heldOut.rows)} windows, ${count(e.heldOut.positives)} events):`,
  );
  const figures = line(
    undefined,
    '',
    `  AUROC ${f3(cand.auroc)} vs ${f3(cur.auroc)}, Brier ${f3(cand.brier)} vs ${f3(cur.brier)} → ${e.promote ? 'PROMOTE' : 'keep the current model'} (AUROC +${f3(e.criterion.minAurocGain)} needed, Brier not worse)`,
  );
  if (o.type === 'kept-current') return [head, figures];
  const { release } = o;
  return [
    head,
    figures,
    line(
      undefined,
      '',
      `  ${release.signed.manifest.version} signed by ${release.signed.manifest.signer.id}, reference profile signed, approved by ${release.approval.approver.id} → model.approve #${release.approval.ledger.index}; sent to the gateway`,
    ),
  ];
}

function progressLines(p: LoopProgress, args: EdgeAiArgs, minShadow: number): string[] {
  switch (p.type) {
    case 'trained':
      return [
        line(
          undefined,
          'platform',
          `trained deterioration-risk ${p.v1.version} (logistic regression, 42 window features) on ${p.v1.patients} general-ward patients × 24 h: held-out AUROC ${f3(p.v1.heldOut.auroc)} (NEWS2 alone ${f3(p.v1.news2Auroc)}), Brier ${f3(p.v1.heldOut.brier)}`,
        ),
        line(
          undefined,
          'platform',
          `signed, reference profile, approved → model.approve #0; deployed to the gateway`,
        ),
      ];
    case 'deployment': {
      const text = deploymentText(p.event, minShadow);
      return text === undefined || (args.quiet && p.event.type !== 'refused')
        ? []
        : [line(p.at, 'gateway', text)];
    }
    case 'shift':
      return [
        line(
          p.at,
          'SHIFT',
          `the gateway now serves the ${RESPIRATORY_WARD.name} (${args.patients} patients: half with COPD, NEWS2 SpO2 scale 2; half on 3 L/min oxygen)`,
        ),
      ];
    case 'status':
      return [line(p.at, 'status', statusText(p.ward, p.active, p.report))];
    case 'alarm':
      return [line(p.at, p.alarm.raised ? 'ALARM' : 'alarm', alarmText(p.alarm))];
    case 'retrain-request':
      return [
        line(
          p.at,
          'REQUEST',
          `retrain ${p.request.modelId} ${p.request.version} (${p.request.findings.map((f) => f.kind).join(', ')}) → platform [${p.request.requestId}]`,
        ),
      ];
    case 'retrain':
      return retrainLines(p.at, p.outcome);
    case 'request-expired':
      return [
        line(
          p.at,
          'platform',
          `retrain request ${p.request.requestId} dropped: the gateway stopped asking (its alarms cleared)`,
        ),
      ];
  }
}

function phaseRow(p: PhaseResult): string {
  const name = {
    'before-shift': 'before shift',
    'after-shift': 'after shift',
    'after-retrain': 'after retrain',
  }[p.phase];
  return `    ${name.padEnd(14)} ${p.versions.join(', ').padEnd(12)} ${p.ward.padEnd(21)} AUROC ${f3(p.auroc)}   Brier ${f3(p.brier)}   ${count(p.windows)} windows, ${count(p.positives)} events`;
}

function summaryLines(r: LoopResult, args: EdgeAiArgs): { lines: string[]; recovered: boolean } {
  const [before, after, retrained] = r.phases as [PhaseResult, PhaseResult, PhaseResult];
  const shiftTs = RUN_START_TS + args.shiftAtHours * HOUR_MS;
  const firstAlarm = r.alarms.find((a) => a.raised && a.ts >= shiftTs && a.version === r.v1.version);
  const promoted = r.retrains.filter((x) => x.outcome.type === 'promoted');
  const waited = r.retrains.filter((x) => x.outcome.type === 'insufficient-data').length;
  const kept = r.retrains.filter((x) => x.outcome.type === 'kept-current').length;
  const promotedAt = r.deployment.find((e) => e.type === 'promoted' && e.version !== r.v1.version);
  const refused = r.deployment.filter((e) => e.type === 'refused');
  const recovered =
    after.auroc !== null && retrained.auroc !== null && retrained.auroc > after.auroc && promoted.length > 0;
  const lines = [
    '',
    'Summary',
    '  AUROC of the acted-on model over labelled windows at the gateway (label: NEWS2 ≥ 7 within the next hour)',
    phaseRow(before),
    phaseRow(after),
    phaseRow(retrained),
    `  first model      ${r.v1.version}: held-out AUROC ${f3(r.v1.heldOut.auroc)} on general-ward patients it never saw (NEWS2 alone ${f3(r.v1.news2Auroc)})`,
    `  drift            ${firstAlarm === undefined ? 'no alarm after the shift' : `first alarm ${clockTime(firstAlarm.ts)} (${firstAlarm.kind}), ${Math.round((firstAlarm.ts - shiftTs) / 60_000)} min after the shift`}; ${r.requests.length} retrain request(s)`,
    `  retraining       ${r.retrains.length} attempt(s): ${promoted.length} promoted, ${kept} kept the current model, ${waited} waited for data${
      promoted[0] === undefined
        ? ''
        : ` · ${clockTime(promoted[0].at)}: ${promoted[0].outcome.type === 'promoted' ? `${f3(promoted[0].outcome.evaluation.candidate.evaluation.auroc)} vs ${f3(promoted[0].outcome.evaluation.current.evaluation.auroc)} held-out AUROC` : ''}`
    }`,
    `  redeploy         ${promotedAt === undefined ? 'none' : `${promotedAt.type === 'promoted' ? promotedAt.version : ''} promoted at ${clockTime(promotedAt.at)} after its shadow period`}${refused.length > 0 ? `; ${refused.length} tampered copy refused (${refused.map((e) => (e.type === 'refused' ? e.error.reason : '')).join(', ')})` : ''}`,
    `  ledger           ${r.ledger.approvals.length} model.approve entries (${r.ledger.approvals.join(', ')}), ${r.ledger.entries} entries, log ${r.ledger.verified ? 'verified' : 'FAILED verification'}`,
    `  gateway          ${count(r.windowsScored)} windows scored from ${count(r.readings)} readings; version in service at the end: ${r.finalVersion ?? 'none'}`,
    recovered
      ? `  RECOVERED        AUROC ${f3(after.auroc)} after the shift → ${f3(retrained.auroc)} after the retrain (+${f3((retrained.auroc as number) - (after.auroc as number))})`
      : '  NOT RECOVERED    no retrained version beat the drifted one at the gateway (a longer --duration gives the platform more fresh data)',
  ];
  return { lines, recovered };
}

/**
 * The `healthit-edge-ai` command: runs the loop, prints its progress and a summary, and returns the
 * exit status (0 recovered, 1 not recovered, 2 usage error).
 */
export async function runEdgeAiCli(argv: readonly string[], io: CliIo): Promise<number> {
  let args: EdgeAiArgs;
  try {
    args = parseArgs(argv);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    io.err(`healthit-edge-ai: ${error.message}`);
    io.err(USAGE);
    return 2;
  }
  if (args.help) {
    io.out(USAGE);
    return 0;
  }
  const minShadowScores = 6 * args.patients;
  io.out(
    `healthit-edge-ai · seed ${args.seed} · ${args.patients} patients per ward · ${args.hours} h, the gateway moves to the ${RESPIRATORY_WARD.name} at ${clockTime(RUN_START_TS + args.shiftAtHours * HOUR_MS)}${args.tamper ? ' · the downlink tampers with the first redeploy' : ''}`,
  );
  io.out('Simulated patients only; not a validated clinical model.');
  io.out('');
  const started = Date.now();
  const result = await runEdgeAiLoop({
    seed: args.seed,
    patients: args.patients,
    hours: args.hours,
    shiftAtHours: args.shiftAtHours,
    historyPatients: args.historyPatients,
    historyHours: 24,
    tamper: args.tamper,
    minShadowScores,
    onProgress: (p) => {
      if (args.quiet && p.type !== 'trained' && p.type !== 'deployment') return;
      for (const text of progressLines(p, args, minShadowScores)) io.out(text);
    },
  });
  const { lines, recovered } = summaryLines(result, args);
  for (const text of lines) io.out(text);
  io.out(`  (${((Date.now() - started) / 1000).toFixed(1)} s)`);
  return recovered ? 0 : 1;
}
