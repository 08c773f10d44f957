import { firmwareDigest } from './digest.js';
import type { FirmwareStorage } from './firmware-storage.js';

/** The image a device leaves the factory with. */
export interface FactoryImage {
  /** The image bytes, written to slot `a`. */
  readonly image: Uint8Array;
  /** The image's firmware version, e.g. `2.4.0`. */
  readonly version: string;
  /** Its SUIT sequence number; the anti-rollback counter starts here. */
  readonly sequence: number;
}

/**
 * Provisions blank firmware storage at the factory: the image in slot `a`, confirmed and active,
 * slot `b` empty, the anti-rollback counter at the image's sequence.
 * @throws {RangeError} when the storage already holds a boot-control record, or for a sequence that
 * is not an integer ≥ 0.
 * @example
 * ```ts
 * const storage = createFirmwareStorage();
 * await provisionFirmware(storage, { image: factoryImage, version: '2.4.0', sequence: 240 });
 * ```
 */
export async function provisionFirmware(storage: FirmwareStorage, factory: FactoryImage): Promise<void> {
  if (storage.readBootControl() !== undefined)
    throw new RangeError('The firmware storage is already provisioned');
  if (!Number.isSafeInteger(factory.sequence) || factory.sequence < 0) {
    throw new RangeError(`sequence must be an integer ≥ 0, got ${factory.sequence}`);
  }
  const image = factory.image.slice();
  storage.writeSlot('a', {
    state: 'confirmed',
    version: factory.version,
    sequence: factory.sequence,
    sha256: await firmwareDigest(image),
    length: image.length,
    image,
  });
  storage.writeCounter(factory.sequence);
  storage.writeBootControl({ active: 'a', trial: null, trialAttempts: 0, confirmed: true });
}
