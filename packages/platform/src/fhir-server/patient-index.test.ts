import { parseSearchRequest } from '@medplum/core';
import { MemoryRepository } from '@medplum/fhir-router';
import type { Resource } from '@medplum/fhirtypes';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadFhirDefinitions } from './definitions.js';
import { IndexedMemoryRepository, patientKeys } from './indexed-repository.js';

beforeAll(() => {
  loadFhirDefinitions();
}, 30_000);

/** A patient's resources of several types, `subject` or `patient` referencing it (and one Group subject). */
function resourcesOf(p: number): Resource[] {
  const subject = { reference: `Patient/p${p}` };
  return [
    { resourceType: 'Encounter', status: 'in-progress', class: { code: 'IMP' }, subject },
    { resourceType: 'Condition', subject, code: { text: 'x' } },
    { resourceType: 'CareTeam', subject },
    {
      resourceType: 'MedicationRequest',
      status: 'active',
      intent: 'order',
      subject,
      medicationCodeableConcept: { text: 'oxygen' },
    },
    { resourceType: 'Observation', status: 'final', code: { text: 'hr' }, subject },
    {
      resourceType: 'Encounter',
      status: 'finished',
      class: { code: 'IMP' },
      subject: { reference: `Group/g${p}` },
    },
  ] as Resource[];
}

describe('the patient index of IndexedMemoryRepository', () => {
  it('reads Patient references; leaves other forms (bare ids, other types) to Medplum', () => {
    expect(patientKeys('Patient/p1', 'subject')).toEqual(['\u0001subject\u0000Patient/p1']);
    expect(patientKeys('Patient/p1,Patient/p2', 'patient')).toEqual([
      '\u0001patient\u0000Patient/p1',
      '\u0001patient\u0000Patient/p2',
    ]);
    expect(patientKeys('p1', 'subject')).toBeUndefined();
    expect(patientKeys('Group/g1', 'subject')).toBeUndefined();
  });

  it('answers patient= and subject= searches exactly as Medplum does, for every resource type', async () => {
    const indexed = new IndexedMemoryRepository();
    const plain = new MemoryRepository();
    for (let p = 0; p < 6; p++) {
      for (const r of resourcesOf(p)) {
        const created = await indexed.createResource(r);
        await plain.updateResource(created); // the same id in both
      }
    }
    const deleted = (await indexed.searchResources(parseSearchRequest('Condition?patient=Patient/p2')))[0];
    if (deleted === undefined) throw new Error('no condition');
    await indexed.deleteResource('Condition', deleted.id);
    await plain.deleteResource('Condition', deleted.id);
    for (const type of ['Encounter', 'Condition', 'CareTeam', 'MedicationRequest', 'Observation']) {
      for (const query of [
        'patient=Patient/p2',
        'subject=Patient/p3',
        'patient=p4',
        'patient=Patient/p1,Patient/p5',
        'subject=Group/g1',
      ]) {
        const url = `${type}?${query}`;
        const ids = async (repo: MemoryRepository) =>
          (await repo.searchResources(parseSearchRequest(url))).map((r) => r.id).sort();
        expect(await ids(indexed), url).toEqual(await ids(plain));
      }
    }
    // With _include the search is Medplum's own: the same answer as the plain repository.
    const withInclude = 'MedicationRequest?patient=Patient/p2&_include=MedicationRequest:medication';
    const entries = async (repo: MemoryRepository) =>
      ((await repo.search(parseSearchRequest(withInclude))).entry ?? []).map((e) => e.resource?.id).sort();
    expect(await entries(indexed)).toEqual(await entries(plain));
  });

  it('where a parameter reads another element (Provenance.target, DocumentReference.masterIdentifier) the answer is Medplum’s', async () => {
    const indexed = new IndexedMemoryRepository();
    const plain = new MemoryRepository();
    const resources = [
      {
        resourceType: 'Provenance',
        target: [{ reference: 'Patient/p1' }],
        recorded: '2024-01-01T00:00:00Z',
        agent: [{ who: { display: 'x' } }],
      },
      {
        resourceType: 'DocumentReference',
        status: 'current',
        masterIdentifier: { system: 'urn:sys', value: 'm1' },
        identifier: [{ system: 'urn:sys', value: 'i1' }],
        subject: { reference: 'Patient/p1' },
        content: [{ attachment: { url: 'http://x' } }],
      },
      {
        resourceType: 'Immunization',
        status: 'completed',
        vaccineCode: { text: 'x' },
        patient: { reference: 'Patient/p1' },
        occurrenceString: 'today',
      },
    ] as Resource[];
    for (const r of resources) await plain.updateResource(await indexed.createResource(r));
    for (const url of [
      'Provenance?patient=Patient/p1',
      'DocumentReference?identifier=urn:sys|m1',
      'DocumentReference?identifier=urn:sys|i1',
      'DocumentReference?patient=Patient/p1',
      'DocumentReference?subject=Patient/p1',
      'Immunization?patient=Patient/p1',
    ]) {
      const ids = async (repo: MemoryRepository) =>
        (await repo.searchResources(parseSearchRequest(url))).map((r) => r.id);
      const expected = await ids(plain);
      expect(expected, url).toHaveLength(1);
      expect(await ids(indexed), url).toEqual(expected);
    }
  });

  it('a patient search costs what it finds, not the size of the ward', async () => {
    const repo = new IndexedMemoryRepository();
    for (let p = 0; p < 2_000; p++) await repo.createResource(resourcesOf(p)[0] as Resource);
    const t0 = performance.now();
    for (let p = 0; p < 200; p++) {
      const found = await repo.searchResources(parseSearchRequest(`Encounter?patient=Patient/p${p}`));
      expect(found).toHaveLength(1);
    }
    const perSearchMs = (performance.now() - t0) / 200;
    expect(perSearchMs).toBeLessThan(5); // a scan of 2 000 Encounters with FHIRPath takes seconds
  });
});
