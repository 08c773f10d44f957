/**
 * The metric catalogue and the unit converter checked against the FHIR R4 (4.0.1) vital-signs
 * profiles, value sets and example Observations in `vectors/fhir-r4/` (HL7, CC0).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  BLOOD_PRESSURE_PANEL,
  isPlausible,
  METRIC_IDS,
  METRICS,
  type MetricId,
} from '../src/metrics/catalogue.js';
import { Reading } from '../src/schemas/reading.js';
import { convertUnit, isUnitForMetric, toCanonicalUnit } from '../src/units/ucum.js';
import { parse } from '../src/validate.js';

const UCUM = 'http://unitsofmeasure.org';
const LOINC = 'http://loinc.org';

function vector<T>(name: string): T {
  return JSON.parse(readFileSync(new URL(`./vectors/fhir-r4/${name}`, import.meta.url), 'utf8')) as T;
}

interface ElementDefinition {
  id: string;
  fixedCode?: string;
  fixedUri?: string;
  binding?: { strength: string; valueSet?: string };
}
interface StructureDefinition {
  url: string;
  snapshot: { element: ElementDefinition[] };
}
interface ValueSet {
  url: string;
  compose: { include: { system: string; concept: { code: string }[] }[] };
}
interface Coding {
  system?: string;
  code?: string;
}
interface Quantity {
  value: number;
  unit?: string;
  system: string;
  code: string;
}
interface Observation {
  id: string;
  code: { coding: Coding[] };
  valueQuantity?: Quantity;
  component?: { code: { coding: Coding[] }; valueQuantity?: Quantity }[];
}

function element(profile: StructureDefinition, id: RegExp): ElementDefinition {
  const found = profile.snapshot.element.filter((e) => id.test(e.id));
  expect(found, `${profile.url}: ${id}`).toHaveLength(1);
  return found[0] as ElementDefinition;
}

function valueSetCodes(file: string): string[] {
  return vector<ValueSet>(file).compose.include.flatMap((i) => i.concept.map((c) => c.code));
}

/** The catalogue metric whose LOINC codings include `code`. */
function metricForLoinc(code: string): MetricId | undefined {
  return METRIC_IDS.find((id) => METRICS[id].loinc.some((c) => c.code === code));
}

function relClose(actual: number, expected: number): void {
  expect(Math.abs(actual - expected)).toBeLessThanOrEqual(1e-12 * Math.max(Math.abs(expected), 1));
}

describe('catalogue vs the R4 vital-signs profiles (StructureDefinitions)', () => {
  it.each([
    ['heartrate.profile.json', 'heart-rate', '8867-4', '/min'],
    ['resprate.profile.json', 'respiratory-rate', '9279-1', '/min'],
    ['oxygensat.profile.json', 'spo2', '2708-6', '%'],
  ] as const)(
    '%s fixes LOINC %s and UCUM %s, as the catalogue has them for %s',
    (file, metric, loinc, unit) => {
      const profile = vector<StructureDefinition>(`profiles/${file}`);
      const code = element(profile, /^Observation\.code\.coding:\w+\.code$/);
      expect(element(profile, /^Observation\.code\.coding:\w+\.system$/).fixedUri).toBe(LOINC);
      expect(code.fixedCode).toBe(loinc);
      expect(element(profile, /^Observation\.value\[x\]:valueQuantity\.system$/).fixedUri).toBe(UCUM);
      expect(element(profile, /^Observation\.value\[x\]:valueQuantity\.code$/).fixedCode).toBe(unit);
      // The profile's code is the metric's primary (first) LOINC coding, its unit the canonical one.
      expect(METRICS[metric].loinc[0]?.code).toBe(code.fixedCode);
      expect(METRICS[metric].unit).toBe(unit);
    },
  );

  it.each([
    ['bodytemp.profile.json', 'body-temperature', '8310-5', 'valueset-ucum-bodytemp.json', ['Cel', '[degF]']],
    [
      'bodyweight.profile.json',
      'body-weight',
      '29463-7',
      'valueset-ucum-bodyweight.json',
      ['kg', '[lb_av]', 'g'],
    ],
  ] as const)(
    '%s fixes LOINC %s and binds its units to a value set the catalogue can express',
    (file, metric, loinc, vsFile, units) => {
      const profile = vector<StructureDefinition>(`profiles/${file}`);
      expect(element(profile, /^Observation\.code\.coding:\w+\.code$/).fixedCode).toBe(loinc);
      expect(METRICS[metric].loinc[0]?.code).toBe(loinc);
      const binding = element(profile, /^Observation\.value\[x\]:valueQuantity\.code$/).binding;
      const valueSet = vector<ValueSet>(`profiles/${vsFile}`);
      expect(binding).toMatchObject({ strength: 'required', valueSet: `${valueSet.url}|4.0.1` });
      const codes = valueSetCodes(`profiles/${vsFile}`);
      expect(codes).toEqual(units);
      // The canonical unit is the value set's first, and every unit it allows converts to it.
      expect(METRICS[metric].unit).toBe(codes[0]);
      for (const unit of codes) expect(isUnitForMetric(metric, unit), unit).toBe(true);
    },
  );

  it('bp.profile.json: panel 85354-9 with systolic 8480-6 and diastolic 8462-4 in mm[Hg]', () => {
    const profile = vector<StructureDefinition>('profiles/bp.profile.json');
    expect(element(profile, /^Observation\.code\.coding:BPCode\.code$/).fixedCode).toBe(
      BLOOD_PRESSURE_PANEL.loinc.code,
    );
    expect(BLOOD_PRESSURE_PANEL.loinc.code).toBe('85354-9');
    const slices = [
      ['SystolicBP', 'SBPCode'],
      ['DiastolicBP', 'DBPCode'],
    ] as const;
    slices.forEach(([slice, coding], i) => {
      const metric = BLOOD_PRESSURE_PANEL.components[i] as MetricId;
      const code = element(
        profile,
        new RegExp(`^Observation\\.component:${slice}\\.code\\.coding:${coding}\\.code$`),
      );
      const unit = element(profile, new RegExp(`^Observation\\.component:${slice}\\.value\\[x\\]\\.code$`));
      expect(
        element(profile, new RegExp(`^Observation\\.component:${slice}\\.value\\[x\\]\\.system$`)).fixedUri,
      ).toBe(UCUM);
      expect(METRICS[metric].loinc[0]?.code).toBe(code.fixedCode);
      expect(METRICS[metric].unit).toBe(unit.fixedCode);
    });
    expect(METRICS['bp-systolic'].loinc[0]?.code).toBe('8480-6');
    expect(METRICS['bp-diastolic'].loinc[0]?.code).toBe('8462-4');
    expect(METRICS['bp-systolic'].unit).toBe('mm[Hg]');
  });

  it('every vital-sign code in the catalogue is in the R4 observation-vitalsignresult value set', () => {
    const vitalSignCodes = valueSetCodes('profiles/valueset-observation-vitalsignresult.json');
    const catalogueVitals: MetricId[] = [
      'heart-rate',
      'respiratory-rate',
      'spo2',
      'body-temperature',
      'bp-systolic',
      'bp-diastolic',
      'bp-mean',
      'body-weight',
    ];
    for (const id of catalogueVitals) expect(vitalSignCodes, id).toContain(METRICS[id].loinc[0]?.code);
    expect(vitalSignCodes).toContain(BLOOD_PRESSURE_PANEL.loinc.code);
    expect(METRICS['bp-mean'].loinc[0]?.code).toBe('8478-0');
  });

  it('no LOINC code names two metrics', () => {
    const codes = METRIC_IDS.flatMap((id) => METRICS[id].loinc.map((c) => c.code));
    expect(new Set(codes).size).toBe(codes.length);
  });
});

describe('catalogue vs fhir-vitals.json (summary of the R4 profiles)', () => {
  interface Vital {
    name: string;
    loinc?: string;
    ucum?: string | string[];
    components?: { name: string; loinc: string; ucum: string }[];
    notes?: string[];
    note?: string;
  }
  const vitals = vector<{ fhir_version: string; vitals: Vital[] }>('fhir-vitals.json');
  const byName = (name: string): Vital => {
    const v = vitals.vitals.find((x) => x.name === name);
    if (v === undefined) throw new Error(`no vital named ${name}`);
    return v;
  };
  const units = (v: Vital): string[] =>
    Array.isArray(v.ucum) ? v.ucum : v.ucum === undefined ? [] : [v.ucum];

  it('describes FHIR R4', () => {
    expect(vitals.fhir_version).toBe('4.0.1 (R4)');
  });

  it.each([
    ['Heart rate', 'heart-rate'],
    ['Respiratory rate', 'respiratory-rate'],
    ['Oxygen saturation (SpO2)', 'spo2'],
    ['Body temperature', 'body-temperature'],
    ['Body weight', 'body-weight'],
  ] as const)('%s: the LOINC code and canonical unit agree with %s', (name, metric) => {
    const v = byName(name);
    expect(metricForLoinc(v.loinc as string)).toBe(metric);
    expect(METRICS[metric].loinc[0]?.code).toBe(v.loinc);
    expect(units(v)[0]).toBe(METRICS[metric].unit);
    for (const unit of units(v)) expect(isUnitForMetric(metric, unit), unit).toBe(true);
  });

  it('SpO2: the catalogue carries the pulse-oximetry code 59408-5 beside the profile’s 2708-6', () => {
    expect(byName('Oxygen saturation (SpO2)').note).toContain('59408-5');
    expect(METRICS.spo2.loinc.map((c) => c.code)).toEqual(['2708-6', '59408-5']);
  });

  it('Blood pressure panel: 85354-9 with systolic 8480-6 and diastolic 8462-4 in mm[Hg]; mean 8478-0', () => {
    const bp = byName('Blood pressure panel');
    expect(bp.loinc?.startsWith(`${BLOOD_PRESSURE_PANEL.loinc.code} `)).toBe(true);
    const components = bp.components ?? [];
    expect(components.map((c) => metricForLoinc(c.loinc))).toEqual([...BLOOD_PRESSURE_PANEL.components]);
    for (const c of components) expect(METRICS[metricForLoinc(c.loinc) as MetricId].unit).toBe(c.ucum);
    expect(bp.notes?.some((n) => n.includes('8478-0'))).toBe(true);
    expect(metricForLoinc('8478-0')).toBe('bp-mean');
  });

  it('the catalogue has the codes the summary does not: glucose 2339-0 mg/dL, pulse rate 8889-8; no LOINC for device temperature', () => {
    expect(METRICS.glucose.loinc.map((c) => c.code)).toEqual(['2339-0']);
    expect(METRICS.glucose.unit).toBe('mg/dL');
    expect(METRICS['pulse-rate'].loinc.map((c) => c.code)).toEqual(['8889-8']);
    expect(METRICS['pulse-rate'].unit).toBe('/min');
    expect(METRICS['device-temperature'].loinc).toEqual([]);
  });
});

describe('the R4 example Observations as Readings', () => {
  /** Turns a Quantity into a Reading of `metric`, validated by the Reading schema. */
  function toReading(metric: MetricId, q: Quantity, seq: number): Reading {
    expect(q.system).toBe(UCUM);
    return parse(
      Reading,
      'Reading',
      {
        id: `fhir-example:${seq}`,
        deviceId: 'fhir-example',
        metric,
        value: q.value,
        unit: q.code,
        ts: 0,
        seq,
      },
      'observation-example',
    );
  }

  it.each([
    ['observation-example-heart-rate.json', 'heart-rate', 44],
    ['observation-example-respiratory-rate.json', 'respiratory-rate', 26],
    ['observation-example-satO2.json', 'spo2', 95],
    ['observation-example-body-temperature.json', 'body-temperature', 36.5],
    ['observation-example-f202-temperature.json', 'body-temperature', 39],
    ['observation-example-mbp.json', 'bp-mean', 80],
    ['observation-example-map-sitting.json', 'bp-mean', 60],
    ['observation-example.json', 'body-weight', 83.91458845],
  ] as const)('%s is a valid %s reading of %d in the canonical unit', (file, metric, canonical) => {
    const obs = vector<Observation>(file);
    const loincCodes = obs.code.coding.filter((c) => c.system === LOINC).map((c) => c.code as string);
    expect(loincCodes.map(metricForLoinc)).toContain(metric);
    const q = obs.valueQuantity as Quantity;
    const reading = toReading(metric, q, 1);
    const value = toCanonicalUnit(metric, reading.value, reading.unit);
    relClose(value, canonical);
    expect(isPlausible(metric, value)).toBe(true);
  });

  it('observation-example.json: 185 [lb_av] is 83.91458845 kg (1 [lb_av] = 0.45359237 kg)', () => {
    const obs = vector<Observation>('observation-example.json');
    expect(obs.code.coding[0]).toMatchObject({ system: LOINC, code: '29463-7' });
    expect(obs.valueQuantity).toMatchObject({ value: 185, system: UCUM, code: '[lb_av]' });
    relClose(convertUnit(185, '[lb_av]', 'kg'), 83.91458845);
    relClose(convertUnit(83.91458845, 'kg', '[lb_av]'), 185);
  });

  it('observation-example-satO2.json carries the same LOINC codes as the catalogue, in the same order', () => {
    const obs = vector<Observation>('observation-example-satO2.json');
    const loincCodes = obs.code.coding.filter((c) => c.system === LOINC).map((c) => c.code);
    expect(loincCodes).toEqual(METRICS.spo2.loinc.map((c) => c.code));
  });

  it('observation-example-bloodpressure.json: 107/60 mm[Hg] as systolic and diastolic readings', () => {
    const obs = vector<Observation>('observation-example-bloodpressure.json');
    expect(obs.code.coding[0]?.code).toBe(BLOOD_PRESSURE_PANEL.loinc.code);
    const readings = (obs.component ?? []).map((c, i) => {
      const metric = metricForLoinc(c.code.coding[0]?.code as string) as MetricId;
      return toReading(metric, c.valueQuantity as Quantity, i);
    });
    expect(readings.map((r) => [r.metric, r.value, r.unit])).toEqual([
      ['bp-systolic', 107, 'mm[Hg]'],
      ['bp-diastolic', 60, 'mm[Hg]'],
    ]);
    expect(readings.map((r) => r.metric)).toEqual([...BLOOD_PRESSURE_PANEL.components]);
  });

  it('observation-example-f001-glucose.json: 6.3 mmol/L (LOINC 15074-8, moles/volume) is 113.49828 mg/dL', () => {
    const obs = vector<Observation>('observation-example-f001-glucose.json');
    expect(obs.code.coding.map((c) => c.code)).toEqual(['15074-8']);
    // 15074-8 is the substance-concentration code; the catalogue stores glucose as mass concentration.
    expect(metricForLoinc('15074-8')).toBeUndefined();
    const reading = toReading('glucose', obs.valueQuantity as Quantity, 1);
    expect(reading.unit).toBe('mmol/L');
    relClose(toCanonicalUnit('glucose', reading.value, reading.unit), 6.3 * 18.0156);
  });
});
