import { Client } from 'fhir-kit-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FhirExportError } from '../fhir-export/errors.js';
import { type EmbeddedFhirServer, startEmbeddedFhirServer } from '../fhir-server/server.js';
import { CODE_SYSTEMS } from './codes.js';
import { createClinicalContextProvider } from './provider.js';

const MRN = 'https://hospital.example/sid/mrn';
const CLINICAL = 'http://terminology.hl7.org/CodeSystem/condition-clinical';
const VERIFICATION = 'http://terminology.hl7.org/CodeSystem/condition-ver-status';

let fhir: EmbeddedFhirServer;
let client: Client;
let n = 0;

beforeAll(async () => {
  fhir = await startEmbeddedFhirServer({ validate: true });
  client = new Client({ baseUrl: fhir.baseUrl });
});
afterAll(async () => {
  await fhir?.close();
});

async function create<T extends { resourceType: string }>(body: T): Promise<T & { id: string }> {
  return (await client.create({ resourceType: body.resourceType, body })) as unknown as T & { id: string };
}

async function patient(): Promise<string> {
  const p = await create({ resourceType: 'Patient', identifier: [{ system: MRN, value: `cc-${++n}` }] });
  return `Patient/${p.id}`;
}

const condition = (
  subject: string,
  system: string,
  code: string,
  clinical: string | null = 'active',
  verification?: string,
) =>
  create({
    resourceType: 'Condition',
    subject: { reference: subject },
    ...(clinical === null ? {} : { clinicalStatus: { coding: [{ system: CLINICAL, code: clinical }] } }),
    ...(verification === undefined
      ? {}
      : { verificationStatus: { coding: [{ system: VERIFICATION, code: verification }] } }),
    code: { coding: [{ system, code }] },
  });

describe('SpO2 scale from Conditions', () => {
  it.each([
    ['ICD-10-CM J96.12 chronic respiratory failure with hypercapnia', CODE_SYSTEMS.icd10cm, 'J96.12', 2],
    ['ICD-10-CM J96.02 acute respiratory failure with hypercapnia', CODE_SYSTEMS.icd10cm, 'J96.02', 2],
    ['ICD-10-CM J96.22 acute and chronic, with hypercapnia', CODE_SYSTEMS.icd10cm, 'J96.22', 2],
    [
      'ICD-10-CM J96.11 is chronic respiratory failure WITH HYPOXIA: not scale 2',
      CODE_SYSTEMS.icd10cm,
      'J96.11',
      1,
    ],
    ['ICD-10-CM J96.10 unspecified type: not scale 2', CODE_SYSTEMS.icd10cm, 'J96.10', 1],
    ['WHO ICD-10 J96.11 chronic, Type II [hypercapnic]', CODE_SYSTEMS.icd10, 'J96.11', 2],
    ['WHO ICD-10 J96.10 chronic, Type I [hypoxic]: not scale 2', CODE_SYSTEMS.icd10, 'J96.10', 1],
    ['WHO ICD-10 J96.1 chronic, type not given: not scale 2', CODE_SYSTEMS.icd10, 'J96.1', 1],
    ['SNOMED CT 426896000 chronic hypercapnic respiratory failure', CODE_SYSTEMS.snomed, '426896000', 2],
    ['COPD alone (SNOMED CT 13645005): not scale 2', CODE_SYSTEMS.snomed, '13645005', 1],
  ] as const)('%s → scale %i', async (_name, system, code, scale) => {
    const p = await patient();
    const c = await condition(p, system, code);
    const ctx = await createClinicalContextProvider({ client }).contextFor(p);
    expect(ctx.spo2Scale).toBe(scale);
    expect(ctx.evidence.scale2).toEqual(scale === 2 ? [`Condition/${c.id}`] : []);
  });

  it('a resolved, provisional or refuted hypercapnic failure does not select scale 2', async () => {
    for (const [clinical, verification] of [
      ['resolved', undefined],
      ['inactive', undefined],
      ['active', 'provisional'],
      ['active', 'refuted'],
      [null, 'entered-in-error'], // con-5: no clinicalStatus when entered in error
    ] as const) {
      const p = await patient();
      await condition(p, CODE_SYSTEMS.snomed, '426896000', clinical, verification);
      expect((await createClinicalContextProvider({ client }).contextFor(p)).spo2Scale).toBe(1);
    }
    const p = await patient();
    await condition(p, CODE_SYSTEMS.snomed, '426896000', 'relapse', 'confirmed');
    expect((await createClinicalContextProvider({ client }).contextFor(p)).spo2Scale).toBe(2);
  });

  it('another patient’s Condition does not count', async () => {
    const a = await patient();
    const b = await patient();
    await condition(a, CODE_SYSTEMS.icd10cm, 'J96.12');
    expect((await createClinicalContextProvider({ client }).contextFor(b)).spo2Scale).toBe(1);
  });
});

describe('oxygen therapy', () => {
  const request = (subject: string, status: string, medication: Record<string, unknown>) =>
    create({
      resourceType: 'MedicationRequest',
      status,
      intent: 'order',
      subject: { reference: subject },
      ...medication,
    });

  it('an active MedicationRequest for oxygen (RxNorm 7806) → onOxygen', async () => {
    const p = await patient();
    const mr = await request(p, 'active', {
      medicationCodeableConcept: {
        coding: [{ system: CODE_SYSTEMS.rxnorm, code: '7806', display: 'oxygen' }],
      },
    });
    const ctx = await createClinicalContextProvider({ client }).contextFor(p);
    expect(ctx).toMatchObject({ onOxygen: true, evidence: { oxygen: [`MedicationRequest/${mr.id}`] } });
  });

  it('oxygen as a contained Medication (SNOMED CT 24099007) counts; stopped or other drugs do not', async () => {
    const p = await patient();
    await request(p, 'active', {
      contained: [
        {
          resourceType: 'Medication',
          id: 'o2',
          code: { coding: [{ system: CODE_SYSTEMS.snomed, code: '24099007' }] },
        },
      ],
      medicationReference: { reference: '#o2' },
    });
    expect((await createClinicalContextProvider({ client }).contextFor(p)).onOxygen).toBe(true);

    const q = await patient();
    await request(q, 'stopped', {
      medicationCodeableConcept: { coding: [{ system: CODE_SYSTEMS.rxnorm, code: '7806' }] },
    });
    await request(q, 'active', {
      medicationCodeableConcept: { coding: [{ system: CODE_SYSTEMS.rxnorm, code: '161' }] },
    });
    expect((await createClinicalContextProvider({ client }).contextFor(q)).onOxygen).toBe(false);
  });

  it('an oxygen Medication referenced by id counts (via _include or read)', async () => {
    const p = await patient();
    const med = await create({
      resourceType: 'Medication',
      code: { coding: [{ system: CODE_SYSTEMS.rxnorm, code: '7806' }] },
    });
    await request(p, 'active', { medicationReference: { reference: `Medication/${med.id}` } });
    expect((await createClinicalContextProvider({ client }).contextFor(p)).onOxygen).toBe(true);
  });

  it('an oxygen therapy Procedure (SNOMED CT 57485005) in progress → onOxygen; completed → not', async () => {
    const p = await patient();
    const code = { coding: [{ system: CODE_SYSTEMS.snomed, code: '57485005' }] };
    await create({ resourceType: 'Procedure', status: 'completed', subject: { reference: p }, code });
    expect((await createClinicalContextProvider({ client }).contextFor(p)).onOxygen).toBe(false);
    await create({ resourceType: 'Procedure', status: 'in-progress', subject: { reference: p }, code });
    expect((await createClinicalContextProvider({ client }).contextFor(p)).onOxygen).toBe(true);
  });
});

describe('ward and care team', () => {
  it('the in-progress Encounter’s active ward, and the care team of that encounter', async () => {
    const p = await patient();
    const wa = {
      coding: [{ system: 'http://terminology.hl7.org/CodeSystem/location-physical-type', code: 'wa' }],
    };
    const bd = {
      coding: [{ system: 'http://terminology.hl7.org/CodeSystem/location-physical-type', code: 'bd' }],
    };
    await create({
      resourceType: 'Encounter',
      status: 'finished',
      class: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'IMP' },
      subject: { reference: p },
      location: [{ location: { reference: 'Location/icu', display: 'ICU' }, status: 'completed' }],
    });
    const enc = await create({
      resourceType: 'Encounter',
      status: 'in-progress',
      class: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'IMP' },
      subject: { reference: p },
      period: { start: '2024-03-01T08:00:00Z' },
      location: [
        {
          location: { reference: 'Location/ward-2', display: 'Ward 2' },
          status: 'completed',
          physicalType: wa,
        },
        { location: { reference: 'Location/bed-7', display: 'Bed 7' }, status: 'active', physicalType: bd },
        { location: { reference: 'Location/ward-3', display: 'Ward 3' }, status: 'active', physicalType: wa },
      ],
    });
    await create({
      resourceType: 'CareTeam',
      status: 'active',
      subject: { reference: p },
      name: 'Other team',
    });
    const team = await create({
      resourceType: 'CareTeam',
      status: 'active',
      subject: { reference: p },
      encounter: { reference: `Encounter/${enc.id}` },
      name: 'Ward 3 respiratory team',
      participant: [
        { role: [{ text: 'Charge nurse' }], member: { reference: 'Practitioner/n1', display: 'A. Nurse' } },
        { member: { reference: 'Practitioner/d1', display: 'Dr B' } },
      ],
    });
    const ctx = await createClinicalContextProvider({ client }).contextFor(p);
    expect(ctx).toMatchObject({
      encounter: `Encounter/${enc.id}`,
      ward: { reference: 'Location/ward-3', display: 'Ward 3' },
      careTeam: {
        reference: `CareTeam/${team.id}`,
        name: 'Ward 3 respiratory team',
        members: [
          { reference: 'Practitioner/n1', display: 'A. Nurse', role: 'Charge nurse' },
          { reference: 'Practitioner/d1', display: 'Dr B' },
        ],
      },
    });
  });

  it('no encounter, no care team: both absent; spo2Scale 1 and onOxygen false by default', async () => {
    const ctx = await createClinicalContextProvider({ client }).contextFor(await patient());
    expect(ctx).toMatchObject({ spo2Scale: 1, onOxygen: false, stale: false });
    expect(ctx.ward).toBeUndefined();
    expect(ctx.careTeam).toBeUndefined();
  });
});

describe('refresh policy', () => {
  it('serves from the cache within the TTL, re-reads after it or on invalidate, bounds the patients', async () => {
    let now = 1_000_000;
    const provider = createClinicalContextProvider({
      client,
      ttlMs: 60_000,
      maxPatients: 2,
      clock: () => now,
    });
    const p = await patient();
    expect((await provider.contextFor(p)).spo2Scale).toBe(1);
    await condition(p, CODE_SYSTEMS.icd10cm, 'J96.22');
    now += 59_000;
    expect((await provider.contextFor(p)).spo2Scale).toBe(1); // cached
    now += 2_000;
    expect((await provider.contextFor(p)).spo2Scale).toBe(2); // refreshed
    await create({
      resourceType: 'Procedure',
      status: 'in-progress',
      subject: { reference: p },
      code: { coding: [{ system: CODE_SYSTEMS.snomed, code: '57485005' }] },
    });
    expect((await provider.contextFor(p)).onOxygen).toBe(false);
    provider.invalidate(p);
    expect((await provider.contextFor(p)).onOxygen).toBe(true);
    await provider.contextFor(await patient());
    await provider.contextFor(await patient());
    expect(provider.size).toBe(2);
  });

  it('concurrent calls share one read; an outage serves the last context as stale within maxStaleMs, then fails', async () => {
    let now = 0;
    const own = new Client({ baseUrl: fhir.baseUrl });
    let searches = 0;
    const search = own.search.bind(own);
    own.search = (params) => {
      searches++;
      return search(params);
    };
    const provider = createClinicalContextProvider({
      client: own,
      ttlMs: 1000,
      maxStaleMs: 5000,
      clock: () => now,
      retry: { retries: 0 },
    });
    const p = await patient();
    const [a, b] = await Promise.all([provider.contextFor(p), provider.contextFor(p)]);
    expect(a).toBe(b);
    expect(searches).toBe(5);
    const dead = await startEmbeddedFhirServer();
    await dead.close();
    own.baseUrl = dead.baseUrl;
    now = 3000;
    const stale = await provider.contextFor(p);
    expect(stale).toMatchObject({ stale: true, spo2Scale: 1, fetchedAt: 0 });
    now = 7000;
    const e = (await provider.contextFor(p).catch((x: unknown) => x)) as FhirExportError;
    expect(e.code).toBe('store/unavailable');
  });

  it('finds the patient by identifier; an unknown identifier is a typed error', async () => {
    const provider = createClinicalContextProvider({ client });
    const p = await create({ resourceType: 'Patient', identifier: [{ system: MRN, value: 'by-mrn' }] });
    await condition(`Patient/${p.id}`, CODE_SYSTEMS.icd10, 'J96.01');
    expect(await provider.contextFor({ system: MRN, value: 'by-mrn' })).toMatchObject({
      patient: `Patient/${p.id}`,
      spo2Scale: 2,
    });
    const e = (await provider
      .contextFor({ system: MRN, value: 'nobody' })
      .catch((x: unknown) => x)) as FhirExportError;
    expect(e.code).toBe('validation/invalid');
    await expect(provider.contextFor('Patient/has space')).rejects.toThrow(/Patient\/\{id\}/);
  });
});
