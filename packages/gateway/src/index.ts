/**
 * `@healthit/gateway`: the smart IoMT gateway.
 * @packageDocumentation
 */
export { type CodecRegistry, createCodecRegistry } from './acquisition/codec-registry.js';
export { decodeChannelMessage } from './acquisition/decode-channel.js';
export { type DecodedMessage, decodeReadingsMessage } from './acquisition/decode-message.js';
export {
  DEFAULT_INPUT_NAME,
  ENVELOPE_DECODER,
  GatewayInput,
  GatewayInputSpec,
  parseGatewayInputs,
} from './acquisition/inputs.js';
export type { ReadingBatch } from './acquisition/reading-batch.js';
export { compileTopicPattern, type TopicPattern } from './acquisition/topic-pattern.js';
export * from './control/index.js';
export type {
  AcquisitionEvent,
  CommandPublishFailed,
  CommandStatusRejected,
  DecoderNotice,
  GatewayEvent,
  MessageRejected,
  ReadingDuplicate,
  ReadingLate,
  ReadingRateLimited,
  ReadingRejected,
  ReadingTooOld,
} from './events.js';
export * from './firmware/index.js';
export {
  createGateway,
  type Gateway,
  type GatewayControlOptions,
  type GatewayOptions,
} from './gateway.js';
export * from './historian/index.js';
export {
  CONFIG_SET_ACTION,
  type ConfigChange,
  type ConfigTwin,
  type ConfigTwins,
  createConfigTwins,
  type DeviceConfig,
} from './management/device-config.js';
export {
  type DeviceHealth,
  type DeviceHeartbeat,
  type DeviceMonitorEvent,
  type DeviceMonitorOptions,
  monitorDevices,
} from './monitoring/device-monitor.js';
export * from './news2/index.js';
export { type NormaliseResult, normaliseReading } from './preprocessing/normalise.js';
export * from './preprocessing/operators/index.js';
export {
  createRateLimiter,
  type RateLimit,
  type RateLimiter,
  type RateLimitOptions,
  type RateLimitState,
  validateRateLimit,
} from './preprocessing/rate-limiter.js';
export {
  createSequenceGuard,
  DEFAULT_SEQUENCE_WINDOW,
  MAX_SEQUENCE_WINDOW,
  SEQUENCE_VERDICTS,
  type SequenceGuard,
  type SequenceGuardOptions,
  type SequenceVerdict,
} from './preprocessing/sequence-guard.js';
export * from './rules/declarative/index.js';
export { type EpisodeAlertOptions, episodeAlerts } from './rules/episode-alerts.js';
export { type ThresholdRule, thresholdAlerts } from './rules/threshold.js';
export {
  AUTH_FAILURES,
  type AuthFailure,
  type AuthVerdict,
  createMessageAuthenticator,
  type MessageAuthenticator,
  type MessageAuthenticatorOptions,
} from './security/authenticator.js';
export {
  type ChangeAuthor,
  createDeviceRegistry,
  DEVICE_TRANSITIONS,
  type DeviceKey,
  type DeviceRegistry,
  type DeviceRegistryOptions,
  type DeviceState,
  type RegisteredDevice,
  type RegistryChange,
} from './security/device-registry.js';
export {
  createOnboarding,
  type EnrolmentFailure,
  type EnrolmentRequest,
  type EnrolmentResult,
  type Onboarding,
  type OnboardingOptions,
} from './security/onboarding.js';
export { auditRegistry, type RegistryAudit, registryChangeRecord } from './security/registry-audit.js';
export * from './uplink/index.js';
