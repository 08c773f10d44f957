/**
 * The seeded clinical patient simulator: patients with physiology, scenarios on a timeline, their
 * devices with sensor faults, ground truth on every tick, in real or virtual time. Browser-safe.
 * @packageDocumentation
 */
export {
  CIRCADIAN_RHYTHMS,
  type CircadianRhythm,
  type CircadianRhythms,
  circadianOffset,
} from './circadian.js';
export {
  SIMULATOR_MANUFACTURER,
  SIMULATOR_MODEL,
  simulatedMonitorDescriptor,
} from './device-descriptor.js';
export {
  type DeviceSample,
  MAX_PENDING_RR_INTERVALS,
  type SimulationEvent,
} from './device-process.js';
export {
  type BatteryOptions,
  DEVICE_KIND_NAMES,
  DEVICE_KINDS,
  type DeviceKind,
  type DeviceKindDefinition,
  type DeviceSpec,
  MAX_DEVICES_PER_PATIENT,
  type ResolvedBattery,
  type SimulatedDevice,
} from './devices.js';
export type { Delivery, OxygenSetting, SimulationRun, SimulationTick } from './engine.js';
export {
  type AppliedFault,
  DEFAULT_FAULT_DURATIONS_MS,
  type DeviceFaults,
  type EpisodicFault,
  type FaultKind,
  type FaultWindow,
  MAX_DELAY_TICKS,
  type ResolvedEpisodicFault,
  type ResolvedFaults,
} from './faults.js';
export { type OuStep, ouAdvance, ouStep } from './ornstein-uhlenbeck.js';
export type { PatientTruth } from './patient-model.js';
export {
  FEVER_RESPONSE,
  type FeverResponse,
  OXYGEN_RESPONSE,
  type OxygenResponse,
  oxygenBenefitStep,
} from './physiology.js';
export { RHYTHM_MODELS, type RhythmModels } from './rhythm.js';
export { DEFAULT_SCENARIO_MIX, type ScenarioMix, scenarioCounts } from './scenario-mix.js';
export {
  type Consciousness,
  isScenarioName,
  type PhaseSpec,
  type ResolvedScenario,
  type Rhythm,
  SCENARIO_NAMES,
  SCENARIOS,
  type ScenarioConfig,
  type ScenarioDefinition,
  type ScenarioName,
  type ScenarioSpec,
  type Spo2Scale,
  scenarioMean,
  scenarioProgress,
  type TimelineSpec,
  type VitalEffect,
} from './scenarios.js';
export { MAX_TIMELINE_PHASES, type ResolvedPhase } from './timeline.js';
export {
  BP_FLUCTUATION_CORRELATION,
  isSimulatedMetric,
  MIN_BASELINE_PULSE_PRESSURE_MMHG,
  MIN_REPORTED_PULSE_PRESSURE_MMHG,
  reportMeasurement,
  reportValue,
  SIMULATED_METRICS,
  type SimulatedMetric,
  VITAL_METRICS,
  VITAL_SIGN_MODELS,
  type VitalMetric,
  type VitalSignModel,
  type VitalValues,
} from './vital-signs.js';
export {
  createWardSimulator,
  MAX_SIMULATED_PATIENTS,
  type PatientInfo,
  type SimulatedPatient,
  type SimulateOptions,
  type WardSimulator,
  type WardSimulatorOptions,
} from './ward-simulator.js';
