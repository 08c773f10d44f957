import { Reading, safeParse } from '@healthit/core';
import { type ObservationContext, resolveReference } from './context.js';
import { METRIC_MAPPINGS, type MetricMapping } from './metric-mapping.js';
import type { SkippedReading } from './skipped.js';
import type { FhirReference } from './types.js';

/** The last instant a FHIR `dateTime` can express (9999-12-31T23:59:59.999Z). */
const MAX_FHIR_EPOCH_MS = 253_402_300_799_999;

/** A reading that passed every check, with what its Observation needs. */
export interface PreparedReading {
  /** Position in the input: Observations come out in input order. */
  readonly index: number;
  readonly reading: Reading;
  readonly mapping: Exclude<MetricMapping, { type: 'unmapped' }>;
  readonly subject: FhirReference;
  readonly device: FhirReference | undefined;
  /** `effectiveDateTime`: the reading's `ts` as ISO 8601 in UTC (`…Z`), millisecond precision. */
  readonly effectiveDateTime: string;
}

function skip(reading: Reading, reason: SkippedReading['reason'], message: string): SkippedReading {
  return { reading, reason, message };
}

/**
 * Checks one reading and resolves what its Observation references: a {@link PreparedReading}, or
 * the {@link SkippedReading} that says why it cannot become one.
 */
export function prepareReading(
  reading: Reading,
  index: number,
  context: ObservationContext,
): PreparedReading | SkippedReading {
  const parsed = safeParse(Reading, 'Reading', reading);
  if (!parsed.ok) return skip(reading, 'invalid-reading', parsed.error.message);
  if (reading.ts > MAX_FHIR_EPOCH_MS) {
    return skip(
      reading,
      'invalid-reading',
      `ts ${reading.ts} is after 9999-12-31, which FHIR dateTime cannot express`,
    );
  }
  const mapping = METRIC_MAPPINGS[reading.metric];
  if (mapping.type === 'unmapped') {
    return skip(
      reading,
      'unmapped-metric',
      `Metric "${reading.metric}" is not exported to FHIR: ${mapping.reason}`,
    );
  }
  if (reading.quality === 'bad') {
    return skip(
      reading,
      'bad-quality',
      `Reading ${reading.id} is flagged quality "bad" (an artefact); it is not charted as an Observation`,
    );
  }
  const subject = resolveReference(context.patient, 'Patient', reading.patientId, reading);
  if (!subject.ok) return skip(reading, subject.reason, subject.message);
  if (subject.reference === undefined) {
    return skip(
      reading,
      'no-subject',
      `Reading ${reading.id} has no patient: the vital-signs profile requires Observation.subject; ` +
        'assign the device to a patient, or give the context a fixed patient reference',
    );
  }
  let device: FhirReference | undefined;
  if (context.device !== undefined) {
    const resolved = resolveReference(context.device, 'Device', reading.deviceId, reading);
    if (!resolved.ok) return skip(reading, resolved.reason, resolved.message);
    device = resolved.reference;
  }
  return {
    index,
    reading,
    mapping,
    subject: subject.reference,
    device,
    effectiveDateTime: new Date(reading.ts).toISOString(),
  };
}

/** True when `r` is a {@link SkippedReading}. */
export function isSkipped(r: PreparedReading | SkippedReading): r is SkippedReading {
  return 'reason' in r;
}
