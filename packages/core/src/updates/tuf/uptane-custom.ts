import { z } from 'zod';
import { isFirmwareVersion } from './firmware-version.js';

const id = z.string().min(1).max(128);
const version = z.string().refine(isFirmwareVersion, 'a firmware version like 2.4.1');

/**
 * The `custom` object of a target in the image repository: what the image is. Other fields are
 * kept (e.g. a SUIT manifest path).
 */
export const ImageTargetCustom = z.looseObject({ hardwareId: id, version });
export type ImageTargetCustom = z.infer<typeof ImageTargetCustom>;

/** The `custom` object of a target in a device's director metadata: the assignment. */
export const DirectorTargetCustom = z.looseObject({ hardwareId: id, deviceId: id, version });
export type DirectorTargetCustom = z.infer<typeof DirectorTargetCustom>;
