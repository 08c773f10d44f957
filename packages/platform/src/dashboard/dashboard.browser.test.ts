import type { Alert, DeviceId, PatientId, Principal, Reading, ReadingStore } from '@healthit/core';
import type { Browser, Page } from 'playwright-core';
import { Subject } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, screenshotPath } from '../../../../test/support/chromium.js';
import { type AlertManager, createAlertManager } from '../alerts/index.js';
import { createPgliteReadingStore } from '../pglite/index.js';
import { bearerTokenAuthenticator } from './auth.js';
import { createCommandHistory, createNews2History } from './history.js';
import { createDashboard, type Dashboard } from './server.js';

const nurse: Principal = { id: 'nurse-ann', roles: ['nurse'], wards: ['ward-7'], patients: [] };
const biomed: Principal = { id: 'bio-bob', roles: ['biomed'], wards: ['ward-7'], patients: [] };
const TOKENS = { 'nurse-token': nurse, 'biomed-token': biomed };

const now = Date.now();
let seq = 0;
function reading(
  patient: string,
  metric: Reading['metric'],
  value: number,
  unit: string,
  ts: number,
): Reading {
  seq += 1;
  const deviceId = `mon-${patient}` as DeviceId;
  return {
    id: `${deviceId}:${seq}`,
    deviceId,
    patientId: patient as PatientId,
    metric,
    value,
    unit,
    ts,
    seq,
  };
}
function alert(id: string, patient: string): Alert {
  return {
    id,
    rule: 'threshold:spo2-low',
    severity: 'high',
    message: `SpO2 85 % for ${patient} is below 88 % <script>alert(1)</script>`,
    ts: now - 30_000,
    patientId: patient as PatientId,
    metric: 'spo2',
    value: 85,
    readingIds: [`mon-${patient}:1`],
  };
}

describe('dashboard in Chromium', () => {
  let browser: Browser;
  let store: ReadingStore;
  let alerts: AlertManager;
  let dashboard: Dashboard;
  let url: string;
  const readings$ = new Subject<Reading>();
  const news2 = createNews2History({ maxPointsPerPatient: 100 });
  const commands = createCommandHistory();

  beforeAll(async () => {
    [browser, store] = await Promise.all([launchChromium(), createPgliteReadingStore()]);
    const history: Reading[] = [];
    for (let i = 0; i < 60; i++) {
      const ts = now - (60 - i) * 10_000;
      history.push(
        reading('p-1', 'heart-rate', 80 + (i % 7), '/min', ts),
        reading('p-1', 'spo2', 95 - (i > 50 ? 8 : 0), '%', ts),
        reading('p-1', 'respiratory-rate', 18, '/min', ts),
        reading('p-2', 'heart-rate', 70, '/min', ts),
        reading('p-2', 'spo2', 98, '%', ts),
      );
    }
    await store.append(history);
    alerts = createAlertManager({ wardOf: () => 'ward-7' });
    expect(alerts.submit(alert('a-1', 'p-1'), 'gateway:gw-1').ok).toBe(true);
    news2.add({ patientId: 'p-1', ts: now - 60_000, total: 3, clinicalRisk: 'low-medium', redScore: true });
    news2.add({ patientId: 'p-1', ts: now - 20_000, total: 7, clinicalRisk: 'high', redScore: true });
    news2.add({ patientId: 'p-2', ts: now - 20_000, total: 0, clinicalRisk: 'low', redScore: false });
    commands.add({
      id: 'c-1',
      ts: now - 15_000,
      patientId: 'p-1',
      deviceId: 'o2-p-1',
      action: 'oxygen.set-flow',
      state: 'completed',
      summary: 'flow 2 L/min',
    });
    dashboard = createDashboard({
      title: 'Ward 7',
      sources: {
        patients: () => [
          { patientId: 'p-1', label: 'Bed 1 · p-1', note: 'deteriorating', ward: 'ward-7' },
          { patientId: 'p-2', label: 'Bed 2 · p-2', ward: 'ward-7' },
        ],
        store,
        readings$,
        alerts,
        news2,
        commands,
        devices: {
          list: () => [
            {
              deviceId: 'mon-p-1',
              patientId: 'p-1',
              kind: 'monitor',
              state: 'online',
              batteryPercent: 81,
              lastSeen: now,
              firmware: '2.3.1',
            },
          ],
        },
        models: {
          list: () => [
            {
              name: 'deterioration',
              version: 'v0',
              placement: 'edge (gateway)',
              status: 'serving',
              auroc: 0.81,
              drift: { score: 0.05, drifted: false, metric: 'PSI' },
            },
          ],
        },
      },
      authenticate: bearerTokenAuthenticator(TOKENS),
      liveBatchMs: 50,
    });
    url = await dashboard.listen({ port: 0 });
  }, 60_000);

  afterAll(async () => {
    await dashboard?.close();
    alerts?.close();
    await Promise.all([browser?.close(), store?.close()]);
  });

  async function open(path: string, token?: string): Promise<Page> {
    const page = await browser.newPage({ viewport: { width: 1280, height: 860 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    (page as Page & { errors: string[] }).errors = errors;
    if (token !== undefined) {
      await page.addInitScript((t) => sessionStorage.setItem('dashboard-token', t), token);
    }
    await page.goto(`${url}${path}`);
    return page;
  }

  it('serves the page, its assets and uPlot locally, with a restrictive CSP', async () => {
    const res = await fetch(url);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-security-policy')).toMatch(/default-src 'self'/);
    const html = await res.text();
    expect(html).not.toMatch(/https?:\/\//);
    const uplot = await fetch(`${url}assets/uplot.js`);
    expect(uplot.status).toBe(200);
    expect(await uplot.text()).toMatch(/uPlot/);
  });

  it('ward overview: a tile per patient with vitals, NEWS2 risk in words, alerts and freshness; a pushed reading appears live', async () => {
    const page = await open('');
    await page.waitForSelector('body[data-ready="ward"]');
    const tile = page.locator('.tile[data-patient-id="p-1"]');
    await expect.poll(() => page.locator('.tile').count()).toBe(2);
    expect(await tile.getAttribute('data-risk')).toBe('high');
    expect(await tile.locator('[data-testid="news2"]').textContent()).toBe('NEWS2 7 · High risk');
    expect(await page.locator('.tile[data-patient-id="p-2"] [data-testid="news2"]').textContent()).toBe(
      'NEWS2 0 · Low risk',
    );
    expect(await tile.locator('[data-metric="spo2"]').textContent()).toMatch(/^87 %/);
    expect(await tile.locator('[data-testid="alerts"]').textContent()).toBe('1 open · highest High');
    expect(await tile.locator('[data-testid="freshness"]').textContent()).toMatch(/^Updated \d+ s ago$/);
    await page.waitForSelector('#live[data-state="live"]');

    // Live: a reading stored and pushed to the source appears without a reload.
    const fresh = reading('p-1', 'heart-rate', 131, '/min', Date.now());
    await store.append([fresh]);
    readings$.next(fresh);
    await expect
      .poll(() => tile.locator('[data-metric="heart-rate"]').textContent(), { timeout: 5000 })
      .toMatch(/^131 /);
    // A NEWS2 update too.
    news2.add({ patientId: 'p-2', ts: Date.now(), total: 5, clinicalRisk: 'medium', redScore: false });
    await expect
      .poll(() => page.locator('.tile[data-patient-id="p-2"] [data-testid="news2"]').textContent(), {
        timeout: 5000,
      })
      .toBe('NEWS2 5 · Medium risk');
    await page.screenshot({ path: screenshotPath('dashboard-ward'), fullPage: true });
    expect((page as Page & { errors: string[] }).errors).toEqual([]);
    await page.close();
  });

  it('patient detail: charts per vital and NEWS2 over a selectable range, alerts and commands on the same axis', async () => {
    const page = await open('#/patient/p-1');
    await page.waitForSelector('body[data-ready="ward"] .chart[data-chart="heart-rate"] canvas');
    for (const metric of ['heart-rate', 'spo2', 'respiratory-rate', 'news2']) {
      expect(await page.locator(`.chart[data-chart="${metric}"] canvas`).count()).toBe(1);
    }
    const table = await page.locator('[data-testid="timeline"]').textContent();
    expect(table).toMatch(/Alert\s*High.*SpO2 85 %/s);
    expect(table).toMatch(/Command oxygen\.set-flow.*flow 2 L\/min.*completed/s);
    // The alert message is shown as text, never as markup.
    expect(await page.locator('main script').count()).toBe(0);
    // A wider range reloads the charts.
    const requests: string[] = [];
    page.on('request', (r) => requests.push(r.url()));
    await page.getByRole('button', { name: '6 h' }).click();
    await expect
      .poll(() => page.getByRole('button', { name: '6 h' }).getAttribute('aria-pressed'))
      .toBe('true');
    const asked = requests.find((r) => r.includes('/api/patients/p-1'));
    const q = new URL(asked ?? 'http://x/').searchParams;
    expect(Number(q.get('to')) - Number(q.get('from'))).toBe(6 * 3_600_000);
    await page.waitForSelector('.chart[data-chart="heart-rate"] canvas');
    await page.screenshot({ path: screenshotPath('dashboard-patient'), fullPage: true });
    expect((page as Page & { errors: string[] }).errors).toEqual([]);
    await page.close();
  });

  it('alerts: a role without alert.acknowledge is refused (403, shown), a nurse of the ward acknowledges', async () => {
    expect(alerts.submit(alert('a-2', 'p-2'), 'gateway:gw-1').ok).toBe(true);
    const denied = await open('#/alerts', 'biomed-token');
    await denied.waitForSelector('#who:has-text("Signed in as bio-bob")');
    const row = denied.locator('tr[data-alert-id="a-2"]');
    await row.getByRole('button', { name: 'Acknowledge' }).click();
    await expect
      .poll(() => denied.locator('#notice').textContent())
      .toMatch(/^Refused \(403\): no rule allows biomed/);
    expect(alerts.get('a-2')?.state).toBe('open');
    await denied.screenshot({ path: screenshotPath('dashboard-alerts-denied'), fullPage: true });
    await denied.close();

    // Without a token: 401.
    const anonymous = await fetch(`${url}api/alerts/a-2/acknowledge`, { method: 'POST' });
    expect(anonymous.status).toBe(401);

    const page = await open('#/alerts', 'nurse-token');
    await page.waitForSelector('#who:has-text("Signed in as nurse-ann (nurse)")');
    await page.locator('tr[data-alert-id="a-2"]').getByRole('button', { name: 'Acknowledge' }).click();
    await expect
      .poll(() => page.locator('tr[data-alert-id="a-2"] [data-testid="alert-state"]').textContent())
      .toMatch(/^Acknowledged by nurse-ann/);
    expect(alerts.get('a-2')?.acknowledged?.by).toBe('nurse-ann');
    // Resolving needs a reason; then it leaves the unresolved list.
    const a2 = page.locator('tr[data-alert-id="a-2"]');
    await a2.getByRole('textbox').fill('reviewed, oxygen started');
    await a2.getByRole('button', { name: 'Resolve' }).click();
    await expect.poll(() => page.locator('tr[data-alert-id="a-2"]').count()).toBe(0);
    expect(alerts.get('a-2')?.resolved?.reason).toBe('reviewed, oxygen started');
    await page.screenshot({ path: screenshotPath('dashboard-alerts'), fullPage: true });
    await page.close();
  });

  it('a new alert raised while the alerts page is open appears without reload', async () => {
    const page = await open('#/alerts');
    await page.waitForSelector('body[data-ready="alerts"]');
    expect(await page.locator('tr[data-alert-id="a-3"]').count()).toBe(0);
    expect(alerts.submit(alert('a-3', 'p-2'), 'gateway:gw-1')).toMatchObject({ ok: true, outcome: 'opened' });
    await page.waitForSelector('tr[data-alert-id="a-3"]', { timeout: 5000 });
    await page.close();
  });

  it('devices and models pages show their sources', async () => {
    const page = await open('#/devices');
    await page.waitForSelector('body[data-ready="devices"]');
    expect(await page.locator('tr[data-device-id="mon-p-1"]').textContent()).toMatch(
      /monitor.*p-1.*online.*81 %.*2\.3\.1/,
    );
    await page.goto(`${url}#/models`);
    await page.waitForSelector('body[data-ready="models"]');
    expect(await page.locator('[data-testid="models-table"] tbody tr').textContent()).toMatch(
      /deterioration.*v0.*edge \(gateway\).*serving.*0\.810.*Stable \(PSI 0\.050\)/,
    );
    await page.screenshot({ path: screenshotPath('dashboard-models'), fullPage: true });
    await page.close();
  });

  it("readAccess 'signed-in': the page asks for a token first, then shows the ward and goes live through a ticket", async () => {
    const secured = createDashboard({
      sources: {
        patients: () => [{ patientId: 'p-1', label: 'Bed 1 · p-1', ward: 'ward-7' }],
        store,
        readings$,
        alerts,
        news2,
      },
      authenticate: bearerTokenAuthenticator(TOKENS),
      readAccess: 'signed-in',
      liveBatchMs: 50,
    });
    const securedUrl = await secured.listen({ port: 0 });
    try {
      expect((await fetch(`${securedUrl}api/ward`)).status).toBe(401);
      const page = await browser.newPage({ viewport: { width: 1280, height: 860 } });
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      await page.goto(securedUrl);
      await page.waitForSelector('body[data-ready="signin"]');
      expect(await page.locator('main').textContent()).toMatch(/Sign in with your access token/);
      expect(await page.locator('.tile').count()).toBe(0);
      await page.locator('#token').fill('nurse-token');
      await page.locator('#signin').evaluate((form: HTMLFormElement) => form.requestSubmit());
      await page.waitForSelector('body[data-ready="ward"] .tile[data-patient-id="p-1"]');
      await page.waitForSelector('#live[data-state="live"]');
      const fresh = reading('p-1', 'heart-rate', 133, '/min', Date.now());
      await store.append([fresh]);
      readings$.next(fresh);
      await expect
        .poll(() => page.locator('.tile[data-patient-id="p-1"] [data-metric="heart-rate"]').textContent(), {
          timeout: 5000,
        })
        .toMatch(/^133 /);
      await page.screenshot({ path: screenshotPath('dashboard-signed-in-reads'), fullPage: true });
      expect(errors).toEqual([]);
      await page.close();
    } finally {
      await secured.close();
    }
  });

  it('is readable on a tablet: tiles reflow into the narrower viewport without horizontal scrolling', async () => {
    const page = await browser.newPage({ viewport: { width: 768, height: 1024 } });
    await page.goto(url);
    await page.waitForSelector('body[data-ready="ward"] .tile');
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    await page.screenshot({ path: screenshotPath('dashboard-tablet'), fullPage: true });
    await page.close();
  });
});
