/**
 * Test fixtures of the firmware tests (not part of the package API): images, verified updates,
 * provisioned devices, self-tests.
 */
import { createFakeClock } from '@healthit/core/testing';
import type { VerifiedUpdate } from '@healthit/core/updates';
import { lastValueFrom, type Observable, toArray } from 'rxjs';
import { firmwareDigest } from '../digest.js';
import { createFirmwareStorage, type FirmwareMedium } from '../firmware-storage.js';
import type { PowerLossInjector } from '../power-loss.js';
import { provisionFirmware } from '../provision.js';
import { type FirmwareSelfTest, sensorSelfTest } from '../sensor-self-test.js';
import { createUpdateAgent, type UpdateAgent, type UpdateStateChange } from '../update-agent.js';

export const HARDWARE_ID = 'po-200.rev-a';
export const T0 = Date.UTC(2026, 2, 1, 8);
export const OLD = { version: '2.4.0', sequence: 240 } as const;
export const NEW = { version: '2.4.1', sequence: 241 } as const;

/** Deterministic image bytes: `length` bytes from a seed (a small LCG). */
export function imageBytes(seed: number, length: number): Uint8Array {
  const bytes = new Uint8Array(length);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x = (Math.imul(x, 1_664_525) + 1_013_904_223) >>> 0;
    bytes[i] = x >>> 24;
  }
  return bytes;
}

/** A verified update of `image` (as the verifying client would hand it over). */
export async function verifiedUpdate(
  image: Uint8Array,
  release: { readonly version: string; readonly sequence: number } = NEW,
  overrides: Partial<VerifiedUpdate> = {},
): Promise<VerifiedUpdate> {
  return {
    targetPath: `po-200/rev-a/${release.version}.bin`,
    version: release.version,
    sequence: release.sequence,
    hardwareId: HARDWARE_ID,
    sha256: await firmwareDigest(image),
    length: image.length,
    image,
    ...overrides,
  };
}

/** Sensors that read like a patient: the self-test passes. */
export const passingSelfTest: FirmwareSelfTest = sensorSelfTest(() => [
  { metric: 'spo2', value: 97 },
  { metric: 'heart-rate', value: 72 },
]);

/** Firmware that broke the SpO2 sensor: it reads 12 %, not plausible; the self-test fails. */
export const failingSelfTest: FirmwareSelfTest = sensorSelfTest(() => [
  { metric: 'spo2', value: 12 },
  { metric: 'heart-rate', value: 72 },
]);

/** A blank medium provisioned with the factory image (`OLD`). */
export async function provisionedMedium(factoryImage: Uint8Array): Promise<FirmwareMedium> {
  const storage = createFirmwareStorage();
  await provisionFirmware(storage, { image: factoryImage, ...OLD });
  return storage.medium;
}

/** One power-on of a device over `medium`: its storage and agent (not yet started). */
export function powerOn(
  medium: FirmwareMedium,
  options: {
    readonly powerLoss?: PowerLossInjector;
    readonly selfTest?: FirmwareSelfTest;
    readonly chunkBytes?: number;
    readonly selfTestTimeoutMs?: number;
    readonly slotBytes?: number;
  } = {},
): UpdateAgent {
  const storage = createFirmwareStorage({
    medium,
    ...(options.powerLoss === undefined ? {} : { powerLoss: options.powerLoss }),
  });
  return createUpdateAgent({
    storage,
    hardwareId: HARDWARE_ID,
    selfTest: options.selfTest ?? passingSelfTest,
    chunkBytes: options.chunkBytes ?? 256,
    clock: createFakeClock(T0),
    ...(options.selfTestTimeoutMs === undefined ? {} : { selfTestTimeoutMs: options.selfTestTimeoutMs }),
    ...(options.slotBytes === undefined ? {} : { slotBytes: options.slotBytes }),
  });
}

/** Every state change of a run, once it completes. */
export function collect(run: Observable<UpdateStateChange>): Promise<UpdateStateChange[]> {
  return lastValueFrom(run.pipe(toArray()));
}
