/**
 * The Web Bluetooth example in Chromium, with a simulated device installed as `navigator.bluetooth`
 * before the page runs: the user clicks Connect, the page asks for the profile's service, connects,
 * subscribes, decodes the real GATT frames the project's simulator produces and shows them; values
 * update with each notification; a malformed frame is reported without losing the connection; a
 * dropped link and the Disconnect button are handled and Reconnect resumes.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, screenshotPath } from '../../../test/support/chromium.js';
import { buildPage, type PageFiles, withSimulatedDevice } from './bundle.js';
import { PROFILES, type ProfileId } from './profiles.js';
import { type PageServer, servePage } from './server.js';
import type { SimulatedBluetoothOptions } from './simulated-bluetooth.js';
import { type SimulatedFrame, simulatedFrames } from './simulated-frames.js';

let files: PageFiles;
let server: PageServer;
let browser: Browser;

/** A fresh page with the simulated device(s) installed before the app's script runs. */
async function openPage(
  install: SimulatedBluetoothOptions | 'no-web-bluetooth',
  extraInitScript = '',
): Promise<{
  page: Page;
  errors: string[];
}> {
  const page = await browser.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  if (install === 'no-web-bluetooth') {
    await page.addInitScript(() => {
      Object.defineProperty(Navigator.prototype, 'bluetooth', { configurable: true, get: () => undefined });
    });
  } else {
    const script = files.get('/simulated-bluetooth.js')?.[1] ?? '';
    await page.addInitScript({
      content: `${script}\nSimulatedBluetooth.install(${JSON.stringify(install)});\n${extraInitScript}`,
    });
  }
  await page.goto(server.url);
  await page.waitForSelector('body[data-ready="true"], #support:not([hidden])');
  return { page, errors };
}

function device(profile: ProfileId, frames: readonly SimulatedFrame[]) {
  return {
    id: profile === 'pulse-oximeter' ? 'U2ltUExYLzE+Kz0=' : 'U2ltSFIvMQ==',
    name: profile === 'pulse-oximeter' ? 'SimOx 3000' : 'SimStrap HR',
    service: PROFILES[profile].service,
    characteristic: PROFILES[profile].characteristic,
    frames: frames.map((f) => f.hex),
  };
}

/** Sends the simulated device's next frame into the page. */
async function notify(page: Page): Promise<void> {
  const sent = await page.evaluate(() =>
    (globalThis as unknown as { simulatedBluetooth: { notify(): boolean } }).simulatedBluetooth.notify(),
  );
  expect(sent, 'the page listens to notifications').toBe(true);
}

/** The latest readings on screen: metric → [value text, unit text, ISO time, stale]. */
async function latest(page: Page): Promise<Record<string, [string, string, string, boolean]>> {
  return page.$$eval('#readings .reading', (rows) =>
    Object.fromEntries(
      rows.map((row) => [
        (row as HTMLElement).dataset.metric ?? '',
        [
          row.querySelector('.value')?.textContent ?? '',
          row.querySelector('.unit')?.textContent ?? '',
          row.querySelector('time')?.getAttribute('datetime') ?? '',
          row.classList.contains('stale'),
        ],
      ]),
    ),
  );
}

beforeAll(async () => {
  files = await buildPage();
  server = await servePage(files);
  browser = await launchChromium();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

describe('examples/web-bluetooth in Chromium with a simulated pulse oximeter', () => {
  // A deteriorating patient, one frame per simulated 10 minutes (frames from the project's simulator).
  const frames = simulatedFrames('pulse-oximeter', {
    count: 40,
    scenario: 'deteriorating',
    periodMs: 600_000,
  });

  it('connects on a click, shows the decoded values with unit and time, updates them, handles a dropped link', async () => {
    const { page, errors } = await openPage({ devices: [device('pulse-oximeter', frames)] });
    try {
      expect(await page.getByRole('status').textContent()).toBe('Not connected');

      await page.getByRole('button', { name: 'Connect pulse oximeter' }).click();
      await page.waitForSelector('#status[data-state="connected"]');
      expect(await page.getByRole('status').textContent()).toBe(
        'Connected to SimOx 3000: waiting for measurements.',
      );
      // The page asked the browser for the Pulse Oximeter Service, as a real app must.
      const requests = await page.evaluate(
        () =>
          (globalThis as unknown as { simulatedBluetooth: { requests: unknown[] } }).simulatedBluetooth
            .requests,
      );
      expect(requests).toEqual([{ filters: [{ services: ['pulse_oximeter'] }] }]);
      expect(await page.getByRole('button', { name: 'Disconnect' }).isEnabled()).toBe(true);

      const before = Date.now();
      await notify(page);
      await page.waitForSelector('#readings [data-metric="pulse-rate"]');
      const first = await latest(page);
      const f0 = frames[0] as SimulatedFrame;
      expect(first.spo2?.slice(0, 2)).toEqual([String(f0.values.spo2), '%']);
      expect(first['pulse-rate']?.slice(0, 2)).toEqual([String(f0.values['pulse-rate']), '/min']);
      // PLX Continuous frames carry no time stamp: the time shown is when the notification came.
      const shownAt = Date.parse(first.spo2?.[2] ?? '');
      expect(shownAt).toBeGreaterThanOrEqual(before - 1000);
      expect(shownAt).toBeLessThanOrEqual(Date.now() + 1000);
      // Accessible: labelled terms, units spelled out for screen readers.
      expect(await page.locator('#readings [data-metric="spo2"] dt').textContent()).toBe(
        'Oxygen saturation (SpO2)',
      );
      expect(await page.locator('#readings [data-metric="spo2"] abbr').getAttribute('title')).toBe('percent');
      expect(await page.locator('#readings [data-metric="pulse-rate"] abbr').getAttribute('title')).toBe(
        'per minute',
      );
      await page.screenshot({ path: screenshotPath('web-bluetooth-pulse-oximeter-connected') });

      // Every further notification updates the values: the last one shown is the last one sent.
      for (let i = 1; i < frames.length; i++) await notify(page);
      const last = frames[frames.length - 1] as SimulatedFrame;
      await page.waitForFunction(
        (want) => document.querySelector('#readings [data-metric="spo2"] .value')?.textContent === want,
        String(last.values.spo2),
      );
      const now = await latest(page);
      expect(now.spo2?.[0]).toBe(String(last.values.spo2));
      expect(now['pulse-rate']?.[0]).toBe(String(last.values['pulse-rate']));
      // The values did change over the run (the patient's SpO2 is falling, the pulse rising).
      expect([now.spo2?.[0], now['pulse-rate']?.[0]]).not.toEqual([
        first.spo2?.[0],
        first['pulse-rate']?.[0],
      ]);
      expect(await page.locator('#history li').count()).toBe(10);

      // A malformed notification (truncated) is reported; the connection and values stay.
      await page.evaluate(() =>
        (
          globalThis as unknown as { simulatedBluetooth: { send(hex: string): boolean } }
        ).simulatedBluetooth.send('1c5f00'),
      );
      await page.waitForSelector('#problem:not([hidden])');
      expect(await page.getByRole('alert').textContent()).toMatch(
        /^A notification from SimOx 3000 could not be read: .*truncated/,
      );
      expect((await latest(page)).spo2?.[0]).toBe(String(last.values.spo2));
      await notify(page); // the next good frame clears the message
      await page.waitForSelector('#problem[hidden]', { state: 'attached' });

      // The device walks out of range.
      await page.evaluate(() =>
        (globalThis as unknown as { simulatedBluetooth: { dropLink(): void } }).simulatedBluetooth.dropLink(),
      );
      await page.waitForSelector('#status[data-state="disconnected"]');
      expect(await page.getByRole('status').textContent()).toBe(
        'Connection to SimOx 3000 lost. The last values shown are not live.',
      );
      const stale = await latest(page);
      expect(Object.values(stale).map((r) => r[3])).toEqual([true, true]);
      expect(await page.locator('#readings .stale-note').first().textContent()).toBe(
        ' (last value, not live)',
      );
      expect(await page.getByRole('button', { name: 'Disconnect' }).isDisabled()).toBe(true);
      await page.screenshot({ path: screenshotPath('web-bluetooth-pulse-oximeter-lost') });

      // Reconnect resumes the notifications.
      await page.getByRole('button', { name: 'Reconnect' }).click();
      await page.waitForSelector('#status[data-state="connected"]');
      await notify(page);
      await page.waitForFunction(() => !document.querySelector('#readings .reading.stale'));

      // Disconnect by the user.
      await page.getByRole('button', { name: 'Disconnect' }).click();
      await page.waitForSelector('#status[data-state="disconnected"]');
      expect(await page.getByRole('status').textContent()).toBe(
        'Disconnected from SimOx 3000. The last values shown are not live.',
      );
      const connected = await page.evaluate(() =>
        (
          globalThis as unknown as { simulatedBluetooth: { connected(): boolean } }
        ).simulatedBluetooth.connected(),
      );
      expect(connected).toBe(false);
      expect(errors).toEqual([]);
    } finally {
      await page.close();
    }
  });
});

describe('examples/web-bluetooth: other devices and situations', () => {
  it('a heart-rate strap: Heart Rate Measurement frames decoded and shown', async () => {
    const frames = simulatedFrames('heart-rate', { count: 5 });
    const { page, errors } = await openPage({ devices: [device('heart-rate', frames)] });
    try {
      await page.getByRole('button', { name: 'Connect heart-rate sensor' }).click();
      await page.waitForSelector('#status[data-state="connected"]');
      for (let i = 0; i < frames.length; i++) await notify(page);
      const last = frames[frames.length - 1] as SimulatedFrame;
      await page.waitForFunction(
        (want) => document.querySelector('#readings [data-metric="heart-rate"] .value')?.textContent === want,
        String(last.values['heart-rate']),
      );
      const shown = await latest(page);
      expect(Object.keys(shown)).toEqual(['heart-rate']);
      expect(shown['heart-rate']?.slice(0, 2)).toEqual([String(last.values['heart-rate']), '/min']);
      expect(await page.locator('#history li').count()).toBe(frames.length);
      await page.screenshot({ path: screenshotPath('web-bluetooth-heart-rate') });
      expect(errors).toEqual([]);
    } finally {
      await page.close();
    }
  });

  it('no device chosen: the page says so and stays usable', async () => {
    const { page } = await openPage({
      devices: [device('pulse-oximeter', simulatedFrames('pulse-oximeter', { count: 1 }))],
      userCancels: true,
    });
    try {
      await page.getByRole('button', { name: 'Connect pulse oximeter' }).click();
      await page.waitForSelector('#problem:not([hidden])');
      expect(await page.getByRole('alert').textContent()).toBe('No device was chosen.');
      expect(await page.getByRole('status').textContent()).toBe('Not connected');
      expect(await page.getByRole('button', { name: 'Connect pulse oximeter' }).isEnabled()).toBe(true);
    } finally {
      await page.close();
    }
  });

  it('requestDevice needs a user gesture (as in Chrome): the page only calls it from a click', async () => {
    // A call at load time, before any user gesture (playwright's evaluate would count as one).
    const atLoad = `document.addEventListener('DOMContentLoaded', () => {
      navigator.bluetooth.requestDevice({ filters: [{ services: ['pulse_oximeter'] }] })
        .then(() => 'granted', (e) => e.name)
        .then((outcome) => { globalThis.requestWithoutGesture = outcome; });
    });`;
    const { page } = await openPage(
      { devices: [device('pulse-oximeter', simulatedFrames('pulse-oximeter', { count: 1 }))] },
      atLoad,
    );
    try {
      await page.waitForFunction(() => 'requestWithoutGesture' in globalThis);
      expect(
        await page.evaluate(() => (globalThis as { requestWithoutGesture?: string }).requestWithoutGesture),
      ).toBe('SecurityError');
      await page.getByRole('button', { name: 'Connect pulse oximeter' }).click();
      await page.waitForSelector('#status[data-state="connected"]');
    } finally {
      await page.close();
    }
  });

  it('a browser without Web Bluetooth: the page explains what is needed', async () => {
    const { page } = await openPage('no-web-bluetooth');
    try {
      expect(await page.locator('#support').textContent()).toMatch(/Chrome or Edge.*https or from localhost/);
      expect(await page.getByRole('button', { name: 'Connect pulse oximeter' }).isDisabled()).toBe(true);
    } finally {
      await page.close();
    }
  });

  it('the demo page (serve --simulate): the simulated device notifies on its own timer', async () => {
    const demo = await servePage(
      withSimulatedDevice(files, {
        devices: [device('heart-rate', simulatedFrames('heart-rate', { count: 10 }))],
        intervalMs: 200,
      }),
    );
    const page = await browser.newPage();
    try {
      await page.goto(demo.url);
      await page.getByRole('button', { name: 'Connect heart-rate sensor' }).click();
      await page.waitForFunction(() => document.querySelectorAll('#history li').length >= 3);
      expect(await page.getByRole('status').textContent()).toBe(
        'Connected to SimStrap HR: receiving measurements.',
      );
    } finally {
      await page.close();
      await demo.close();
    }
  });
});
