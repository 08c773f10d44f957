import type { EntryBody, EntryKind, EntrySigner, UnsignedEntry } from '../src/entries/index.js';
import { ZERO_HASH } from '../src/entries/index.js';
import { ledgerKeyFromSeed } from '../src/key.js';

/** The log origin used in the entry tests. */
export const ORIGIN = 'ledger.example.org/cold-chain';
/** A fixed producer time. */
export const T0 = Date.UTC(2026, 0, 1);

/** A signer with a deterministic key (seed bytes all `n`) and its public key. */
export function signer(n: number, keyId = `org-${n}.key`): EntrySigner & { publicKey: Uint8Array } {
  const key = ledgerKeyFromSeed(new Uint8Array(32).fill(n));
  return { keyId, secretKey: key.secretKey, publicKey: key.publicKey };
}

const D = (c: string): string => c.repeat(64);

/** A valid body of every kind. */
export const BODIES: { [K in EntryKind]: EntryBody<K> } = {
  'reading.batch': {
    device: 'logger-7',
    count: 3,
    firstSeq: 10,
    lastSeq: 12,
    firstTs: T0,
    lastTs: T0 + 2000,
    root: D('a'),
    patient: D('b'),
  },
  'custody.transfer': {
    from: 'acme-pharma',
    to: 'fast-freight',
    shipment: 'SHP-2026-0001',
    lots: ['LOT-1', 'LOT-2'],
    quantity: 1200,
    conditions: { tempMinMilliCelsius: 2100, tempMaxMilliCelsius: 7900, excursions: 0, sealIntact: true },
  },
  'config.change': { target: 'logger-7', version: 3, digest: D('c'), reason: 'sample every 60 s' },
  'firmware.authorize': {
    imageDigest: D('d'),
    version: '2.4.1',
    hardwareIds: ['tl-100.rev-b', 'tl-100.rev-c'],
  },
  'firmware.rollout.device-state': {
    campaign: 'po-200-2.4.1',
    device: 'po-17',
    cause: 'report',
    from: 'installing',
    to: 'rolled-back',
    wave: 2,
    at: T0,
    reportedAt: T0 - 500,
    detail: 'self-test failed: SpO2 sensor silent',
    version: '2.4.0',
  },
  'firmware.rollout.campaign': {
    campaign: 'po-200-2.4.1',
    decision: 'aborted',
    phase: 'aborted',
    wave: 2,
    waveCount: 4,
    at: T0,
    by: 'system:rollouts',
    reason: 'failure rate 22 % >= 20 % in wave 2',
    population: 200,
    assigned: 20,
    counts: {
      pending: 180,
      downloading: 0,
      verifying: 0,
      installing: 0,
      confirming: 0,
      updated: 16,
      failed: 0,
      'rolled-back': 4,
    },
  },
  'model.approve': {
    modelId: 'sepsis-early-warning',
    version: '1.2.0',
    digest: D('e'),
    metrics: { auroc: 0.91, sensitivity: 0.85 },
    intendedUse: 'adult inpatients',
  },
  'policy.update': { policyId: 'consortium-membership', version: 2, digest: D('f'), effectiveFrom: T0 },
  'device.onboarded': { device: 'logger-7', owner: 'fast-freight', model: 'TL-100', publicKey: D('1') },
  'key.revoke': { keyId: 'org-3.key', reason: 'compromised', effectiveFrom: T0 },
  'device.decommissioned': { device: 'logger-7', reason: 'end-of-life', dataWiped: true },
  'security.event': {
    severity: 'high',
    category: 'tamper',
    subject: 'logger-7',
    description: 'enclosure opened in transit',
  },
};

/** An unsigned entry of `kind` with the sample body, first in its stream unless told otherwise. */
export function unsigned<K extends EntryKind>(
  kind: K,
  overrides: Partial<{ stream: string; seq: number; prev: string; ts: number; body: EntryBody<K> }> = {},
): UnsignedEntry {
  return {
    origin: ORIGIN,
    kind,
    stream: overrides.stream ?? 'device:logger-7',
    seq: overrides.seq ?? 0,
    prev: overrides.prev ?? ZERO_HASH,
    ts: overrides.ts ?? T0,
    body: overrides.body ?? BODIES[kind],
  } as UnsignedEntry;
}
