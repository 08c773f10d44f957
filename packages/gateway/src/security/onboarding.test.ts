import {
  createIdentity,
  type Identity,
  type LedgerRecord,
  type LedgerSink,
  proveEnrolment,
  signAttestation,
  toBase64Url,
} from '@healthit/core';
import { createFakeClock } from '@healthit/core/testing';
import { describe, expect, it } from 'vitest';
import { createDeviceRegistry } from './device-registry.js';
import { createOnboarding, type EnrolmentRequest } from './onboarding.js';

const T0 = Date.UTC(2026, 0, 1);
const acme = createIdentity({ id: 'acme', kind: 'service' });
const rogue = createIdentity({ id: 'rogue', kind: 'service' });

/** A ledger port that keeps what it is given (the records are what the test checks). */
function recordingLedger(fail = false): LedgerSink & { records: LedgerRecord[] } {
  const records: LedgerRecord[] = [];
  return {
    records,
    async append(batch) {
      if (fail) throw new Error('ledger unreachable');
      records.push(...batch);
      return batch.map((_, i) => ({
        logId: 'test',
        index: records.length - batch.length + i,
        entryHash: '0'.repeat(64),
      }));
    },
    async receipt() {
      return undefined;
    },
  };
}

function setup(options: { ledgerFails?: boolean } = {}) {
  const clock = createFakeClock(T0);
  const registry = createDeviceRegistry({ clock });
  const ledger = recordingLedger(options.ledgerFails);
  const onboarding = createOnboarding({
    registry,
    gatewayId: 'gateway-1',
    owner: 'st-mary',
    trustedManufacturers: (m, kid) =>
      m === 'acme' && kid === acme.keyId ? acme.signing.publicKey : undefined,
    ledger,
    clock,
  });
  return { clock, registry, ledger, onboarding };
}

/** A device's whole enrolment request, with `change` applied to its parts. */
function request(
  t: ReturnType<typeof setup>,
  device: Identity,
  change: {
    serial?: string;
    attestBy?: Identity;
    token?: string;
    proveWith?: Identity;
    challenge?: string;
    gatewayId?: string;
  } = {},
): EnrolmentRequest {
  const attestation = signAttestation(
    {
      manufacturer: 'acme',
      model: 'PM-100',
      serial: change.serial ?? 'SN-1',
      publicKey: device.signing.publicKey,
      sealingKey: device.sealing.publicKey,
      issuedAt: T0 - 1000,
    },
    { keyId: acme.keyId, secretKey: (change.attestBy ?? acme).signing.secretKey },
  );
  const challenge = change.challenge ?? t.onboarding.challenge().challenge;
  const token = change.token ?? t.onboarding.issueToken({ serial: 'SN-1', expiresInMs: 3_600_000 });
  const proof = proveEnrolment(
    {
      challenge,
      deviceId: device.id,
      gatewayId: change.gatewayId ?? 'gateway-1',
      serial: attestation.serial,
    },
    (change.proveWith ?? device).signing.secretKey,
  );
  return { deviceId: device.id, attestation, token, challenge, proof };
}

describe('createOnboarding', () => {
  it('enrols an attested device that proves its key with a valid token: recorded on the ledger, registered active, token disabled', async () => {
    const t = setup();
    const device = createIdentity({ id: 'monitor-7', kind: 'device' });
    const req = request(t, device);
    const result = await t.onboarding.enrol(req);
    expect(result.ok).toBe(true);
    expect(t.registry.get('monitor-7')).toMatchObject({ state: 'active' });
    expect(t.registry.activeKey('monitor-7', device.keyId)).toEqual(device.signing.publicKey);
    expect(t.registry.get('monitor-7')?.sealingKey).toEqual(device.sealing.publicKey);
    expect(t.ledger.records).toEqual([
      {
        type: 'device-onboarded',
        body: {
          device: 'monitor-7',
          owner: 'st-mary',
          model: 'PM-100',
          publicKey: Buffer.from(device.signing.publicKey).toString('hex'),
        },
      },
    ]);
  });

  it('attack: a forged attestation (signed by an untrusted key, or altered after signing) → refused, nothing registered', async () => {
    const t = setup();
    const device = createIdentity({ id: 'monitor-7', kind: 'device' });
    const byRogue = await t.onboarding.enrol(request(t, device, { attestBy: rogue }));
    expect(byRogue).toMatchObject({ ok: false, reason: 'attestation-forged' }); // acme's kid, rogue's signature
    const altered = request(t, device);
    const tampered = { ...altered, attestation: { ...(altered.attestation as object), serial: 'SN-2' } };
    expect(await t.onboarding.enrol(tampered)).toMatchObject({ ok: false, reason: 'attestation-forged' });
    const unknownMaker = request(t, device);
    const other = {
      ...unknownMaker,
      attestation: { ...(unknownMaker.attestation as object), manufacturer: 'globex' },
    };
    expect(await t.onboarding.enrol(other)).toMatchObject({ ok: false, reason: 'attestation-untrusted' });
    expect(await t.onboarding.enrol({ ...request(t, device), attestation: { hello: 1 } })).toMatchObject({
      ok: false,
      reason: 'attestation-malformed',
    });
    expect(t.registry.size).toBe(0);
    expect(t.ledger.records).toEqual([]);
  });

  it('attack: a reused token, an expired token, a token for another serial → refused', async () => {
    const t = setup();
    const first = request(t, createIdentity({ id: 'monitor-7', kind: 'device' }));
    expect((await t.onboarding.enrol(first)).ok).toBe(true);
    const second = createIdentity({ id: 'monitor-8', kind: 'device' });
    expect(await t.onboarding.enrol(request(t, second, { token: first.token }))).toMatchObject({
      ok: false,
      reason: 'token-unknown',
    });
    const short = t.onboarding.issueToken({ expiresInMs: 1_000 });
    t.clock.advance(2_000);
    expect(await t.onboarding.enrol(request(t, second, { token: short }))).toMatchObject({
      ok: false,
      reason: 'token-expired',
    });
    expect(await t.onboarding.enrol(request(t, second, { serial: 'SN-9' }))).toMatchObject({
      ok: false,
      reason: 'token-mismatch',
    });
    expect(
      await t.onboarding.enrol(request(t, second, { token: toBase64Url(new Uint8Array(32)) })),
    ).toMatchObject({ ok: false, reason: 'token-unknown' });
    expect(t.registry.get('monitor-8')).toBeUndefined();
  });

  it('attack: no proof of possession (signed by another key, for another gateway), or a replayed or unknown challenge → refused', async () => {
    const t = setup();
    const device = createIdentity({ id: 'monitor-7', kind: 'device' });
    const thief = createIdentity({ id: 'monitor-7', kind: 'device' });
    // a thief holding a copy of the attestation and a token, but not the device key
    expect(await t.onboarding.enrol(request(t, device, { proveWith: thief }))).toMatchObject({
      ok: false,
      reason: 'proof-invalid',
    });
    expect(await t.onboarding.enrol(request(t, device, { gatewayId: 'gateway-2' }))).toMatchObject({
      ok: false,
      reason: 'proof-invalid',
    });
    expect(
      await t.onboarding.enrol(request(t, device, { challenge: toBase64Url(new Uint8Array(32).fill(1)) })),
    ).toMatchObject({
      ok: false,
      reason: 'challenge-unknown',
    });
    const { challenge } = t.onboarding.challenge();
    const ok = request(t, device, { challenge });
    expect((await t.onboarding.enrol(ok)).ok).toBe(true);
    const again = createIdentity({ id: 'monitor-8', kind: 'device' });
    expect(await t.onboarding.enrol(request(t, again, { challenge }))).toMatchObject({
      ok: false,
      reason: 'challenge-unknown',
    });
  });

  it('an expired challenge, a taken device id, and a ledger that cannot record → refused; the token survives a failed recording', async () => {
    const t = setup();
    const device = createIdentity({ id: 'monitor-7', kind: 'device' });
    const { challenge } = t.onboarding.challenge();
    t.clock.advance(60_001);
    expect(await t.onboarding.enrol(request(t, device, { challenge }))).toMatchObject({
      ok: false,
      reason: 'challenge-unknown',
    });
    expect((await t.onboarding.enrol(request(t, device))).ok).toBe(true);
    expect(
      await t.onboarding.enrol(request(t, createIdentity({ id: 'monitor-7', kind: 'device' }))),
    ).toMatchObject({
      ok: false,
      reason: 'already-registered',
    });
    const down = setup({ ledgerFails: true });
    const req = request(down, device);
    const failed = await down.onboarding.enrol(req);
    expect(failed).toMatchObject({ ok: false, reason: 'audit-failed' });
    expect(failed.ok ? undefined : failed.error.retryable).toBe(true);
    expect(down.registry.size).toBe(0);
  });
});
