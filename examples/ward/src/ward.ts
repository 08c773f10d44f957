import { deteriorationModelV0, scoreVitals } from '@healthit/ai';
import { createOnnxRuntime } from '@healthit/ai/onnx';
import { type Alert, type AlertSeverity, createInProcessTransport, type Reading } from '@healthit/core';
import {
  createWardSimulator,
  publishReadings,
  SCENARIOS,
  type ScenarioMix,
  type ScenarioSpec,
  type WardSimulatorOptions,
} from '@healthit/device';
import {
  alertRecord,
  appendToOutbox,
  createForwarder,
  createGateway,
  createInProcessUplink,
  createMemoryOutbox,
  type DecodedUplinkRecord,
  decodeUplinkRecord,
  dedupeRecords,
  type Forwarder,
  type InProcessUplink,
  monitorDevices,
  news2Scores,
  type Outbox,
  readingBatchRecords,
} from '@healthit/gateway';
import { ingestReadings } from '@healthit/platform';
import { createPgliteReadingStore } from '@healthit/platform/pglite';
import {
  concatMap,
  defaultIfEmpty,
  defer,
  EMPTY,
  filter,
  from,
  interval,
  lastValueFrom,
  map,
  merge,
  mergeMap,
  type Observable,
  Subject,
  share,
  takeUntil,
  tap,
} from 'rxjs';
import type { WardDashboard, WardDashboardOptions } from './dashboard.js';
import { createWardDevices, type WardDevicesSummary } from './devices.js';
import type { WardFhir, WardFhirOptions, WardFhirSummary } from './fhir.js';
import { createWardFleet, HEARTBEAT_TOPICS, heartbeatTopic, wardDeviceSpecs } from './fleet.js';
import {
  createWardModelMonitor,
  type WardModelMonitorOptions,
  type WardModelMonitorSummary,
} from './model-monitor.js';
import { WARD_SCENARIO_MIX, type WardPatient, wardPatients } from './patients.js';
import {
  createWardRollout,
  type WardRollout,
  type WardRolloutOptions,
  type WardRolloutSummary,
} from './rollout.js';
import { spo2RedScoreAlerts, WARD_GATEWAY_RULES } from './rules.js';
import { createWardView, type WardView } from './view.js';
import { createWardLedger, type WardLedgerSummary } from './ward-ledger.js';

/**
 * Scenario timing compressed for a 30-second demo: deterioration starts 5 s in and ramps over 20 s
 * (a real ward deteriorates over hours; pass `scenarioTiming` to change it).
 */
export const DEMO_SCENARIO_TIMING = { startAfterMs: 5_000, rampMs: 20_000 } as const;

/** Options of {@link runWard}. */
export interface WardOptions {
  /** Simulated patients (default 20). */
  readonly patients?: number;
  /** How long to run, in ms (default 30 000; `Infinity`: until `signal` aborts). */
  readonly durationMs?: number;
  /** Simulator seed (default 42). */
  readonly seed?: number;
  /** Time between simulated readings of one vital, in ms (default 1 000). */
  readonly periodMs?: number;
  /**
   * Scenario weights across the ward (default {@link WARD_SCENARIO_MIX}: mostly stable, a few
   * deteriorating or hypoxic, one in 20 with COPD and hypercapnic respiratory failure on controlled
   * oxygen).
   */
  readonly scenarioMix?: ScenarioMix;
  /** When deterioration starts and how long it ramps (default {@link DEMO_SCENARIO_TIMING}). */
  readonly scenarioTiming?: { readonly startAfterMs?: number; readonly rampMs?: number };
  /** PGlite data directory; in memory when absent. */
  readonly dataDir?: string;
  /**
   * SQLite file of the gateway's store-and-forward outbox (`@healthit/gateway/outbox`): records
   * survive a crash and are forwarded on the next run. In memory when absent.
   */
  readonly outboxPath?: string;
  /** Bound of the outbox's pending records, in bytes (default 64 MiB; policy `refuse-new`). */
  readonly outboxMaxBytes?: number;
  /**
   * Given the in-process uplink once it exists: tests and demos take it down or lose
   * acknowledgements. Bring it back up before the run ends: stopping waits for the outbox to drain.
   */
  readonly onUplink?: (uplink: InProcessUplink) => void;
  /** Called once per `refreshMs` with the live view. */
  readonly onRefresh?: (view: WardView, elapsedMs: number) => void;
  /** Default 1 000 ms. */
  readonly refreshMs?: number;
  /** Told when the run moves on: set-up done, stopping and draining, verifying. */
  readonly onStatus?: (status: 'running' | 'draining' | 'verifying') => void;
  /** Stops the run early (Ctrl-C); the summary still comes. */
  readonly signal?: AbortSignal;
  /**
   * Clinical context and FHIR export (default `{}`: the embedded FHIR R4 server, about 1 s to
   * start): each patient's SpO2 scale and oxygen status for NEWS2 from the server, and every stored
   * reading exported as an Observation. `false`: no FHIR — every patient is scored on SpO2 Scale 1,
   * on air.
   */
  readonly fhir?: false | WardFhirOptions;
  /**
   * Serve the platform dashboard and the gateway's status page while the ward runs (default off):
   * ward overview, patient charts, alerts with acknowledge/resolve under access control, devices,
   * ledger with verify-a-reading, model. With `durationMs: Infinity` the ward runs until `signal`.
   */
  readonly dashboard?: WardDashboardOptions;
  /**
   * The firmware rollout of the pulse oximeters (default `{}`: the platform's rollout engine
   * creates a campaign 3 s in and updates them in waves of 10, 50 and 100 %); `false`: none.
   */
  readonly rollout?: false | WardRolloutOptions;
  /** Monitoring of the edge model against delayed ground-truth labels (default: a 10 s horizon). */
  readonly modelMonitor?: WardModelMonitorOptions;
}

/** The edge NEWS2 scoring in a {@link WardSummary}. */
export interface WardNews2Summary {
  /** Score changes the NEWS2 operator emitted, and patients with a score at the end. */
  readonly scores: number;
  readonly patientsScored: number;
  /** Patients whose latest score used SpO2 Scale 2, and on oxygen. */
  readonly scale2: readonly string[];
  readonly onOxygen: readonly string[];
  /** Rises in clinical risk (the operator's alerts; shown, not sent to the platform). */
  readonly riskRises: number;
  /** Entries or values the operator refused (0 on a good run). */
  readonly rejected: number;
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
  /** Alerts the gateway's rules raised. */
  readonly alertsRaised: number;
  /** Outbox records the accepted readings went into: one `reading-batch` per device message. */
  readonly readingRecords: number;
  /** Alerts the platform received (through the outbox and the uplink, de-duplicated). */
  readonly alerts: number;
  readonly alertsBySeverity: Readonly<Partial<Record<AlertSeverity, number>>>;
  /** The gateway's outbox at the end (after draining). */
  readonly outbox: WardOutboxSummary;
  /** The uplink from the gateway's outbox to the platform. */
  readonly uplink: WardUplinkSummary;
  /** Readings the gateway accepted that are not in the store at the end (0 when nothing was lost). */
  readonly notStored: number;
  /** Risk scores the model produced, and errors from it. */
  readonly riskScores: number;
  readonly riskErrors: number;
  /** The witnessed transparency log the platform anchored stored readings in, verified at the end. */
  readonly ledger: WardLedgerSummary;
  /** NEWS2 scored at the edge on each patient's SpO2 scale. */
  readonly news2: WardNews2Summary;
  /** The FHIR server, clinical context and Observation export (absent with `fhir: false`). */
  readonly fhir?: WardFhirSummary;
  /** The devices as the gateway's device monitoring saw them: online, battery, firmware. */
  readonly devices: WardDevicesSummary & {
    /** Heartbeats the devices could not publish. */
    readonly heartbeatFailures: number;
  };
  /** The pulse oximeters' firmware campaign (absent with `rollout: false`). */
  readonly rollout?: WardRolloutSummary;
  /** The edge model's rolling accuracy against delayed labels, and its input drift. */
  readonly model: WardModelMonitorSummary;
  readonly view: WardView;
}

/** The gateway's outbox in a {@link WardSummary}. */
export interface WardOutboxSummary {
  readonly kind: 'memory' | 'sqlite';
  /** The SQLite file, for `kind: 'sqlite'`. */
  readonly path?: string;
  /** Records already pending when the run started (left by a previous run; SQLite only). */
  readonly replayed: number;
  /** What the outbox counted during this run (`pending`: at the end, replayed records included). */
  readonly appended: number;
  readonly acknowledged: number;
  readonly pending: number;
  /** Refusals while full (a record refused again on a retry counts again). */
  readonly refused: number;
  readonly shed: number;
  /** Refused readings given up because the hold queue was full (never alerts). */
  readonly dropped: number;
  /** The most records held at once, waiting for room in the outbox. */
  readonly maxHeld: number;
}

/** The uplink in a {@link WardSummary}. */
export interface WardUplinkSummary {
  readonly name: string;
  /** Sends by the forwarder, and those not wholly acknowledged (retried). */
  readonly sends: number;
  readonly retries: number;
  /** Records the platform received, redeliveries included. */
  readonly delivered: number;
  /** Redeliveries the platform dropped by record id. */
  readonly duplicates: number;
  /** Records that did not decode (counted, skipped). */
  readonly decodeFailures: number;
  /** Readings handed to `ingestReadings` (after de-duplication). */
  readonly ingested: number;
}

/** The outbox's default bound: 64 MiB of pending records (about 250 000 readings). */
const DEFAULT_OUTBOX_MAX_BYTES = 64 * 2 ** 20;

async function openOutbox(options: WardOptions): Promise<Outbox> {
  const bounds = {
    maxBytes: options.outboxMaxBytes ?? DEFAULT_OUTBOX_MAX_BYTES,
    whenFull: 'refuse-new',
  } as const;
  if (options.outboxPath === undefined) return createMemoryOutbox(bounds);
  // Loaded only when asked for: better-sqlite3 is a native module.
  const { createSqliteOutbox } = await import('@healthit/gateway/outbox');
  return createSqliteOutbox({ ...bounds, path: options.outboxPath });
}

/** Resolves once the outbox is empty, the forwarder failed, or `timeoutMs` passed. */
async function drainOutbox(outbox: Outbox, forwarder: Forwarder, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (outbox.stats().pending > 0 && forwarder.stats().state !== 'failed' && Date.now() < deadline) {
    forwarder.wake();
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/**
 * Runs the quick-start ward: simulated devices (a bedside monitor and a battery-powered pulse
 * oximeter per bed) → in-process transport → gateway (validation, units, NEWS2 red-score rules) →
 * store-and-forward outbox (memory, or SQLite with `outboxPath`) → forwarder → in-process uplink →
 * platform (de-duplication by record id, decoding, PGlite store with each stored batch anchored in
 * a witnessed, permissioned transparency log, alerts to the view), and an ONNX deterioration model
 * scoring every patient at the edge. With `fhir` (default), an embedded FHIR R4 server holds the
 * ward's clinical record: each patient's context (SpO2 scale, oxygen, ward) feeds the gateway's
 * NEWS2 operator and the SpO2 red-score rule, and stored readings are exported as Observations.
 * The devices send heartbeats (battery, firmware) that the gateway's device monitoring reads; the
 * platform's rollout engine updates the oximeters' firmware in waves, each device's update agent
 * installing and reporting; the model's scores are monitored against delayed labels from the
 * simulator's ground truth (AUROC, Brier) and for input drift (PSI). Stops after `durationMs` or
 * on `signal`, drains every stage (devices, gateway, outbox, platform, FHIR export), verifies the
 * ledger and each anchor against the store, checks every accepted reading was stored, and
 * resolves with a summary.
 */
export async function runWard(options: WardOptions = {}): Promise<WardSummary> {
  const patients = options.patients ?? 20;
  const durationMs = options.durationMs ?? 30_000;

  const transport = createInProcessTransport();
  let ward: readonly WardPatient[] = [];
  const simulatorOptions = {
    patients,
    seed: options.seed ?? 42,
    periodMs: options.periodMs ?? 1000,
    scenarioTiming: options.scenarioTiming ?? DEMO_SCENARIO_TIMING,
  };
  const simulator = createWardSimulator({
    ...simulatorOptions,
    scenarios: scenariosOf(simulatorOptions, options.scenarioMix ?? WARD_SCENARIO_MIX),
    // At each bed: the bedside monitor (mains) and a pulse oximeter on its battery.
    devices: wardDeviceSpecs(simulatorOptions.seed),
    // Controlled oxygen from the start for the patients who have it prescribed (see wardPatients).
    oxygen$: defer(() =>
      from(
        ward.flatMap((p) =>
          p.oxygenLpm === undefined ? [] : [{ patientId: p.patientId, flowLpm: p.oxygenLpm, ts: Date.now() }],
        ),
      ),
    ),
  });
  ward = wardPatients(simulator.patients);
  const view = createWardView(
    simulator.patients.map((p) => ({ patientId: p.patientId, scenario: p.scenario.name })),
  );
  // The gateway's threshold rules; the SpO2 red score depends on the patient's scale (below).
  const gateway = createGateway({ transport, rules: WARD_GATEWAY_RULES });
  const store = await createPgliteReadingStore(options.dataDir ? { dataDir: options.dataDir } : {});
  const ledger = createWardLedger();
  const model = await createOnnxRuntime().load(deteriorationModelV0());
  const modelArtifact = deteriorationModelV0();
  // The model's reference profile (a simulated reference ward, scored) and its monitor.
  const modelMonitor = await createWardModelMonitor(model, modelArtifact, options.modelMonitor);
  // The devices' firmware (factory images, update agents), and what the gateway hears of them.
  const fleet = await createWardFleet(simulator);
  const devices = createWardDevices(fleet);
  const rollout: WardRollout | undefined =
    options.rollout === false ? undefined : await createWardRollout(fleet, options.rollout ?? {});
  // The rollout engine's inventory follows the gateway's device monitoring (firmware, online).
  const inventorySub = devices.changes$.subscribe((id) => {
    const d = devices.get(id);
    if (d !== undefined) rollout?.onDevice(d);
  });

  const outbox = await openOutbox(options);
  const outboxAtStart = outbox.stats(); // a SQLite outbox keeps its counters across runs
  const uplink = createInProcessUplink({ name: 'in-process (platform)' });
  const forwarder = createForwarder({ outbox, uplink, batchSize: 500, pollMs: 50 });
  // The hospital's FHIR server: seeded, and every patient's context read before the first reading.
  const fhir: WardFhir | undefined =
    options.fhir === false
      ? undefined
      : await (await import('./fhir.js')).openWardFhir(ward, options.fhir ?? {}, (patientId, c) =>
          view.onContext(patientId, {
            spo2Scale: c.spo2Scale,
            onOxygen: c.onOxygen,
            ...(c.ward?.display === undefined ? {} : { ward: c.ward.display }),
          }),
        );
  const dashboard: WardDashboard | undefined =
    options.dashboard === undefined
      ? undefined
      : await (await import('./dashboard.js')).openWardDashboard(
          {
            view,
            store,
            ledger,
            periodMs: simulatorOptions.periodMs,
            model: { id: modelArtifact.id, version: modelArtifact.version },
            modelMonitor,
            devices,
            ...(rollout === undefined ? {} : { rollout }),
            outbox,
            uplink,
            forwarder,
          },
          options.dashboard,
        );
  options.onUplink?.(uplink);
  options.onStatus?.('running');
  const started = Date.now();
  rollout?.start();

  let published = 0;
  let publishFailures = 0;
  let accepted = 0;
  const acceptedIds: string[] = [];
  let alertsRaised = 0;
  let readingRecords = 0;
  let delivered = 0;
  let unique = 0;
  let decodeFailures = 0;
  let ingested = 0;
  let dropped = 0;
  let maxHeld = 0;
  let storeFailures = 0;
  let riskScores = 0;
  let riskErrors = 0;
  let heartbeatFailures = 0;
  let news2Updates = 0;
  let news2RiskRises = 0;
  let news2Rejected = 0;
  const gatewayEvents: Record<string, number> = {};
  const alerts: Alert[] = [];

  const stop$ = new Subject<void>();
  const drain = <T>(o: Observable<T>) => lastValueFrom(o.pipe(defaultIfEmpty(undefined)));

  // Platform side: what the uplink delivers, de-duplicated by record id (delivery is
  // at-least-once) and decoded; subscribed before the forwarder starts.
  const platform$ = uplink.received$.pipe(
    tap(() => {
      delivered += 1;
    }),
    dedupeRecords({ maxIds: 100_000 }),
    map((record): DecodedUplinkRecord | undefined => {
      unique += 1;
      try {
        return decodeUplinkRecord(record);
      } catch {
        decodeFailures += 1;
        return undefined;
      }
    }),
    filter((d): d is DecodedUplinkRecord => d !== undefined),
    share(),
  );
  // Store in batches, anchor each stored batch in the ledger.
  const stored = drain(
    platform$.pipe(
      // The gateway sends a record per device message (`reading-batch`); single readings work too.
      mergeMap((d) => (d.type === 'reading-batch' ? d.readings : d.type === 'reading' ? [d.reading] : [])),
      tap(() => {
        ingested += 1;
      }),
      ingestReadings(store, { maxBatch: 500, maxWaitMs: 250 }),
      concatMap((event) => {
        if (event.type !== 'stored') {
          storeFailures += event.type === 'store-failed' ? event.readings.length : 1;
          return [];
        }
        fhir?.exportStored(event.readings);
        dashboard?.onStored(event.readings);
        return from(ledger.anchor(event.readings));
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
          modelMonitor.onScore(event.score);
          dashboard?.onRiskScore();
          view.onRisk(event.score.patientId, event.score.risk);
        } else {
          riskErrors += 1;
        }
      }),
    ),
  );
  // Edge NEWS2 on each patient's SpO2 scale and oxygen status from the clinical context. The
  // monitors do not report consciousness: the quick start assumes Alert.
  const news2 = drain(
    gateway.readings$.pipe(
      news2Scores({ entries$: fhir?.entries$ ?? EMPTY, assume: { consciousness: 'A', onOxygen: false } }),
      tap((u) => {
        if (u.type === 'news2-score') {
          news2Updates += 1;
          view.onNews2(u);
          dashboard?.onNews2(u);
        } else if (u.type === 'news2-alert') news2RiskRises += 1;
        else if (u.type === 'news2-rejected') news2Rejected += 1;
      }),
    ),
  );
  const platformAlerts = drain(
    platform$.pipe(
      tap((d) => {
        if (d.type !== 'alert') return;
        alerts.push(d.alert);
        view.onAlert(d.alert);
        dashboard?.onAlert(d.alert, 'gateway:gw-ward-7');
      }),
    ),
  );
  forwarder.start();
  // Gateway side: accepted readings and alerts, in micro-batches, into the outbox.
  const appending = drain(
    merge(
      gateway.readingBatches$.pipe(
        mergeMap(readingBatchRecords),
        tap(() => {
          readingRecords += 1;
        }),
      ),
      merge(gateway.alerts$, gateway.readings$.pipe(spo2RedScoreAlerts((id) => fhir?.contexts.get(id)))).pipe(
        tap((a) => {
          alertsRaised += 1;
          dashboard?.onGatewayAlert(a);
        }),
        map(alertRecord),
      ),
    ).pipe(
      appendToOutbox(outbox, { maxBatch: 500, maxWaitMs: 50 }),
      tap((event) => {
        if (event.type === 'appended') forwarder.wake();
        else if (event.type === 'dropped') dropped += event.records.length;
        else if (event.type === 'held') maxHeld = Math.max(maxHeld, event.count);
      }),
    ),
  );
  const watched = [
    drain(
      gateway.readings$.pipe(
        tap((r: Reading) => {
          accepted += 1;
          acceptedIds.push(r.id);
          view.onReading(r);
          devices.onReading(r);
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
    // Device monitoring at the gateway: last seen from readings and heartbeats, battery and
    // firmware from heartbeats, offline after a silence of 5 periods (at least 5 s).
    drain(
      merge(
        gateway.readings$,
        transport.subscribe(HEARTBEAT_TOPICS).pipe(
          map((m) => devices.decode(m)),
          filter((h) => h !== undefined),
        ),
      ).pipe(
        monitorDevices({ offlineAfterMs: Math.max(5_000, simulatorOptions.periodMs * 5) }),
        tap((e) => devices.onMonitor(e)),
      ),
    ),
  ];
  fhir?.start();
  // Devices: measure and publish until stopped. One simulation run: its readings, the heartbeats
  // the devices send, and its ground truth (for the model's delayed labels).
  const ticks$ = simulator.ticks$.pipe(takeUntil(stop$), share());
  const publishing = drain(
    ticks$.pipe(
      mergeMap((tick) => tick.deliveries.flatMap((d) => d.sample.readings)),
      publishReadings(transport),
      tap((event) => {
        if (event.type === 'published') published += event.readings.length;
        else publishFailures += event.readings.length;
      }),
    ),
  );
  const heartbeats = drain(
    ticks$.pipe(
      tap((tick) => modelMonitor.onTick(tick)),
      mergeMap((tick) => fleet.heartbeats(tick)),
      concatMap((h) =>
        transport
          .publish(heartbeatTopic(h.deviceId), new TextEncoder().encode(JSON.stringify(h)))
          .catch(() => {
            heartbeatFailures += 1;
          }),
      ),
    ),
  );
  const refreshMs = options.refreshMs ?? 1000;
  const refresh = interval(refreshMs).subscribe(() => options.onRefresh?.(view, Date.now() - started));

  const stoppedEarly = await waitFor(durationMs, options.signal);
  refresh.unsubscribe();
  options.onStatus?.('draining');
  stop$.next();
  stop$.complete();
  const rolloutStopped = rollout?.stop(); // updates under way finish
  await Promise.all([publishing, heartbeats]);
  await transport.close(); // completes the gateway's streams: every stage drains
  fhir?.stopContext(); // completes the NEWS2 operator's entries
  await Promise.all([appending, scored, news2, ...watched]); // everything accepted is in the outbox
  await drainOutbox(outbox, forwarder, 30_000); // ... and forwarded to the platform
  await forwarder.stop();
  const outboxStats = outbox.stats();
  const forwarderStats = forwarder.stats();
  await uplink.close(); // completes the platform's streams
  await Promise.all([stored, platformAlerts]);
  const rolloutSummary = await rolloutStopped;
  inventorySub.unsubscribe();
  outbox.close();
  options.onStatus?.('verifying');

  // Verify: the whole log (policy, signatures, order, root, witness) against its final
  // checkpoint, each anchor against the store, and one reading's provenance bundle offline.
  const storedCount = await store.count();
  const all = await store.query({ from: 0, to: Number.MAX_SAFE_INTEGER, limit: storedCount });
  const byId = new Map(all.map((r) => [r.id, r]));
  const ledgerSummary = await ledger.verify(byId);
  const notStored = acceptedIds.reduce((n, id) => (byId.has(id) ? n : n + 1), 0);
  // Export what the live export has not sent yet, re-send the rest (conditional create), count.
  let fhirSummary: WardFhirSummary | undefined;
  try {
    fhirSummary = await fhir?.finish(all);
  } finally {
    await fhir?.close();
  }
  const rows = [...view.rows.values()];

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
    alertsRaised,
    readingRecords,
    alerts: alerts.length,
    alertsBySeverity,
    outbox: {
      kind: options.outboxPath === undefined ? 'memory' : 'sqlite',
      ...(options.outboxPath === undefined ? {} : { path: options.outboxPath }),
      replayed: outboxAtStart.pending,
      appended: outboxStats.appended - outboxAtStart.appended,
      acknowledged: outboxStats.acknowledged - outboxAtStart.acknowledged,
      pending: outboxStats.pending,
      refused: outboxStats.refused - outboxAtStart.refused,
      shed: outboxStats.shed - outboxAtStart.shed,
      dropped,
      maxHeld,
    },
    uplink: {
      name: uplink.name,
      sends: forwarderStats.sends,
      retries: forwarderStats.retries,
      delivered,
      duplicates: delivered - unique,
      decodeFailures,
      ingested,
    },
    notStored,
    riskScores,
    riskErrors,
    ledger: ledgerSummary,
    news2: {
      scores: news2Updates,
      patientsScored: rows.filter((r) => r.news2 !== undefined).length,
      scale2: rows.filter((r) => r.news2?.input.spo2Scale === 2).map((r) => r.patientId),
      onOxygen: rows.filter((r) => r.news2?.input.onOxygen === true).map((r) => r.patientId),
      riskRises: news2RiskRises,
      rejected: news2Rejected,
    },
    ...(fhirSummary === undefined ? {} : { fhir: fhirSummary }),
    devices: { ...devices.summary(), heartbeatFailures },
    ...(rolloutSummary === undefined ? {} : { rollout: rolloutSummary }),
    model: modelMonitor.summary(),
    view,
  };
  await dashboard?.close();
  devices.close();
  await Promise.all([model.dispose(), ledger.close(), store.close()]);
  return summary;
}

/**
 * The scenario of each patient as the mix assigns them (the same seed, the same patients), with
 * chronic conditions such as COPD in force from the start of the run: the demo's compressed timing
 * is for acute deterioration, not for a condition the patient was admitted with.
 */
function scenariosOf(
  options: Pick<WardSimulatorOptions, 'patients' | 'seed' | 'periodMs' | 'scenarioTiming'>,
  mix: ScenarioMix,
): ScenarioSpec[] {
  return createWardSimulator({ ...options, scenarioMix: mix }).patients.map((p) =>
    SCENARIOS[p.scenario.name].kind === 'chronic'
      ? { name: p.scenario.name, startAfterMs: 0, rampMs: 0 }
      : { name: p.scenario.name, startAfterMs: p.scenario.startAfterMs, rampMs: p.scenario.rampMs },
  );
}

/** Resolves after `ms`, or early (with true) when `signal` aborts. */
function waitFor(ms: number, signal: AbortSignal | undefined): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve(true);
    const onAbort = () => {
      clearTimeout(timer);
      resolve(true);
    };
    const timer = Number.isFinite(ms)
      ? setTimeout(() => {
          signal?.removeEventListener('abort', onAbort);
          resolve(false);
        }, ms)
      : undefined;
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
