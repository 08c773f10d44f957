/**
 * `@healthit/core`: the shared language of the Health-IT SDK. Runs in Node, browsers and React
 * Native: no Node built-ins here.
 * @packageDocumentation
 */
export { fromBase64Url, toBase64Url, utf8Decode, utf8Encode } from './encoding/bytes.js';
export {
  type CanonicalPair,
  canonicalJson,
  canonicalJsonPair,
  canonicalJsonReference,
  canonicalJsonStrict,
  isSortedPlainJson,
  jsonString,
} from './encoding/canonical-json.js';
export { createEnvelope, type EnvelopeInit, envelopePayload } from './encoding/envelope.js';
export {
  ALERT_JSON,
  alertJsonCodec,
  COMMAND_JSON,
  COMMAND_STATUS_JSON,
  commandJsonCodec,
  commandStatusJsonCodec,
  ENVELOPE_JSON,
  envelopeJsonCodec,
  jsonCodec,
  READINGS_JSON,
  readingsJsonCodec,
} from './encoding/json-codecs.js';
export { nestsDeeperThan } from './encoding/json-depth.js';
export { readingToJson } from './encoding/reading-json.js';
export * from './errors/index.js';
export {
  BLOOD_PRESSURE_PANEL,
  isPlausible,
  type LoincCoding,
  METRIC_IDS,
  METRICS,
  type MetricDefinition,
  MetricId,
  metricDefinition,
} from './metrics/catalogue.js';
export * from './ports/index.js';
export * from './schemas/index.js';
export * from './security/index.js';
export { filterSubscription } from './transport/filter-subscription.js';
export { createInProcessTransport, type InProcessTransportOptions } from './transport/in-process.js';
export { createTopicHub, type TopicHub, type TopicHubOptions } from './transport/topic-hub.js';
export { Topics } from './transport/topic-names.js';
export { assertValidFilter, assertValidTopic, topicMatches } from './transport/topics.js';
export {
  type ConvertOptions,
  canConvert,
  convertUnit,
  isKnownUnit,
  isUnitForMetric,
  KNOWN_UNITS,
  toCanonicalUnit,
} from './units/ucum.js';
export * from './uplink/index.js';
export { parse, parseJsonText, safeParse } from './validate.js';
