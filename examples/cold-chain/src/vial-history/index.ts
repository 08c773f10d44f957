/**
 * One vial's history from the transparency log: build it from the log, verify it offline in one
 * call, and take out any reading's standard provenance bundle.
 * @packageDocumentation
 */

export { type BuildVialHistoryOptions, buildVialHistory, type HistorySource } from './build.js';
export {
  MAX_HISTORY_ENTRIES,
  MAX_HISTORY_READINGS,
  VIAL_HISTORY_FORMAT,
  VIAL_HISTORY_VERSION,
  Vial,
  type VialHistory,
  VialHistorySchema,
} from './bundle.js';
export { type CustodyPeriod, custodyPeriods } from './periods.js';
export { readingProvenance } from './provenance.js';
export { type HistoryStepOutcome, type VialHistoryStep, VialHistorySteps } from './steps.js';
export {
  type VerifyVialHistoryOptions,
  type VialHistoryInvalid,
  type VialHistoryValid,
  type VialHistoryVerdict,
  verifyVialHistory,
} from './verify.js';
export type {
  FlaggedExcursion,
  ShipmentFindings,
  VerifiedPeriod,
  VerifiedTransfer,
} from './verify-shipment.js';
