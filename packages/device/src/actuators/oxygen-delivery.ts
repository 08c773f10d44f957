import { PatientId } from '@healthit/core';
import { map, type OperatorFunction } from 'rxjs';

/** The oxygen a patient receives, as the patient simulator consumes it. */
export interface PatientOxygen {
  /** The patient the concentrator is attached to, as given to {@link oxygenDelivery}. */
  readonly patientId: PatientId;
  /** Delivered flow, L/min (0 = room air). */
  readonly flowLpm: number;
  /** Epoch ms. */
  readonly ts: number;
}

/**
 * Tags an oxygen concentrator's delivered flow (`flow$`) with the patient it is attached to, so the
 * simulated patient's SpO2 can respond to it.
 *
 * @throws {RangeError} when `patientId` is not a valid patient id.
 * @example
 * ```ts
 * const oxygen$ = concentrator.flow$.pipe(oxygenDelivery('patient-007'));
 * ```
 */
export function oxygenDelivery(
  patientId: string,
): OperatorFunction<{ readonly flowLpm: number; readonly ts: number }, PatientOxygen> {
  const parsed = PatientId.safeParse(patientId);
  if (!parsed.success) {
    throw new RangeError(
      `patientId "${String(patientId)}" is not a valid patient id (1-128 letters, digits, ".", "_", "-", ":")`,
    );
  }
  const id = parsed.data;
  return map(({ flowLpm, ts }) => Object.freeze({ patientId: id, flowLpm, ts }));
}
