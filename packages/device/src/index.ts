/**
 * `@healthit/device`: health devices. Today: a seeded, physiologically plausible ward simulator
 * and the publishing of readings over a `Transport` as a monitor does. Runs in Node and browsers:
 * no Node built-ins here.
 * @packageDocumentation
 */
export {
  type BatchReadingsOptions,
  batchReadingsByDevice,
  type ReadingBatch,
} from './publish/batch-readings.js';
export {
  type PublishEvent,
  type PublishReadingsOptions,
  publishReadings,
} from './publish/publish-readings.js';
export {
  SIMULATOR_MANUFACTURER,
  SIMULATOR_MODEL,
  simulatedMonitorDescriptor,
} from './simulator/device-descriptor.js';
export { type OuStep, ouAdvance, ouStep } from './simulator/ornstein-uhlenbeck.js';
export { DEFAULT_SCENARIO_MIX, type ScenarioMix, scenarioCounts } from './simulator/scenario-mix.js';
export {
  isScenarioName,
  type ResolvedScenario,
  SCENARIO_NAMES,
  SCENARIOS,
  type ScenarioConfig,
  type ScenarioDefinition,
  type ScenarioName,
  type ScenarioSpec,
  scenarioMean,
  scenarioProgress,
  type VitalEffect,
} from './simulator/scenarios.js';
export {
  BP_FLUCTUATION_CORRELATION,
  MIN_BASELINE_PULSE_PRESSURE_MMHG,
  MIN_REPORTED_PULSE_PRESSURE_MMHG,
  reportValue,
  VITAL_METRICS,
  VITAL_SIGN_MODELS,
  type VitalMetric,
  type VitalSignModel,
  type VitalValues,
} from './simulator/vital-signs.js';
export {
  createWardSimulator,
  MAX_SIMULATED_PATIENTS,
  type SimulatedPatient,
  type WardSimulator,
  type WardSimulatorOptions,
} from './simulator/ward-simulator.js';
