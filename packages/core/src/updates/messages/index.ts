/**
 * Signed update commands (platform → device) and update reports (device → platform), with replay
 * protection: Ed25519 over RFC 8785 JSON in their own signing domains, a per-device sequence for
 * commands (persisted by the device) and a per-device counter for reports (checked by the core
 * `ReplayGuard`, bounded by `maxDevices`).
 * @packageDocumentation
 */
export { UpdateMessageSignature, type UpdateMessageSigner } from './signed-message.js';
export {
  signUpdateCommand,
  UPDATE_COMMAND_DOMAIN,
  UpdateCommand,
  type UpdateCommandFields,
} from './update-command.js';
export {
  createUpdateCommandIssuer,
  DEFAULT_UPDATE_COMMAND_LIFETIME_MS,
  type UpdateCommandIssuer,
  type UpdateCommandIssuerOptions,
  type UpdateCommandRequest,
} from './update-command-issuer.js';
export {
  createUpdateCommandVerifier,
  DEFAULT_UPDATE_COMMAND_MAX_SKEW_MS,
  type UpdateCommandVerifier,
  type UpdateCommandVerifierOptions,
} from './update-command-verifier.js';
export {
  signUpdateReport,
  UPDATE_REPORT_DOMAIN,
  UpdateReport,
  type UpdateReportFields,
} from './update-report.js';
export {
  createUpdateReportVerifier,
  DEFAULT_UPDATE_REPORT_MAX_AGE_MS,
  DEFAULT_UPDATE_REPORT_MAX_DEVICES,
  type UpdateReportExpectation,
  type UpdateReportVerifier,
  type UpdateReportVerifierOptions,
} from './update-report-verifier.js';
export {
  createUpdateReporter,
  type UpdateReporter,
  type UpdateReporterOptions,
  type UpdateReportRequest,
} from './update-reporter.js';
export {
  isFinalUpdateState,
  UPDATE_STATES,
  UpdateRejectionSchema,
  UpdateState,
} from './update-state.js';
