import { type HealthItError, METRIC_IDS, METRICS, type Reading, ValidationError } from '@healthit/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ObservationContext } from './context.js';
import { readingIdsFromIdentifierValue } from './identifiers.js';
import { toFhirObservations } from './to-observations.js';
import type { FhirObservation, FhirObservationComponent } from './types.js';

const SYSTEM = 'https://hospital.example/fhir/sid/iomt-reading';
const CONTEXT: ObservationContext = {
  identifierSystem: SYSTEM,
  patient: { type: 'id' },
  device: { type: 'id' },
};
const T = Date.UTC(2024, 2, 1, 8, 30, 0, 250);

function reading(overrides: Partial<Reading> & Pick<Reading, 'metric' | 'value' | 'unit'>, seq = 1): Reading {
  const deviceId = overrides.deviceId ?? 'monitor-1';
  return {
    id: `${deviceId}:${seq}`,
    deviceId,
    patientId: 'patient-1',
    ts: T,
    seq,
    quality: 'good',
    ...overrides,
  } as Reading;
}

const hr = (seq = 1, extra: Partial<Reading> = {}) =>
  reading({ metric: 'heart-rate', value: 72, unit: '/min', ...extra }, seq);
const sys = (seq: number, value = 120, extra: Partial<Reading> = {}) =>
  reading({ metric: 'bp-systolic', value, unit: 'mm[Hg]', deviceId: 'cuff-1', ...extra } as Reading, seq);
const dia = (seq: number, value = 80, extra: Partial<Reading> = {}) =>
  reading({ metric: 'bp-diastolic', value, unit: 'mm[Hg]', deviceId: 'cuff-1', ...extra } as Reading, seq);

const idOf = (o: FhirObservation) => o.identifier?.[0]?.value;

describe('toFhirObservations: one Observation per reading', () => {
  it('emits subject, device, effectiveDateTime, identifier and status final', () => {
    const { observations, skipped } = toFhirObservations([hr(42)], CONTEXT);
    expect(skipped).toEqual([]);
    const [o] = observations;
    expect(o?.resourceType).toBe('Observation');
    expect(o?.status).toBe('final');
    expect(o?.subject).toEqual({ reference: 'Patient/patient-1' });
    expect(o?.device).toEqual({ reference: 'Device/monitor-1' });
    expect(o?.effectiveDateTime).toBe('2024-03-01T08:30:00.250Z');
    expect(o?.identifier).toEqual([{ system: SYSTEM, value: 'monitor-1:42' }]);
    expect(o?.valueQuantity).toEqual({
      value: 72,
      unit: 'beats/minute',
      system: 'http://unitsofmeasure.org',
      code: '/min',
    });
    expect(o).not.toHaveProperty('encounter');
    expect(o).not.toHaveProperty('note');
  });

  it('emits elements in the R4 order', () => {
    const [o] = toFhirObservations([hr()], {
      ...CONTEXT,
      encounter: { reference: 'Encounter/e1' },
    }).observations;
    expect(Object.keys(o ?? {})).toEqual([
      'resourceType',
      'meta',
      'identifier',
      'status',
      'category',
      'code',
      'subject',
      'encounter',
      'effectiveDateTime',
      'valueQuantity',
      'device',
    ]);
  });

  it('references patient and device by identifier, a fixed reference, or a resolver', () => {
    const byIdentifier = toFhirObservations([hr()], {
      identifierSystem: SYSTEM,
      patient: { type: 'identifier', system: 'urn:oid:2.16.840.1.113883.19.5' },
      device: { type: 'identifier', system: 'urn:ietf:rfc:3986' },
    }).observations[0];
    expect(byIdentifier?.subject).toEqual({
      type: 'Patient',
      identifier: { system: 'urn:oid:2.16.840.1.113883.19.5', value: 'patient-1' },
    });
    expect(byIdentifier?.device).toEqual({
      type: 'Device',
      identifier: { system: 'urn:ietf:rfc:3986', value: 'monitor-1' },
    });
    const fixed = { reference: 'Patient/123', display: 'Jane Doe' };
    const [o] = toFhirObservations([hr()], {
      identifierSystem: SYSTEM,
      patient: { type: 'reference', reference: fixed },
      encounter: { reference: 'Encounter/ward-3-stay' },
    }).observations;
    expect(o?.subject).toEqual(fixed);
    expect(o?.subject).not.toBe(fixed);
    expect(o?.encounter).toEqual({ reference: 'Encounter/ward-3-stay' });
    expect(o).not.toHaveProperty('device');
    const [r] = toFhirObservations([hr()], {
      identifierSystem: SYSTEM,
      patient: { type: 'resolve', resolve: (x) => ({ reference: `Patient/mpi-${x.patientId}` }) },
    }).observations;
    expect(r?.subject).toEqual({ reference: 'Patient/mpi-patient-1' });
  });

  it('keeps a unit the profile admits and converts any other to the preferred unit', () => {
    const q = (r: Reading) => toFhirObservations([r], CONTEXT).observations[0]?.valueQuantity;
    expect(q(reading({ metric: 'body-temperature', value: 98.6, unit: '[degF]' }))).toEqual({
      value: 98.6,
      unit: 'F',
      system: 'http://unitsofmeasure.org',
      code: '[degF]',
    });
    expect(q(reading({ metric: 'body-temperature', value: 310.15, unit: 'K' }))).toMatchObject({
      value: 37,
      code: 'Cel',
    });
    expect(q(reading({ metric: 'spo2', value: 0.97, unit: '1' }))).toMatchObject({ value: 97, code: '%' });
    expect(q(reading({ metric: 'heart-rate', value: 61, unit: '{beats}/min' }))).toMatchObject({
      value: 61,
      code: '/min',
    });
    expect(q(reading({ metric: 'heart-rate', value: 1.5, unit: '/s' }))).toMatchObject({
      value: 90,
      code: '/min',
    });
    expect(q(reading({ metric: 'body-weight', value: 3400, unit: 'g' }))).toMatchObject({
      value: 3400,
      code: 'g',
    });
    const kPa = toFhirObservations([sys(1, 16, { unit: 'kPa' }), dia(2, 10.6, { unit: 'kPa' })], CONTEXT);
    const kPaSystolic = kPa.observations[0]?.component?.[0]?.valueQuantity;
    expect(kPaSystolic?.code).toBe('mm[Hg]');
    expect(kPaSystolic?.value).toBeCloseTo(120.00985, 5); // 16 kPa × 1000 / 133.322387415 Pa per mm[Hg]
  });

  it('keeps a questionable reading final, with a note; interpretation is not used for quality', () => {
    const [o] = toFhirObservations([hr(1, { quality: 'questionable' })], CONTEXT).observations;
    expect(o?.status).toBe('final');
    expect(o?.note?.[0]?.text).toMatch(/questionable/);
    expect(o).not.toHaveProperty('interpretation');
    const [p] = toFhirObservations([sys(1), dia(2, 80, { quality: 'questionable' })], CONTEXT).observations;
    expect(p?.note).toHaveLength(1);
    expect(p?.note?.[0]?.text).toMatch(/^The diastolic reading/);
  });

  it('writes effectiveDateTime as ISO 8601 in UTC, a valid FHIR dateTime equal to ts', () => {
    // FHIR R4 dateTime regex (datatypes.html#dateTime), with the timezone required when a time is given.
    const FHIR_DATE_TIME =
      /^([0-9]([0-9]([0-9][1-9]|[1-9]0)|[1-9]00)|[1-9]000)-(0[1-9]|1[0-2])-(0[1-9]|[1-2][0-9]|3[0-1])T([01][0-9]|2[0-3]):[0-5][0-9]:([0-5][0-9]|60)(\.[0-9]+)?(Z|(\+|-)((0[0-9]|1[0-3]):[0-5][0-9]|14:00))$/;
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 253_402_300_799_999 }), (ts) => {
        const [o] = toFhirObservations([hr(1, { ts })], CONTEXT).observations;
        expect(o?.effectiveDateTime).toMatch(FHIR_DATE_TIME);
        expect(Date.parse(o?.effectiveDateTime ?? '')).toBe(ts);
      }),
    );
  });
});

describe('toFhirObservations: blood pressure', () => {
  it('pairs systolic and diastolic of the same device and time into one panel, identified by both ids', () => {
    const { observations } = toFhirObservations([hr(1), sys(7), dia(8)], CONTEXT);
    expect(observations).toHaveLength(2);
    const panel = observations[1];
    expect(panel?.code.coding?.[0]?.code).toBe('85354-9');
    expect(panel?.valueQuantity).toBeUndefined();
    expect(panel?.component?.map((c) => [c.code.coding?.[0]?.code, c.valueQuantity?.value])).toEqual([
      ['8480-6', 120],
      ['8462-4', 80],
    ]);
    expect(idOf(panel!)).toBe('cuff-1:7~cuff-1:8');
    // The same pair in the other input order gives the same panel.
    expect(toFhirObservations([dia(8), sys(7)], CONTEXT).observations).toEqual([panel]);
  });

  it('does not pair across devices, patients or times', () => {
    const other = [
      [sys(1), dia(2, 80, { deviceId: 'cuff-2' } as Partial<Reading>)],
      [sys(1), dia(2, 80, { patientId: 'patient-2' } as Partial<Reading>)],
      [sys(1), dia(2, 80, { ts: T + 1 })],
    ];
    for (const batch of other) {
      const { observations } = toFhirObservations(batch, CONTEXT);
      expect(observations).toHaveLength(2);
      for (const o of observations) {
        expect(o.component?.filter((c) => c.dataAbsentReason !== undefined)).toHaveLength(1);
      }
    }
  });

  it('pairs several measurements at one time by sequence; a leftover is a lone panel', () => {
    const { observations } = toFhirObservations([sys(3), sys(1), dia(2), dia(4), sys(5)], CONTEXT);
    // Pairs by seq (1+2, 3+4), output in the input order of each panel's first reading.
    expect(observations.map(idOf)).toEqual(['cuff-1:3~cuff-1:4', 'cuff-1:1~cuff-1:2', 'cuff-1:5']);
  });

  it('a bad-quality diastolic is skipped and its systolic goes out alone', () => {
    const { observations, skipped } = toFhirObservations([sys(1), dia(2, 80, { quality: 'bad' })], CONTEXT);
    expect(skipped.map((s) => s.reason)).toEqual(['bad-quality']);
    expect(observations[0]?.component?.[1]?.dataAbsentReason?.coding?.[0]).toEqual({
      system: 'http://terminology.hl7.org/CodeSystem/data-absent-reason',
      code: 'unknown',
      display: 'Unknown',
    });
  });
});

describe('toFhirObservations: skipped readings are reported, never dropped', () => {
  it('reports metrics with no vital-signs mapping', () => {
    const glucose = reading({ metric: 'glucose', value: 99, unit: 'mg/dL' });
    const fridge = reading({ metric: 'device-temperature', value: 4, unit: 'Cel' }, 2);
    const { observations, skipped } = toFhirObservations([glucose, hr(3), fridge], CONTEXT);
    expect(observations.map(idOf)).toEqual(['monitor-1:3']);
    expect(skipped.map((s) => [s.reading.id, s.reason])).toEqual([
      ['monitor-1:1', 'unmapped-metric'],
      ['monitor-1:2', 'unmapped-metric'],
    ]);
    expect(skipped[0]?.message).toMatch(/glucose.*not a FHIR R4 vital sign/);
  });

  it('reports bad quality, a missing patient, an id that is no FHIR id, and invalid readings', () => {
    const { patientId: _p, ...noPatient } = hr(2);
    const batch = [
      hr(1, { quality: 'bad' }),
      noPatient as Reading,
      hr(3, { patientId: 'ward3:bed1' } as Partial<Reading>),
      hr(4, { unit: 'mm[Hg]' }),
      hr(5, { ts: 253_402_300_800_000 }),
      hr(6, { value: Number.NaN }),
    ];
    const { observations, skipped } = toFhirObservations(batch, CONTEXT);
    expect(observations).toEqual([]);
    expect(skipped.map((s) => s.reason)).toEqual([
      'bad-quality',
      'no-subject',
      'invalid-reference',
      'invalid-reading',
      'invalid-reading',
      'invalid-reading',
    ]);
    expect(skipped[2]?.message).toMatch(/by identifier/);
    // By identifier, the same patient id is fine.
    const byIdentifier = toFhirObservations([batch[2]!], {
      ...CONTEXT,
      patient: { type: 'identifier', system: 'urn:oid:1.2.3' },
    });
    expect(byIdentifier.skipped).toEqual([]);
  });

  it('throws a ValidationError (validation/invalid) for a malformed context', () => {
    const bad = [
      { ...CONTEXT, identifierSystem: 'not a uri' },
      { ...CONTEXT, patient: { type: 'mrn' } },
      { ...CONTEXT, patient: { type: 'identifier', system: '' } },
      { ...CONTEXT, device: { type: 'reference', reference: {} } },
      { ...CONTEXT, encounter: { display: 'ward 3' } },
    ] as unknown as ObservationContext[];
    for (const context of bad) {
      const e = (() => {
        try {
          toFhirObservations([hr()], context);
        } catch (error) {
          return error;
        }
      })();
      expect(e).toBeInstanceOf(ValidationError);
      expect((e as HealthItError).code).toBe('validation/invalid');
    }
  });
});

// ---------------------------------------------------------------------------------------------
// Properties over random batches.
// ---------------------------------------------------------------------------------------------

const arbReading = fc
  .record({
    metric: fc.constantFrom(...METRIC_IDS),
    device: fc.constantFrom('monitor-1', 'cuff-1', 'ward3:bed1'),
    patient: fc.constantFrom('patient-1', 'patient-2', undefined),
    seq: fc.nat({ max: 1_000_000 }),
    tsStep: fc.nat({ max: 2 }),
    fraction: fc.double({ min: 0, max: 1, noNaN: true }),
    quality: fc.constantFrom(undefined, 'good', 'questionable', 'bad'),
  })
  .map(({ metric, device, patient, seq, tsStep, fraction, quality }) => {
    const { min, max } = METRICS[metric].plausible;
    return {
      id: `${device}:${seq}`,
      deviceId: device,
      ...(patient === undefined ? {} : { patientId: patient }),
      metric,
      value: min + (max - min) * fraction,
      unit: METRICS[metric].unit,
      ts: T + tsStep * 1000,
      seq,
      ...(quality === undefined ? {} : { quality }),
    } as Reading;
  });
const arbBatch = fc.uniqueArray(arbReading, { selector: (r) => r.id, maxLength: 40 });
const arbContext = fc.constantFrom<ObservationContext>(
  CONTEXT,
  { identifierSystem: SYSTEM, patient: { type: 'identifier', system: 'urn:oid:1.2.3' } },
  {
    identifierSystem: SYSTEM,
    patient: { type: 'reference', reference: { reference: 'Patient/p' } },
    device: { type: 'identifier', system: 'urn:oid:1.2.4' },
  },
);

function hasExactlyOneValue(x: FhirObservation | FhirObservationComponent, allowComponent: boolean): boolean {
  const present = [x.valueQuantity, 'component' in x ? x.component : undefined, x.dataAbsentReason].filter(
    (v) => v !== undefined,
  );
  return present.length === 1 && (allowComponent || !('component' in x && x.component !== undefined));
}

describe('toFhirObservations: properties', () => {
  it('every Observation has exactly one of valueQuantity / component / dataAbsentReason, per the rules', () => {
    fc.assert(
      fc.property(arbBatch, arbContext, (readings, context) => {
        for (const o of toFhirObservations(readings, context).observations) {
          expect(hasExactlyOneValue(o, true)).toBe(true);
          const isPanel = o.code.coding?.[0]?.code === '85354-9';
          // A panel has components (each with a value or a dataAbsentReason) and no value; others a value.
          expect(o.component !== undefined).toBe(isPanel);
          expect(o.valueQuantity !== undefined).toBe(!isPanel);
          expect(o.dataAbsentReason).toBeUndefined();
          for (const c of o.component ?? []) expect(hasExactlyOneValue(c, false)).toBe(true);
          if (isPanel) expect(o.component?.some((c) => c.valueQuantity !== undefined)).toBe(true);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('accounts for every reading exactly once: in one Observation or in skipped', () => {
    fc.assert(
      fc.property(arbBatch, arbContext, (readings, context) => {
        const { observations, skipped } = toFhirObservations(readings, context);
        const seen = [
          ...observations.flatMap((o) => readingIdsFromIdentifierValue(idOf(o) ?? '')),
          ...skipped.map((s) => s.reading.id),
        ];
        expect(seen.sort()).toEqual(readings.map((r) => r.id).sort());
      }),
      { numRuns: 300 },
    );
  });

  it('is deterministic, and no two distinct readings share an identifier', () => {
    fc.assert(
      fc.property(arbBatch, arbContext, (readings, context) => {
        const a = toFhirObservations(readings, context);
        expect(toFhirObservations(readings, context)).toEqual(a);
        const ids = a.observations.map(idOf);
        expect(new Set(ids).size).toBe(ids.length);
        // The same reading, sent alone later, gets the same identifier as in the batch.
        for (const o of a.observations) {
          if (o.component !== undefined) continue;
          const [id] = readingIdsFromIdentifierValue(idOf(o) ?? '');
          const alone = readings.find((r) => r.id === id);
          expect(toFhirObservations([alone!], context).observations.map(idOf)).toEqual([idOf(o)]);
        }
      }),
      { numRuns: 200 },
    );
  });

  it('gives distinct identifiers to readings with arbitrary distinct ids (property)', () => {
    const arbIds = fc.uniqueArray(fc.string({ minLength: 1, maxLength: 12 }), {
      minLength: 1,
      maxLength: 20,
    });
    fc.assert(
      fc.property(arbIds, (ids) => {
        const readings = ids.map((id, seq) => ({ ...hr(seq, { ts: T + seq }), id }) as Reading);
        const { observations, skipped } = toFhirObservations(readings, CONTEXT);
        expect(skipped).toEqual([]);
        const values = observations.map(idOf);
        expect(new Set(values).size).toBe(ids.length);
        expect(values.map((v) => readingIdsFromIdentifierValue(v ?? '')[0])).toEqual(ids);
      }),
    );
  });
});
