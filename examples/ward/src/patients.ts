import type { PatientId } from '@healthit/core';
import {
  SCENARIOS,
  type ScenarioDefinition,
  type ScenarioMix,
  type SimulatedPatient,
} from '@healthit/device';

/**
 * The quick start's scenario weights: the simulator's default ward (mostly stable, a few
 * deteriorating or hypoxic) plus one patient in 20 with COPD and hypercapnic respiratory failure
 * (the simulator's chronic `copd` scenario, NEWS2 SpO2 Scale 2), so that the default 20-patient
 * ward shows Scale 2 taking effect. With fewer patients the share may round to none: pass
 * `scenarioMix` (e.g. `{ stable: 1, copd: 1 }`) to have one.
 */
export const WARD_SCENARIO_MIX: ScenarioMix = Object.freeze({
  stable: 0.75,
  deteriorating: 0.1,
  hypoxic: 0.1,
  copd: 0.05,
});

/**
 * Controlled oxygen for a patient with hypercapnic respiratory failure: 1 L/min by nasal cannula,
 * target SpO2 88–92 % (BTS oxygen guideline 2017). The simulator gets this flow and the FHIR server
 * the prescription, so device data and the clinical record agree.
 */
export const CONTROLLED_OXYGEN_LPM = 1;

/** A simulated patient as the ward's clinical record sees them. */
export interface WardPatient {
  readonly patientId: PatientId;
  /** The simulator's headline scenario. */
  readonly scenario: string;
  /** Hypercapnic respiratory failure (a chronic scenario with SpO2 Scale 2, e.g. `copd`). */
  readonly hypercapnic: boolean;
  /** Oxygen flow from the start of the run, L/min (absent: on room air). */
  readonly oxygenLpm?: number;
}

/** True when the patient's course includes a condition that puts them on NEWS2 SpO2 Scale 2. */
export function isHypercapnic(patient: Pick<SimulatedPatient, 'timeline'>): boolean {
  return patient.timeline.some((phase) => (SCENARIOS[phase.name] as ScenarioDefinition).spo2Scale === 2);
}

/** The ward's patients: who is hypercapnic, and who is on (controlled) oxygen from the start. */
export function wardPatients(patients: readonly SimulatedPatient[]): WardPatient[] {
  return patients.map((p) => {
    const hypercapnic = isHypercapnic(p);
    return {
      patientId: p.patientId,
      scenario: p.scenario.name,
      hypercapnic,
      ...(hypercapnic ? { oxygenLpm: CONTROLLED_OXYGEN_LPM } : {}),
    };
  });
}
