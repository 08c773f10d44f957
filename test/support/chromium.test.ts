import { describe, expect, it } from 'vitest';
import { launchChromium } from './chromium.js';

describe('launchChromium', () => {
  it('runs a page in Debian Chromium and reads back what its script computed', async () => {
    const browser = await launchChromium();
    try {
      const page = await browser.newPage();
      await page.setContent(
        '<p id="out"></p><script>document.getElementById("out").textContent = String(6 * 7)</script>',
      );
      expect(await page.textContent('#out')).toBe('42');
    } finally {
      await browser.close();
    }
  });
});
