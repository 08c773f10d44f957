import { createIdentity, isHealthItError } from '@healthit/core';
import { createFakeClock } from '@healthit/core/testing';
import { describe, expect, it } from 'vitest';
import { createDeviceRegistry, type RegistryChange } from './device-registry.js';

const BIOMED = { by: 'biomed:ana', reason: 'ward 3 monitor' };

describe('createDeviceRegistry', () => {
  it('runs the lifecycle pending → active ⇄ suspended → decommissioned, each change an audit record with who and why', () => {
    const clock = createFakeClock(1_000);
    const registry = createDeviceRegistry({ clock });
    const changes: RegistryChange[] = [];
    registry.changes$.subscribe((c) => changes.push(c));
    const device = createIdentity({ id: 'monitor-7', kind: 'device' });
    registry.register({ deviceId: 'monitor-7', publicKey: device.signing.publicKey }, BIOMED);
    expect(registry.activeKey('monitor-7', device.keyId)).toBeUndefined(); // pending: not heard
    registry.setState('monitor-7', 'active', { by: 'biomed:ana', reason: 'onboarded' });
    expect(registry.activeKey('monitor-7', device.keyId)).toEqual(device.signing.publicKey);
    registry.setState('monitor-7', 'suspended', { by: 'nurse:bo', reason: 'moved without a transfer' });
    expect(registry.activeKey('monitor-7', device.keyId)).toBeUndefined();
    registry.setState('monitor-7', 'active', { by: 'biomed:ana', reason: 'checked' });
    clock.advance(5);
    registry.setState('monitor-7', 'decommissioned', { by: 'biomed:ana', reason: 'end of life' });
    expect(registry.get('monitor-7')?.keys[0]?.revokedAt).toBe(1_005); // its keys go with it
    expect(
      changes.map((c) => (c.type === 'state-changed' ? `${c.from}→${c.to} by ${c.by}` : c.type)),
    ).toEqual([
      'registered',
      'pending→active by biomed:ana',
      'active→suspended by nurse:bo',
      'suspended→active by biomed:ana',
      'active→decommissioned by biomed:ana',
    ]);
    expect(changes[2]).toMatchObject({ reason: 'moved without a transfer', at: 1_000 });
  });

  it('refuses transitions the lifecycle does not allow, a second registration, unknown devices and bad keys', () => {
    const registry = createDeviceRegistry();
    const device = createIdentity({ id: 'monitor-7', kind: 'device' });
    registry.register({ deviceId: 'monitor-7', publicKey: device.signing.publicKey }, BIOMED);
    expect(() => registry.setState('monitor-7', 'suspended', BIOMED)).toThrow(
      /cannot go from pending to suspended/,
    );
    registry.setState('monitor-7', 'decommissioned', BIOMED);
    expect(() => registry.setState('monitor-7', 'active', BIOMED)).toThrow(/decommissioned to active/);
    expect(() =>
      registry.register({ deviceId: 'monitor-7', publicKey: device.signing.publicKey }, BIOMED),
    ).toThrow(/already registered/);
    expect(() => registry.setState('nobody', 'active', BIOMED)).toThrow(/not registered/);
    expect(() => registry.register({ deviceId: 'x', publicKey: new Uint8Array(32) }, BIOMED)).toThrow(
      /Ed25519/,
    );
    const full = createDeviceRegistry({ maxDevices: 1 });
    full.register({ deviceId: 'a', publicKey: device.signing.publicKey }, BIOMED);
    const error = (() => {
      try {
        full.register({ deviceId: 'b', publicKey: device.signing.publicKey }, BIOMED);
      } catch (e) {
        return e;
      }
    })();
    expect(isHealthItError(error, 'buffer/overflow')).toBe(true);
  });

  it('key rotation: both keys are heard until the old one is revoked; revocation takes effect at once', () => {
    const registry = createDeviceRegistry();
    const old = createIdentity({ id: 'monitor-7', kind: 'device' });
    const next = createIdentity({ id: 'monitor-7', kind: 'device' });
    registry.register({ deviceId: 'monitor-7', publicKey: old.signing.publicKey, state: 'active' }, BIOMED);
    registry.addKey('monitor-7', next.signing.publicKey, { by: 'gateway', reason: 'yearly rotation' });
    expect(registry.activeKey('monitor-7', old.keyId)).toBeDefined();
    expect(registry.activeKey('monitor-7', next.keyId)).toBeDefined();
    registry.revokeKey('monitor-7', old.keyId, { by: 'gateway', reason: 'rotation done' });
    expect(registry.activeKey('monitor-7', old.keyId)).toBeUndefined();
    expect(registry.activeKey('monitor-7', next.keyId)).toBeDefined();
    expect(() => registry.revokeKey('monitor-7', 'nope', BIOMED)).toThrow(/has no key/);
  });
});
