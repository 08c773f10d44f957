import { HealthItError } from '@healthit/core';
import { firmwareDigest } from './digest.js';
import {
  type BootControl,
  type FirmwareStorage,
  otherSlot,
  type SlotId,
  type SlotRecord,
  type SlotState,
} from './firmware-storage.js';

/** Default of {@link BootOptions.maxTrialBoots}: a new image is booted once on trial. */
export const DEFAULT_MAX_TRIAL_BOOTS = 1;

/** An image the bootloader booted (or gave up on). */
export interface BootedImage {
  /** The slot the image is in, `a` or `b`. */
  readonly slot: SlotId;
  /** The image's firmware version, e.g. `2.4.1`. */
  readonly version: string;
  /**
   * The image's SUIT sequence number; the anti-rollback counter moves up to it once the image is confirmed.
   */
  readonly sequence: number;
  /** Lowercase hex SHA-256 of the image, as verified before install. */
  readonly sha256: string;
  /** The campaign the image was installed for, when known. */
  readonly campaignId?: string;
}

/** A trial image the bootloader rolled back from, and why. */
export interface RolledBackImage extends BootedImage {
  /** Why the trial was given up on, e.g. `not confirmed after 1 trial boot` or `not bootable: …`. */
  readonly reason: string;
}

/** What one boot did. */
export interface BootResult {
  /** The image that runs now. */
  readonly running: BootedImage;
  /**
   * True when `running` is a new image on its trial boot: the firmware must self-test it and
   * confirm it (`confirmTrial`), or reboot without confirming, and the bootloader rolls back.
   */
  readonly trial: boolean;
  /** The trial image this boot gave up on (not confirmed in time, or not bootable) and why. */
  readonly rolledBack?: RolledBackImage;
  /** The anti-rollback counter after this boot. */
  readonly counter: number;
}

/** Options of {@link bootFirmware}. */
export interface BootOptions {
  /** Trial boots a new image gets before the bootloader rolls back (an integer ≥ 1). Default 1. */
  readonly maxTrialBoots?: number;
}

/**
 * No slot holds a bootable image (the device is bricked: it needs service). The update flow never
 * leads here, whatever the power does; tampering with both slots or the counter does.
 */
export class BootError extends HealthItError {
  /** Always `BootError`. */
  override readonly name = 'BootError';
  /**
   * Creates the error, with code `state/invalid`.
   * @param message - What makes the device unbootable, e.g. `No bootable image: …`.
   * @param detail - Facts for diagnosis, carried as the error's `detail`, e.g. why each slot was
   *   refused (`refusals`) and the anti-rollback `counter`. Default none.
   */
  constructor(message: string, detail: Readonly<Record<string, unknown>> = {}) {
    super('state/invalid', message, { detail });
  }
}

function imageOf(slot: SlotId, record: SlotRecord): BootedImage {
  return {
    slot,
    version: record.version,
    sequence: record.sequence,
    sha256: record.sha256,
    ...(record.campaignId === undefined ? {} : { campaignId: record.campaignId }),
  };
}

/**
 * Why `record` must not boot, or `undefined` when it may: its state is one of `states`, its SUIT
 * sequence is not below the anti-rollback counter, and its bytes are exactly `length` long with the
 * SHA-256 recorded when the verified update was installed.
 */
async function unbootable(
  record: SlotRecord,
  states: readonly SlotState[],
  counter: number,
): Promise<string | undefined> {
  if (!states.includes(record.state)) return `its state is ${record.state}`;
  if (record.sequence < counter) {
    return `its sequence ${record.sequence} is below the anti-rollback counter ${counter}`;
  }
  if (record.image.length !== record.length) {
    return `it holds ${record.image.length} of ${record.length} bytes`;
  }
  if ((await firmwareDigest(record.image)) !== record.sha256) {
    return `its bytes do not match the verified SHA-256 ${record.sha256.slice(0, 12)}…`;
  }
  return undefined;
}

/**
 * The bootloader: decides which slot boots, checking the image before it boots it.
 *
 * 1. A pending trial (`trial` set in the boot control) is booted once as a trial: the attempt is
 *    counted (written) first, then the image is checked (`ready`, sequence ≥ counter, digest).
 *    When the attempts are used up without a confirmation (a self-test failed, or the power went
 *    before the firmware confirmed), or the trial image is not bootable, the boot control goes
 *    back to the previous slot and the trial slot is marked `rejected` (rolled back).
 * 2. Otherwise the active slot boots if its image is `confirmed` and checks out; if not, the
 *    other slot does, under the same checks (and becomes active).
 * 3. Booting a confirmed active image whose sequence is above the counter moves the counter to it
 *    (finishing a confirmation the power interrupted): the counter only ever moves after a
 *    confirmed boot.
 *
 * Never boots an image whose digest does not match its slot record or whose sequence is below the
 * counter. Writes go through the storage's power-loss injector like any other.
 * @throws {BootError} when no slot can boot (or the device was never provisioned).
 * @throws {PowerLossError} when the power is cut during one of its writes.
 * @example
 * ```ts
 * const boot = await bootFirmware(storage);
 * if (boot.trial) await confirmOrRollBack(boot.running);
 * ```
 */
export async function bootFirmware(storage: FirmwareStorage, options: BootOptions = {}): Promise<BootResult> {
  const maxTrialBoots = options.maxTrialBoots ?? DEFAULT_MAX_TRIAL_BOOTS;
  if (!Number.isSafeInteger(maxTrialBoots) || maxTrialBoots < 1) {
    throw new RangeError(`maxTrialBoots must be an integer ≥ 1, got ${maxTrialBoots}`);
  }
  let control = storage.readBootControl();
  if (control === undefined) throw new BootError('No boot-control record: the device was never provisioned');
  let counter = storage.readCounter();
  let rolledBack: RolledBackImage | undefined;

  if (control.trial !== null) {
    const slot = control.trial;
    const record = storage.readSlot(slot);
    let reason: string | undefined;
    if (slot === control.active) {
      reason = 'the trial slot is the active slot';
    } else if (control.trialAttempts >= maxTrialBoots) {
      reason = `not confirmed after ${control.trialAttempts} trial boot${control.trialAttempts === 1 ? '' : 's'}`;
    } else {
      storage.writeBootControl({ ...control, trialAttempts: control.trialAttempts + 1 });
      reason = await unbootable(record, ['ready', 'confirmed'], counter);
      if (reason === undefined) return { running: imageOf(slot, record), trial: true, counter };
      reason = `not bootable: ${reason}`;
    }
    const back: BootControl = { active: control.active, trial: null, trialAttempts: 0, confirmed: true };
    storage.writeBootControl(back);
    if (record.state !== 'rejected' && slot !== control.active)
      storage.writeSlot(slot, { ...record, state: 'rejected' });
    rolledBack = { ...imageOf(slot, record), reason };
    control = back;
  }

  const refusals: string[] = [];
  for (const slot of [control.active, otherSlot(control.active)]) {
    const record = storage.readSlot(slot);
    const reason = await unbootable(record, ['confirmed'], counter);
    if (reason !== undefined) {
      refusals.push(`slot ${slot}: ${reason}`);
      continue;
    }
    if (slot !== control.active) {
      control = { active: slot, trial: null, trialAttempts: 0, confirmed: true };
      storage.writeBootControl(control);
    }
    if (control.confirmed && record.sequence > counter) {
      storage.writeCounter(record.sequence);
      counter = record.sequence;
    }
    return {
      running: imageOf(slot, record),
      trial: false,
      ...(rolledBack === undefined ? {} : { rolledBack }),
      counter,
    };
  }
  throw new BootError(`No bootable image: ${refusals.join('; ')}`, { refusals, counter });
}
