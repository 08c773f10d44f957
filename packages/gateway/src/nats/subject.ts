/**
 * The NATS names of the gateway's uplink: the shared contract lives in `@healthit/core` (the
 * platform consumes what the gateway publishes), under the names the gateway has always exported.
 */
export {
  assertUplinkSite as assertSiteName,
  assertUplinkSubjectPrefix as assertSubjectPrefix,
  uplinkStreamName as defaultStreamName,
  uplinkSubject as recordSubject,
  uplinkSubjectToken as subjectToken,
} from '@healthit/core';
