import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  type AlertSeverity,
  compareSeverity,
  HealthItError,
  METRICS,
  type MetricId,
  type Reading,
} from '@healthit/core';
import { type FastifyInstance, type FastifyReply, type FastifyRequest, fastify } from 'fastify';
import { bufferTime, filter, type Subscription } from 'rxjs';
import type { AlertState, ManagedAlert } from '../alerts/types.js';
import { createEventTickets } from './event-tickets.js';
import type { Authenticate, DashboardPatient, DashboardSources, News2Point } from './sources.js';
import { createSseHub, type SseHubOptions, type SseHubStats } from './sse.js';

/** Options of {@link createDashboard}. */
export interface DashboardOptions {
  /** Where the dashboard's data comes from; only `store`, `patients` and `alerts` are required. */
  readonly sources: DashboardSources;
  /**
   * Who makes a request (see `bearerTokenAuthenticator`, `roleClaimAuthenticator`). Without it,
   * acknowledging and resolving are refused (401): reads need no identity (see the security notes
   * in docs/platform/dashboard.md).
   */
  readonly authenticate?: Authenticate;
  /**
   * Who may read (default `open`):
   * - `open`: every page, the JSON API and the live stream without an identity — for a dashboard on
   *   loopback (the quick start) or behind a proxy that authenticates. `listen` refuses a host other
   *   than loopback in this mode, unless {@link DashboardOptions.allowOpenReadsOnNetwork}.
   * - `signed-in`: the JSON API (but `api/config`) and the live stream answer 401 without an
   *   identity from `authenticate` (required then); the page asks the user to sign in first. The
   *   live stream, which a browser opens without headers, takes a single-use ticket the page gets
   *   with its token (`POST api/events/ticket`), so the token never appears in a URL.
   */
  readonly readAccess?: 'open' | 'signed-in';
  /**
   * With `readAccess: 'open'`, allow `listen` on a non-loopback host (default false): patient data is
   * then readable by anyone who can reach the port. Set it only behind an authenticating proxy.
   */
  readonly allowOpenReadsOnNetwork?: boolean;
  /** Shown in the header (default `Ward dashboard`). */
  readonly title?: string;
  /** A tile whose newest reading is older than this is labelled stale (default 60 000 ms). */
  readonly staleAfterMs?: number;
  /** Readings in one raw chart query (default 20 000); longer ranges are charted as bucket means. */
  readonly maxChartPoints?: number;
  /** Bounds of the live event stream (see {@link SseHubOptions}). */
  readonly sse?: SseHubOptions;
  /**
   * Live readings are sent in batches at most this often (default 250 ms), at most 1 000 per batch
   * (a larger burst goes out in several batches; nothing is dropped).
   */
  readonly liveBatchMs?: number;
  /** Time source of `now` and of default ranges (default `Date.now`). */
  readonly now?: () => number;
}

/** Options of {@link Dashboard.listen}. */
export interface DashboardListenOptions {
  /** Default 0: a free port. */
  readonly port?: number;
  /**
   * Default `127.0.0.1` (loopback only); `0.0.0.0` to serve a tablet on the ward network (needs
   * `readAccess: 'signed-in'`, see {@link DashboardOptions.readAccess}).
   */
  readonly host?: string;
}

/** A dashboard: a fastify app with the pages, the JSON API and the live stream. */
export interface Dashboard {
  /** The fastify instance (add routes, hooks such as TLS or SSO, before `listen`). */
  readonly app: FastifyInstance;
  /** Starts serving; resolves with the dashboard's URL (e.g. `http://127.0.0.1:41233/`). */
  listen(options?: DashboardListenOptions): Promise<string>;
  /** Live-stream counters. */
  stats(): SseHubStats;
  /** Ends live streams, unsubscribes the sources and closes the server. Idempotent. */
  close(): Promise<void>;
}

/** The file names the server serves, and where they are. */
const CLIENT_FILES = {
  'index.html': 'text/html; charset=utf-8',
  'app.js': 'text/javascript; charset=utf-8',
  'style.css': 'text/css; charset=utf-8',
} as const;

/** The client folder: next to this module in `src/`, or `src/` of the package when running from `dist/`. */
function clientDir(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const candidates = [join(here, 'client'), join(here, '..', '..', 'src', 'dashboard', 'client')];
  const found = candidates.find((d) => existsSync(join(d, 'app.js')));
  if (found === undefined) {
    throw new Error(
      `dashboard client files not found (looked in ${candidates.join(', ')}); reinstall the package`,
    );
  }
  return found;
}

interface Asset {
  readonly body: Buffer;
  readonly type: string;
}

/** Reads the page, the script, the style sheet and uPlot (from node_modules) into memory once. */
function loadAssets(): ReadonlyMap<string, Asset> {
  const dir = clientDir();
  const assets = new Map<string, Asset>();
  for (const [name, type] of Object.entries(CLIENT_FILES)) {
    assets.set(name, { body: readFileSync(join(dir, name)), type });
  }
  const uplotDir = dirname(createRequire(import.meta.url).resolve('uplot'));
  assets.set('uplot.js', {
    body: readFileSync(join(uplotDir, 'uPlot.iife.min.js')),
    type: 'text/javascript; charset=utf-8',
  });
  assets.set('uplot.css', {
    body: readFileSync(join(uplotDir, 'uPlot.min.css')),
    type: 'text/css; charset=utf-8',
  });
  return assets;
}

const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
} as const;

const UNRESOLVED: readonly AlertState[] = ['open', 'acknowledged'];
const MAX_RANGE_MS = 366 * 86_400_000;

/** A reading as the page gets it. */
interface LiveReading {
  readonly id: string;
  readonly patientId?: string;
  readonly deviceId: string;
  readonly metric: string;
  readonly value: number;
  readonly unit: string;
  readonly ts: number;
}

const live = (r: Reading): LiveReading => ({
  id: r.id,
  ...(r.patientId === undefined ? {} : { patientId: r.patientId }),
  deviceId: r.deviceId,
  metric: r.metric,
  value: r.value,
  unit: r.unit,
  ts: r.ts,
});

function alertView(a: ManagedAlert) {
  return {
    id: a.id,
    state: a.state,
    severity: a.severity,
    rule: a.alert.rule,
    message: a.alert.message,
    patientId: a.alert.patientId,
    deviceId: a.alert.deviceId,
    metric: a.alert.metric,
    value: a.alert.value,
    ward: a.ward,
    source: a.source,
    ts: a.alert.ts,
    openedAt: a.openedAt,
    lastSeenAt: a.lastSeenAt,
    occurrences: a.occurrences,
    escalationLevel: a.escalationLevel,
    acknowledged: a.acknowledged,
    resolved: a.resolved,
  };
}

function intParam(text: unknown, fallback: number): number {
  if (typeof text !== 'string' || text === '') return fallback;
  const n = Number(text);
  return Number.isSafeInteger(n) ? n : Number.NaN;
}

/** True for loopback hosts: `localhost`, 127.0.0.0/8 and `::1`. */
export function isLoopback(host: string): boolean {
  return (
    host === 'localhost' ||
    host === '::1' ||
    host === '[::1]' ||
    /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host)
  );
}

/**
 * Creates the dashboard (not yet listening): the ward overview, patient detail, alerts, devices,
 * ledger and models pages over the given {@link DashboardSources}, a JSON API under `api/`, and
 * live updates as server-sent events on `api/events`. Assets (the page, its script and style, uPlot
 * from `node_modules`) are read into memory here: no CDN, no internet.
 *
 * Acknowledging and resolving go through the alert manager, which asks core access control
 * (`alert.acknowledge` on the alert's ward and patient): 401 without an identity, 403 when the
 * policy refuses, 404 for an unknown alert, 409 for a resolved one.
 *
 * @example
 * ```ts
 * const dashboard = createDashboard({ sources: { patients, store, alerts }, authenticate });
 * console.log(`dashboard at ${await dashboard.listen({ port: 8080 })}`);
 * ```
 */
export function createDashboard(options: DashboardOptions): Dashboard {
  const { sources } = options;
  const readAccess = options.readAccess ?? 'open';
  if (readAccess !== 'open' && readAccess !== 'signed-in') {
    throw new HealthItError(
      'config/invalid',
      `createDashboard: readAccess must be 'open' or 'signed-in', got ${String(readAccess)}`,
    );
  }
  if (readAccess === 'signed-in' && options.authenticate === undefined) {
    throw new HealthItError(
      'config/invalid',
      "createDashboard: readAccess 'signed-in' needs an authenticate function",
    );
  }
  const tickets = createEventTickets();
  const now = options.now ?? Date.now;
  const staleAfterMs = options.staleAfterMs ?? 60_000;
  const maxChartPoints = options.maxChartPoints ?? 20_000;
  const assets = loadAssets();
  const hub = createSseHub(options.sse);
  const app = fastify({ logger: false, bodyLimit: 16 * 1024 });
  const subscriptions: Subscription[] = [];
  let closed = false;

  app.addHook('onSend', async (_request, reply, payload) => {
    for (const [k, v] of Object.entries(SECURITY_HEADERS)) reply.header(k, v);
    return payload;
  });

  // Signed-in reads: every API route but the configuration (the page needs it to offer sign-in),
  // `whoami` and the alert actions (they answer 401 themselves) and the live stream (its ticket).
  if (readAccess === 'signed-in') {
    app.addHook('preHandler', async (request, reply) => {
      const path = request.url.split('?')[0] ?? '';
      if (!path.startsWith('/api/') || path === '/api/config' || path === '/api/whoami') return;
      if (path === '/api/events' || (request.method === 'POST' && path.startsWith('/api/alerts/'))) return;
      if ((await options.authenticate?.(request)) === undefined) {
        return reply
          .code(401)
          .header('www-authenticate', 'Bearer')
          .send({ error: 'sign in to see the ward' });
      }
    });
  }

  const sendAsset = (name: string) => (_request: FastifyRequest, reply: FastifyReply) => {
    const asset = assets.get(name);
    if (asset === undefined) return reply.code(404).send();
    return reply.type(asset.type).header('cache-control', 'no-cache').send(asset.body);
  };
  app.get('/', sendAsset('index.html'));
  for (const name of ['app.js', 'style.css', 'uplot.js', 'uplot.css'])
    app.get(`/assets/${name}`, sendAsset(name));

  const features = {
    news2: sources.news2 !== undefined,
    commands: sources.commands !== undefined,
    devices: sources.devices !== undefined || sources.rollouts !== undefined,
    rollouts: sources.rollouts !== undefined,
    ledger: sources.ledger !== undefined,
    models: sources.models !== undefined,
    auth: options.authenticate !== undefined,
  };
  app.get('/api/config', async () => ({
    title: options.title ?? 'Ward dashboard',
    staleAfterMs,
    now: now(),
    features,
    readAccess,
    metrics: Object.fromEntries(
      Object.values(METRICS).map((m) => [m.id, { display: m.display, unit: m.unit }]),
    ),
  }));

  const patientsById = async (): Promise<Map<string, DashboardPatient>> =>
    new Map((await sources.patients()).map((p) => [p.patientId, p]));

  app.get('/api/ward', async () => {
    const patients = await sources.patients();
    const unresolved = sources.alerts.query({ state: UNRESOLVED, limit: 100_000 });
    const alertsOf = new Map<string, ManagedAlert[]>();
    for (const a of unresolved) {
      const id = a.alert.patientId;
      if (id === undefined) continue;
      alertsOf.set(id, [...(alertsOf.get(id) ?? []), a]);
    }
    const latest = await sources.store.latest();
    const latestOf = new Map<string, Record<string, LiveReading>>();
    for (const r of latest) {
      if (r.patientId === undefined) continue;
      const m = latestOf.get(r.patientId) ?? {};
      m[r.metric] = live(r);
      latestOf.set(r.patientId, m);
    }
    const tiles = await Promise.all(
      patients.map(async (p) => {
        const vitals = latestOf.get(p.patientId) ?? {};
        const lastTs = Math.max(0, ...Object.values(vitals).map((r) => r.ts));
        const alerts = alertsOf.get(p.patientId) ?? [];
        const highest = alerts.reduce<AlertSeverity | undefined>(
          (h, a) => (h === undefined || compareSeverity(a.severity, h) > 0 ? a.severity : h),
          undefined,
        );
        return {
          patient: p,
          vitals,
          lastTs: lastTs === 0 ? undefined : lastTs,
          news2: (await sources.news2?.latest(p.patientId)) ?? undefined,
          openAlerts: alerts.filter((a) => a.state === 'open').length,
          acknowledgedAlerts: alerts.filter((a) => a.state === 'acknowledged').length,
          highestSeverity: highest,
        };
      }),
    );
    return { now: now(), staleAfterMs, tiles };
  });

  app.get<{ Params: { id: string }; Querystring: { from?: string; to?: string } }>(
    '/api/patients/:id',
    async (request, reply) => {
      const patientId = request.params.id;
      const patient = (await patientsById()).get(patientId);
      if (patient === undefined) return reply.code(404).send({ error: `no patient ${patientId}` });
      const to = intParam(request.query.to, now() + 1);
      const from = intParam(request.query.from, to - 15 * 60_000);
      if (
        !Number.isSafeInteger(from) ||
        !Number.isSafeInteger(to) ||
        from >= to ||
        to - from > MAX_RANGE_MS
      ) {
        return reply
          .code(400)
          .send({ error: 'from and to must be epoch ms with from < to, at most a year apart' });
      }
      const latest = await sources.store.latest({ patientId });
      const metrics = [...new Set(latest.map((r) => r.metric))];
      const series: Record<string, { ts: number[]; values: number[]; unit: string; bucketMs?: number }> = {};
      const raw = await sources.store.query({ patientId, from, to, limit: maxChartPoints + 1 });
      if (raw.length <= maxChartPoints) {
        for (const r of raw) {
          const s = series[r.metric] ?? { ts: [], values: [], unit: r.unit };
          s.ts.push(r.ts);
          s.values.push(r.value);
          series[r.metric] = s;
        }
      } else {
        // Too many to draw: bucket means, about 1 000 per metric.
        const bucketMs = Math.max(1000, Math.ceil((to - from) / 1000));
        for (const metric of metrics) {
          const rows = await sources.store.aggregate({
            patientId,
            metric,
            from,
            to,
            bucketMs,
            stats: ['mean'],
          });
          series[metric] = {
            ts: rows.map((r) => r.bucket),
            values: rows.map((r) => r.mean),
            unit: METRICS[metric as MetricId]?.unit ?? '',
            bucketMs,
          };
        }
      }
      const alerts = sources.alerts
        .query({ patientId, limit: 100_000 })
        .filter((a) => a.lastSeenAt >= from && a.openedAt < to)
        .map(alertView);
      const news2 = (await sources.news2?.history(patientId, from, to)) ?? [];
      const commands = (await sources.commands?.history(patientId, from, to)) ?? [];
      return { now: now(), from, to, patient, series, latest: latest.map(live), alerts, news2, commands };
    },
  );

  app.get<{ Querystring: { state?: string } }>('/api/alerts', async (request, reply) => {
    const wanted = request.query.state ?? 'open,acknowledged';
    const states = wanted === 'all' ? undefined : wanted.split(',');
    if (states?.some((s) => !['open', 'acknowledged', 'resolved'].includes(s))) {
      return reply
        .code(400)
        .send({ error: 'state must be open, acknowledged, resolved (comma-separated) or all' });
    }
    const list = sources.alerts.query({
      ...(states === undefined ? {} : { state: states as AlertState[] }),
      limit: 100_000,
    });
    // Newest first, at most 500.
    return { now: now(), alerts: list.slice(-500).reverse().map(alertView) };
  });

  app.get('/api/whoami', async (request, reply) => {
    const principal = await options.authenticate?.(request);
    if (principal === undefined) return reply.code(401).send({ error: 'not signed in' });
    return principal;
  });

  app.post<{ Params: { id: string; action: string }; Body: { note?: unknown; reason?: unknown } | null }>(
    '/api/alerts/:id/:action',
    async (request, reply) => {
      const { action } = request.params;
      if (action !== 'acknowledge' && action !== 'resolve')
        return reply.code(404).send({ error: 'unknown action' });
      const principal = await options.authenticate?.(request);
      if (principal === undefined) {
        return reply
          .code(401)
          .header('www-authenticate', 'Bearer')
          .send({ error: 'sign in to acknowledge or resolve alerts' });
      }
      const body = request.body ?? {};
      const text = action === 'acknowledge' ? body.note : body.reason;
      if (text !== undefined && typeof text !== 'string') {
        return reply
          .code(400)
          .send({ error: `${action === 'acknowledge' ? 'note' : 'reason'} must be text` });
      }
      const result =
        action === 'acknowledge'
          ? sources.alerts.acknowledge({
              alertId: request.params.id,
              principal,
              ...(text === undefined || text === '' ? {} : { note: text }),
            })
          : sources.alerts.resolve({ alertId: request.params.id, by: principal, reason: text ?? '' });
      if (result.ok) return { alert: alertView(result.alert), changed: result.changed };
      const status = { 'not-found': 404, denied: 403, 'already-resolved': 409, invalid: 400, closed: 503 }[
        result.reason
      ];
      return reply
        .code(status)
        .send({ error: result.message, reason: result.reason, decision: result.decision });
    },
  );

  app.get('/api/devices', async () => ({
    now: now(),
    devices: (await sources.devices?.list()) ?? [],
    campaigns: sources.rollouts?.campaigns() ?? [],
    fleet: sources.rollouts?.fleet({ limit: 1000 }) ?? [],
  }));

  app.get('/api/ledger', async (_request, reply) => {
    if (sources.ledger === undefined) return reply.code(404).send({ error: 'no ledger configured' });
    return sources.ledger.status();
  });
  app.get<{ Params: { id: string } }>('/api/ledger/provenance/:id', async (request, reply) => {
    if (sources.ledger === undefined) return reply.code(404).send({ error: 'no ledger configured' });
    const view = await sources.ledger.provenance(request.params.id);
    if (view === undefined) {
      return reply
        .code(404)
        .send({ error: `reading ${request.params.id} is not anchored in the ledger (yet)` });
    }
    return view;
  });

  app.get('/api/models', async (_request, reply) => {
    if (sources.models === undefined) return reply.code(404).send({ error: 'no model source configured' });
    return { now: now(), models: await sources.models.list() };
  });

  app.post('/api/events/ticket', async (request, reply) => {
    const principal = await options.authenticate?.(request);
    if (principal === undefined) {
      return reply.code(401).header('www-authenticate', 'Bearer').send({ error: 'not signed in' });
    }
    return { ticket: tickets.issue(principal) };
  });

  app.get<{ Querystring: { ticket?: string } }>('/api/events', (request, reply) => {
    if (readAccess === 'signed-in' && tickets.redeem(request.query.ticket) === undefined) {
      return reply
        .code(401)
        .send({ error: 'the live stream needs a ticket: POST api/events/ticket with your token' });
    }
    reply.hijack();
    for (const [k, v] of Object.entries(SECURITY_HEADERS)) reply.raw.setHeader(k, v);
    hub.attach(reply.raw);
    request.raw.on('error', () => reply.raw.destroy());
  });

  // Live sources → the hub.
  if (sources.readings$ !== undefined) {
    subscriptions.push(
      sources.readings$
        .pipe(
          bufferTime(options.liveBatchMs ?? 250, null, 1000),
          filter((b) => b.length > 0),
        )
        .subscribe({ next: (batch) => hub.broadcast('readings', batch.map(live)), error: () => {} }),
    );
  }
  subscriptions.push(
    sources.alerts.events$.subscribe((e) => {
      if (e.type === 'alert.rejected') return;
      hub.broadcast('alert', {
        type: e.type,
        alertId: e.alertId,
        ...('alert' in e ? { alert: alertView(e.alert) } : {}),
      });
    }),
  );
  const forward = <T>(event: string, source$: import('rxjs').Observable<T> | undefined) => {
    if (source$ !== undefined)
      subscriptions.push(source$.subscribe({ next: (v) => hub.broadcast(event, v), error: () => {} }));
  };
  forward<News2Point>('news2', sources.news2?.updates$);
  forward('command', sources.commands?.updates$);
  forward('device', sources.devices?.updates$);

  return {
    app,
    async listen(listen = {}) {
      const host = listen.host ?? '127.0.0.1';
      if (readAccess === 'open' && !isLoopback(host) && options.allowOpenReadsOnNetwork !== true) {
        throw new HealthItError(
          'config/invalid',
          `Dashboard.listen: host ${host} would serve patient data to anyone on the network; ` +
            "create the dashboard with readAccess 'signed-in' and an authenticate function " +
            '(or allowOpenReadsOnNetwork behind an authenticating proxy)',
          { detail: { host } },
        );
      }
      const address = await app.listen({ port: listen.port ?? 0, host });
      return `${address.replace('[::1]', 'localhost')}/`;
    },
    stats: () => hub.stats(),
    async close() {
      if (closed) return;
      closed = true;
      for (const s of subscriptions) s.unsubscribe();
      hub.close();
      await app.close();
    },
  };
}
