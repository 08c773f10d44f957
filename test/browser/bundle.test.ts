/**
 * The SDK as vendors embed it in a web or mobile-web app: `@healthit/core`, `@healthit/device`,
 * `@healthit/ledger` and `@healthit/ai` bundled by esbuild for the browser (the build fails on any
 * Node built-in), served on a local page under a strict Content-Security-Policy, and run in
 * Chromium: the page decodes Bluetooth GATT notifications of a pulse oximeter (PLX Continuous
 * Measurement 0x2A5F) and a heart-rate strap (0x2A37) from the project's test vectors, and verifies
 * a reading's provenance bundle built in Node by the ledger, refusing tampered ones.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Reading } from '@healthit/core';
import { decodeGatt, gattToReadings } from '@healthit/device';
import { anchorReadings, buildProvenanceBundle, type ProvenanceBundle } from '@healthit/ledger';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStack, logKey, type Stack } from '../../packages/ledger/src/provenance/test-fixtures/stack.js';
import { launchChromium, screenshotPath } from '../support/chromium.js';
import {
  bundleForBrowser,
  type PageServer,
  ROOT,
  type SizeReport,
  servePage,
  sizeReport,
} from './browser-bundle.js';
import type { PageApi, PageDecoded, PageFrame, PageVerdict } from './entry.js';

interface Vector {
  readonly id: string;
  readonly characteristic: string;
  readonly hex: string;
  readonly valid: boolean;
  readonly spec_mandated?: boolean;
  readonly expected: Record<string, unknown>;
  readonly tolerance?: number;
}

const VECTORS = (
  JSON.parse(readFileSync(join(ROOT, 'packages/device/test/vectors/gatt/gatt-vectors.json'), 'utf8')) as {
    vectors: Vector[];
  }
).vectors;

/** The 128-bit UUID Web Bluetooth reports for a 16-bit characteristic. */
const uuid128 = (uuid16: number) => `0000${uuid16.toString(16).padStart(4, '0')}-0000-1000-8000-00805f9b34fb`;
const PLX = 0x2a5f;
const HEART_RATE = 0x2a37;

/** The vectors of one characteristic: the valid ones, and the invalid ones the standard mandates refusing. */
function vectorsOf(uuid16: number) {
  const mine = VECTORS.filter((v) => v.characteristic.startsWith(`0x${uuid16.toString(16).toUpperCase()}`));
  return {
    valid: mine.filter((v) => v.valid),
    invalid: mine.filter((v) => !v.valid && v.spec_mandated !== false),
  };
}

/** Derived keys of the heart-rate vectors, computed from the raw 1/1024 s RR intervals. */
function derived(measurement: Record<string, unknown>): Record<string, unknown> {
  const raw = measurement.rrIntervalsRaw1024;
  if (!Array.isArray(raw)) return measurement;
  return {
    ...measurement,
    rrIntervalsMsFloor: raw.map((r: number) => Math.floor((r * 1000) / 1024)),
    rrIntervalsSeconds: raw.map((r: number) => r / 1024),
  };
}

/** Asserts `actual` has every field of `expected` (numbers within `tolerance`; `note` is a comment). */
function expectFields(actual: unknown, expected: unknown, tolerance: number, path: string): void {
  if (typeof expected === 'number') {
    expect(typeof actual, `${path} is a number`).toBe('number');
    expect(Math.abs((actual as number) - expected), `${path}: ${actual} vs ${expected}`).toBeLessThanOrEqual(
      tolerance,
    );
  } else if (Array.isArray(expected)) {
    expect(actual, `${path} is an array`).toBeInstanceOf(Array);
    expect((actual as unknown[]).length, `${path}.length`).toBe(expected.length);
    expected.forEach((e, i) => {
      expectFields((actual as unknown[])[i], e, tolerance, `${path}[${i}]`);
    });
  } else if (expected !== null && typeof expected === 'object') {
    for (const [key, value] of Object.entries(expected)) {
      if (key !== 'note')
        expectFields((actual as Record<string, unknown>)[key], value, tolerance, `${path}.${key}`);
    }
  } else {
    expect(actual, path).toBe(expected);
  }
}

const PAGE_HTML = `<!doctype html>
<html lang="en">
  <head><meta charset="utf-8"><title>Health-IT SDK in the browser</title></head>
  <body>
    <h1>Health-IT SDK bundle</h1>
    <p id="status">loading</p>
    <ul id="log"></ul>
    <script type="module" src="/app.js"></script>
  </body>
</html>`;

/**
 * What the page's bundle weighs, unminified and minified, and the minified bundle of the four root
 * entries whole (nothing tree-shaken: the upper bound). Written to test-results/ as an artefact.
 */
const sizes: { unminified?: SizeReport; minified?: SizeReport; wholeRootsMinified?: SizeReport } = {};

/** Every export of the four browser-safe root entries, kept (namespace objects defeat tree-shaking). */
const WHOLE_ROOTS = `
import * as core from '@healthit/core';
import * as device from '@healthit/device';
import * as ledger from '@healthit/ledger';
import * as ai from '@healthit/ai';
export { core, device, ledger, ai };
`;

let server: PageServer;
let browser: Browser;
let page: Page;
const pageErrors: string[] = [];

/** Calls the page's API with JSON arguments and returns its JSON result. */
async function inPage<K extends keyof PageApi>(
  name: K,
  ...args: Parameters<PageApi[K]>
): Promise<Awaited<ReturnType<PageApi[K]>>> {
  return page.evaluate(
    ([fn, fnArgs]) =>
      (
        (globalThis as unknown as { healthit: Record<string, (...a: unknown[]) => unknown> }).healthit[
          fn
        ] as (...a: unknown[]) => unknown
      )(...fnArgs),
    [name, args] as const,
  ) as Promise<Awaited<ReturnType<PageApi[K]>>>;
}

beforeAll(async () => {
  const entry = { path: join(import.meta.dirname, 'entry.ts') };
  const plain = await bundleForBrowser(entry);
  const minified = await bundleForBrowser(entry, { minify: true });
  const [plainOut] = plain.outputFiles;
  const [minOut] = minified.outputFiles;
  if (!plainOut || !minOut) throw new Error('esbuild wrote no bundle');
  sizes.unminified = sizeReport(plainOut.contents, plain.metafile);
  sizes.minified = sizeReport(minOut.contents, minified.metafile);
  const whole = await bundleForBrowser({ contents: WHOLE_ROOTS }, { minify: true });
  sizes.wholeRootsMinified = sizeReport(whole.outputFiles[0]?.contents ?? new Uint8Array(), whole.metafile);
  const out = join(ROOT, 'test-results');
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, 'browser-bundle-sizes.json'), `${JSON.stringify(sizes, null, 2)}\n`);

  server = await servePage(
    new Map([
      ['/', ['text/html; charset=utf-8', PAGE_HTML]],
      ['/app.js', ['text/javascript; charset=utf-8', minOut.contents]],
    ]),
  );
  browser = await launchChromium();
  page = await browser.newPage();
  page.on('pageerror', (e) => pageErrors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') pageErrors.push(`console: ${m.text()}`);
  });
  await page.goto(server.url);
  await page.waitForFunction(() => document.getElementById('status')?.textContent === 'ready');
}, 60_000);

afterAll(async () => {
  await page?.screenshot({ path: screenshotPath('browser-bundle'), fullPage: true });
  await browser?.close();
  await server?.close();
});

describe('bundling the SDK for the browser', () => {
  it('fails the build on a Node built-in, with or without node: (control)', async () => {
    await expect(bundleForBrowser({ contents: "import 'node:crypto';" })).rejects.toThrow(
      /Node built-in "node:crypto"/,
    );
    await expect(
      bundleForBrowser({ contents: "import { readFileSync } from 'fs'; readFileSync;" }),
    ).rejects.toThrow(/Node built-in "fs"/);
    // A Node-only subpath of the SDK is refused the same way.
    await expect(bundleForBrowser({ contents: "import '@healthit/ledger/file';" })).rejects.toThrow(
      /Node built-in "node:/,
    );
  });

  it('bundles core, device, ledger and ai from their sources with no Node built-in', async () => {
    const { metafile } = await bundleForBrowser({ path: join(import.meta.dirname, 'entry.ts') });
    const inputs = Object.keys(metafile.inputs);
    for (const pkg of ['core', 'device', 'ledger', 'ai']) {
      expect(
        inputs.some((i) => i.startsWith(`packages/${pkg}/src/`)),
        pkg,
      ).toBe(true);
    }
    // Nothing swapped for an empty module by a `browser` field either.
    expect(inputs.filter((i) => i.includes('(disabled)'))).toEqual([]);
    expect(sizes.minified?.byPackage['@healthit/device']).toBeGreaterThan(0);
    // A budget that catches an accidental heavy dependency (measured: ~0.55 MB minified, most of it zod).
    expect(sizes.minified?.bytes).toBeLessThan(800_000);
    expect(sizes.minified?.gzipBytes).toBeLessThan(200_000);
  });

  it('every export of the four root entries bundles too (no tree-shaking hides an import)', () => {
    // Built in beforeAll with the same no-Node-built-ins plugin; it would have thrown otherwise.
    const whole = sizes.wholeRootsMinified;
    expect(Object.keys(whole?.byPackage ?? {})).toEqual(
      expect.arrayContaining(['@healthit/core', '@healthit/device', '@healthit/ledger', '@healthit/ai']),
    );
    expect(whole?.bytes).toBeGreaterThan(sizes.minified?.bytes ?? 0);
  });

  it('runs in Chromium, not Node, under a strict Content-Security-Policy', async () => {
    const env = await inPage('environment');
    expect(env.userAgent).toMatch(/Chrome\//);
    expect(env.hasProcess).toBe(false);
    expect(env.hasBuffer).toBe(false);
    expect(pageErrors).toEqual([]);
  });
});

describe('in the page: GATT notifications as a Web Bluetooth app receives them', () => {
  const context = { deviceId: 'plx-1', fallbackTs: Date.UTC(2025, 5, 1, 9) };

  for (const [name, uuid16] of [
    ['PLX Continuous Measurement (0x2A5F)', PLX],
    ['Heart Rate Measurement (0x2A37)', HEART_RATE],
  ] as const) {
    it(`${name}: every valid vector decodes to its expected fields and readings`, async () => {
      const { valid } = vectorsOf(uuid16);
      expect(valid.length).toBeGreaterThanOrEqual(uuid16 === PLX ? 4 : 20);
      const frames: PageFrame[] = valid.map((v) => ({ uuid: uuid128(uuid16), hex: v.hex }));
      const decoded = await inPage('decodeNotifications', frames, context);
      valid.forEach((v, i) => {
        const d = decoded[i] as PageDecoded;
        expect(d.ok ? 'decoded' : `${d.code}: ${d.message}`, v.id).toBe('decoded');
        if (!d.ok) return;
        expectFields(derived(d.measurement as Record<string, unknown>), v.expected, v.tolerance ?? 0, v.id);
        // Same readings as the decoder gives in Node.
        const inNode = gattToReadings(decodeGatt(uuid16, hexBytes(v.hex)), { ...context, seq: 0 });
        expect(
          d.readings.map((r) => [r.metric, r.value, r.unit, r.ts]),
          v.id,
        ).toEqual(inNode.readings.map((r) => [r.metric, r.value, r.unit, r.ts]));
      });
      if (uuid16 === PLX) {
        // The pulse oximeter's two readings: SpO2 in % and pulse rate per minute (gatt-059, a full frame).
        const full = decoded[valid.findIndex((v) => v.id === 'gatt-059')] as PageDecoded & { ok: true };
        expect(full.readings.map((r) => [r.metric, r.display, r.value, r.unit])).toEqual([
          ['spo2', 'Oxygen saturation (SpO2)', 99, '%'],
          ['pulse-rate', 'Pulse rate (pulse oximetry)', 97, '/min'],
        ]);
      } else {
        const hr = decoded[valid.findIndex((v) => v.id === 'gatt-003')] as PageDecoded & { ok: true };
        expect(hr.readings.map((r) => [r.metric, r.value, r.unit])).toEqual([['heart-rate', 85, '/min']]);
      }
    });

    it(`${name}: malformed notifications are refused as codec errors, and the page keeps going`, async () => {
      const { invalid } = vectorsOf(uuid16);
      const frames: PageFrame[] = [
        ...invalid.map((v) => ({ uuid: uuid128(uuid16), hex: v.hex })),
        // Truncated: a frame cut in the middle of its first value.
        { uuid: uuid128(uuid16), hex: uuid16 === PLX ? '0064' : '01' },
      ];
      const decoded = await inPage('decodeNotifications', frames, context);
      expect(decoded.map((d) => (d.ok ? 'decoded' : d.code))).toEqual(frames.map(() => 'codec/decode'));
      // ...and a good frame right after still decodes.
      const [after] = await inPage(
        'decodeNotifications',
        [{ uuid: uuid128(PLX), hex: '0064005A00' }],
        context,
      );
      expect(after?.ok && after.readings.map((r) => r.value)).toEqual([100, 90]);
    });
  }
});

/** A bundle as plain, mutable JSON. */
interface MutableBundle {
  reading: { value: number };
  entry: { proof: string[] };
  checkpoint: string;
}

function hexBytes(hex: string): Uint8Array {
  return Uint8Array.from(hex.match(/../g) ?? [], (h) => Number.parseInt(h, 16));
}

describe("in the page: verifying a reading's provenance bundle", () => {
  /** The full PLX frame of the vectors (gatt-059), decoded in Node by the gateway side. */
  const FRAME = VECTORS.find((v) => v.id === 'gatt-059')?.hex ?? '';
  const FALLBACK_TS = Date.UTC(2025, 5, 1, 9, 30);
  let stack: Stack;
  let bundle: ProvenanceBundle;
  let proven: Reading;
  let trust: { logKey: string; witnesses: string[] };

  beforeAll(async () => {
    // Node: the gateway decodes the oximeter's frame, anchors the readings in a witnessed log and
    // builds the SpO2 reading's bundle.
    stack = createStack({ witnessCount: 2 });
    const batch = gattToReadings(decodeGatt(PLX, hexBytes(FRAME)), {
      deviceId: 'plx-1',
      patientId: 'patient-42',
      seq: 1,
      fallbackTs: FALLBACK_TS,
    }).readings;
    const anchored = await anchorReadings(stack.sink, 'plx-1', batch);
    const checkpointNote = await stack.log.awaitCheckpoint(stack.log.size - 1);
    proven = anchored.readings.find((r) => r.metric === 'spo2') as Reading;
    bundle = buildProvenanceBundle({
      reading: proven,
      batchReadings: anchored.readings,
      log: stack.log,
      index: anchored.receipt.index,
      checkpointNote,
    });
    trust = { logKey: stack.logVkey, witnesses: [...stack.witnessVkeys] };
  });

  afterAll(async () => {
    await stack?.log.close();
  });

  it('verifies the bundle offline with the log key and both witnesses', async () => {
    const verdict: PageVerdict = await inPage('verifyProvenance', JSON.parse(JSON.stringify(bundle)), trust);
    expect(verdict.ok ? 'ok' : `${verdict.step}: ${verdict.reason}`).toBe('ok');
    expect(verdict.steps).toEqual([
      'bundle',
      'reading',
      'entry',
      'batch-match',
      'reading-inclusion',
      'checkpoint-signature',
      'checkpoint-origin',
      'witnesses',
      'log-inclusion',
    ]);
    expect(verdict.reading).toEqual(proven);
    expect(verdict.witnesses).toEqual(['witness.example/w1', 'witness.example/w2']);
    expect(verdict.checkpoint?.origin).toBe('ledger.example.org/ward');
    expect(verdict.checkpoint?.size).toBe(stack.log.size);
  });

  it('the proven reading is the one the page decodes from the same notification', async () => {
    const [decoded] = await inPage('decodeNotifications', [{ uuid: uuid128(PLX), hex: FRAME }], {
      deviceId: 'plx-1',
      fallbackTs: FALLBACK_TS,
    });
    expect(decoded?.ok).toBe(true);
    const spo2 = decoded?.ok ? decoded.readings.find((r) => r.metric === 'spo2') : undefined;
    expect([spo2?.value, spo2?.unit, spo2?.ts]).toEqual([proven.value, proven.unit, proven.ts]);
    expect(proven.value).toBe(99);
  });

  it('refuses tampered bundles, naming the step that failed', async () => {
    const copy = () => JSON.parse(JSON.stringify(bundle)) as MutableBundle;
    const cases: [string, unknown, Record<string, unknown>, string][] = [];
    const raised = copy();
    raised.reading.value = 100; // a better SpO2 than was measured
    cases.push(['a changed value', raised, trust, 'reading-inclusion']);
    const moved = copy();
    moved.checkpoint = moved.checkpoint.replace(
      /\n(\d+)\n/,
      (_: string, n: string) => `\n${Number(n) + 1}\n`,
    );
    cases.push(['a changed checkpoint size', moved, trust, 'checkpoint-signature']);
    const otherProof = copy();
    otherProof.entry.proof = [...otherProof.entry.proof].reverse();
    otherProof.entry.proof[0] = 'ab'.repeat(32);
    cases.push(['a forged log proof', otherProof, trust, 'log-inclusion']);
    cases.push(['an unknown log key', copy(), { ...trust, logKey: logKey(99).vkey }, 'checkpoint-signature']);
    cases.push(['a bundle that is not one', { format: 'something-else' }, trust, 'bundle']);

    for (const [what, tampered, keys, step] of cases) {
      const verdict = await inPage('verifyProvenance', tampered, keys as typeof trust);
      expect(verdict.ok ? 'ok' : verdict.step, what).toBe(step);
    }
  });

  it('@healthit/ai hashes in the page (WebCrypto) as Node does', async () => {
    const entryBytes = Buffer.from(bundle.entry.bytes, 'base64');
    expect(await inPage('sha256', entryBytes.toString('hex'))).toBe(
      createHash('sha256').update(entryBytes).digest('hex'),
    );
    expect(pageErrors).toEqual([]);
  });
});
