import { deteriorationModelV0, scoreVitals } from '@healthit/ai';
import { createOnnxRuntime } from '@healthit/ai/onnx';
import { type Alert, type AlertSeverity, createInProcessTransport, type Reading } from '@healthit/core';
import { createWardSimulator, publishReadings, type ScenarioMix } from '@healthit/device';
import { createGateway } from '@healthit/gateway';
import {
  createHashChainLedger,
  generateLedgerKey,
  readingBatchRecord,
  verifyChain,
  verifyReadingBatch,
} from '@healthit/ledger';
import { ingestReadings } from '@healthit/platform';
import { createPgliteReadingStore } from '@healthit/platform/pglite';
import {
  concatMap,
  defaultIfEmpty,
  from,
  interval,
  lastValueFrom,
  type Observable,
  Subject,
  takeUntil,
  tap,
} from 'rxjs';
import { NEWS2_RED_SCORE_RULES } from './rules.js';
import { createWardView, type WardView } from './view.js';

/**
 * Scenario timing compressed for a 30-second demo: deterioration starts 5 s in and ramps over 20 s
 * (a real ward deteriorates over hours; pass `scenarioTiming` to change it).
 */
export const DEMO_SCENARIO_TIMING = { startAfterMs: 5_000, rampMs: 20_000 } as const;

/** Options of {@link runWard}. */
export interface WardOptions {
  /** Simulated patients (default 20). */
  readonly patients?: number;
  /** How long to run, in ms (default 30 000). */
  readonly durationMs?: number;
  /** Simulator seed (default 42). */
  readonly seed?: number;
  /** Time between simulated readings of one vital, in ms (default 1 000). */
  readonly periodMs?: number;
  /** Scenario weights across the ward (default: the simulator's, mostly stable). */
  readonly scenarioMix?: ScenarioMix;
  /** When deterioration starts and how long it ramps (default {@link DEMO_SCENARIO_TIMING}). */
  readonly scenarioTiming?: { readonly startAfterMs?: number; readonly rampMs?: number };
  /** PGlite data directory; in memory when absent. */
  readonly dataDir?: string;
  /** Called once per `refreshMs` with the live view. */
  readonly onRefresh?: (view: WardView, elapsedMs: number) => void;
  /** Default 1 000 ms. */
  readonly refreshMs?: number;
  /** Told when the run moves on: set-up done, stopping and draining, verifying. */
  readonly onStatus?: (status: 'running' | 'draining' | 'verifying') => void;
  /** Stops the run early (Ctrl-C); the summary still comes. */
  readonly signal?: AbortSignal;
}

/** What a run did, end to end. */
export interface WardSummary {
  readonly patients: number;
  readonly elapsedMs: number;
  readonly stoppedEarly: boolean;
  /** Readings the simulated monitors published. */
  readonly published: number;
  readonly publishFailures: number;
  /** Readings the gateway accepted. */
  readonly accepted: number;
  /** Refusals on the gateway's event stream, by type. */
  readonly gatewayEvents: Readonly<Record<string, number>>;
  /** Readings in the platform store at the end. */
  readonly stored: number;
  readonly storeFailures: number;
  readonly alerts: number;
  readonly alertsBySeverity: Readonly<Partial<Record<AlertSeverity, number>>>;
  /** Risk scores the model produced, and errors from it. */
  readonly riskScores: number;
  readonly riskErrors: number;
  readonly ledger: {
    readonly logId: string;
    readonly entries: number;
    /** The whole chain verified with the log's public key alone. */
    readonly chainVerified: boolean;
    /** Stored batches re-read from the store and matched to their ledger anchors. */
    readonly anchorsVerified: number;
  };
  readonly view: WardView;
}

/**
 * Runs the quick-start ward: simulated monitors → in-process transport → gateway (validation,
 * units, NEWS2 red-score rules) → platform store (PGlite) with each stored batch anchored in a
 * signed hash-chained ledger, and an ONNX deterioration model scoring every patient at the edge.
 * Stops after `durationMs` or on `signal`, drains every stage, verifies the ledger and each anchor
 * against the store, and resolves with a summary.
 */
export async function runWard(options: WardOptions = {}): Promise<WardSummary> {
  const patients = options.patients ?? 20;
  const durationMs = options.durationMs ?? 30_000;

  const transport = createInProcessTransport();
  const simulator = createWardSimulator({
    patients,
    seed: options.seed ?? 42,
    periodMs: options.periodMs ?? 1000,
    ...(options.scenarioMix ? { scenarioMix: options.scenarioMix } : {}),
    scenarioTiming: options.scenarioTiming ?? DEMO_SCENARIO_TIMING,
  });
  const gateway = createGateway({ transport, rules: NEWS2_RED_SCORE_RULES });
  const store = await createPgliteReadingStore(options.dataDir ? { dataDir: options.dataDir } : {});
  const ledger = createHashChainLedger({ key: generateLedgerKey() });
  const model = await createOnnxRuntime().load(deteriorationModelV0());
  options.onStatus?.('running');
  const started = Date.now();
  const view = createWardView(
    simulator.patients.map((p) => ({ patientId: p.patientId, scenario: p.scenario.name })),
  );

  let published = 0;
  let publishFailures = 0;
  let accepted = 0;
  let storeFailures = 0;
  let riskScores = 0;
  let riskErrors = 0;
  const gatewayEvents: Record<string, number> = {};
  const alerts: Alert[] = [];
  const anchors: { index: number; readingIds: readonly string[] }[] = [];

  const stop$ = new Subject<void>();
  const drain = <T>(o: Observable<T>) => lastValueFrom(o.pipe(defaultIfEmpty(undefined)));

  // Platform side: store in batches, anchor each stored batch in the ledger.
  const stored = drain(
    gateway.readings$.pipe(
      ingestReadings(store, { maxBatch: 500, maxWaitMs: 250 }),
      concatMap((event) => {
        if (event.type !== 'stored') {
          storeFailures += event.type === 'store-failed' ? event.readings.length : 1;
          return [];
        }
        return from(
          ledger.append([readingBatchRecord(event.readings)]).then(([receipt]) => {
            if (receipt) anchors.push({ index: receipt.index, readingIds: event.readingIds });
          }),
        );
      }),
    ),
  );
  // Edge AI: one risk score per patient per window.
  const scored = drain(
    gateway.readings$.pipe(
      scoreVitals(model, { windowMs: 1000 }),
      tap((event) => {
        if (event.type === 'score') {
          riskScores += 1;
          view.onRisk(event.score.patientId, event.score.risk);
        } else {
          riskErrors += 1;
        }
      }),
    ),
  );
  const watched = [
    drain(
      gateway.readings$.pipe(
        tap((r: Reading) => {
          accepted += 1;
          view.onReading(r);
        }),
      ),
    ),
    drain(
      gateway.alerts$.pipe(
        tap((a) => {
          alerts.push(a);
          view.onAlert(a);
        }),
      ),
    ),
    drain(
      gateway.events$.pipe(
        tap((e) => {
          gatewayEvents[e.type] = (gatewayEvents[e.type] ?? 0) + 1;
        }),
      ),
    ),
  ];
  // Devices: publish until stopped.
  const publishing = drain(
    simulator.readings$.pipe(
      takeUntil(stop$),
      publishReadings(transport),
      tap((event) => {
        if (event.type === 'published') published += event.readings.length;
        else publishFailures += event.readings.length;
      }),
    ),
  );
  const refreshMs = options.refreshMs ?? 1000;
  const refresh = interval(refreshMs).subscribe(() => options.onRefresh?.(view, Date.now() - started));

  const stoppedEarly = await waitFor(durationMs, options.signal);
  refresh.unsubscribe();
  options.onStatus?.('draining');
  stop$.next();
  stop$.complete();
  await publishing;
  await transport.close(); // completes the gateway's streams: every stage drains
  await Promise.all([stored, scored, ...watched]);
  options.onStatus?.('verifying');

  // Verify: the ledger chain with its public key alone, then each anchor against the store.
  const entries = await ledger.entries();
  let chainVerified = true;
  try {
    verifyChain(entries, ledger.publicKey);
  } catch {
    chainVerified = false;
  }
  const storedCount = await store.count();
  const all = await store.query({ from: 0, to: Number.MAX_SAFE_INTEGER, limit: storedCount });
  const byId = new Map(all.map((r) => [r.id, r]));
  let anchorsVerified = 0;
  for (const anchor of anchors) {
    const batch = anchor.readingIds.map((id) => byId.get(id)).filter((r): r is Reading => r !== undefined);
    const entry = entries[anchor.index];
    if (entry && batch.length === anchor.readingIds.length && verifyReadingBatch(batch, entry.body))
      anchorsVerified += 1;
  }

  const alertsBySeverity: Partial<Record<AlertSeverity, number>> = {};
  for (const a of alerts) alertsBySeverity[a.severity] = (alertsBySeverity[a.severity] ?? 0) + 1;
  const summary: WardSummary = {
    patients,
    elapsedMs: Date.now() - started,
    stoppedEarly,
    published,
    publishFailures,
    accepted,
    gatewayEvents,
    stored: storedCount,
    storeFailures,
    alerts: alerts.length,
    alertsBySeverity,
    riskScores,
    riskErrors,
    ledger: { logId: ledger.logId, entries: entries.length, chainVerified, anchorsVerified },
    view,
  };
  await Promise.all([model.dispose(), ledger.close(), store.close()]);
  return summary;
}

/** Resolves after `ms`, or early (with true) when `signal` aborts. */
function waitFor(ms: number, signal: AbortSignal | undefined): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve(true);
    const onAbort = () => {
      clearTimeout(timer);
      resolve(true);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve(false);
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
