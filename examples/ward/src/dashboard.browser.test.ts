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
  // What the devices API showed while the campaign ran (watched from the start).
  const seen = { phases: new Set<string>(), waves: new Set<number>(), states: new Set<string>() };
  let watching: NodeJS.Timeout | undefined;

  beforeAll(async () => {
    browser = await launchChromium();
    const started = new Promise<WardDashboardReady>((resolve) => {
      run = runWard({
        patients: 3,
        durationMs: Number.POSITIVE_INFINITY,
        periodMs: 250,
        seed: 7,
        fhir: false,
        scenarioMix: { hypoxic: 1, stable: 1 },
        scenarioTiming: { startAfterMs: 0, rampMs: 1000 },
        refreshMs: 60_000,
        // A compressed firmware campaign and label horizon: both show results within the test.
        rollout: { startAfterMs: 1000, soakMs: 500, downloadMs: 1000 },
        modelMonitor: { labelHorizonMs: 1000, minDriftSamples: 10 },
        signal: controller.signal,
        dashboard: { onReady: resolve },
      });
    });
    ready = await started;
    watching = setInterval(() => {
      void api<DevicesApi>('devices').then(
        (data) => {
          for (const c of data.campaigns) {
            seen.phases.add(c.phase);
            seen.waves.add(c.wave);
          }
          for (const d of data.devices) seen.states.add(d.state);
        },
        () => {},
      );
    }, 150);
  }, 60_000);

  afterAll(async () => {
    clearInterval(watching);
    controller.abort();
    await run;
    await browser?.close();
  });

  const api = async <T>(path: string): Promise<T> =>
    (await (await fetch(`${ready.url}api/${path}`)).json()) as T;

  interface DevicesApi {
    devices: { deviceId: string; state: string; batteryPercent?: number; firmware?: string }[];
    campaigns: { campaignId: string; phase: string; wave: number; counts: Record<string, number> }[];
    fleet: { deviceId: string; version: string; state?: string; wave?: number }[];
  }

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

  it('shows each device with state, battery, last seen and firmware, and the rollout campaign progressing to completion', async () => {
    // The campaign advanced wave by wave as the oximeters' update agents reported, and a device
    // being updated was shown as such.
    await expect
      .poll(async () => (await api<DevicesApi>('devices')).campaigns[0]?.phase, { timeout: 30_000 })
      .toBe('completed');
    clearInterval(watching);
    expect(seen.phases).toContain('running');
    expect([...seen.waves].sort()).toEqual([1, 2, 3]);
    expect(
      [...seen.states].some((s) => /^updating \((downloading|verifying|installing|confirming)\)$/.test(s)),
    ).toBe(true);
    // The firmware the oximeters report comes from their heartbeats: wait for the last one.
    await expect
      .poll(async () => {
        const data = await api<DevicesApi>('devices');
        return data.devices.filter((d) => d.firmware === '2.5.0').length;
      })
      .toBe(3);

    const page = await browser.newPage();
    await page.goto(`${ready.url}#/devices`);
    await page.waitForSelector('body[data-ready="devices"] tr[data-device-id]');
    const row = async (id: string) =>
      page.locator(`[data-testid="devices-table"] tr[data-device-id="${id}"] td`).allTextContents();
    expect(await page.locator('[data-testid="devices-table"] tr[data-device-id]').count()).toBe(6);
    // Device, Kind, Patient, State, Battery, Last seen, Firmware.
    const oximeter = await row('oximeter-001');
    expect(oximeter.slice(0, 4)).toEqual(['oximeter-001', 'pulse oximeter', 'patient-001', 'online']);
    expect(oximeter[4]).toMatch(/^\d{1,3} %$/); // the simulated battery, as its heartbeat reports it
    expect(oximeter[5]).toMatch(/\(\d+ s ago\)$/); // last seen (local time), heard seconds ago
    expect(oximeter[6]).toBe('2.5.0'); // updated by the campaign
    const monitor = await row('monitor-001');
    expect(monitor.slice(0, 4)).toEqual(['monitor-001', 'bedside monitor', 'patient-001', 'online']);
    expect(monitor[4]).toBe('—'); // mains powered
    expect(monitor[6]).toBe('3.1.0'); // not in the campaign
    // The rollout engine's campaign and fleet view.
    const campaign = page.locator('[data-campaign-id="sim-oximeter-2.5.0"]');
    expect(await campaign.textContent()).toMatch(
      /sim-oximeter-2\.5\.0 → 2\.5\.0 · completed .*· wave 3 of 3.*3 of 3 updated, 0 failed or rolled back, 0 in flight/,
    );
    expect(await campaign.locator('progress').getAttribute('value')).toBe('3');
    const fleet = await page.locator('section table tbody tr').allTextContents();
    expect(
      fleet.filter((t) =>
        /^oximeter-\d{3}Simulated pulse oximeterward-72\.5\.0sim-oximeter-2\.5\.0updated[123]$/.test(t),
      ),
    ).toHaveLength(3);
    expect(
      fleet.filter((t) => /^monitor-\d{3}Simulated vital-signs monitorward-73\.1\.0—/.test(t)),
    ).toHaveLength(3);
    await page.screenshot({ path: screenshotPath('ward-dashboard-devices'), fullPage: true });
    await page.close();
  });

  it('shows the model with its rolling AUROC, Brier score and input drift, and the gateway status page', async () => {
    const page = await browser.newPage();
    const cells = () => page.locator('[data-testid="models-table"] tbody tr td').allTextContents();
    // Model, Version, Placement, Status, AUROC, Brier, Drift, Scores, Updated. Labels arrive a
    // horizon after each score, from the simulator's ground truth: reload until both classes did.
    await expect
      .poll(
        async () => {
          await page.goto(`${ready.url}#/models`);
          await page.reload();
          await page.waitForSelector('body[data-ready="models"]');
          return (await cells())[4];
        },
        { timeout: 30_000, interval: 500 },
      )
      .toMatch(/^(0\.\d{3}|1\.000)$/);
    const model = await cells();
    expect(model.slice(0, 3)).toEqual([
      'deterioration-risk',
      '0.1.0',
      'edge: gateway, onnxruntime-web (WASM)',
    ]);
    expect(model[3]).toMatch(/^serving/);
    expect(model[5]).toMatch(/^(0\.\d{3}|1\.000)$/);
    expect(model[6]).toMatch(
      /^(Stable|Drifted) \(PSI (heart-rate|respiratory-rate|spo2|body-temperature|bp-systolic) \d+\.\d{3}\)$/,
    );
    expect(Number(model[7])).toBeGreaterThan(0);
    // The same figures as the model monitor's report.
    const { models } = await api<{ models: { auroc?: number; brier?: number; drift?: { score: number } }[] }>(
      'models',
    );
    expect(models[0]?.auroc).toBeGreaterThan(0.5);
    expect(models[0]?.drift?.score).toBeGreaterThanOrEqual(0);
    await page.screenshot({ path: screenshotPath('ward-dashboard-models'), fullPage: true });

    await page.goto(ready.gatewayUrl);
    expect(await page.locator('#uplink [data-state]').getAttribute('data-state')).toBe('up');
    expect(await page.locator('[data-connected]').textContent()).toBe('6 of 6 connected');
    const oximeter = await page
      .locator('#devices tr', { hasText: 'oximeter-001' })
      .locator('td')
      .allTextContents();
    expect(oximeter[3]).toMatch(/^\d{1,3} %$/);
    expect(oximeter[4]).toBe('2.5.0');
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
