import { HealthItError } from '@healthit/core';
import { UpdateRejectedError } from '@healthit/core/updates';
import { describe, expect, it } from 'vitest';
import { bootFirmware } from './bootloader.js';
import { cloneMedium, createFirmwareStorage, type FirmwareMedium } from './firmware-storage.js';
import { sensorSelfTest } from './sensor-self-test.js';
import {
  collect,
  failingSelfTest,
  imageBytes,
  NEW,
  OLD,
  powerOn,
  provisionedMedium,
  T0,
  verifiedUpdate,
} from './test-fixtures/firmware-device.js';
import { fixedUpdateSource, type UpdateSource } from './update-source.js';

const factory = imageBytes(1, 1000);
const release = imageBytes(2, 1300);

/** What a fresh device boots from (a copy of) this medium. */
async function bootsFrom(medium: FirmwareMedium) {
  return bootFirmware(createFirmwareStorage({ medium: cloneMedium(medium) }));
}

async function started(options: Parameters<typeof powerOn>[1] = {}) {
  const medium = await provisionedMedium(factory);
  const agent = powerOn(medium, options);
  expect(await collect(agent.start())).toEqual([]); // an ordinary boot has nothing to report
  return { medium, agent };
}

describe('update agent', () => {
  it('a normal update: installs into the inactive slot, boots it on trial, self-tests, confirms, and moves the counter', async () => {
    const { medium, agent } = await started();
    const states = await collect(
      agent.update(fixedUpdateSource(await verifiedUpdate(release)), {
        campaignId: 'c-7',
        targetPath: 'po-200/rev-a/2.4.1.bin',
        version: '2.4.1',
      }),
    );
    expect(states.map((s) => s.state)).toEqual([
      'pending',
      'downloading',
      'verifying',
      'installing',
      'confirming',
      'updated',
    ]);
    expect(states.every((s) => s.at === T0 && s.campaignId === 'c-7')).toBe(true);
    expect(states.at(-1)).toMatchObject({ version: '2.4.1', sequence: 241 });
    expect(agent.status()).toMatchObject({
      running: { slot: 'b', version: '2.4.1', sequence: 241, campaignId: 'c-7' },
      counter: 241,
      slots: { a: { state: 'confirmed', version: '2.4.0' }, b: { state: 'confirmed', version: '2.4.1' } },
    });
    expect(agent.storage.readSlot('b').image).toEqual(release);
    const fresh = await bootsFrom(medium);
    expect(fresh).toMatchObject({ running: { slot: 'b', version: '2.4.1' }, trial: false, counter: 241 });

    // the next release goes into the other slot, now inactive
    const next = imageBytes(3, 900);
    const again = await collect(
      agent.update(fixedUpdateSource(await verifiedUpdate(next, { version: '2.5.0', sequence: 250 }))),
    );
    expect(again.at(-1)?.state).toBe('updated');
    expect(agent.status()).toMatchObject({ running: { slot: 'a', version: '2.5.0' }, counter: 250 });
  });

  it('a failed self-test → rolled-back: the previous image runs again, the counter did not move, the new slot is rejected', async () => {
    const { medium, agent } = await started({ selfTest: failingSelfTest });
    const states = await collect(
      agent.update(fixedUpdateSource(await verifiedUpdate(release)), { campaignId: 'c-7' }),
    );
    expect(states.map((s) => s.state)).toEqual([
      'pending',
      'downloading',
      'verifying',
      'installing',
      'confirming',
      'rolled-back',
    ]);
    expect(states.at(-1)?.detail).toMatch(/self-test failed \(spo2\); rolled back to 2\.4\.0/);
    expect(agent.status()).toMatchObject({
      running: { slot: 'a', version: '2.4.0' },
      counter: OLD.sequence,
      slots: { a: { state: 'confirmed' }, b: { state: 'rejected', version: '2.4.1' } },
    });
    expect(await bootsFrom(medium)).toMatchObject({ running: { slot: 'a', version: '2.4.0' }, counter: 240 });

    // a fixed firmware passes its self-test: the same release retried now installs
    const fixed = powerOn(medium);
    expect(await collect(fixed.start())).toEqual([]);
    const retried = await collect(fixed.update(fixedUpdateSource(await verifiedUpdate(release))));
    expect(retried.at(-1)?.state).toBe('updated');
  });

  it('a self-test that gives no verdict in time fails (the watchdog) → rolled-back', async () => {
    const { agent } = await started({ selfTest: () => new Promise(() => {}), selfTestTimeoutMs: 20 });
    const states = await collect(agent.update(fixedUpdateSource(await verifiedUpdate(release))));
    expect(states.at(-1)).toMatchObject({ state: 'rolled-back' });
    expect(states.at(-1)?.detail).toContain('self-test failed (self-test)');
    expect(agent.status().counter).toBe(240);
  });

  it('U3 rollback to an older version: an image whose sequence is not above the anti-rollback counter is refused on the device; nothing is written', async () => {
    const { medium, agent } = await started();
    const before = cloneMedium(medium);
    for (const sequence of [OLD.sequence, OLD.sequence - 1, 0]) {
      const older = await verifiedUpdate(release, { version: '2.3.9', sequence });
      const states = await collect(agent.update(fixedUpdateSource(older)));
      expect(states.at(-1)).toMatchObject({ state: 'failed', reason: 'rollback', sequence });
      expect(states.map((s) => s.state)).not.toContain('installing');
    }
    expect(agent.storage.writes).toBe(0);
    expect(medium).toEqual(before);
    // after an update is confirmed, even the release that was current before is a rollback
    await collect(agent.update(fixedUpdateSource(await verifiedUpdate(release))));
    const back = await collect(agent.update(fixedUpdateSource(await verifiedUpdate(factory, OLD))));
    expect(back.at(-1)).toMatchObject({ state: 'failed', reason: 'rollback' });
    expect(agent.status()).toMatchObject({ running: { version: '2.4.1' }, counter: 241 });
  });

  it('an image for other hardware, or other than the command named, or larger than a slot, or refused by the source → failed with its reason; nothing is written', async () => {
    const { medium, agent } = await started();
    const before = cloneMedium(medium);
    const refusedBySource: UpdateSource = {
      fetch: async () => {
        throw new UpdateRejectedError('not-authorised', 'no firmware.authorize entry proves this image');
      },
    };
    const cases: [UpdateSource, Parameters<typeof agent.update>[1], string][] = [
      [
        fixedUpdateSource(await verifiedUpdate(release, NEW, { hardwareId: 'po-300.rev-c' })),
        {},
        'wrong-hardware',
      ],
      [
        fixedUpdateSource(await verifiedUpdate(release)),
        { targetPath: 'po-200/rev-a/2.4.2.bin' },
        'inconsistent',
      ],
      [fixedUpdateSource(await verifiedUpdate(release)), { version: '2.4.2' }, 'inconsistent'],
      [fixedUpdateSource(await verifiedUpdate(release, NEW, { length: 1299 })), {}, 'digest'],
      [fixedUpdateSource(await verifiedUpdate(release, NEW, { sha256: 'ab'.repeat(32) })), {}, 'digest'],
      [refusedBySource, {}, 'not-authorised'],
    ];
    for (const [source, request, reason] of cases) {
      const states = await collect(agent.update(source, request));
      expect(states.at(-1)).toMatchObject({ state: 'failed', reason });
    }
    const tooLarge = powerOn(medium, { slotBytes: 1000 });
    await collect(tooLarge.start());
    expect(
      (await collect(tooLarge.update(fixedUpdateSource(await verifiedUpdate(release))))).at(-1),
    ).toMatchObject({
      state: 'failed',
      reason: 'too-large',
    });
    const unavailable = await collect(
      agent.update({
        fetch: async () => {
          throw new HealthItError('update/unavailable', 'the gateway is unreachable');
        },
      }),
    );
    expect(unavailable.at(-1)).toMatchObject({ state: 'failed', detail: 'the gateway is unreachable' });
    expect(unavailable.at(-1)?.reason).toBeUndefined();
    expect(medium).toEqual(before);
    expect(agent.status().running?.version).toBe('2.4.0');
  });

  it('refuses to update before start() and while another update runs', async () => {
    const medium = await provisionedMedium(factory);
    const agent = powerOn(medium);
    await expect(collect(agent.update(fixedUpdateSource(await verifiedUpdate(release))))).rejects.toThrow(
      'start() the device before updating it',
    );
    await collect(agent.start());
    let release$: (() => void) | undefined;
    const slow: UpdateSource = {
      fetch: async () => {
        await new Promise<void>((resolve) => {
          release$ = resolve;
        });
        return verifiedUpdate(release);
      },
    };
    const first = collect(agent.update(slow));
    await expect(collect(agent.update(slow))).rejects.toThrow(
      'Another update or start of this device is running',
    );
    await new Promise((r) => setTimeout(r, 0));
    release$?.();
    expect((await first).at(-1)?.state).toBe('updated');
  });

  it('sensorSelfTest passes plausible readings only, and never a test that read nothing', async () => {
    const image = { slot: 'b' as const, version: '2.4.1', sequence: 241, sha256: '' };
    expect((await sensorSelfTest(() => [{ metric: 'spo2', value: 97 }])(image)).passed).toBe(true);
    const bad = await sensorSelfTest(() => [
      { metric: 'spo2', value: 97 },
      { metric: 'heart-rate', value: Number.NaN },
      { metric: 'heart-rate', value: 70 },
    ])(image);
    expect(bad).toMatchObject({ passed: false, failed: ['heart-rate'] });
    expect(await sensorSelfTest(() => [])(image)).toMatchObject({ passed: false, failed: ['sensors'] });
  });
});
