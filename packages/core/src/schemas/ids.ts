import { z } from 'zod';

/**
 * Identifier characters safe in MQTT topic levels, NATS subjects, file names and URLs:
 * letters, digits, `.`, `_`, `-`, `:`; 1–128 characters, starting with a letter or digit.
 */
export const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;
const ID_MESSAGE =
  'must be 1-128 characters of letters, digits, ".", "_", "-", ":", starting with a letter or digit';

/** A device's identifier (branded string). */
export const DeviceId = z.string().regex(ID_PATTERN, ID_MESSAGE).brand<'DeviceId'>();
export type DeviceId = z.infer<typeof DeviceId>;

/** A patient's identifier (branded string). */
export const PatientId = z.string().regex(ID_PATTERN, ID_MESSAGE).brand<'PatientId'>();
export type PatientId = z.infer<typeof PatientId>;

/** Epoch milliseconds (UTC). */
export const EpochMs = z.number().int().nonnegative();
export type EpochMs = z.infer<typeof EpochMs>;

/** Brands a string as a {@link DeviceId}, validating it. @throws {ZodError} when malformed. */
export const deviceId = (id: string): DeviceId => DeviceId.parse(id);
/** Brands a string as a {@link PatientId}, validating it. @throws {ZodError} when malformed. */
export const patientId = (id: string): PatientId => PatientId.parse(id);
