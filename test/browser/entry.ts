/**
 * The page script of the browser bundle test: what a vendor's web app does with the SDK, bundled
 * for the browser with `@healthit/core`, `@healthit/device`, `@healthit/ledger` and `@healthit/ai`.
 * It exposes `globalThis.healthit` for the test to call with data and read the results back
 * (plain JSON only: nothing of Node crosses into the page).
 */

import { sha256Hex } from '@healthit/ai';
import { isHealthItError, METRICS, type MetricId } from '@healthit/core';
import { decodeGatt, gattToReadings } from '@healthit/device';
import {
  type ProvenanceVerdict,
  type VerifyProvenanceOptions,
  verifyProvenanceBundle,
} from '@healthit/ledger';

/** A GATT notification as the test hands it over: the characteristic's 128-bit UUID and the value. */
export interface PageFrame {
  /** The characteristic's UUID as Web Bluetooth reports it (`0000 2a5f -0000-1000-8000-00805f9b34fb`). */
  readonly uuid: string;
  /** The characteristic value, in hex. */
  readonly hex: string;
}

/** What the page made of one frame. */
export type PageDecoded =
  | {
      readonly ok: true;
      /** The decoded measurement (the `decodeGatt` result). */
      readonly measurement: unknown;
      /** The core readings `gattToReadings` made of it, with the catalogue's display name. */
      readonly readings: readonly {
        readonly metric: string;
        readonly display: string;
        readonly value: number;
        readonly unit: string;
        readonly ts: number;
      }[];
    }
  | { readonly ok: false; readonly code: string; readonly message: string };

/** A verdict as the page returns it. */
export interface PageVerdict {
  readonly ok: boolean;
  readonly step?: string;
  readonly reason?: string;
  readonly steps: readonly string[];
  readonly reading?: unknown;
  readonly checkpoint?: { readonly origin: string; readonly size: number; readonly rootHash: string };
  readonly witnesses?: readonly string[];
}

/** The API the page exposes to the test. */
export interface PageApi {
  /** The browser the page runs in (proves it is not Node). */
  readonly environment: () => { userAgent: string; hasProcess: boolean; hasBuffer: boolean };
  /** Decodes notifications the way a Web Bluetooth app does: from a `DataView` over the value. */
  readonly decodeNotifications: (
    frames: readonly PageFrame[],
    context: { deviceId: string; fallbackTs: number },
  ) => PageDecoded[];
  /** Verifies a provenance bundle with the trusted keys. */
  readonly verifyProvenance: (bundle: unknown, trust: VerifyProvenanceOptions) => PageVerdict;
  /** SHA-256 of bytes given in hex, by `@healthit/ai` (WebCrypto in a browser). */
  readonly sha256: (hex: string) => Promise<string>;
}

function bytesOf(hex: string): Uint8Array {
  return Uint8Array.from(hex.match(/../g) ?? [], (h) => Number.parseInt(h, 16));
}

/**
 * The `DataView` a Web Bluetooth `characteristicvaluechanged` event carries in `target.value`; placed
 * at an offset inside a larger buffer, as a browser may, so the decoder must honour `byteOffset`.
 */
function notificationValue(hex: string): DataView {
  const bytes = bytesOf(hex);
  const buffer = new ArrayBuffer(bytes.length + 8);
  new Uint8Array(buffer).fill(0xee).set(bytes, 3);
  return new DataView(buffer, 3, bytes.length);
}

function displayOf(metric: string): string {
  return Object.hasOwn(METRICS, metric) ? METRICS[metric as MetricId].display : metric;
}

let seq = 0;

/** Appends a line to the page's log (what the screenshot shows). */
function show(text: string): void {
  const item = document.createElement('li');
  item.textContent = text;
  document.getElementById('log')?.append(item);
}

function decodeOne(frame: PageFrame, context: { deviceId: string; fallbackTs: number }): PageDecoded {
  try {
    const measurement = decodeGatt(frame.uuid, notificationValue(frame.hex));
    const { readings } = gattToReadings(measurement, {
      deviceId: context.deviceId,
      seq: () => seq++,
      fallbackTs: context.fallbackTs,
    });
    for (const r of readings) show(`${displayOf(r.metric)}: ${r.value} ${r.unit}`);
    return {
      ok: true,
      measurement,
      readings: readings.map((r) => ({
        metric: r.metric,
        display: displayOf(r.metric),
        value: r.value,
        unit: r.unit,
        ts: r.ts,
      })),
    };
  } catch (error) {
    // A malformed notification is data for the app (show it, keep listening), not a crash.
    if (isHealthItError(error)) {
      show(`refused frame ${frame.hex}: ${error.code}`);
      return { ok: false, code: error.code, message: error.message };
    }
    throw error;
  }
}

function pageVerdict(verdict: ProvenanceVerdict): PageVerdict {
  const steps = verdict.steps.map((s) => s.step);
  show(verdict.ok ? 'provenance: verified' : `provenance: refused at ${verdict.step}`);
  if (!verdict.ok) return { ok: false, step: verdict.step, reason: verdict.reason, steps };
  return {
    ok: true,
    steps,
    reading: verdict.reading,
    checkpoint: verdict.checkpoint,
    witnesses: verdict.witnesses,
  };
}

const api: PageApi = {
  environment: () => ({
    userAgent: navigator.userAgent,
    hasProcess: 'process' in globalThis,
    hasBuffer: 'Buffer' in globalThis,
  }),
  decodeNotifications: (frames, context) => frames.map((f) => decodeOne(f, context)),
  verifyProvenance: (bundle, trust) => pageVerdict(verifyProvenanceBundle(bundle, trust)),
  sha256: (hex) => sha256Hex(bytesOf(hex)),
};

(globalThis as { healthit?: PageApi }).healthit = api;
document.getElementById('status')?.replaceChildren('ready');
