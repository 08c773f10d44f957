// The ward dashboard's page script: plain ES2022, no framework, no network beyond this server.
// Every value from the server is put on the page as text (never as HTML): alert messages and ids
// come from devices.

const RISK_LABEL = {
  low: 'Low risk',
  'low-medium': 'Low–medium risk (red score)',
  medium: 'Medium risk',
  high: 'High risk',
};
const SEVERITY_LABEL = { info: 'Info', low: 'Low', medium: 'Medium', high: 'High', critical: 'Critical' };
/** The vitals a tile shows, in order: [metric, short label, decimals]. */
const TILE_VITALS = [
  ['heart-rate', 'HR', 0],
  ['spo2', 'SpO₂', 0],
  ['respiratory-rate', 'RR', 0],
  ['body-temperature', 'Temp', 1],
  ['bp-systolic', 'BP', 0],
];
const RANGES = [
  ['15 min', 15 * 60_000],
  ['1 h', 3_600_000],
  ['6 h', 6 * 3_600_000],
  ['24 h', 86_400_000],
  ['7 days', 7 * 86_400_000],
];

const state = {
  config: undefined,
  /** patientId → tile data from api/ward, updated live. */
  ward: undefined,
  /** The patient detail being shown: its data and charts. */
  detail: undefined,
  rangeMs: 15 * 60_000,
  token: sessionStorage.getItem('dashboard-token') ?? '',
  principal: undefined,
  /** Clock offset to the server (server now − browser now), ms. */
  skewMs: 0,
};

// ---------------------------------------------------------------------------------------------
// Helpers

/** Creates an element: attributes (`on*` functions become listeners), then children (text or nodes). */
function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat()) {
    if (c === undefined || c === null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

const $ = (sel) => document.querySelector(sel);
const serverNow = () => Date.now() + state.skewMs;

function fmtTime(ts) {
  if (ts === undefined || ts === null) return '—';
  const d = new Date(ts);
  const sameDay = new Date(serverNow()).toDateString() === d.toDateString();
  return sameDay ? d.toLocaleTimeString() : d.toLocaleString();
}

function fmtAge(ms) {
  if (ms < 0) ms = 0;
  if (ms < 60_000) return `${Math.round(ms / 1000)} s ago`;
  if (ms < 3_600_000) return `${Math.round(ms / 60_000)} min ago`;
  return `${(ms / 3_600_000).toFixed(1)} h ago`;
}

function fmtValue(v, digits = 0) {
  return typeof v === 'number' ? v.toFixed(digits) : '—';
}

function notice(text, kind = 'info') {
  const el = $('#notice');
  el.textContent = text;
  el.dataset.kind = kind;
}

async function api(path, init = {}) {
  const headers = { accept: 'application/json', ...(init.headers ?? {}) };
  if (state.token !== '') headers.authorization = `Bearer ${state.token}`;
  const res = await fetch(`api/${path}`, { ...init, headers });
  const body = res.headers.get('content-type')?.includes('json') ? await res.json() : await res.text();
  return { status: res.status, ok: res.ok, body };
}

async function getJson(path) {
  const res = await api(path);
  if (!res.ok) throw new Error(res.body?.error ?? `HTTP ${res.status}`);
  return res.body;
}

function riskBadge(news2) {
  if (!news2) return h('span', { class: 'badge', 'data-testid': 'news2' }, 'NEWS2 —  not scored');
  const extra = [news2.spo2Scale === 2 ? 'Scale 2' : '', news2.onOxygen ? 'on O₂' : '']
    .filter(Boolean)
    .join(', ');
  return h(
    'span',
    { class: 'badge', 'data-risk': news2.clinicalRisk, 'data-testid': 'news2' },
    `NEWS2 ${news2.total} · ${RISK_LABEL[news2.clinicalRisk] ?? news2.clinicalRisk}${extra ? ` · ${extra}` : ''}`,
  );
}

function severityBadge(severity) {
  return h('span', { class: 'badge', 'data-severity': severity }, SEVERITY_LABEL[severity] ?? severity);
}

// ---------------------------------------------------------------------------------------------
// Ward overview

function vitalText(vitals, metric, digits) {
  if (metric === 'bp-systolic') {
    const s = vitals['bp-systolic'];
    const d = vitals['bp-diastolic'];
    return s ? `${fmtValue(s.value)}/${fmtValue(d?.value)}` : '—';
  }
  return fmtValue(vitals[metric]?.value, digits);
}

function unitOf(metric) {
  if (metric === 'bp-systolic') return 'mm[Hg]';
  return state.config?.metrics?.[metric]?.unit ?? '';
}

function renderTile(tile) {
  const { patient, vitals, news2 } = tile;
  const age = tile.lastTs === undefined ? undefined : serverNow() - tile.lastTs;
  const stale = age === undefined || age > state.config.staleAfterMs;
  const alerts = tile.openAlerts + tile.acknowledgedAlerts;
  return h(
    'a',
    {
      class: 'tile',
      href: `#/patient/${encodeURIComponent(patient.patientId)}`,
      'data-patient-id': patient.patientId,
      'data-risk': news2?.clinicalRisk,
    },
    h('div', { class: 'tile-head' }, h('strong', {}, patient.label ?? patient.patientId), riskBadge(news2)),
    patient.note || patient.bed
      ? h('div', { class: 'note' }, [patient.bed, patient.note].filter(Boolean).join(' · '))
      : null,
    h(
      'dl',
      { class: 'vitals' },
      TILE_VITALS.map(([metric, label, digits]) =>
        h(
          'div',
          { class: 'vital' },
          h('dt', {}, label),
          h(
            'dd',
            { 'data-metric': metric },
            vitalText(vitals, metric, digits),
            ' ',
            h('small', {}, unitOf(metric)),
          ),
        ),
      ),
    ),
    h(
      'div',
      { class: 'tile-foot' },
      h(
        'span',
        { 'data-testid': 'alerts' },
        alerts === 0
          ? 'No open alerts'
          : [
              `${tile.openAlerts} open`,
              tile.acknowledgedAlerts ? `, ${tile.acknowledgedAlerts} acknowledged` : '',
              tile.highestSeverity
                ? ` · highest ${SEVERITY_LABEL[tile.highestSeverity] ?? tile.highestSeverity}`
                : '',
            ].join(''),
      ),
      h(
        'span',
        { 'data-testid': 'freshness', class: stale ? 'stale' : 'muted' },
        age === undefined
          ? 'No data yet'
          : stale
            ? `Stale: updated ${fmtAge(age)}`
            : `Updated ${fmtAge(age)}`,
      ),
    ),
  );
}

async function showWard() {
  const data = await getJson('ward');
  state.skewMs = data.now - Date.now();
  state.ward = new Map(data.tiles.map((t) => [t.patient.patientId, t]));
  renderWard();
}

function renderWard() {
  const main = $('#main');
  const tiles = [...state.ward.values()];
  const high = tiles.filter(
    (t) => t.news2?.clinicalRisk === 'high' || t.news2?.clinicalRisk === 'medium',
  ).length;
  main.replaceChildren(
    h('h2', {}, `Ward overview · ${tiles.length} patients`, high ? ` · ${high} at medium or high risk` : ''),
    h('div', { class: 'tiles', 'data-testid': 'tiles' }, tiles.map(renderTile)),
  );
}

function refreshTile(patientId) {
  const tile = state.ward?.get(patientId);
  const old = document.querySelector(`.tile[data-patient-id="${CSS.escape(patientId)}"]`);
  if (tile && old) old.replaceWith(renderTile(tile));
}

// ---------------------------------------------------------------------------------------------
// Patient detail

async function showPatient(patientId) {
  const to = serverNow() + 1;
  const from = to - state.rangeMs;
  const data = await getJson(
    `patients/${encodeURIComponent(patientId)}?from=${Math.floor(from)}&to=${Math.floor(to)}`,
  );
  state.detail = { patientId, data, charts: [] };
  renderPatient();
}

/** Draws alerts (red, dashed) and commands (blue) as vertical lines on every chart: one time axis. */
function markersPlugin(detail) {
  return {
    hooks: {
      draw: [
        (u) => {
          const { ctx } = u;
          const { top, height } = u.bbox;
          const line = (ts, colour, dash) => {
            const x = Math.round(u.valToPos(ts / 1000, 'x', true));
            if (x < u.bbox.left || x > u.bbox.left + u.bbox.width) return;
            ctx.save();
            ctx.strokeStyle = colour;
            ctx.lineWidth = 2;
            ctx.setLineDash(dash);
            ctx.beginPath();
            ctx.moveTo(x, top);
            ctx.lineTo(x, top + height);
            ctx.stroke();
            ctx.restore();
          };
          for (const a of detail.data.alerts) line(a.ts, '#a4001d', [6, 4]);
          for (const c of detail.data.commands) line(c.ts, '#0b57a4', [2, 3]);
        },
      ],
    },
  };
}

function chart(container, title, ts, values, unit, detail, stepped = false) {
  const width = Math.max(280, container.clientWidth - 16);
  const opts = {
    title,
    width,
    height: 200,
    cursor: { sync: { key: 'patient' } },
    scales: { x: { time: true, range: [detail.data.from / 1000, detail.data.to / 1000] } },
    series: [
      {},
      {
        label: unit ? `${title} (${unit})` : title,
        stroke: '#0b57a4',
        width: 2,
        ...(stepped ? { paths: globalThis.uPlot.paths.stepped({ align: 1 }) } : {}),
      },
    ],
    axes: [{}, { size: 50 }],
    plugins: [markersPlugin(detail)],
  };
  const u = new globalThis.uPlot(opts, [ts.map((t) => t / 1000), values], container);
  return u;
}

function renderPatient() {
  const { data, patientId } = state.detail;
  const main = $('#main');
  const tile = state.ward?.get(patientId);
  const latestNews2 = data.news2.at(-1) ?? tile?.news2;
  const charts = h('div', { class: 'charts' });
  const rangeButtons = RANGES.map(([label, ms]) =>
    h(
      'button',
      {
        class: 'secondary',
        type: 'button',
        'aria-pressed': state.rangeMs === ms ? 'true' : 'false',
        onclick: () => {
          state.rangeMs = ms;
          showPatient(patientId).catch(showError);
        },
      },
      label,
    ),
  );
  main.replaceChildren(
    h('p', {}, h('a', { href: '#/' }, '← Ward')),
    h('h2', {}, data.patient.label ?? patientId, ' ', riskBadge(latestNews2)),
    data.patient.note ? h('p', { class: 'note' }, data.patient.note) : null,
    h('div', { class: 'ranges', role: 'group', 'aria-label': 'Time range' }, rangeButtons),
    h(
      'p',
      { class: 'muted' },
      `${fmtTime(data.from)} – ${fmtTime(data.to)}. Dashed red lines: alerts; dotted blue lines: commands.`,
    ),
    charts,
    h('h3', {}, 'Alerts and commands'),
    timeline(data),
    state.config.features.ledger ? latestReadings(data) : null,
  );
  const charted = [];
  for (const [metric, s] of Object.entries(data.series)) {
    const box = h('div', { class: 'chart', 'data-chart': metric });
    charts.append(box);
    const title = state.config.metrics[metric]?.display ?? metric;
    charted.push({ metric, u: chart(box, title, s.ts, s.values, s.unit, state.detail), s });
  }
  if (state.config.features.news2) {
    const box = h('div', { class: 'chart', 'data-chart': 'news2' });
    charts.append(box);
    const n = data.news2;
    charted.push({
      metric: 'news2',
      u: chart(
        box,
        'NEWS2 score',
        n.map((p) => p.ts),
        n.map((p) => p.total),
        '',
        state.detail,
        true,
      ),
      s: { ts: n.map((p) => p.ts), values: n.map((p) => p.total) },
    });
  }
  if (charted.length === 0) charts.append(h('p', {}, 'No readings in this range.'));
  state.detail.charts = charted;
}

/** The latest reading of each vital, each with a link to verify it on the ledger. */
function latestReadings(data) {
  return h(
    'section',
    {},
    h('h3', {}, 'Latest readings — verify on the ledger'),
    h(
      'ul',
      { 'data-testid': 'latest-readings' },
      data.latest.map((r) =>
        h(
          'li',
          {},
          `${state.config.metrics[r.metric]?.display ?? r.metric}: ${r.value} ${r.unit} at ${fmtTime(r.ts)} · `,
          h(
            'a',
            { href: `#/ledger?reading=${encodeURIComponent(r.id)}`, 'data-reading-id': r.id },
            `verify ${r.id}`,
          ),
        ),
      ),
    ),
  );
}

function timeline(data) {
  const items = [
    ...data.alerts.map((a) => ({ ts: a.ts, kind: 'alert', a })),
    ...data.commands.map((c) => ({ ts: c.ts, kind: 'command', c })),
  ].sort((x, y) => x.ts - y.ts);
  if (items.length === 0) return h('p', { class: 'muted' }, 'None in this range.');
  return h(
    'div',
    { class: 'scroll' },
    h(
      'table',
      { 'data-testid': 'timeline' },
      h(
        'thead',
        {},
        h('tr', {}, h('th', {}, 'Time'), h('th', {}, 'What'), h('th', {}, 'Detail'), h('th', {}, 'State')),
      ),
      h(
        'tbody',
        {},
        items.map((i) =>
          i.kind === 'alert'
            ? h(
                'tr',
                {},
                h('td', {}, fmtTime(i.ts)),
                h('td', {}, 'Alert ', severityBadge(i.a.severity)),
                h('td', {}, i.a.message),
                h('td', {}, i.a.state),
              )
            : h(
                'tr',
                {},
                h('td', {}, fmtTime(i.ts)),
                h('td', {}, `Command ${i.c.action}`),
                h('td', {}, i.c.summary ?? i.c.deviceId),
                h('td', {}, i.c.state ?? ''),
              ),
        ),
      ),
    ),
  );
}

function appendToCharts(readings) {
  const detail = state.detail;
  if (!detail || !location.hash.startsWith('#/patient/')) return;
  let redraw = false;
  for (const r of readings) {
    if (r.patientId !== detail.patientId) continue;
    const s = detail.data.series[r.metric];
    if (!s || s.bucketMs) continue;
    s.ts.push(r.ts);
    s.values.push(r.value);
    redraw = true;
  }
  if (!redraw) return;
  // Slide the window to now, keep the range.
  detail.data.to = serverNow() + 1;
  detail.data.from = detail.data.to - state.rangeMs;
  for (const c of detail.charts) {
    c.u.setScale('x', { min: detail.data.from / 1000, max: detail.data.to / 1000 });
    c.u.setData([c.s.ts.map((t) => t / 1000), c.s.values], false);
    c.u.setScale('x', { min: detail.data.from / 1000, max: detail.data.to / 1000 });
  }
}

// ---------------------------------------------------------------------------------------------
// Alerts

async function showAlerts() {
  const which = new URLSearchParams(location.hash.split('?')[1] ?? '').get('state') ?? 'open,acknowledged';
  const data = await getJson(`alerts?state=${encodeURIComponent(which)}`);
  const main = $('#main');
  const filterLink = (label, value) =>
    h('a', { href: `#/alerts?state=${value}`, 'aria-current': which === value ? 'page' : undefined }, label);
  main.replaceChildren(
    h('h2', {}, 'Alerts'),
    h(
      'p',
      { class: 'row' },
      'Show: ',
      filterLink('unresolved', 'open,acknowledged'),
      ' · ',
      filterLink('all', 'all'),
    ),
    state.principal
      ? null
      : h('p', { class: 'muted' }, 'Sign in with an access token to acknowledge or resolve alerts.'),
    data.alerts.length === 0
      ? h('p', {}, 'No alerts.')
      : h(
          'div',
          { class: 'scroll' },
          h(
            'table',
            { 'data-testid': 'alerts-table' },
            h(
              'thead',
              {},
              h(
                'tr',
                {},
                ['Severity', 'Patient', 'Alert', 'Opened', 'State', 'Actions'].map((t) =>
                  h('th', { scope: 'col' }, t),
                ),
              ),
            ),
            h('tbody', {}, data.alerts.map(alertRow)),
          ),
        ),
  );
}

function alertRow(a) {
  const stateText =
    a.state === 'acknowledged'
      ? `Acknowledged by ${a.acknowledged?.by} at ${fmtTime(a.acknowledged?.at)}`
      : a.state === 'resolved'
        ? `Resolved by ${a.resolved?.by}: ${a.resolved?.reason}`
        : `Open${a.escalationLevel ? ` · escalated ×${a.escalationLevel}` : ''}`;
  const reason = h('input', {
    type: 'text',
    placeholder: 'Reason to resolve',
    'aria-label': `Reason to resolve alert ${a.id}`,
  });
  return h(
    'tr',
    { 'data-alert-id': a.id, 'data-state': a.state },
    h('td', {}, severityBadge(a.severity)),
    h(
      'td',
      {},
      a.patientId
        ? h('a', { href: `#/patient/${encodeURIComponent(a.patientId)}` }, a.patientId)
        : (a.deviceId ?? '—'),
    ),
    h(
      'td',
      {},
      a.message,
      a.occurrences > 1 ? h('div', { class: 'muted' }, `${a.occurrences} occurrences`) : null,
    ),
    h('td', {}, fmtTime(a.openedAt)),
    h('td', { 'data-testid': 'alert-state' }, stateText),
    h(
      'td',
      {},
      a.state === 'resolved'
        ? ''
        : h(
            'div',
            { class: 'row' },
            a.state === 'open'
              ? h(
                  'button',
                  { type: 'button', onclick: () => transition(a.id, 'acknowledge', {}) },
                  'Acknowledge',
                )
              : null,
            reason,
            h(
              'button',
              {
                type: 'button',
                class: 'secondary',
                onclick: () => transition(a.id, 'resolve', { reason: reason.value }),
              },
              'Resolve',
            ),
          ),
    ),
  );
}

async function transition(alertId, action, body) {
  const res = await api(`alerts/${encodeURIComponent(alertId)}/${action}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (res.ok) {
    notice(`Alert ${action === 'acknowledge' ? 'acknowledged' : 'resolved'}.`);
  } else {
    const why = res.body?.decision?.reason ?? res.body?.error ?? `HTTP ${res.status}`;
    notice(`Refused (${res.status}): ${why}`, 'error');
  }
  if (location.hash.startsWith('#/alerts')) await showAlerts();
}

// ---------------------------------------------------------------------------------------------
// Devices, ledger, models

async function showDevices() {
  const data = await getJson('devices');
  const main = $('#main');
  const now = data.now;
  main.replaceChildren(
    h('h2', {}, `Devices · ${data.devices.length}`),
    data.devices.length === 0
      ? h('p', {}, 'No devices reported.')
      : h(
          'div',
          { class: 'scroll' },
          h(
            'table',
            { 'data-testid': 'devices-table' },
            h(
              'thead',
              {},
              h(
                'tr',
                {},
                ['Device', 'Kind', 'Patient', 'State', 'Battery', 'Last seen', 'Firmware'].map((t) =>
                  h('th', { scope: 'col' }, t),
                ),
              ),
            ),
            h(
              'tbody',
              {},
              data.devices.map((d) =>
                h(
                  'tr',
                  { 'data-device-id': d.deviceId },
                  h('td', {}, d.deviceId),
                  h('td', {}, d.kind ?? '—'),
                  h('td', {}, d.patientId ?? '—'),
                  h('td', {}, d.state),
                  h('td', {}, d.batteryPercent === undefined ? '—' : `${Math.round(d.batteryPercent)} %`),
                  h(
                    'td',
                    {},
                    d.lastSeen === undefined ? '—' : `${fmtTime(d.lastSeen)} (${fmtAge(now - d.lastSeen)})`,
                  ),
                  h('td', {}, d.firmware ?? '—'),
                ),
              ),
            ),
          ),
        ),
    state.config.features.rollouts ? rollouts(data) : null,
  );
}

function rollouts(data) {
  return h(
    'section',
    {},
    h('h3', {}, 'Firmware rollouts'),
    data.campaigns.length === 0
      ? h('p', {}, 'No campaigns.')
      : data.campaigns.map((c) => {
          const done = c.counts.updated ?? 0;
          const failed = (c.counts.failed ?? 0) + (c.counts['rolled-back'] ?? 0);
          return h(
            'div',
            { class: 'chart', 'data-campaign-id': c.campaignId },
            h('strong', {}, `${c.campaignId} → ${c.release?.version ?? ''}`),
            ` · ${c.phase}${c.reason ? ` (${c.reason})` : ''} · wave ${c.wave} of ${c.waveCount}`,
            h(
              'div',
              {},
              `${done} of ${c.population} updated, ${failed} failed or rolled back, ${c.inFlight} in flight`,
            ),
            h('progress', { class: 'progress', max: String(c.population || 1), value: String(done) }),
          );
        }),
    data.fleet.length === 0
      ? null
      : h(
          'div',
          { class: 'scroll' },
          h(
            'table',
            {},
            h(
              'thead',
              {},
              h(
                'tr',
                {},
                ['Device', 'Model', 'Ward', 'Version', 'Campaign', 'State', 'Wave'].map((t) =>
                  h('th', {}, t),
                ),
              ),
            ),
            h(
              'tbody',
              {},
              data.fleet.map((f) =>
                h(
                  'tr',
                  {},
                  [
                    f.deviceId,
                    f.model,
                    f.ward,
                    f.version,
                    f.campaignId ?? '—',
                    f.state ?? '—',
                    f.wave ?? '—',
                  ].map((t) => h('td', {}, t)),
                ),
              ),
            ),
          ),
        ),
  );
}

async function showLedger() {
  const params = new URLSearchParams(location.hash.split('?')[1] ?? '');
  const status = await getJson('ledger');
  const input = h('input', { id: 'reading-id', type: 'text', size: 40, value: params.get('reading') ?? '' });
  const result = h('div', { id: 'provenance', 'aria-live': 'polite' });
  const verify = async (event) => {
    event?.preventDefault();
    const id = input.value.trim();
    if (id === '') return;
    result.replaceChildren(h('p', {}, 'Fetching the provenance bundle and verifying…'));
    const res = await api(`ledger/provenance/${encodeURIComponent(id)}`);
    if (!res.ok) {
      result.replaceChildren(h('p', { class: 'stale' }, res.body?.error ?? `HTTP ${res.status}`));
      return;
    }
    const v = res.body;
    const download = h(
      'a',
      {
        href: URL.createObjectURL(
          new Blob([JSON.stringify(v.bundle, null, 2)], { type: 'application/json' }),
        ),
        download: `provenance-${id}.json`,
      },
      'Download the bundle (check it offline with healthit-verify-bundle)',
    );
    result.replaceChildren(
      h(
        'p',
        { 'data-testid': 'verdict', class: v.ok ? '' : 'stale' },
        v.ok
          ? `Verified: reading ${v.readingId} is in the log, unaltered.`
          : `Not verified: ${v.failedStep}: ${v.reason}`,
      ),
      h(
        'ol',
        { class: 'steps' },
        v.steps.map((s) =>
          h(
            'li',
            { 'data-ok': String(s.ok) },
            `${s.step}: ${s.ok ? 'passed' : `failed — ${s.reason ?? ''}`}`,
          ),
        ),
      ),
      v.checkpoint
        ? h(
            'p',
            {},
            `Against checkpoint ${v.checkpoint.origin} size ${v.checkpoint.size}, root ${v.checkpoint.rootHash}`,
          )
        : null,
      v.witnesses?.length ? h('p', {}, `Cosigned by ${v.witnesses.join(', ')}`) : null,
      h('p', {}, download),
    );
  };
  $('#main').replaceChildren(
    h('h2', {}, 'Ledger'),
    h(
      'dl',
      { class: 'vitals' },
      [
        ['Origin', status.origin],
        ['Entries', status.size],
        ['Anchored batches', status.anchors ?? '—'],
        ['Checkpoint size', status.checkpointSize ?? '—'],
        ['Root hash', status.rootHash ?? '—'],
        ['Log id', status.logId ? `${status.logId.slice(0, 16)}…` : '—'],
      ].map(([k, v]) => h('div', { class: 'vital' }, h('dt', {}, k), h('dd', {}, String(v)))),
    ),
    h('h3', {}, 'Witnesses'),
    status.witnesses.length === 0
      ? h('p', {}, 'No witnesses configured.')
      : h(
          'ul',
          { class: 'steps' },
          status.witnesses.map((w) =>
            h(
              'li',
              { 'data-ok': String(w.cosigned) },
              `${w.name}: ${w.cosigned ? 'cosigned' : 'not cosigned'} the latest checkpoint`,
            ),
          ),
        ),
    h('h3', {}, 'Latest checkpoint'),
    h('pre', { 'data-testid': 'checkpoint' }, status.checkpoint ?? 'none published yet'),
    h('h3', {}, 'Verify a reading'),
    h(
      'form',
      { class: 'row', onsubmit: verify },
      h('label', { for: 'reading-id' }, 'Reading id'),
      input,
      h('button', { type: 'submit' }, 'Verify'),
    ),
    result,
  );
  if (input.value !== '') await verify();
}

async function showModels() {
  const data = await getJson('models');
  const pct = (x) => (typeof x === 'number' ? x.toFixed(3) : '—');
  $('#main').replaceChildren(
    h('h2', {}, 'Models'),
    h(
      'div',
      { class: 'scroll' },
      h(
        'table',
        { 'data-testid': 'models-table' },
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            ['Model', 'Version', 'Placement', 'Status', 'AUROC', 'Brier', 'Drift', 'Scores', 'Updated'].map(
              (t) => h('th', { scope: 'col' }, t),
            ),
          ),
        ),
        h(
          'tbody',
          {},
          data.models.map((m) =>
            h(
              'tr',
              {},
              h('td', {}, m.name),
              h('td', {}, m.version),
              h('td', {}, m.placement),
              h('td', {}, m.status ?? '—'),
              h('td', {}, pct(m.auroc)),
              h('td', {}, pct(m.brier)),
              h(
                'td',
                { class: m.drift?.drifted ? 'stale' : '' },
                m.drift
                  ? `${m.drift.drifted ? 'Drifted' : 'Stable'} (${m.drift.metric ?? 'score'} ${pct(m.drift.score)})`
                  : '—',
              ),
              h('td', {}, m.scores ?? '—'),
              h('td', {}, fmtTime(m.updatedAt)),
            ),
          ),
        ),
      ),
    ),
  );
}

// ---------------------------------------------------------------------------------------------
// Routing, sign-in, live updates

function showError(e) {
  notice(e instanceof Error ? e.message : String(e), 'error');
}

async function route() {
  if (mustSignIn()) {
    $('main').replaceChildren(
      h('p', { class: 'muted' }, 'Sign in with your access token (top right) to see the ward.'),
    );
    document.body.dataset.ready = 'signin';
    return;
  }
  const hash = location.hash || '#/';
  const [path] = hash.slice(1).split('?');
  const page = path.startsWith('/patient/') ? 'ward' : path.slice(1) || 'ward';
  for (const a of document.querySelectorAll('nav a')) {
    if (a.dataset.page === page) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  if (!path.startsWith('/patient/')) state.detail = undefined;
  try {
    if (path.startsWith('/patient/')) await showPatient(decodeURIComponent(path.slice('/patient/'.length)));
    else if (path === '/alerts') await showAlerts();
    else if (path === '/devices') await showDevices();
    else if (path === '/ledger') await showLedger();
    else if (path === '/models') await showModels();
    else await showWard();
    document.body.dataset.ready = page;
  } catch (e) {
    showError(e);
  }
}

async function signIn() {
  if (state.token === '') {
    state.principal = undefined;
    $('#who').textContent = '';
    return;
  }
  const res = await api('whoami');
  if (res.ok) {
    state.principal = res.body;
    $('#who').textContent = `Signed in as ${res.body.id} (${res.body.roles.join(', ')})`;
  } else {
    state.principal = undefined;
    $('#who').textContent = 'Token not recognised';
  }
}

let alertRefresh;
function onAlertEvent() {
  // Several events arrive together (open, escalate ...): refresh once.
  clearTimeout(alertRefresh);
  alertRefresh = setTimeout(async () => {
    updateAlertCount().catch(() => {});
    if (location.hash.startsWith('#/alerts')) await showAlerts().catch(showError);
    else if ((location.hash || '#/') === '#/') await showWard().catch(showError);
  }, 300);
}

async function updateAlertCount() {
  const data = await getJson('alerts?state=open');
  $('#alert-count').textContent = data.alerts.length ? String(data.alerts.length) : '';
  $('#alert-count').setAttribute('aria-label', `${data.alerts.length} open alerts`);
}

let liveSource;
let liveRetry;
/** True when the server asks for an identity before anything is shown. */
const mustSignIn = () => state.config?.readAccess === 'signed-in' && state.principal === undefined;

async function connectLive() {
  const live = $('#live');
  liveSource?.close();
  liveSource = undefined;
  clearTimeout(liveRetry);
  let url = 'api/events';
  if (state.config.readAccess === 'signed-in') {
    // A browser's EventSource sends no Authorization header: a single-use ticket stands for the token.
    if (mustSignIn()) {
      live.textContent = 'Not signed in';
      live.dataset.state = 'down';
      return;
    }
    const res = await api('events/ticket', { method: 'POST' });
    if (!res.ok) {
      live.textContent = 'Reconnecting…';
      live.dataset.state = 'down';
      liveRetry = setTimeout(() => connectLive().catch(() => {}), 3000);
      return;
    }
    url = `api/events?ticket=${encodeURIComponent(res.body.ticket)}`;
  }
  const source = new EventSource(url);
  liveSource = source;
  source.addEventListener('open', () => {
    live.textContent = 'Live';
    live.dataset.state = 'live';
  });
  source.addEventListener('error', () => {
    live.textContent = 'Reconnecting…';
    live.dataset.state = 'down';
    if (state.config.readAccess === 'signed-in') {
      // A ticket is spent once: reconnect with a new one rather than let EventSource retry the URL.
      source.close();
      clearTimeout(liveRetry);
      liveRetry = setTimeout(() => connectLive().catch(() => {}), 3000);
    }
  });
  source.addEventListener('readings', (event) => {
    const readings = JSON.parse(event.data);
    if (state.ward) {
      const touched = new Set();
      for (const r of readings) {
        const tile = r.patientId === undefined ? undefined : state.ward.get(r.patientId);
        if (!tile) continue;
        const old = tile.vitals[r.metric];
        if (!old || old.ts <= r.ts) tile.vitals[r.metric] = r;
        tile.lastTs = Math.max(tile.lastTs ?? 0, r.ts);
        touched.add(r.patientId);
      }
      if ((location.hash || '#/') === '#/') for (const id of touched) refreshTile(id);
    }
    appendToCharts(readings);
  });
  source.addEventListener('news2', (event) => {
    const p = JSON.parse(event.data);
    const tile = state.ward?.get(p.patientId);
    if (tile) {
      tile.news2 = p;
      if ((location.hash || '#/') === '#/') refreshTile(p.patientId);
    }
    if (state.detail?.patientId === p.patientId) {
      state.detail.data.news2.push(p);
      const c = state.detail.charts.find((x) => x.metric === 'news2');
      if (c) {
        c.s.ts.push(p.ts);
        c.s.values.push(p.total);
        c.u.setData([c.s.ts.map((t) => t / 1000), c.s.values], false);
        c.u.setScale('x', { min: state.detail.data.from / 1000, max: state.detail.data.to / 1000 });
      }
    }
  });
  source.addEventListener('alert', onAlertEvent);
  source.addEventListener('device', () => {
    if (location.hash.startsWith('#/devices')) showDevices().catch(showError);
  });
}

async function start() {
  state.config = await getJson('config');
  state.skewMs = state.config.now - Date.now();
  document.title = state.config.title;
  $('#title').textContent = state.config.title;
  for (const [page, feature] of [
    ['devices', 'devices'],
    ['ledger', 'ledger'],
    ['models', 'models'],
  ]) {
    if (!state.config.features[feature]) document.querySelector(`nav a[data-page="${page}"]`)?.remove();
  }
  if (!state.config.features.auth) $('#signin').hidden = true;
  $('#token').value = state.token;
  $('#signin').addEventListener('submit', async (event) => {
    event.preventDefault();
    state.token = $('#token').value.trim();
    sessionStorage.setItem('dashboard-token', state.token);
    await signIn();
    connectLive().catch(() => {});
    if (!mustSignIn()) updateAlertCount().catch(() => {});
    await route();
  });
  window.addEventListener('hashchange', () => {
    notice('');
    route();
  });
  // Freshness labels age even when nothing arrives.
  setInterval(() => {
    if ((location.hash || '#/') === '#/' && state.ward) for (const id of state.ward.keys()) refreshTile(id);
  }, 5000);
  await signIn();
  connectLive().catch(() => {});
  if (!mustSignIn()) updateAlertCount().catch(() => {});
  await route();
}

start().catch(showError);
