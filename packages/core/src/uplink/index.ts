/**
 * The uplink contract between a gateway and the platform: the record, its content type and
 * message headers, the subjects and stream of a site, the encoders and the decoder. No behaviour:
 * the gateway's outbox and uplinks and the platform's consumers both build on it.
 * @module
 */
export { UPLINK_CONTENT_TYPE, UPLINK_HEADERS, type UplinkHeader } from './content-types.js';
export {
  type DecodableUplinkRecordKind,
  type DecodedAlertRecord,
  type DecodedCommandRecord,
  type DecodedCommandStatusRecord,
  type DecodedReadingBatchRecord,
  type DecodedReadingRecord,
  type DecodedUplinkRecord,
  decodeUplinkRecord,
} from './decode.js';
export {
  isUplinkRecordKind,
  UPLINK_RECORD_KINDS,
  type UplinkRecord,
  type UplinkRecordKind,
} from './record.js';
export {
  alertKey,
  alertRecord,
  commandRecord,
  commandStatusRecord,
  commandStatusRecordId,
  readingBatchRecord,
  readingBatchRecordId,
  readingRecord,
  readingSeqRange,
  WARD_ALERT_KEY,
} from './records.js';
export {
  assertUplinkSite,
  assertUplinkSubjectPrefix,
  UPLINK_SUBJECT_PREFIX,
  uplinkKeyFromToken,
  uplinkStreamName,
  uplinkSubject,
  uplinkSubjectFilter,
  uplinkSubjectToken,
} from './subjects.js';
