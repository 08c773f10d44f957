/**
 * Test-only: the identities, clock and model spec the artifact, approval and ledger tests share.
 * @internal
 */
import { createIdentity } from '@healthit/core';
import type { ModelSpec } from '../src/artifacts/spec.js';

const SEED = (n: number) => new Uint8Array(32).fill(n);

/** The platform service that trains and signs models. */
export const platform = createIdentity({
  id: 'platform-trainer',
  kind: 'service',
  signingSecretKey: SEED(1),
});
/** The biomedical engineer who approves them. */
export const biomed = createIdentity({ id: 'biomed-lead', kind: 'person', signingSecretKey: SEED(2) });
/** Someone with a key but no standing. */
export const mallory = createIdentity({ id: 'mallory', kind: 'person', signingSecretKey: SEED(3) });
/** A fixed clock (2025-06-01). */
export const clock = { now: () => Date.UTC(2025, 5, 1) };

/** The deterioration model's declared spec: five vitals in, one risk out. */
export const SPEC: ModelSpec = {
  inputs: [{ name: 'vitals', type: 'float32', shape: ['N', 5] }],
  outputs: [{ name: 'risk', type: 'float32', shape: ['N', 1] }],
  features: [
    { name: 'heart-rate', unit: '/min' },
    { name: 'respiratory-rate', unit: '/min' },
    { name: 'spo2', unit: '%' },
    { name: 'body-temperature', unit: 'Cel' },
    { name: 'bp-systolic', unit: 'mm[Hg]' },
  ],
  description: 'Illustrative deterioration risk; not a validated clinical model.',
};
