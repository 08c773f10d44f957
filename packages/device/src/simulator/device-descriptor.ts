import { DeviceDescriptor, type DeviceId, type PatientId, parse } from '@healthit/core';
import { VITAL_METRICS } from './vital-signs.js';

/** The manufacturer name simulated monitors report. */
export const SIMULATOR_MANUFACTURER = 'Health-IT SDK';
/** The model name simulated monitors report. */
export const SIMULATOR_MODEL = 'Simulated vital-signs monitor';

/**
 * The core {@link DeviceDescriptor} of a simulated bedside monitor: role `sensor`, protocol
 * `simulator`, measuring every vital sign in `VITAL_METRICS`, attached to `patientId`.
 *
 * @throws {ValidationError} when an id is malformed.
 * @example
 * ```ts
 * simulatedMonitorDescriptor(deviceId('monitor-001'), patientId('patient-001'));
 * ```
 */
export function simulatedMonitorDescriptor(id: DeviceId, patientId: PatientId): DeviceDescriptor {
  return parse(DeviceDescriptor, 'DeviceDescriptor', {
    id,
    role: 'sensor',
    protocol: 'simulator',
    manufacturer: SIMULATOR_MANUFACTURER,
    model: SIMULATOR_MODEL,
    metrics: [...VITAL_METRICS],
    patientId,
  });
}
