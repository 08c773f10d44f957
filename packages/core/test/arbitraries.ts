import * as fc from 'fast-check';
import { METRIC_IDS } from '../src/metrics/catalogue.js';
import type { Envelope } from '../src/schemas/envelope.js';
import { type Reading, ReadingQuality, readingId } from '../src/schemas/reading.js';
import { isUnitForMetric, KNOWN_UNITS } from '../src/units/ucum.js';

/** Any valid DeviceId / PatientId. */
export const idArb = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/);

/** Any metric with any UCUM unit that can express it. */
export const metricUnitArb = fc.constantFrom(
  ...METRIC_IDS.flatMap((metric) =>
    KNOWN_UNITS.filter((unit) => isUnitForMetric(metric, unit)).map((unit) => ({ metric, unit })),
  ),
);

/** A finite double; -0 becomes 0 because JSON has no negative zero. */
export const finiteArb = fc.double({ noNaN: true, noDefaultInfinity: true }).map((v) => (v === 0 ? 0 : v));

const safeNat = fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER });

/** Any valid Reading, optional fields present or absent. */
export const readingArb: fc.Arbitrary<Reading> = fc
  .record(
    {
      deviceId: idArb,
      patientId: idArb,
      metricUnit: metricUnitArb,
      value: finiteArb,
      ts: safeNat,
      seq: safeNat,
      quality: fc.constantFrom(...ReadingQuality.options),
    },
    { requiredKeys: ['deviceId', 'metricUnit', 'value', 'ts', 'seq'] },
  )
  .map(({ metricUnit, ...r }) => ({ id: readingId(r.deviceId, r.seq), ...metricUnit, ...r }) as Reading);

/** Any valid Envelope, signed or not. */
export const envelopeArb: fc.Arbitrary<Envelope> = fc
  .record(
    {
      source: fc.string({ minLength: 1, maxLength: 128 }),
      seq: safeNat,
      ts: safeNat,
      contentType: fc.string({ minLength: 1 }),
      payload: fc.uint8Array({ maxLength: 64 }).map((b) => Buffer.from(b).toString('base64url')),
      sig: fc.record({
        alg: fc.constant('Ed25519' as const),
        kid: fc.string({ minLength: 1 }),
        value: fc
          .uint8Array({ minLength: 64, maxLength: 64 })
          .map((b) => Buffer.from(b).toString('base64url')),
      }),
    },
    { requiredKeys: ['source', 'seq', 'ts', 'contentType', 'payload'] },
  )
  .map((e) => ({ v: 1 as const, id: `${e.source}:${e.seq}`, ...e }));
