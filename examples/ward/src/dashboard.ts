import { randomBytes } from 'node:crypto';
import type { Alert, Principal, Reading, ReadingStore } from '@healthit/core';
import type { ForwarderStats, News2ScoreUpdate, Outbox, UplinkState } from '@healthit/gateway';
import {
  createGatewayStatusServer,
  createRecentAlerts,
  type GatewayStatusServer,
} from '@healthit/gateway/status';
import { type AlertManager, createAlertManager } from '@healthit/platform/alerts';
import {
  bearerTokenAuthenticator,
  createDashboard,
  createNews2History,
  type Dashboard,
  type DashboardDevice,
  type DashboardModel,
  isLoopback,
} from '@healthit/platform/dashboard';
import { filter, map, merge, type Observable, Subject } from 'rxjs';
import { WARD_ID } from './constants.js';
import type { WardDeviceStatus, WardDevices } from './devices.js';
import type { WardModelMonitor } from './model-monitor.js';
import { UPDATING_STATES, type WardRollout } from './rollout.js';
import type { WardView } from './view.js';
import type { WardLedger } from './ward-ledger.js';

export { WARD_ID } from './constants.js';

/** Options of the ward's dashboard (`WardOptions.dashboard`). */
export interface WardDashboardOptions {
  /** Port of the platform dashboard (default 0: a free port). */
  readonly port?: number;
  /** Port of the gateway's local status page (default 0). */
  readonly gatewayPort?: number;
  /** Default `127.0.0.1`. */
  readonly host?: string;
  /** Told the URLs and the sign-in tokens once both servers listen. */
  readonly onReady?: (ready: WardDashboardReady) => void;
}

/** What {@link WardDashboardOptions.onReady} is told. */
export interface WardDashboardReady {
  readonly url: string;
  readonly gatewayUrl: string;
  /** Random per run: a nurse of the ward (may acknowledge and resolve) and a biomedical engineer (may not). */
  readonly tokens: { readonly nurse: string; readonly biomed: string };
}

/** What the ward feeds its dashboard while it runs. */
export interface WardDashboard {
  readonly alerts: AlertManager;
  onStored(readings: readonly Reading[]): void;
  onAlert(alert: Alert, source: string): void;
  onGatewayAlert(alert: Alert): void;
  onNews2(update: News2ScoreUpdate): void;
  onRiskScore(): void;
  readonly ready: WardDashboardReady;
  close(): Promise<void>;
}

/** What the ward hands its dashboard. */
export interface WardDashboardParts {
  readonly view: WardView;
  readonly store: ReadingStore;
  readonly ledger: WardLedger;
  readonly periodMs: number;
  readonly model: { readonly id: string; readonly version: string };
  /** The model's monitor: rolling accuracy against delayed labels, input drift. */
  readonly modelMonitor: WardModelMonitor;
  /** The devices as the gateway's device monitoring knows them (battery, firmware, last seen). */
  readonly devices: WardDevices;
  /** The platform's rollout engine and its campaign over the pulse oximeters. */
  readonly rollout?: WardRollout;
  readonly outbox: Outbox;
  readonly uplink: { readonly name: string; readonly state$: Observable<UplinkState> };
  readonly forwarder: { stats(): ForwarderStats };
}

/**
 * Opens the platform dashboard over the ward's real sources (the PGlite store, the platform's alert
 * manager fed by the uplink, NEWS2 from the gateway's operator, devices as the gateway's device
 * monitoring knows them — battery and firmware from their heartbeats — with their state in the
 * platform's firmware rollout, the rollout engine's campaigns and fleet view, the transparency
 * log's checkpoints and provenance bundles, the edge model with its monitor's rolling AUROC, Brier
 * and input drift) and the gateway's local status page (outbox, uplink, devices, recent alerts).
 */
export async function openWardDashboard(
  parts: WardDashboardParts,
  options: WardDashboardOptions,
): Promise<WardDashboard> {
  const alerts = createAlertManager({ wardOf: () => WARD_ID });
  const news2 = createNews2History();
  const stored$ = new Subject<Reading>();
  const recent = createRecentAlerts(50);
  let riskScores = 0;
  let uplinkState: UplinkState = 'up';
  const uplinkSub = parts.uplink.state$.subscribe((s) => {
    uplinkState = s;
  });
  const nurse: Principal = { id: 'nurse-demo', roles: ['nurse'], wards: [WARD_ID], patients: [] };
  const biomed: Principal = { id: 'biomed-demo', roles: ['biomed'], wards: [WARD_ID], patients: [] };
  const tokens = {
    nurse: randomBytes(12).toString('base64url'),
    biomed: randomBytes(12).toString('base64url'),
  };

  // A device's row: the gateway's view, its state `updating (<step>)` while the rollout updates it.
  const deviceRow = (d: WardDeviceStatus): DashboardDevice => {
    const update = parts.rollout?.entry(d.deviceId)?.state;
    return {
      deviceId: d.deviceId,
      patientId: d.patientId,
      kind: d.kind,
      state:
        update !== undefined && UPDATING_STATES.has(update)
          ? `updating (${update})`
          : d.online
            ? 'online'
            : 'offline',
      ...(d.batteryPercent === undefined ? {} : { batteryPercent: d.batteryPercent }),
      ...(d.lastSeen === undefined ? {} : { lastSeen: d.lastSeen }),
      ...(d.firmware === undefined ? {} : { firmware: d.firmware }),
    };
  };
  const deviceList = (): DashboardDevice[] => parts.devices.list().map(deviceRow);
  // Live: a change the gateway heard, or a step of the device's update.
  const deviceUpdates$: Observable<DashboardDevice> = merge(
    parts.devices.changes$,
    parts.rollout?.engine.fleet$.pipe(map((f) => f.deviceId)) ?? [],
  ).pipe(
    map((id) => parts.devices.get(id)),
    filter((d) => d !== undefined),
    map(deviceRow),
  );
  const modelList = (): DashboardModel[] => {
    const report = parts.modelMonitor.report();
    const active = report.active;
    const accuracy = active?.accuracy;
    const drift = parts.modelMonitor.drift(report);
    return [
      {
        name: parts.model.id,
        version: parts.model.version,
        placement: 'edge: gateway, onnxruntime-web (WASM)',
        status:
          active === undefined || active.alarms.length === 0
            ? 'serving'
            : `serving · alarm: ${active.alarms.join(', ')}`,
        ...(accuracy?.auroc === null || accuracy?.auroc === undefined ? {} : { auroc: accuracy.auroc }),
        ...(accuracy?.brier === null || accuracy?.brier === undefined ? {} : { brier: accuracy.brier }),
        // The most drifted input once enough scores were seen; drifted at PSI >= 0.5.
        ...(drift === undefined
          ? {}
          : { drift: { score: drift.psi, drifted: drift.drifted, metric: `PSI ${drift.feature}` } }),
        scores: riskScores,
        updatedAt: Date.now(),
      },
    ];
  };

  const dashboard: Dashboard = createDashboard({
    title: 'Ward 7 · Health-IT SDK quick start',
    staleAfterMs: Math.max(10_000, parts.periodMs * 10),
    authenticate: bearerTokenAuthenticator({ [tokens.nurse]: nurse, [tokens.biomed]: biomed }),
    // Patient data on a network interface only to a signed-in user; on loopback, open.
    readAccess: isLoopback(options.host ?? '127.0.0.1') ? 'open' : 'signed-in',
    sources: {
      patients: () =>
        [...parts.view.rows.values()].map((row) => ({
          patientId: row.patientId,
          label: row.patientId,
          ward: row.context?.ward ?? WARD_ID,
          note: [
            row.scenario,
            row.context?.spo2Scale === 2 ? 'SpO2 Scale 2' : '',
            row.context?.onOxygen ? 'on oxygen' : '',
            row.risk === undefined ? '' : `model risk ${row.risk.toFixed(2)}`,
          ]
            .filter((t) => t !== '')
            .join(' · '),
        })),
      store: parts.store,
      readings$: stored$,
      alerts,
      news2,
      devices: { list: deviceList, updates$: deviceUpdates$ },
      ...(parts.rollout === undefined ? {} : { rollouts: parts.rollout.engine }),
      ledger: {
        status: () => parts.ledger.status(),
        provenance: (readingId) =>
          parts.ledger.provenance(readingId, (q) =>
            parts.store.query({ deviceId: q.deviceId, from: q.from, to: q.to, limit: 10_000 }),
          ),
      },
      models: { list: modelList },
    },
  });
  const gateway: GatewayStatusServer = createGatewayStatusServer({
    sources: {
      name: 'gw-ward-7',
      devices: () =>
        parts.devices.list().map((d) => ({
          deviceId: d.deviceId,
          online: d.online,
          lastSeen: d.lastSeen ?? 0,
          ...(d.batteryPercent === undefined ? {} : { batteryPercent: d.batteryPercent }),
          ...(d.firmware === undefined ? {} : { firmware: d.firmware }),
        })),
      outbox: () => parts.outbox.stats(),
      uplink: () => {
        const stats = parts.forwarder.stats();
        return { state: uplinkState, name: parts.uplink.name, forwarder: stats.state, sent: stats.sent };
      },
      alerts: () => recent.list(),
    },
  });
  const host = options.host ?? '127.0.0.1';
  const [url, gatewayUrl] = await Promise.all([
    dashboard.listen({ port: options.port ?? 0, host }),
    // The gateway's status page has no sign-in: it stays on loopback (the gateway's own console).
    gateway.listen({ port: options.gatewayPort ?? 0, host: '127.0.0.1' }),
  ]);
  const ready: WardDashboardReady = { url, gatewayUrl, tokens };
  options.onReady?.(ready);

  return {
    alerts,
    ready,
    onStored(readings) {
      for (const r of readings) stored$.next(r);
    },
    onAlert(alert, source) {
      alerts.submit(alert, source);
    },
    onGatewayAlert(alert) {
      recent.add(alert);
    },
    onNews2(u) {
      news2.add({
        patientId: u.patientId,
        ts: u.ts,
        total: u.result.total,
        clinicalRisk: u.result.clinicalRisk,
        redScore: u.result.redScore,
        spo2Scale: u.input.spo2Scale,
        onOxygen: u.input.onOxygen,
      });
    },
    onRiskScore() {
      riskScores += 1;
    },
    async close() {
      uplinkSub.unsubscribe();
      stored$.complete();
      await Promise.all([dashboard.close(), gateway.close()]);
      alerts.close();
    },
  };
}
