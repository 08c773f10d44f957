/**
 * The profile table and the metric mapping checked against the R4 StructureDefinitions, value sets
 * and `fhir-vitals.json` in `test/vectors/fhir-r4/` (HL7 FHIR R4 4.0.1, CC0), and against the core
 * metric catalogue.
 */
import { readFileSync } from 'node:fs';
import { METRIC_IDS, METRICS } from '@healthit/core';
import { describe, expect, it } from 'vitest';
import { METRIC_MAPPINGS } from './metric-mapping.js';
import {
  BP_COMPONENTS,
  MEAN_BLOOD_PRESSURE,
  VITAL_SIGN_PROFILES,
  VITALSIGNS_PROFILE,
  type VitalSignProfileId,
  vitalSignsCategory,
} from './vital-signs.js';

function vector<T>(name: string): T {
  return JSON.parse(
    readFileSync(new URL(`../../test/vectors/fhir-r4/${name}`, import.meta.url), 'utf8'),
  ) as T;
}

interface ElementDefinition {
  id: string;
  fixedCode?: string;
  fixedUri?: string;
  binding?: { strength: string; valueSet?: string };
}
interface StructureDefinition {
  url: string;
  baseDefinition: string;
  snapshot: { element: ElementDefinition[] };
}
interface ValueSet {
  url: string;
  compose: { include: { system: string; concept: { code: string }[] }[] };
}

const profile = (id: string) => vector<StructureDefinition>(`profiles/${id}.profile.json`);
const element = (sd: StructureDefinition, id: string) => sd.snapshot.element.find((e) => e.id === id);

function valueSetCodes(url: string): string[] {
  const name = url.split('|')[0]?.replace('http://hl7.org/fhir/ValueSet/', '');
  const vs = vector<ValueSet>(`profiles/valueset-${name}.json`);
  return vs.compose.include.flatMap((i) => i.concept.map((c) => c.code));
}

/** The unit codes a profile admits: a fixed code, or the codes of its required value set. */
function admittedUnits(sd: StructureDefinition, elementId: string): string[] {
  const e = element(sd, elementId);
  if (e?.fixedCode !== undefined) return [e.fixedCode];
  if (e?.binding?.strength === 'required' && e.binding.valueSet) return valueSetCodes(e.binding.valueSet);
  throw new Error(`${sd.url}: ${elementId} has neither a fixed code nor a required binding`);
}

const SLICES: Record<Exclude<VitalSignProfileId, 'bp'>, string> = {
  heartrate: 'HeartRateCode',
  resprate: 'RespRateCode',
  oxygensat: 'OxygenSatCode',
  bodytemp: 'BodyTempCode',
  bodyweight: 'BodyWeightCode',
  bodyheight: 'BodyHeightCode',
  bmi: 'BMICode',
};

describe('VITAL_SIGN_PROFILES against the R4 StructureDefinitions', () => {
  it.each(Object.entries(SLICES) as [Exclude<VitalSignProfileId, 'bp'>, string][])(
    '%s: url, fixed LOINC code and admitted UCUM units',
    (id, slice) => {
      const sd = profile(id);
      const ours = VITAL_SIGN_PROFILES[id];
      expect(sd.url).toBe(ours.url);
      expect(sd.baseDefinition).toBe(VITALSIGNS_PROFILE);
      expect(element(sd, `Observation.code.coding:${slice}.system`)?.fixedUri).toBe('http://loinc.org');
      expect(element(sd, `Observation.code.coding:${slice}.code`)?.fixedCode).toBe(ours.loinc.code);
      expect(element(sd, 'Observation.value[x]:valueQuantity.system')?.fixedUri).toBe(
        'http://unitsofmeasure.org',
      );
      expect(ours.units.map((u) => u.code).sort()).toEqual(
        admittedUnits(sd, 'Observation.value[x]:valueQuantity.code').sort(),
      );
    },
  );

  it('bp: url, panel code 85354-9, components 8480-6 and 8462-4 in mm[Hg]', () => {
    const sd = profile('bp');
    expect(sd.url).toBe(VITAL_SIGN_PROFILES.bp.url);
    expect(element(sd, 'Observation.code.coding:BPCode.code')?.fixedCode).toBe('85354-9');
    expect(VITAL_SIGN_PROFILES.bp.loinc.code).toBe('85354-9');
    for (const [slice, coding, which] of [
      ['SystolicBP', 'SBPCode', 'systolic'],
      ['DiastolicBP', 'DBPCode', 'diastolic'],
    ] as const) {
      expect(element(sd, `Observation.component:${slice}.code.coding:${coding}.code`)?.fixedCode).toBe(
        BP_COMPONENTS[which].code,
      );
      expect(element(sd, `Observation.component:${slice}.value[x].code`)?.fixedCode).toBe(
        VITAL_SIGN_PROFILES.bp.units[0].code,
      );
    }
    expect(BP_COMPONENTS).toEqual({
      systolic: { code: '8480-6', display: 'Systolic blood pressure' },
      diastolic: { code: '8462-4', display: 'Diastolic blood pressure' },
    });
  });

  it('the vital-signs category is the fixed VSCat slice of the base profile', () => {
    const sd = profile('vitalsigns');
    const [coding] = vitalSignsCategory().coding ?? [];
    expect(coding?.system).toBe(element(sd, 'Observation.category:VSCat.coding.system')?.fixedUri);
    expect(coding?.code).toBe(element(sd, 'Observation.category:VSCat.coding.code')?.fixedCode);
  });

  it('every code used is in the observation-vitalsignresult value set (the profiles bind code to it)', () => {
    const codes = valueSetCodes('http://hl7.org/fhir/ValueSet/observation-vitalsignresult');
    for (const p of Object.values(VITAL_SIGN_PROFILES)) expect(codes).toContain(p.loinc.code);
    expect(codes).toContain(BP_COMPONENTS.systolic.code);
    expect(codes).toContain(BP_COMPONENTS.diastolic.code);
    expect(codes).toContain(MEAN_BLOOD_PRESSURE.loinc.code);
  });

  it('agrees with the fhir-vitals.json summary', () => {
    const summary = vector<{ vitals: { profile?: string; loinc: string; ucum?: string | string[] }[] }>(
      'fhir-vitals.json',
    );
    for (const p of Object.values(VITAL_SIGN_PROFILES)) {
      const row = summary.vitals.find((v) => v.profile === p.url);
      expect(row, p.url).toBeDefined();
      expect(row?.loinc.split(' ')[0]).toBe(p.loinc.code);
      if (row?.ucum !== undefined) {
        expect([row.ucum].flat().sort()).toEqual(p.units.map((u) => u.code).sort());
      }
    }
  });
});

describe('METRIC_MAPPINGS against the core catalogue', () => {
  it('maps every metric, or says why not', () => {
    for (const id of METRIC_IDS) expect(METRIC_MAPPINGS[id], id).toBeDefined();
    expect(Object.keys(METRIC_MAPPINGS).sort()).toEqual([...METRIC_IDS].sort());
  });

  it("puts the profile's fixed code first, then the catalogue's codes, with the canonical unit first", () => {
    for (const id of METRIC_IDS) {
      const m = METRIC_MAPPINGS[id];
      if (m.type !== 'single') continue;
      expect(m.units[0].code, id).toBe(METRICS[id].unit);
      const codes = m.coding.map((c) => c.code);
      for (const l of METRICS[id].loinc) expect(codes, id).toContain(l.code);
      expect(new Set(codes).size).toBe(codes.length);
      for (const c of m.coding) expect(c.system).toBe('http://loinc.org');
    }
    const codes = (id: (typeof METRIC_IDS)[number]) => {
      const m = METRIC_MAPPINGS[id];
      return m.type === 'single' ? m.coding.map((c) => c.code) : [];
    };
    expect(codes('heart-rate')).toEqual(['8867-4']);
    expect(codes('pulse-rate')).toEqual(['8867-4', '8889-8']);
    expect(codes('respiratory-rate')).toEqual(['9279-1']);
    expect(codes('spo2')).toEqual(['2708-6', '59408-5']);
    expect(codes('body-temperature')).toEqual(['8310-5']);
    expect(codes('body-weight')).toEqual(['29463-7']);
    expect(codes('bp-mean')).toEqual(['8478-0']);
  });

  it('blood-pressure components carry the catalogue codes 8480-6 and 8462-4 (not 8867-4)', () => {
    expect(METRIC_MAPPINGS['bp-systolic']).toEqual({ type: 'bp-component', component: 'systolic' });
    expect(METRIC_MAPPINGS['bp-diastolic']).toEqual({ type: 'bp-component', component: 'diastolic' });
    expect(METRICS['bp-systolic'].loinc[0].code).toBe(BP_COMPONENTS.systolic.code);
    expect(METRICS['bp-diastolic'].loinc[0].code).toBe(BP_COMPONENTS.diastolic.code);
  });

  it('codes every mapped metric from observation-vitalsignresult; unmapped ones have no code there', () => {
    const vitals = new Set(valueSetCodes('http://hl7.org/fhir/ValueSet/observation-vitalsignresult'));
    for (const id of METRIC_IDS) {
      const m = METRIC_MAPPINGS[id];
      if (m.type === 'single') expect(vitals.has(m.coding[0]?.code ?? ''), id).toBe(true);
      if (m.type === 'unmapped')
        expect(
          METRICS[id].loinc.some((l) => vitals.has(l.code)),
          id,
        ).toBe(false);
    }
    // Pulse rate's 8889-8 is not in the value set: it is mapped as a heart rate (8867-4) by pulse oximetry.
    expect(vitals.has('8889-8')).toBe(false);
    expect(METRIC_MAPPINGS.glucose.type).toBe('unmapped');
    expect(METRIC_MAPPINGS['device-temperature'].type).toBe('unmapped');
  });
});
