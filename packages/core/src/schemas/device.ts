import { z } from 'zod';
import { MetricId } from '../metrics/catalogue.js';
import { DeviceId, PatientId } from './ids.js';

/** What a device is for. */
export const DeviceRole = z.enum(['sensor', 'actuator', 'sensor-actuator']);
export type DeviceRole = z.infer<typeof DeviceRole>;

/** The protocol a device speaks to its gateway. */
export const DeviceProtocol = z.enum(['ble-gatt', 'hl7v2', 'mqtt-json', 'openmhealth', 'simulator']);
export type DeviceProtocol = z.infer<typeof DeviceProtocol>;

/** What the gateway and the platform know about a device. */
export const DeviceDescriptor = z.strictObject({
  id: DeviceId,
  role: DeviceRole,
  protocol: DeviceProtocol,
  manufacturer: z.string().min(1),
  model: z.string().min(1),
  serialNumber: z.string().min(1).optional(),
  firmwareVersion: z.string().min(1).optional(),
  /** The metrics the device measures (empty for a pure actuator). */
  metrics: z.array(MetricId),
  /** The patient the device is attached to, when it is. */
  patientId: PatientId.optional(),
  /** The device's Ed25519 public key (base64url), once onboarded. */
  publicKey: z.string().min(1).optional(),
});
export type DeviceDescriptor = z.infer<typeof DeviceDescriptor>;
