import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, screenshotPath } from '../../../test/support/chromium.js';
import type { WardDashboardReady } from './dashboard.js';
import { runWard, type WardSummary } from './ward.js';
import { ledgerVerified } from './ward-ledger.js';

/**
 * The quick start's dashboard over the real ward stack (simulator → gateway → outbox → uplink →
 * PGlite store → transparency log; alert manager; NEWS2; ONNX model), in Chromium.
 */
describe('examples/ward dashboard in Chromium', { timeout: 90_000 }, () => {
  let browser: Browser;
  const controller = new AbortController();
  let run: Promise<WardSummary>;
  let ready: WardDashboardReady;

  beforeAll(async () => {
    browser = await launchChromium();
    const started = new Promise<WardDashboardReady>((resolve) => {
      run = runWard({
        patients: 3,
        durationMs: Number.POSITIVE_INFINITY,
        periodMs: 250,
        seed: 7,
        fhir: false,
        scenarioMix: { hypoxic: 1 },
        scenarioTiming: { startAfterMs: 0, rampMs: 1000 },
        refreshMs: 60_000,
        signal: controller.signal,
        dashboard: { onReady: resolve },
      });
    });
    ready = await started;
  }, 60_000);

  afterAll(async () => {
    controller.abort();
    await run;
    await browser?.close();
  });

  const api = async <T>(path: string): Promise<T> =>
    (await (await fetch(`${ready.url}api/${path}`)).json()) as T;

  it('serves the ward overview with live values, NEWS2 labelled in words, and the patient charts', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.goto(ready.url);
    await page.waitForSelector('body[data-ready="ward"]');
    expect(await page.locator('.tile').count()).toBe(3);
    const hr = page.locator('.tile[data-patient-id="patient-001"] [data-metric="heart-rate"]');
    // Live: the value changes without a reload.
    await expect.poll(() => hr.textContent(), { timeout: 15_000 }).toMatch(/^\d+ /);
    const first = await hr.textContent();
    await expect.poll(() => hr.textContent(), { timeout: 15_000 }).not.toBe(first);
    await expect
      .poll(() => page.locator('.tile[data-patient-id="patient-001"] [data-testid="news2"]').textContent(), {
        timeout: 15_000,
      })
      .toMatch(/^NEWS2 \d+ · (Low|Low–medium|Medium|High) risk/);
    await page.screenshot({ path: screenshotPath('ward-dashboard-overview'), fullPage: true });
    await page.click('.tile[data-patient-id="patient-001"]');
    await page.waitForSelector('.chart[data-chart="spo2"] canvas');
    await page.waitForSelector('[data-testid="latest-readings"] a[data-reading-id]');
    await page.screenshot({ path: screenshotPath('ward-dashboard-patient'), fullPage: true });
    await page.close();
  });

  it('acknowledges a ward alert as the nurse; the biomedical engineer is refused', async () => {
    await expect
      .poll(async () => (await api<{ alerts: unknown[] }>('alerts?state=open')).alerts.length, {
        timeout: 30_000,
      })
      .toBeGreaterThan(0);
    const { alerts } = await api<{ alerts: { id: string }[] }>('alerts?state=open');
    const id = alerts[0]?.id ?? '';
    const ack = (token: string) =>
      fetch(`${ready.url}api/alerts/${encodeURIComponent(id)}/acknowledge`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: '{}',
      });
    const denied = await ack(ready.tokens.biomed);
    expect(denied.status).toBe(403);

    const page = await browser.newPage();
    await page.addInitScript((t) => sessionStorage.setItem('dashboard-token', t), ready.tokens.nurse);
    await page.goto(`${ready.url}#/alerts`);
    await page.waitForSelector('#who:has-text("Signed in as nurse-demo")');
    const row = page.locator(`tr[data-alert-id="${id}"]`);
    await row.getByRole('button', { name: 'Acknowledge' }).click();
    await expect
      .poll(() => page.locator(`tr[data-alert-id="${id}"] [data-testid="alert-state"]`).textContent())
      .toMatch(/^Acknowledged by nurse-demo/);
    await page.screenshot({ path: screenshotPath('ward-dashboard-alerts'), fullPage: true });
    await page.close();
  });

  it('verifies a stored reading on the ledger: provenance bundle, steps, witnessed checkpoint', async () => {
    const { tiles } = await api<{ tiles: { vitals: Record<string, { id: string }> }[] }>('ward');
    const readingId = tiles[0]?.vitals['heart-rate']?.id ?? '';
    const page = await browser.newPage();
    await page.goto(`${ready.url}#/ledger?reading=${encodeURIComponent(readingId)}`);
    await expect
      .poll(() => page.locator('[data-testid="verdict"]').textContent(), { timeout: 15_000 })
      .toBe(`Verified: reading ${readingId} is in the log, unaltered.`);
    const steps = await page.locator('#provenance .steps li').allTextContents();
    expect(steps).toContain('witnesses: passed');
    expect(steps).toContain('log-inclusion: passed');
    expect(steps.every((s) => s.endsWith('passed'))).toBe(true);
    expect(await page.locator('[data-testid="checkpoint"]').textContent()).toMatch(
      /^ledger\.example\.org\/ward\n\d+\n/,
    );
    expect(await page.locator('.steps li', { hasText: 'witness.example.org/ward' }).textContent()).toMatch(
      /cosigned/,
    );
    await page.screenshot({ path: screenshotPath('ward-dashboard-ledger'), fullPage: true });
    await page.close();
  });

  it('serves devices, the model, and the gateway status page', async () => {
    const page = await browser.newPage();
    await page.goto(`${ready.url}#/devices`);
    await page.waitForSelector('body[data-ready="devices"] tr[data-device-id]');
    expect(await page.locator('tr[data-device-id]').first().textContent()).toMatch(/online/);
    await page.goto(`${ready.url}#/models`);
    await page.waitForSelector('body[data-ready="models"]');
    expect(await page.locator('[data-testid="models-table"] tbody tr').textContent()).toMatch(
      /edge: gateway/,
    );
    await page.goto(ready.gatewayUrl);
    expect(await page.locator('#uplink [data-state]').getAttribute('data-state')).toBe('up');
    expect(await page.locator('[data-connected]').textContent()).toMatch(/^(\d+) of \1 connected$/);
    await page.screenshot({ path: screenshotPath('ward-gateway-status'), fullPage: true });
    await page.close();
  });

  it('stops on the signal, closes the servers and still verifies the ledger', async () => {
    controller.abort();
    const summary = await run;
    expect(summary.stoppedEarly).toBe(true);
    expect(ledgerVerified(summary.ledger)).toBe(true);
    await expect(fetch(ready.url)).rejects.toThrow();
  });
});
