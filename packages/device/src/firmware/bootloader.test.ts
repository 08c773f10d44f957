import { describe, expect, it } from 'vitest';
import { BootError, bootFirmware } from './bootloader.js';
import { firmwareDigest } from './digest.js';
import { createFirmwareStorage, type FirmwareMedium, type SlotRecord } from './firmware-storage.js';
import { cutPowerAt, PowerLossError, recordWritePoints } from './power-loss.js';
import { provisionFirmware } from './provision.js';
import { imageBytes, OLD, provisionedMedium } from './test-fixtures/firmware-device.js';

const factory = imageBytes(1, 700);
const next = imageBytes(2, 800);

/** Puts `image` into slot b as an installer would (state `ready` unless said otherwise). */
async function slotB(
  medium: FirmwareMedium,
  image: Uint8Array,
  fields: Partial<SlotRecord> = {},
): Promise<void> {
  const record: SlotRecord = {
    state: 'ready',
    version: '2.4.1',
    sequence: 241,
    sha256: await firmwareDigest(image),
    length: image.length,
    image,
    ...fields,
  };
  medium.set('slot-b', structuredClone(record));
}

const control = (medium: FirmwareMedium) => medium.get('boot-control');
const counter = (medium: FirmwareMedium) => (medium.get('anti-rollback') as { counter: number }).counter;

describe('bootloader', () => {
  it('boots the confirmed active slot; an unprovisioned device has nothing to boot', async () => {
    const medium = await provisionedMedium(factory);
    const storage = createFirmwareStorage({ medium });
    expect(await bootFirmware(storage)).toEqual({
      running: { slot: 'a', version: '2.4.0', sequence: 240, sha256: await firmwareDigest(factory) },
      trial: false,
      counter: 240,
    });
    expect(storage.writes).toBe(0);
    await expect(bootFirmware(createFirmwareStorage())).rejects.toThrow(BootError);
    await expect(provisionFirmware(storage, { image: factory, ...OLD })).rejects.toThrow(
      'already provisioned',
    );
  });

  it('boots a pending trial once; unconfirmed, the next boot rolls back to the previous slot and rejects the trial', async () => {
    const medium = await provisionedMedium(factory);
    await slotB(medium, next, { campaignId: 'c-7' });
    medium.set('boot-control', { active: 'a', trial: 'b', trialAttempts: 0, confirmed: false });
    const first = await bootFirmware(createFirmwareStorage({ medium }));
    expect(first).toMatchObject({ running: { slot: 'b', version: '2.4.1' }, trial: true, counter: 240 });
    expect(control(medium)).toMatchObject({ trialAttempts: 1 }); // counted before it booted
    const second = await bootFirmware(createFirmwareStorage({ medium }));
    expect(second).toMatchObject({
      running: { slot: 'a', version: '2.4.0' },
      trial: false,
      rolledBack: {
        slot: 'b',
        version: '2.4.1',
        campaignId: 'c-7',
        reason: 'not confirmed after 1 trial boot',
      },
      counter: 240,
    });
    expect(control(medium)).toEqual({ active: 'a', trial: null, trialAttempts: 0, confirmed: true });
    expect(medium.get('slot-b')).toMatchObject({ state: 'rejected' });
    expect(counter(medium)).toBe(240);
  });

  it('never boots an image whose bytes do not match its slot record: a corrupted trial is rolled back at once', async () => {
    const medium = await provisionedMedium(factory);
    const tampered = next.slice();
    tampered[5] = (tampered[5] ?? 0) ^ 1;
    await slotB(medium, next);
    (medium.get('slot-b') as SlotRecord).image.set(tampered);
    medium.set('boot-control', { active: 'a', trial: 'b', trialAttempts: 0, confirmed: false });
    const boot = await bootFirmware(createFirmwareStorage({ medium }));
    expect(boot).toMatchObject({ running: { slot: 'a' }, trial: false, rolledBack: { slot: 'b' } });
    expect(boot.rolledBack?.reason).toContain('do not match the verified SHA-256');
  });

  it('never boots a half-written image', async () => {
    const medium = await provisionedMedium(factory);
    await slotB(medium, next.subarray(0, 300), { length: next.length, sha256: await firmwareDigest(next) });
    medium.set('boot-control', { active: 'a', trial: 'b', trialAttempts: 0, confirmed: false });
    const boot = await bootFirmware(createFirmwareStorage({ medium }));
    expect(boot.rolledBack?.reason).toBe('not bootable: it holds 300 of 800 bytes');
    expect(boot.running.slot).toBe('a');
  });

  it('a corrupted active image falls back to the other confirmed slot only if its sequence is not below the counter', async () => {
    const medium = await provisionedMedium(factory);
    await slotB(medium, next, { state: 'confirmed', version: '2.3.9', sequence: 239 });
    const active = (medium.get('slot-a') as SlotRecord).image;
    active[0] = (active[0] ?? 0) ^ 0xff;
    await expect(bootFirmware(createFirmwareStorage({ medium }))).rejects.toThrow(
      /No bootable image: slot a: its bytes do not match .*; slot b: its sequence 239 is below the anti-rollback counter 240/,
    );
    await slotB(medium, next, { state: 'confirmed', version: '2.4.1', sequence: 241 });
    const boot = await bootFirmware(createFirmwareStorage({ medium }));
    expect(boot).toMatchObject({ running: { slot: 'b', version: '2.4.1' }, counter: 241 });
    expect(control(medium)).toMatchObject({ active: 'b' });
  });

  it('finishes a confirmation the power interrupted: a confirmed active image above the counter moves it', async () => {
    const medium = await provisionedMedium(factory);
    await slotB(medium, next, { state: 'confirmed' });
    medium.set('boot-control', { active: 'b', trial: null, trialAttempts: 0, confirmed: true });
    expect(counter(medium)).toBe(240);
    expect(await bootFirmware(createFirmwareStorage({ medium }))).toMatchObject({
      running: { slot: 'b' },
      counter: 241,
    });
    expect(counter(medium)).toBe(241);
  });

  it('a damaged anti-rollback counter fails closed: nothing boots', async () => {
    const medium = await provisionedMedium(factory);
    medium.set('anti-rollback', { counter: -1 });
    await expect(bootFirmware(createFirmwareStorage({ medium }))).rejects.toThrow(BootError);
  });

  it('every bootloader write passes the power-loss injector; a cut storage refuses everything after', async () => {
    const medium = await provisionedMedium(factory);
    await slotB(medium, next);
    medium.set('boot-control', { active: 'a', trial: 'b', trialAttempts: 0, confirmed: false });
    const points = recordWritePoints();
    await bootFirmware(createFirmwareStorage({ medium: structuredClone(medium), powerLoss: points }));
    expect(points.points).toEqual([
      { index: 0, phase: 'before', record: 'boot-control', step: 0 },
      { index: 0, phase: 'after', record: 'boot-control', step: 1 },
    ]);
    const storage = createFirmwareStorage({ medium, powerLoss: cutPowerAt(0) });
    await expect(bootFirmware(storage)).rejects.toThrow(PowerLossError);
    expect(storage.powered).toBe(false);
    expect(() => storage.readCounter()).toThrow(PowerLossError);
    expect(control(medium)).toMatchObject({ trialAttempts: 0 }); // cut before the write: unchanged
  });
});
