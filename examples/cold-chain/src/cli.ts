import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type LogStorage, LogVerificationError, verifyLog } from '@healthit/ledger';
import { type FileLogStorage, openFileLogStorage } from '@healthit/ledger/tlog/file';
import { parseArgs, USAGE, UsageError } from './cli-args.js';
import { WITNESS_THRESHOLD } from './consortium.js';
import { celsius, duration, utcMinute } from './format.js';
import { type JourneyResult, runJourney } from './journey.js';
import { coldChainPlan } from './plan.js';
import { createTimeline } from './timeline.js';
import {
  buildVialHistory,
  readingProvenance,
  type Vial,
  type VialHistory,
  type VialHistoryValid,
  verifyVialHistory,
} from './vial-history/index.js';

/** Where the command writes. */
export interface CliIo {
  readonly out: (line: string) => void;
  readonly err: (line: string) => void;
}

/** The serial number of the vial the pharmacist scans (lot LOT-A2231). */
export const DEMO_SERIAL = '0117';

function tick(ok: boolean): string {
  return ok ? 'ok' : 'FAILED';
}

function row(label: string, text: string, ok?: boolean): string {
  return `  ${label.padEnd(13)} ${text}${ok === undefined ? '' : `  … ${tick(ok)}`}`;
}

function disposition(v: VialHistoryValid): string[] {
  if (v.excursions.length > 0) {
    return [
      ...v.excursions.map(
        (x) =>
          `${duration((x.clearedAt ?? x.raisedAt) - x.startTs)} out of range (peak ${celsius(x.peakCelsius)}) from ${utcMinute(x.startTs)} in ${x.custodian}'s custody, flagged #${x.flagIndex}`,
      ),
      '→ quarantine the vial: dispense only if the manufacturer’s stability data cover this excursion',
    ];
  }
  const min = Math.min(...v.periods.map((p) => p.minCelsius));
  const max = Math.max(...v.periods.map((p) => p.maxCelsius));
  return min >= 2 && max <= 8
    ? [`every reading within 2–8 °C (${celsius(min)}–${celsius(max)}) → fit to dispense`]
    : [`readings ${celsius(min)}–${celsius(max)}, no excursion of 15 min or more → fit to dispense`];
}

function printVerdict(
  io: CliIo,
  history: VialHistory,
  text: string,
  v: ReturnType<typeof verifyVialHistory>,
  ms: number,
): void {
  if (!v.ok) {
    io.out(row('verdict', `INVALID at step ${v.step}: ${v.reason}`));
    return;
  }
  const chain = [v.transfers[0]?.from ?? '?', ...v.transfers.map((t) => t.to)].join(' → ');
  const longest = Math.max(...v.periods.map((p) => p.longestGapMs));
  const flags = history.entries.length - v.batchCount - v.transfers.length;
  io.out(
    row(
      'history',
      `${Math.round(text.length / 1024)} KiB: ${v.transfers.length} transfers, ${flags} flag(s), ${v.batchCount} batches, ${v.readingCount} readings, each proven against one checkpoint`,
    ),
  );
  io.out(
    row(
      'checkpoint',
      `size ${v.checkpoint.size}, signed by ${v.checkpoint.origin}, cosigned by ${v.witnesses.length} witnesses (${WITNESS_THRESHOLD} required)`,
      true,
    ),
  );
  io.out(row('custody', `${chain}, every transfer signed by both parties it names`, true));
  io.out(
    row(
      'temperature',
      `${v.periods.length} custody periods covered until ${utcMinute(v.periods.at(-1)?.coveredUntil ?? 0)}, longest silence ${duration(longest)}`,
      true,
    ),
  );
  io.out(
    row(
      'excursions',
      `${v.excursions.length} re-derived from the readings = ${v.excursions.length} flagged on the ledger`,
      true,
    ),
  );
  io.out(row('verdict', `VERIFIED (${v.steps.length} steps, ${ms.toFixed(0)} ms)`));
  disposition(v).forEach((text, i) => {
    io.out(row(i === 0 ? 'disposition' : '', text));
  });
}

/** Re-checks the whole log from its raw entries: what an auditor of the consortium runs. */
function auditLog(io: CliIo, journey: JourneyResult): boolean {
  const { log, consortium, checkpoint } = journey;
  try {
    const entries = Array.from({ length: log.size }, (_, i) => log.entry(i).bytes);
    const report = verifyLog({ policy: consortium.policy, entries, checkpoint, logKey: consortium.logVkey });
    io.out(
      row(
        'log audit',
        `verifyLog: ${report.size} entries re-checked under ${report.policy.policyId} v${report.policy.version}, ${report.streams} streams, ${report.witnesses.length} witnesses`,
        true,
      ),
    );
    return true;
  } catch (error) {
    const why =
      error instanceof LogVerificationError ? `${error.reason} at entry ${error.index}` : String(error);
    io.out(row('log audit', `verifyLog: ${why}`, false));
    return false;
  }
}

/**
 * The `healthit-cold-chain` command: runs the journey, prints its timeline, has the pharmacist
 * verify one vial's history offline, audits the whole log, and returns the exit status (0 all
 * verified, 1 a verification failed, 2 usage error).
 */
export async function runColdChainCli(argv: readonly string[], io: CliIo): Promise<number> {
  let args: ReturnType<typeof parseArgs>;
  try {
    args = parseArgs(argv);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    io.err(`healthit-cold-chain: ${error.message}`);
    io.err(USAGE);
    return 2;
  }
  if (args.help) {
    io.out(USAGE);
    return 0;
  }
  let storage: FileLogStorage | undefined;
  if (args.data !== undefined) {
    storage = await openFileLogStorage({ dir: join(args.data, 'ledger') });
    if (storage.entryCount() > 0) {
      const n = storage.entryCount();
      await storage.close();
      io.err(
        `healthit-cold-chain: ${join(args.data, 'ledger')} already holds a log of ${n} entries; use an empty --data directory`,
      );
      return 2;
    }
  }
  try {
    return await run(args, storage, io);
  } finally {
    await storage?.close();
  }
}

async function run(
  args: ReturnType<typeof parseArgs>,
  storage: LogStorage | undefined,
  io: CliIo,
): Promise<number> {
  const plan = coldChainPlan({ excursion: args.excursion });
  const lots = plan.lots.map((l) => `${l.id} × ${l.vials}`).join(', ');
  io.out(`Cold chain · shipment ${plan.shipment} · ${plan.product}`);
  io.out(`  lots ${lots} · seed ${args.seed} · ${args.excursion ? 'with' : 'without'} a reefer excursion`);
  io.out(
    `  log ${'ledger.example.org/cold-chain'} (${args.data === undefined ? 'in memory' : join(args.data, 'ledger')}) · policy enforced at append · ${WITNESS_THRESHOLD} of 3 witnesses`,
  );
  io.out('');
  const started = performance.now();
  const journey = await runJourney({
    seed: args.seed,
    plan,
    ...(storage === undefined ? {} : { storage }),
    onEvent: createTimeline(plan, io.out),
  });
  io.out('');
  io.out(
    `${journey.log.size} entries, ${journey.readingCount} readings, ${duration(plan.endMs)} of virtual time in ${((performance.now() - started) / 1000).toFixed(1)} s`,
  );

  const vial: Vial = { gtin: plan.gtin, lot: plan.lots[0]?.id ?? '', serial: DEMO_SERIAL };
  const history = buildVialHistory({
    log: journey.log,
    checkpoint: journey.checkpoint,
    vial,
    shipment: plan.shipment,
    readingsOf: (index) => journey.batches.get(index),
  });
  const text = JSON.stringify(history);
  io.out('');
  io.out(`Pharmacist at city-pharmacy verifies vial ${vial.gtin} · ${vial.lot} · ${vial.serial} offline:`);
  const t0 = performance.now();
  const verdict = verifyVialHistory(JSON.parse(text), {
    logKey: journey.consortium.logVkey,
    policy: journey.consortium.policy,
  });
  printVerdict(io, history, text, verdict, performance.now() - t0);
  const audited = auditLog(io, journey);

  if (args.data !== undefined) {
    await mkdir(args.data, { recursive: true });
    const historyPath = join(args.data, 'vial-history.json');
    await writeFile(historyPath, `${JSON.stringify(history, null, 2)}\n`);
    const excursion = verdict.ok ? verdict.excursions[0] : undefined;
    const readingId = excursion?.alert.readingIds.at(-1) ?? history.readings.at(-1)?.readings.at(-1);
    const provenancePath = join(args.data, 'reading-provenance.json');
    if (typeof readingId === 'string') {
      await writeFile(provenancePath, `${JSON.stringify(readingProvenance(history, readingId), null, 2)}\n`);
    }
    io.out('');
    io.out(
      `Wrote ${historyPath} and ${provenancePath} (reading ${String(readingId)}); check that reading alone with:`,
    );
    const witnesses = journey.consortium.witnesses.map((w) => `--witness ${w.vkey}`).join(' ');
    io.out(
      `  healthit-verify-bundle ${provenancePath} --log-key ${journey.consortium.logVkey} ${witnesses} --witnesses-required ${WITNESS_THRESHOLD}`,
    );
  }
  return verdict.ok && audited ? 0 : 1;
}
