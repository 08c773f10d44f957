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
} from '@healthit/platform/dashboard';
import { type Observable, Subject } from 'rxjs';
import type { WardView } from './view.js';
import type { WardLedger } from './ward-ledger.js';

/** The ward all simulated patients are on: the access-control scope of their alerts. */
export const WARD_ID = 'ward-7';

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
  onAccepted(reading: Reading): void;
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
  readonly outbox: Outbox;
  readonly uplink: { readonly name: string; readonly state$: Observable<UplinkState> };
  readonly forwarder: { stats(): ForwarderStats };
}

/** Devices remembered for the devices page (policy when full: new devices are not listed). */
const MAX_DEVICES = 50_000;

/**
 * Opens the platform dashboard over the ward's real sources (the PGlite store, the platform's alert
 * manager fed by the uplink, NEWS2 from the gateway's operator, devices as the gateway hears them,
 * the transparency log's checkpoints and provenance bundles, the edge model) and the gateway's local
 * status page (outbox, uplink, devices, recent alerts).
 */
export async function openWardDashboard(
  parts: WardDashboardParts,
  options: WardDashboardOptions,
): Promise<WardDashboard> {
  const alerts = createAlertManager({ wardOf: () => WARD_ID });
  const news2 = createNews2History();
  const stored$ = new Subject<Reading>();
  const devices = new Map<string, { patientId?: string; lastSeen: number; metrics: Set<string> }>();
  const recent = createRecentAlerts(50);
  let riskScores = 0;
  let uplinkState: UplinkState = 'up';
  const uplinkSub = parts.uplink.state$.subscribe((s) => {
    uplinkState = s;
  });
  const offlineAfterMs = Math.max(5_000, parts.periodMs * 5);
  const nurse: Principal = { id: 'nurse-demo', roles: ['nurse'], wards: [WARD_ID], patients: [] };
  const biomed: Principal = { id: 'biomed-demo', roles: ['biomed'], wards: [WARD_ID], patients: [] };
  const tokens = {
    nurse: randomBytes(12).toString('base64url'),
    biomed: randomBytes(12).toString('base64url'),
  };

  const deviceList = (): DashboardDevice[] => {
    const now = Date.now();
    return [...devices.entries()].map(([deviceId, d]) => ({
      deviceId,
      ...(d.patientId === undefined ? {} : { patientId: d.patientId }),
      kind: [...d.metrics].sort().join(', '),
      state: now - d.lastSeen > offlineAfterMs ? 'offline' : 'online',
      lastSeen: d.lastSeen,
    }));
  };

  const dashboard: Dashboard = createDashboard({
    title: 'Ward 7 · Health-IT SDK quick start',
    staleAfterMs: Math.max(10_000, parts.periodMs * 10),
    authenticate: bearerTokenAuthenticator({ [tokens.nurse]: nurse, [tokens.biomed]: biomed }),
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
      devices: { list: deviceList },
      ledger: {
        status: () => parts.ledger.status(),
        provenance: (readingId) =>
          parts.ledger.provenance(readingId, (q) =>
            parts.store.query({ deviceId: q.deviceId, from: q.from, to: q.to, limit: 10_000 }),
          ),
      },
      models: {
        list: (): DashboardModel[] => [
          {
            name: parts.model.id,
            version: parts.model.version,
            placement: 'edge: gateway, onnxruntime-web (WASM)',
            status: 'serving',
            scores: riskScores,
            updatedAt: Date.now(),
          },
        ],
      },
    },
  });
  const gateway: GatewayStatusServer = createGatewayStatusServer({
    sources: {
      name: 'gw-ward-7',
      devices: () =>
        deviceList().map((d) => ({
          deviceId: d.deviceId,
          online: d.state === 'online',
          lastSeen: d.lastSeen ?? 0,
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
    gateway.listen({ port: options.gatewayPort ?? 0, host }),
  ]);
  const ready: WardDashboardReady = { url, gatewayUrl, tokens };
  options.onReady?.(ready);

  return {
    alerts,
    ready,
    onStored(readings) {
      for (const r of readings) stored$.next(r);
    },
    onAccepted(r) {
      let d = devices.get(r.deviceId);
      if (d === undefined) {
        if (devices.size >= MAX_DEVICES) return;
        d = {
          ...(r.patientId === undefined ? {} : { patientId: r.patientId }),
          lastSeen: r.ts,
          metrics: new Set(),
        };
        devices.set(r.deviceId, d);
      }
      d.lastSeen = Math.max(d.lastSeen, r.ts);
      d.metrics.add(r.metric);
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
