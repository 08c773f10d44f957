import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Alert } from '@healthit/core';
import type { Observable, Subscription } from 'rxjs';
import type { ForwarderState } from '../uplink/forwarder.js';
import type { OutboxStats } from '../uplink/outbox.js';
import type { UplinkState } from '../uplink/uplink.js';

/** A device behind the gateway, e.g. from `monitorDevices`' `DeviceHealth`. */
export interface GatewayDeviceStatus {
  /** The device's id. */
  readonly deviceId: string;
  /**
   * Whether the device is heard (shown as `connected`) or offline; counted in `devices.connected`.
   */
  readonly online: boolean;
  /** Gateway clock, epoch ms. */
  readonly lastSeen?: number;
  /** Battery charge, 0–100 % (shown rounded); undefined when unknown. */
  readonly batteryPercent?: number;
  /** The firmware version the device reported; undefined when unknown. */
  readonly firmware?: string;
}

/** The uplink as the page shows it. */
export interface GatewayUplinkStatus {
  /** Whether the uplink can deliver now (`up`) or not (`down`: records wait in the outbox). */
  readonly state: UplinkState;
  /** The uplink's name, e.g. `nats://platform:4222`. */
  readonly name?: string;
  /** The forwarder's state (`backing-off` while the uplink is down). */
  readonly forwarder?: ForwarderState;
  /** Records acknowledged so far. */
  readonly sent?: number;
}

/** What the page reads, each on every request (all optional but `name`). */
export interface GatewayStatusSources {
  /** The gateway's name, e.g. `gw-ward-7`. */
  readonly name: string;
  /** The devices behind the gateway (e.g. the latest `DeviceHealth` of each); none when absent. */
  readonly devices?: () => readonly GatewayDeviceStatus[];
  /** The store-and-forward outbox's counters (`outbox.stats()`). */
  readonly outbox?: () => OutboxStats;
  /** The uplink's state; the page shows `not configured` when absent. */
  readonly uplink?: () => GatewayUplinkStatus;
  /** Recent alerts, newest first (see {@link createRecentAlerts}). */
  readonly alerts?: () => readonly Alert[];
}

/** One snapshot, as `status.json` returns it. */
export interface GatewayStatus {
  /** The gateway's name (`sources.name`). */
  readonly name: string;
  /** When the snapshot was taken, in ms since the epoch (the server's `now`). */
  readonly now: number;
  /**
   * `connected`: devices `online`; `total`: devices listed; `list`: every device, as the source
   * gave it.
   */
  readonly devices: {
    readonly connected: number;
    readonly total: number;
    readonly list: readonly GatewayDeviceStatus[];
  };
  /**
   * The outbox's counters with `fillPercent`: how full the fuller of its two bounds is, 0–100 —
   * the pending non-alert bytes (`pendingBytes − pendingAlertBytes`) as a percentage of `maxBytes`,
   * or `pendingAlertBytes` of `maxAlertBytes`, whichever is higher (a bound of 0 counts 0); absent
   * when the sources have no outbox.
   */
  readonly outbox?: OutboxStats & { readonly fillPercent: number };
  /** The uplink's status; absent when the sources have no uplink. */
  readonly uplink?: GatewayUplinkStatus;
  /** Recent alerts, newest first; empty when the sources have none. */
  readonly alerts: readonly Alert[];
}

/** A bounded list of the latest alerts. */
export interface RecentAlerts {
  /** Adds an alert as the newest, dropping the oldest when the list is full. */
  add(alert: Alert): void;
  /** Newest first. */
  list(): readonly Alert[];
  /** Adds every alert of `alerts$` until unsubscribed. */
  connect(alerts$: Observable<Alert>): Subscription;
}

/**
 * Keeps the latest `max` alerts (default 50). Policy when full: `drop-oldest`.
 * @throws {RangeError} when `max` is not a positive integer.
 */
export function createRecentAlerts(max = 50): RecentAlerts {
  if (!Number.isSafeInteger(max) || max < 1)
    throw new RangeError(`max must be a positive integer, got ${max}`);
  const ring: Alert[] = [];
  const add = (alert: Alert) => {
    ring.unshift(alert);
    if (ring.length > max) ring.pop();
  };
  return {
    add,
    list: () => [...ring],
    connect: (alerts$) => alerts$.subscribe({ next: add, error: () => {} }),
  };
}

/** `part` as a percentage of `whole` (0 when `whole` is not positive, e.g. a custom outbox's missing bound). */
const percent = (part: number, whole: number): number => (whole > 0 ? (100 * part) / whole : 0);

function snapshot(sources: GatewayStatusSources, now: number): GatewayStatus {
  const list = sources.devices?.() ?? [];
  const outbox = sources.outbox?.();
  const uplink = sources.uplink?.();
  return {
    name: sources.name,
    now,
    devices: { connected: list.filter((d) => d.online).length, total: list.length, list },
    ...(outbox === undefined
      ? {}
      : {
          outbox: {
            ...outbox,
            fillPercent: Math.min(
              100,
              Math.max(
                percent(outbox.pendingBytes - outbox.pendingAlertBytes, outbox.maxBytes),
                percent(outbox.pendingAlertBytes, outbox.maxAlertBytes),
              ),
            ),
          },
        }),
    ...(uplink === undefined ? {} : { uplink }),
    alerts: sources.alerts?.() ?? [],
  };
}

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};
const esc = (value: unknown): string => String(value).replace(/[&<>"']/g, (c) => ESCAPES[c] ?? c);
const time = (ts: number | undefined) => (ts === undefined ? '—' : new Date(ts).toISOString().slice(11, 19));

const STYLE = `body{font-family:system-ui,sans-serif;margin:0;color:#1b1f24;background:#f5f6f8}
header{background:#102a43;color:#fff;padding:.6rem 1rem}h1{font-size:1.2rem;margin:0}
main{padding:1rem;max-width:1100px;margin:auto}section{background:#fff;border:1px solid #c9ced6;border-radius:6px;padding:.6rem .9rem;margin-bottom:.8rem}
h2{font-size:1.05rem;margin:.2rem 0 .5rem}table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:.3rem .4rem;border-bottom:1px solid #c9ced6}
.state{font-weight:700}.up{color:#1e6b34}.down{color:#a4001d}meter{width:14rem;max-width:100%}.muted{color:#545c66;font-size:.9rem}
.sev{font-weight:700}.grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(240px,1fr));gap:.8rem}`;

/** Renders the page (server-side HTML, every value escaped). */
export function renderGatewayStatusPage(status: GatewayStatus, refreshSeconds: number): string {
  const uplink = status.uplink;
  const outbox = status.outbox;
  const rows = status.devices.list
    .map(
      (d) =>
        `<tr><td>${esc(d.deviceId)}</td><td>${d.online ? 'connected' : 'offline'}</td><td>${time(d.lastSeen)}</td><td>${d.batteryPercent === undefined ? '—' : `${Math.round(d.batteryPercent)} %`}</td><td>${esc(d.firmware ?? '—')}</td></tr>`,
    )
    .join('');
  const alerts = status.alerts
    .map(
      (a) =>
        `<tr><td>${time(a.ts)}</td><td class="sev">${esc(a.severity.toUpperCase())}</td><td>${esc(a.patientId ?? a.deviceId ?? '—')}</td><td>${esc(a.message)}</td></tr>`,
    )
    .join('');
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<meta http-equiv="refresh" content="${refreshSeconds}"><title>${esc(status.name)} · gateway status</title><link rel="icon" href="data:,"><style>${STYLE}</style></head>
<body><header><h1>Gateway ${esc(status.name)}</h1></header><main>
<p class="muted">Served by the gateway itself · ${new Date(status.now).toISOString()} · refreshes every ${refreshSeconds} s</p>
<div class="grid">
<section id="uplink"><h2>Uplink</h2>${
    uplink === undefined
      ? '<p>not configured</p>'
      : `<p class="state ${uplink.state === 'up' ? 'up' : 'down'}" data-state="${esc(uplink.state)}">${uplink.state === 'up' ? '● Up' : '○ Down — readings and alerts are held in the outbox'}</p>
<p>${esc(uplink.name ?? '')}${uplink.forwarder === undefined ? '' : ` · forwarder ${esc(uplink.forwarder)}`}${uplink.sent === undefined ? '' : ` · ${uplink.sent} records sent`}</p>`
  }</section>
<section id="outbox"><h2>Outbox</h2>${
    outbox === undefined
      ? '<p>not configured</p>'
      : `<p><meter min="0" max="100" value="${outbox.fillPercent.toFixed(1)}" aria-label="outbox fill"></meter> <strong data-fill="${outbox.fillPercent.toFixed(1)}">${outbox.fillPercent.toFixed(1)} % full</strong></p>
<p>${outbox.pending} records pending (${(outbox.pendingBytes / 1024).toFixed(1)} KiB of ${(outbox.maxBytes / 2 ** 20).toFixed(0)} MiB) · ${outbox.refused} refused · ${outbox.shed} shed</p>`
  }</section>
<section id="devices-summary"><h2>Devices</h2><p><strong data-connected="${status.devices.connected}">${status.devices.connected} of ${status.devices.total} connected</strong></p></section>
</div>
<section id="alerts"><h2>Recent alerts</h2>${alerts === '' ? '<p>None.</p>' : `<table><thead><tr><th>Time (UTC)</th><th>Severity</th><th>Patient / device</th><th>Alert</th></tr></thead><tbody>${alerts}</tbody></table>`}</section>
<section id="devices"><h2>Device list</h2>${rows === '' ? '<p>No devices.</p>' : `<table><thead><tr><th>Device</th><th>State</th><th>Last seen (UTC)</th><th>Battery</th><th>Firmware</th></tr></thead><tbody>${rows}</tbody></table>`}</section>
</main></body></html>`;
}

/** Options of {@link createGatewayStatusServer}. */
export interface GatewayStatusServerOptions {
  /** What the page shows, read on every request. */
  readonly sources: GatewayStatusSources;
  /** The page reloads itself this often (default 5 s). */
  readonly refreshSeconds?: number;
  /** The time of each snapshot, in ms since the epoch. Default `Date.now`. */
  readonly now?: () => number;
}

/** The status page's HTTP server. */
export interface GatewayStatusServer {
  /** The underlying Node.js HTTP server (not listening until `listen`). */
  readonly server: Server;
  /** Starts serving (default port 0, host `127.0.0.1`); resolves with the URL. */
  listen(options?: { readonly port?: number; readonly host?: string }): Promise<string>;
  /** Stops serving: drops open connections and resolves once the server is closed. */
  close(): Promise<void>;
}

/**
 * Creates the gateway's local status page: `GET /` (HTML) and `GET /status.json`. Read-only; bind
 * it to loopback or the ward's maintenance network.
 */
export function createGatewayStatusServer(options: GatewayStatusServerOptions): GatewayStatusServer {
  const refresh = options.refreshSeconds ?? 5;
  const now = options.now ?? Date.now;
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const headers = {
      'x-content-type-options': 'nosniff',
      'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; img-src data:",
      'cache-control': 'no-store',
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { ...headers, allow: 'GET, HEAD' }).end();
      return;
    }
    try {
      const status = snapshot(options.sources, now());
      if (path === '/') {
        res.writeHead(200, { ...headers, 'content-type': 'text/html; charset=utf-8' });
        res.end(renderGatewayStatusPage(status, refresh));
      } else if (path === '/status.json') {
        res.writeHead(200, { ...headers, 'content-type': 'application/json' });
        res.end(JSON.stringify(status));
      } else {
        res.writeHead(404, { ...headers, 'content-type': 'text/plain' }).end('not found');
      }
    } catch (e) {
      res
        .writeHead(500, { ...headers, 'content-type': 'text/plain' })
        .end(`status unavailable: ${(e as Error).message}`);
    }
  });
  return {
    server,
    listen: (listen = {}) =>
      new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(listen.port ?? 0, listen.host ?? '127.0.0.1', () => {
          const { port } = server.address() as AddressInfo;
          resolve(`http://${listen.host ?? '127.0.0.1'}:${port}/`);
        });
      }),
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
