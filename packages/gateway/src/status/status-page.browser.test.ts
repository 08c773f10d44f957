import type { Alert, DeviceId, PatientId } from '@healthit/core';
import type { Browser } from 'playwright-core';
import { BehaviorSubject } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, screenshotPath } from '../../../../test/support/chromium.js';
import { createForwarder } from '../uplink/forwarder.js';
import { createInProcessUplink } from '../uplink/in-process-uplink.js';
import { createMemoryOutbox } from '../uplink/memory-outbox.js';
import { alertRecord } from '../uplink/records.js';
import type { UplinkState } from '../uplink/uplink.js';
import { createGatewayStatusServer, createRecentAlerts, type GatewayStatusServer } from './status-page.js';

function alert(i: number): Alert {
  return {
    id: `a-${i}`,
    rule: 'threshold:spo2-low',
    severity: 'high',
    message: `SpO2 ${80 + i} % for p-${i} is below 88 % <b>`,
    ts: Date.now(),
    patientId: `p-${i}` as PatientId,
    deviceId: `ox-${i}` as DeviceId,
    metric: 'spo2',
    value: 80 + i,
    readingIds: [`ox-${i}:1`],
  };
}

describe('gateway status page in Chromium', () => {
  let browser: Browser;
  let status: GatewayStatusServer;
  let url: string;
  const outbox = createMemoryOutbox({ maxBytes: 64 * 1024, whenFull: 'refuse-new' });
  const uplink = createInProcessUplink({ name: 'in-process (platform)' });
  const forwarder = createForwarder({ outbox, uplink, pollMs: 20, retry: { initialMs: 20, maxMs: 50 } });
  const recent = createRecentAlerts(3);
  const uplinkState = new BehaviorSubject<UplinkState>('up');
  uplink.state$.subscribe(uplinkState);

  beforeAll(async () => {
    browser = await launchChromium();
    forwarder.start();
    status = createGatewayStatusServer({
      sources: {
        name: 'gw-ward-7',
        devices: () => [
          { deviceId: 'ox-1', online: true, lastSeen: Date.now(), batteryPercent: 77, firmware: '1.2.0' },
          { deviceId: 'ox-2', online: false, lastSeen: Date.now() - 120_000 },
        ],
        outbox: () => outbox.stats(),
        uplink: () => ({
          state: uplinkState.value,
          name: uplink.name,
          forwarder: forwarder.stats().state,
          sent: forwarder.stats().sent,
        }),
        alerts: () => recent.list(),
      },
    });
    url = await status.listen();
  });

  afterAll(async () => {
    await status?.close();
    await forwarder.stop();
    await uplink.close();
    await browser?.close();
  });

  it('keeps only the latest alerts (drop-oldest)', () => {
    const r = createRecentAlerts(2);
    for (const i of [1, 2, 3]) r.add(alert(i));
    expect(r.list().map((a) => a.id)).toEqual(['a-3', 'a-2']);
    expect(() => createRecentAlerts(0)).toThrow(RangeError);
  });

  it('shows devices, outbox, uplink and recent alerts; while the uplink is down the page still serves and shows the backlog', async () => {
    const page = await browser.newPage({ viewport: { width: 1024, height: 900 } });
    await page.goto(url);
    expect(await page.locator('#uplink [data-state]').getAttribute('data-state')).toBe('up');
    expect(await page.locator('[data-connected]').textContent()).toBe('1 of 2 connected');

    uplink.setState('down');
    for (const i of [1, 2, 3, 4]) {
      const a = alert(i);
      recent.add(a);
      outbox.append([alertRecord(a)]);
    }
    forwarder.wake();
    await page.reload();
    expect(await page.locator('#uplink [data-state]').textContent()).toMatch(
      /Down — readings and alerts are held/,
    );
    expect(await page.locator('#outbox').textContent()).toMatch(/4 records pending/);
    expect(Number(await page.locator('[data-fill]').getAttribute('data-fill'))).toBeGreaterThan(0);
    const rows = page.locator('#alerts tbody tr');
    expect(await rows.count()).toBe(3);
    expect(await rows.first().textContent()).toMatch(/HIGH.*p-4.*SpO2 84 % for p-4 is below 88 % <b>/);
    await page.screenshot({ path: screenshotPath('gateway-status-uplink-down'), fullPage: true });

    uplink.setState('up');
    forwarder.wake();
    await expect.poll(() => outbox.stats().pending, { timeout: 5000 }).toBe(0);
    const json = (await (await fetch(`${url}status.json`)).json()) as {
      uplink: { state: string };
      outbox: { pending: number };
    };
    expect(json.uplink.state).toBe('up');
    expect(json.outbox.pending).toBe(0);
    await page.close();
  });

  it('answers only GET', async () => {
    expect((await fetch(url, { method: 'POST' })).status).toBe(405);
    expect((await fetch(`${url}nope`)).status).toBe(404);
  });
});
