import { describe, expect, it } from 'vitest';
import { bootFirmware } from './bootloader.js';
import { firmwareDigest } from './digest.js';
import {
  cloneMedium,
  createFirmwareStorage,
  type FirmwareStorage,
  type SlotRecord,
} from './firmware-storage.js';
import {
  collect,
  HARDWARE_ID,
  imageBytes,
  passingSelfTest,
  powerOn,
  provisionedMedium,
  T0,
  verifiedUpdate,
} from './test-fixtures/firmware-device.js';
import { createUpdateAgent } from './update-agent.js';
import type { UpdateSource } from './update-source.js';

const factory = imageBytes(1, 1000);
const release = imageBytes(2, 1300);

describe('U13 check-then-swap (install only what was verified)', () => {
  it('U13 check-then-swap: the caller mutating its buffer after handing the update over changes nothing installed or booted', async () => {
    const medium = await provisionedMedium(factory);
    const verified = await verifiedUpdate(release.slice());
    const callersBuffer = verified.image;
    let mutations = 0;
    const agent = powerOn(medium, {
      // the attacker (or a buggy source reusing its buffer) rewrites the buffer at every flash write
      powerLoss: () => {
        callersBuffer.fill(mutations++ & 0xff);
        return false;
      },
    });
    await collect(agent.start());
    const states = await collect(agent.update({ fetch: async () => verified }));
    expect(mutations).toBeGreaterThan(5);
    expect(states.at(-1)?.state).toBe('updated');
    expect(agent.storage.readSlot('b').image).toEqual(release); // the verified bytes, not the mutated ones
    const fresh = await bootFirmware(createFirmwareStorage({ medium: cloneMedium(medium) }));
    expect(fresh.running).toMatchObject({ slot: 'b', sha256: await firmwareDigest(release) });
  });

  it('U13 check-then-swap: bytes that changed between verification and receipt are refused (digest); nothing is installed', async () => {
    const medium = await provisionedMedium(factory);
    const before = cloneMedium(medium);
    const source: UpdateSource = {
      fetch: async () => {
        const verified = await verifiedUpdate(release.slice());
        verified.image.fill(0x5a); // the buffer was reused after the check, before the agent got it
        return verified;
      },
    };
    const agent = powerOn(medium);
    await collect(agent.start());
    const states = await collect(agent.update(source));
    expect(states.at(-1)).toMatchObject({ state: 'failed', reason: 'digest' });
    expect(states.map((s) => s.state)).not.toContain('installing');
    expect(agent.storage.writes).toBe(0);
    expect(medium).toEqual(before);
  });

  it('U13 check-then-swap: a storage that returns other bytes than were written is caught by the read-back; the trial is never set', async () => {
    const medium = await provisionedMedium(factory);
    const flash = createFirmwareStorage({ medium });
    const lying: FirmwareStorage = {
      ...flash,
      get writes() {
        return flash.writes;
      },
      get powered() {
        return flash.powered;
      },
      readSlot(slot) {
        const record = flash.readSlot(slot);
        const last = record.image.length - 1;
        if (slot === 'b' && record.state === 'ready') record.image[last] = (record.image[last] ?? 0) ^ 1;
        return record;
      },
    };
    const agent = createUpdateAgent({ storage: lying, hardwareId: HARDWARE_ID, selfTest: passingSelfTest });
    await collect(agent.start());
    const states = await collect(agent.update({ fetch: () => verifiedUpdate(release) }));
    expect(states.at(-1)).toMatchObject({ state: 'failed', reason: 'digest' });
    expect(states.map((s) => s.state)).not.toContain('confirming');
    expect(medium.get('boot-control')).toEqual({
      active: 'a',
      trial: null,
      trialAttempts: 0,
      confirmed: true,
    });
    expect(medium.get('slot-b')).toMatchObject({ state: 'rejected' });
    expect(medium.get('anti-rollback')).toEqual({ counter: 240 });
    const fresh = await bootFirmware(createFirmwareStorage({ medium: cloneMedium(medium) }));
    expect(fresh.running).toMatchObject({ slot: 'a', version: '2.4.0' });
  });

  it('U13 check-then-swap: an image swapped in flash after the install check is refused by the bootloader and rolled back', async () => {
    const medium = await provisionedMedium(factory);
    const evil = imageBytes(666, release.length);
    const agent = powerOn(medium, {
      powerLoss: (point) => {
        // just before the trial is set: an attacker with flash access replaces slot b's bytes
        if (point.record === 'boot-control' && point.phase === 'before' && point.index > 0) {
          const record = medium.get('slot-b') as SlotRecord;
          if (record.state === 'ready') medium.set('slot-b', { ...record, image: evil });
        }
        return false;
      },
    });
    await collect(agent.start());
    const states = await collect(agent.update({ fetch: () => verifiedUpdate(release) }));
    expect(states.map((s) => s.state)).toEqual([
      'pending',
      'downloading',
      'verifying',
      'installing',
      'confirming',
      'rolled-back',
    ]);
    expect(states.at(-1)?.detail).toContain('do not match the verified SHA-256');
    expect(states.every((s) => s.at === T0)).toBe(true);
    expect(agent.status()).toMatchObject({ running: { slot: 'a', version: '2.4.0' }, counter: 240 });
    expect(medium.get('slot-b')).toMatchObject({ state: 'rejected' });
  });
});
