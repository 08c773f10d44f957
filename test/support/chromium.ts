/**
 * Test support: Debian's Chromium driven by playwright-core, for the browser tests (dashboard,
 * browser bundles, Web Bluetooth). `.ci/run` installs Chromium when it is missing; on a machine
 * without it, `apt-get install -y chromium`. Screenshots go to `test-results/screenshots/` (a CI
 * artefact; ignored by git).
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, chromium } from 'playwright-core';

/** Where Debian installs Chromium. */
export const CHROMIUM_PATH = '/usr/bin/chromium';

/** Where browser tests save their screenshots. */
export const SCREENSHOT_DIR = join(process.cwd(), 'test-results', 'screenshots');

/**
 * Launches headless Chromium. Throws with the install command when it is missing, so a test fails
 * (never skips) on a machine without it.
 */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(`Chromium is not installed at ${CHROMIUM_PATH}: run "apt-get install -y chromium"`);
  }
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
}

/** The path of a screenshot named `name` (`.png` added), creating the directory. */
export function screenshotPath(name: string): string {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  return join(SCREENSHOT_DIR, `${name}.png`);
}
