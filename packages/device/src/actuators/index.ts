/**
 * Actuators: a generic runtime with a command lifecycle and device-side safety limits, and two
 * simulated actuators (an oxygen concentrator and an infusion pump). Browser-safe.
 * @packageDocumentation
 */
export {
  type Actuator,
  type ActuatorOptions,
  type ActuatorState,
  createActuator,
  DEFAULT_MAX_QUEUED_COMMANDS,
  DEFAULT_MAX_REMEMBERED_COMMANDS,
} from './actuator.js';
export {
  type ActionSpec,
  type ActuatorDefinition,
  defineAction,
  defineActuator,
  type FaultSpec,
  type LimitViolation,
  MAX_TIMER_DELAY_MS,
  type RunContext,
  type SafetyLimit,
  safetyLimit,
} from './definition.js';
export {
  createInfusionPump,
  DEFAULT_INFUSION_PUMP_LIMITS,
  DEFAULT_INFUSION_REPORT_PERIOD_MS,
  INFUSION_PUMP_KIND,
  INFUSION_START,
  INFUSION_STOP,
  type InfusionDelivery,
  type InfusionPump,
  type InfusionPumpFault,
  type InfusionPumpLimits,
  type InfusionPumpOptions,
  type InfusionPumpState,
  InfusionStartParams,
  infusionDurationMs,
  infusionPumpDefinition,
} from './infusion-pump.js';
export {
  ClinicianOverride,
  createOxygenConcentrator,
  DEFAULT_OXYGEN_CONCENTRATOR_LIMITS,
  OXYGEN_CONCENTRATOR_KIND,
  OXYGEN_SET_FLOW,
  OXYGEN_STOP,
  type OxygenConcentrator,
  type OxygenConcentratorFault,
  type OxygenConcentratorLimits,
  type OxygenConcentratorOptions,
  type OxygenConcentratorState,
  type OxygenFlow,
  OxygenSetFlowParams,
  oxygenConcentratorDefinition,
} from './oxygen-concentrator.js';
export { oxygenDelivery, type PatientOxygen } from './oxygen-delivery.js';
export {
  checkFailed,
  checkOk,
  DIAGNOSTICS_SELF_TEST,
  defineSelfTest,
  SELF_TEST_MS,
  type SelfTestCheck,
  type SelfTestCheckStatus,
  type SelfTestDetails,
  type SelfTestReport,
  type SelfTestSpec,
  selfTestReport,
} from './self-test.js';
export { type ServeCommandsEvent, type ServeCommandsOptions, serveCommands } from './serve-commands.js';
