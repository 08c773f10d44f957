import { createIdentity, issueOwnershipVoucher } from '@healthit/core';
import { createFakeClock } from '@healthit/core/testing';
import { describe, expect, it } from 'vitest';
import { createDeviceRegistry, type RegistryChange } from './device-registry.js';

const T0 = Date.UTC(2026, 0, 1);
const stMary = createIdentity({ id: 'st-mary', kind: 'service' });
const cityHospital = createIdentity({ id: 'city', kind: 'service' });
const orgKeys = new Map([
  [`st-mary/${stMary.keyId}`, stMary.signing.publicKey],
  [`city/${cityHospital.keyId}`, cityHospital.signing.publicKey],
]);
const orgKey = (org: string, kid: string) => orgKeys.get(`${org}/${kid}`);

function setup() {
  const clock = createFakeClock(T0);
  const registry = createDeviceRegistry({ clock });
  const device = createIdentity({ id: 'pump-3', kind: 'device' });
  registry.register(
    { deviceId: 'pump-3', publicKey: device.signing.publicKey, owner: 'st-mary', state: 'active' },
    { by: 'biomed', reason: 'x' },
  );
  return { clock, registry };
}

const voucher = (from: typeof stMary, fromOrg: string, to: string, expiresAt = T0 + 86_400_000) =>
  issueOwnershipVoucher(
    { deviceId: 'pump-3', from: fromOrg, to, issuedAt: T0, expiresAt },
    { keyId: from.keyId, secretKey: from.signing.secretKey },
  );

function reasonOf(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    return (e as { detail?: { reason?: string } }).detail?.reason ?? (e as Error).message;
  }
  return undefined;
}

describe('ownership transfer by signed voucher', () => {
  it('the owner’s voucher moves the device to the new organisation, recorded with who and why', () => {
    const { registry } = setup();
    const changes: RegistryChange[] = [];
    registry.changes$.subscribe((c) => changes.push(c));
    expect(
      registry.transferOwnership(JSON.parse(JSON.stringify(voucher(stMary, 'st-mary', 'city'))), orgKey)
        .owner,
    ).toBe('city');
    expect(changes).toMatchObject([
      { type: 'owner-changed', deviceId: 'pump-3', from: 'st-mary', to: 'city', by: 'st-mary' },
    ]);
  });

  it('attack: a voucher from an organisation that does not own the device, altered, expired or replayed → refused', () => {
    const { registry, clock } = setup();
    expect(reasonOf(() => registry.transferOwnership(voucher(cityHospital, 'city', 'city'), orgKey))).toBe(
      'not-owner',
    );
    const altered = { ...voucher(stMary, 'st-mary', 'city'), to: 'mallory-clinic' };
    expect(reasonOf(() => registry.transferOwnership(altered, orgKey))).toBe('bad-signature');
    const forgedKid = voucher(cityHospital, 'st-mary', 'city'); // city's key claiming to be st-mary's
    expect(reasonOf(() => registry.transferOwnership(forgedKid, orgKey))).toBe('unknown-key');
    const old = voucher(stMary, 'st-mary', 'city', T0 + 1000);
    clock.advance(2000);
    expect(reasonOf(() => registry.transferOwnership(old, orgKey))).toBe('expired');
    const good = voucher(stMary, 'st-mary', 'city', T0 + 86_400_000);
    registry.transferOwnership(good, orgKey);
    expect(reasonOf(() => registry.transferOwnership(good, orgKey))).toBe('not-owner'); // replayed after the move
    expect(registry.get('pump-3')?.owner).toBe('city');
  });
});
