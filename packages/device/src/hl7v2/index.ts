/**
 * HL7 v2 for bedside monitors: a strict ER7 parser, ORU^R01 (IHE PCD-01) → `Reading`s, and the
 * ACK and ORU^R01 builders. Browser-safe: no Node built-ins (the MLLP transport is on the
 * `@healthit/device/mllp` subpath).
 * @packageDocumentation
 */
export {
  findHl7Segments,
  firstHl7Segment,
  hl7Field,
  hl7Repetitions,
  hl7Value,
} from './access.js';
export {
  type AckCode,
  ackErrorOf,
  type BuildAckOptions,
  buildAck,
  type Hl7Ack,
  type Hl7AckError,
  type Hl7AckErrorReport,
  readAck,
} from './ack.js';
export { type BuildOruOptions, buildOruR01 } from './build-oru.js';
export { decodeHl7Bytes, encodeHl7Text, type Hl7Encoding, hl7Encoding } from './charset.js';
export {
  formatHl7DateTime,
  type Hl7DateTime,
  type Hl7TimePrecision,
  parseHl7DateTime,
} from './datetime.js';
export { DEFAULT_HL7_DELIMITERS, type Hl7Delimiters } from './delimiters.js';
export { formatNm } from './encode.js';
export {
  HL7_ERROR_CODES,
  type Hl7ErrorCode,
  type Hl7ErrorLocation,
  Hl7ParseError,
  type Hl7ParseErrorOptions,
  Hl7UnsupportedMessageError,
} from './errors.js';
export { type EscapeProblem, escapeHl7, findEscapeProblem, unescapeHl7 } from './escape.js';
export { MDC_METRICS, MDC_UNITS, type MdcMetric, type MdcUnit, METRIC_TO_MDC } from './mdc.js';
export type { Hl7Header, Hl7Message, Hl7Segment } from './message.js';
export { OruChannelDecoderOptions, oruChannelDecoder } from './oru-channel-decoder.js';
export {
  type OruEvent,
  type OruHeader,
  type OruObservation,
  type OruReadings,
  type OruToReadingsOptions,
  oruToReadings,
  SEQ_SLOTS_PER_MS,
} from './oru-to-readings.js';
export { type Hl7MshParse, parseHl7, parseHl7Header } from './parse.js';
