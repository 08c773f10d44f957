import { type Alert, type Clock, HealthItError, type Reading } from '@healthit/core';
import { declarativeAlerts, type RuleEvent } from '@healthit/gateway';
import {
  anchorReadings,
  createMemoryLogStorage,
  createNoteVerifier,
  createTransparencyLog,
  createTransparencyLogSink,
  createWitness,
  type entries,
  type LogStorage,
  requireCosignatures,
  type TransparencyLog,
} from '@healthit/ledger';
import { merge, type Observable, Subscription, share, timer, VirtualTimeScheduler } from 'rxjs';
import { batchByPeriod } from './batches.js';
import { type Consortium, createConsortium } from './consortium.js';
import { createShipmentStream, custodyNotes } from './custody.js';
import { COLD_CHAIN_RULES, describeExcursion, type Excursion, excursionFlagBody } from './excursions.js';
import { loggerReadings } from './loggers.js';
import { coldChainPlan, type Handover, type JourneyPlan, type Leg } from './plan.js';

/** What happened on the journey, in order (`at`: epoch ms, virtual time). */
export type JourneyEvent =
  | { readonly type: 'leg'; readonly at: number; readonly leg: Leg }
  | {
      readonly type: 'custody';
      readonly at: number;
      readonly index: number;
      readonly handover: Handover;
      readonly body: entries.EntryBody<'custody.transfer'>;
      readonly signers: readonly string[];
    }
  | {
      readonly type: 'batch';
      readonly at: number;
      readonly index: number;
      readonly logger: string;
      readonly count: number;
      readonly minCelsius: number;
      readonly maxCelsius: number;
    }
  | {
      readonly type: 'excursion';
      readonly at: number;
      readonly index: number;
      readonly excursion: Excursion;
      readonly monitor: string;
    }
  | { readonly type: 'excursion-cleared'; readonly at: number; readonly excursion: Excursion }
  | { readonly type: 'checkpoint'; readonly at: number; readonly size: number; readonly witnesses: number };

/** Options of {@link runJourney}. */
export interface JourneyOptions {
  /** Seeds the keys and the loggers' noise (default 42). */
  readonly seed?: number;
  /** The journey (default {@link coldChainPlan}, with its excursion). */
  readonly plan?: JourneyPlan;
  /** Where the log keeps its entries (default in memory). Must be empty. */
  readonly storage?: LogStorage;
  /** Called with each event as it happens (for a live timeline). */
  readonly onEvent?: (event: JourneyEvent) => void;
}

/** What {@link runJourney} produced. */
export interface JourneyResult {
  readonly plan: JourneyPlan;
  readonly consortium: Consortium;
  /** The log, closed: it still serves entries and proofs. */
  readonly log: TransparencyLog;
  readonly events: readonly JourneyEvent[];
  /** The readings of every anchored batch, by the index of its `reading.batch` entry, in `seq` order. */
  readonly batches: ReadonlyMap<number, readonly Reading[]>;
  /** The final checkpoint note (signed, cosigned), covering every entry. */
  readonly checkpoint: string;
  readonly readingCount: number;
}

/** Options of {@link createColdChainLog}. */
export interface ColdChainLogOptions {
  readonly storage?: LogStorage;
  /** The log's and the witnesses' clock (entry times are checked against it). */
  readonly clock: Clock;
}

/**
 * The consortium's transparency log: the membership policy enforced at append (endorsement rules,
 * key validity, an entry-time window of 10 min back and 1 min ahead of `clock`), cosigned by the
 * three witnesses, batches written at once, checkpoints published when asked (or a minute after
 * an uncovered entry).
 */
export function createColdChainLog(consortium: Consortium, options: ColdChainLogOptions): TransparencyLog {
  const logVerifier = createNoteVerifier(consortium.logVkey);
  return createTransparencyLog({
    origin: consortium.origin,
    signer: consortium.logSigner,
    policy: consortium.policy,
    entryTime: { maxAgeMs: 10 * 60_000, maxAheadMs: 60_000 },
    storage: options.storage ?? createMemoryLogStorage(),
    witnesses: consortium.witnesses.map((w) =>
      createWitness({
        key: { name: w.name, secretKey: w.secretKey },
        log: logVerifier,
        clock: options.clock,
      }),
    ),
    clock: options.clock,
    batch: { maxEntries: 64, maxWaitMs: 0 },
    checkpointEveryMs: 60_000,
  });
}

/** Ledger work found during a virtual-time step, done in time order (then by rank) after it. */
interface Step {
  readonly atMs: number;
  readonly rank: number;
  readonly order: number;
  readonly run: () => Promise<void>;
}

const RANK = { custody: 0, leg: 1, batch: 2, flag: 3, checkpoint: 4 } as const;

function extremes(readings: readonly Reading[]): { min: number; max: number } {
  return {
    min: Math.min(...readings.map((r) => r.value)),
    max: Math.max(...readings.map((r) => r.value)),
  };
}

/**
 * Runs the cold chain: the loggers read every 5 min in virtual time (38 h in about a second), each
 * anchors an hourly batch of readings through its own `LedgerSink`; the custodian's gateway runs
 * the excursion rules on the readings and flags an excursion on the shipment's stream at once;
 * each hand-over is a `custody.transfer` signed by both parties; checkpoints are published (and
 * cosigned) after each hand-over and flag and at the end. Virtual time advances one reading period
 * at a time; the ledger work of each period is done, in time order, before time moves on.
 *
 * @throws {HealthItError} `state/invalid` when `storage` already holds entries;
 * @throws what the log throws when it refuses an entry (the journey stops there).
 * @example
 * ```ts
 * const { log, batches, checkpoint } = await runJourney({ seed: 42, onEvent: (e) => console.log(e.type) });
 * ```
 */
export async function runJourney(options: JourneyOptions = {}): Promise<JourneyResult> {
  const seed = options.seed ?? 42;
  const plan = options.plan ?? coldChainPlan();
  const storage = options.storage ?? createMemoryLogStorage();
  if (storage.entryCount() > 0) {
    throw new HealthItError(
      'state/invalid',
      `The log storage already holds ${storage.entryCount()} entries: run the journey on an empty one`,
    );
  }
  const consortium = createConsortium({ seed, validFrom: plan.startTs - 30 * 86_400_000 });
  let now = plan.startTs;
  const clock: Clock = { now: () => now };
  const log = createColdChainLog(consortium, { storage, clock });
  const shipment = createShipmentStream({ log, shipment: plan.shipment, clock });
  const witnessVerifiers = consortium.witnesses.map((w) => createNoteVerifier(w.vkey));

  // each logger anchors through its own LedgerSink, signing with its own key
  const sinks = new Map(
    plan.legs.map((leg) => [
      leg.logger,
      createTransparencyLogSink({
        log,
        logKey: consortium.logVkey,
        signers: [consortium.member(leg.logger)],
        clock,
      }),
    ]),
  );
  const scheduler = new VirtualTimeScheduler(undefined, 0);
  const virtualClock: Clock = { now: () => plan.startTs + scheduler.now() };
  const events: JourneyEvent[] = [];
  const batches = new Map<number, readonly Reading[]>();
  const readingsOf = new Map<string, Reading[]>();
  const custodyPeriodExcursions = plan.handovers.map(() => 0);
  const raised = new Map<string, Alert>();
  const steps: Step[] = [];
  let order = 0;
  let readingCount = 0;
  let checkpoint: string | undefined;

  const emit = (event: JourneyEvent): void => {
    events.push(event);
    options.onEvent?.(event);
  };
  const later = (rank: number, run: () => Promise<void>): void => {
    steps.push({ atMs: scheduler.now(), rank, order: order++, run });
  };
  const periodAt = (atMs: number): number => plan.handovers.filter((h) => h.atMs <= atMs).length - 1;
  const legOf = (logger: string): Leg => {
    const leg = plan.legs.find((l) => l.logger === logger);
    if (leg === undefined) throw new RangeError(`no leg has logger ${logger}`);
    return leg;
  };

  async function publish(): Promise<void> {
    const note = await log.publishCheckpoint();
    if (note === checkpoint) return;
    checkpoint = note;
    const cosigned = requireCosignatures(note, witnessVerifiers, 0).length;
    emit({ type: 'checkpoint', at: now, size: log.size, witnesses: cosigned });
  }

  async function anchor(leg: Leg, batch: readonly Reading[]): Promise<void> {
    const sink = sinks.get(leg.logger);
    if (sink === undefined) throw new RangeError(`no sink for logger ${leg.logger}`);
    const { readings, receipt } = await anchorReadings(sink, leg.logger, batch);
    batches.set(receipt.index, readings);
    const { min, max } = extremes(readings);
    emit({
      type: 'batch',
      at: now,
      index: receipt.index,
      logger: leg.logger,
      count: readings.length,
      minCelsius: min,
      maxCelsius: max,
    });
  }

  async function handOver(h: Handover, k: number): Promise<void> {
    const previous = plan.handovers[k - 1];
    const held =
      previous === undefined
        ? []
        : previous.monitoredBy.flatMap((logger) =>
            (readingsOf.get(logger) ?? []).filter((r) => r.ts >= plan.startTs + previous.atMs && r.ts < now),
          );
    const excursions = k === 0 ? 0 : (custodyPeriodExcursions[k - 1] ?? 0);
    const range = held.length === 0 ? undefined : extremes(held);
    const body: entries.EntryBody<'custody.transfer'> = {
      from: h.from,
      to: h.to,
      shipment: plan.shipment,
      lots: plan.lots.map((l) => l.id),
      quantity: plan.lots.reduce((n, l) => n + l.vials, 0),
      conditions: {
        ...(range === undefined
          ? {}
          : {
              tempMinMilliCelsius: Math.round(range.min * 1000),
              tempMaxMilliCelsius: Math.round(range.max * 1000),
            }),
        excursions,
        sealIntact: h.sealIntact,
        notes: custodyNotes(
          h.monitoredBy,
          excursions === 0 ? undefined : `${excursions} temperature excursion(s) flagged during the leg`,
        ),
      },
    };
    const recorded = await shipment.transfer(
      body,
      consortium.member(h.releasedBy),
      consortium.member(h.receivedBy),
    );
    emit({
      type: 'custody',
      at: now,
      index: recorded.index,
      handover: h,
      body,
      signers: recorded.entry.signatures.map((s) => s.keyId),
    });
  }

  async function flag(alert: Alert): Promise<void> {
    const device = alert.deviceId ?? '';
    const excursion = describeExcursion(alert, readingsOf.get(device) ?? [], undefined);
    const custodian = legOf(device).custodian;
    const monitor = plan.monitors[custodian];
    if (monitor === undefined) throw new RangeError(`${custodian} has no monitoring gateway`);
    const recorded = await shipment.flag(
      excursionFlagBody(excursion, plan.shipment),
      consortium.member(monitor),
    );
    emit({ type: 'excursion', at: now, index: recorded.index, excursion, monitor });
  }

  function onRule(e: RuleEvent): void {
    if (e.type === 'alert-raised') {
      raised.set(e.alert.id, e.alert);
      const k = periodAt(scheduler.now());
      custodyPeriodExcursions[k] = (custodyPeriodExcursions[k] ?? 0) + 1;
      later(RANK.flag, () => flag(e.alert));
      later(RANK.checkpoint, publish);
    } else if (e.type === 'alert-cleared') {
      const alert = raised.get(e.alertId);
      if (alert === undefined) return;
      const device = alert.deviceId ?? '';
      const clearedAt = virtualClock.now();
      later(RANK.flag, async () => {
        emit({
          type: 'excursion-cleared',
          at: now,
          excursion: describeExcursion(alert, readingsOf.get(device) ?? [], clearedAt),
        });
      });
    }
  }

  const subscriptions = new Subscription();
  const all: Observable<Reading>[] = [];
  for (const leg of plan.legs) {
    const readings$ = loggerReadings(leg, plan, seed, scheduler).pipe(share());
    all.push(readings$);
    subscriptions.add(
      timer(leg.startMs, scheduler).subscribe(() =>
        later(RANK.leg, async () => emit({ type: 'leg', at: now, leg })),
      ),
    );
    subscriptions.add(
      readings$.subscribe((r) => {
        readingCount++;
        const list = readingsOf.get(r.deviceId) ?? [];
        list.push(r);
        readingsOf.set(r.deviceId, list);
      }),
    );
    subscriptions.add(
      readings$
        .pipe(batchByPeriod(plan.batchPeriodMs, plan.startTs))
        .subscribe((batch) => later(RANK.batch, () => anchor(leg, batch))),
    );
  }
  subscriptions.add(
    merge(...all)
      .pipe(declarativeAlerts(COLD_CHAIN_RULES, { clock: virtualClock }))
      .subscribe(onRule),
  );
  plan.handovers.forEach((h, k) => {
    subscriptions.add(
      timer(h.atMs, scheduler).subscribe(() => {
        later(RANK.custody, () => handOver(h, k));
        later(RANK.checkpoint, publish);
      }),
    );
  });
  subscriptions.add(timer(plan.endMs, scheduler).subscribe(() => later(RANK.checkpoint, publish)));

  try {
    for (let t = 0; t <= plan.endMs; t += plan.readingPeriodMs) {
      scheduler.maxFrames = t;
      scheduler.flush();
      const due = steps.splice(0).sort((a, b) => a.atMs - b.atMs || a.rank - b.rank || a.order - b.order);
      for (const step of due) {
        now = plan.startTs + step.atMs;
        await step.run();
      }
    }
  } finally {
    subscriptions.unsubscribe();
    await log.close();
  }
  if (checkpoint === undefined)
    throw new HealthItError('state/invalid', 'the journey published no checkpoint');
  return { plan, consortium, log, events, batches, checkpoint, readingCount };
}
