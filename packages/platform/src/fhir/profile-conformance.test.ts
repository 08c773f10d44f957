/**
 * Generated Observations checked against the official FHIR R4 (4.0.1) example Observations and the
 * vital-signs StructureDefinitions in `test/vectors/fhir-r4/` (HL7, CC0): field by field against the
 * examples, and against every `min ≥ 1`, `max`, fixed value, slice and required unit binding of the
 * profile snapshots.
 */
import { readFileSync } from 'node:fs';
import { METRIC_IDS, METRICS, type MetricId, type Reading } from '@healthit/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ObservationContext } from './context.js';
import { toFhirObservations } from './to-observations.js';
import type { FhirCoding, FhirObservation } from './types.js';
import { VITAL_SIGN_PROFILES, VITALSIGNS_PROFILE } from './vital-signs.js';

function vector<T>(name: string): T {
  return JSON.parse(
    readFileSync(new URL(`../../test/vectors/fhir-r4/${name}`, import.meta.url), 'utf8'),
  ) as T;
}

// ---------------------------------------------------------------------------------------------
// A small StructureDefinition snapshot checker: cardinality, fixed[x]/pattern[x], value slices
// (by their discriminators) and type slices, and required bindings to the value sets we hold.
// ---------------------------------------------------------------------------------------------

interface ElementDefinition {
  id: string;
  min?: number;
  max?: string;
  slicing?: { discriminator: { type: string; path: string }[] };
  binding?: { strength: string; valueSet?: string };
  [key: string]: unknown;
}
interface StructureDefinition {
  url: string;
  snapshot: { element: ElementDefinition[] };
}
interface ValueSet {
  url: string;
  compose: { include: { system: string; concept: { code: string }[] }[] };
}

const VALUE_SETS = new Map<string, Set<string>>(
  ['ucum-bodytemp', 'ucum-bodyweight', 'ucum-bodylength', 'observation-vitalsignresult'].map((name) => {
    const vs = vector<ValueSet>(`profiles/valueset-${name}.json`);
    return [vs.url, new Set(vs.compose.include.flatMap((i) => i.concept.map((c) => c.code)))];
  }),
);

const PROFILE_FILES: Record<string, string> = {
  [VITALSIGNS_PROFILE]: 'vitalsigns',
  ...Object.fromEntries(Object.entries(VITAL_SIGN_PROFILES).map(([id, p]) => [p.url, id])),
};

function profile(url: string): StructureDefinition {
  const file = PROFILE_FILES[url];
  if (file === undefined) throw new Error(`no profile file for ${url}`);
  return vector<StructureDefinition>(`profiles/${file}.profile.json`);
}

type Json = unknown;

/** The values of `key` in `v` (arrays flattened); `name[x]` matches any `nameType` key. */
function valuesAt(v: Json, key: string): Json[] {
  if (typeof v !== 'object' || v === null) return [];
  const obj = v as Record<string, Json>;
  let found: Json;
  if (key.endsWith('[x]')) {
    const base = key.slice(0, -3);
    const k = Object.keys(obj).find((k) => k.startsWith(base) && /^[A-Z]/.test(k.slice(base.length)));
    found = k === undefined ? undefined : obj[k];
  } else {
    found = obj[key];
  }
  if (found === undefined) return [];
  return Array.isArray(found) ? found : [found];
}

function valuesAtPath(v: Json, path: string): Json[] {
  return path.split('.').reduce<Json[]>((acc, key) => acc.flatMap((x) => valuesAt(x, key)), [v]);
}

function matchesPattern(value: Json, pattern: Json): boolean {
  if (typeof pattern !== 'object' || pattern === null) return value === pattern;
  if (Array.isArray(pattern)) {
    return pattern.every((p) => Array.isArray(value) && value.some((x) => matchesPattern(x, p)));
  }
  return Object.entries(pattern).every(([k, p]) =>
    matchesPattern((value as Record<string, Json> | null)?.[k], p),
  );
}

class SnapshotChecker {
  private readonly byId = new Map<string, ElementDefinition>();
  constructor(private readonly sd: StructureDefinition) {
    for (const e of sd.snapshot.element) this.byId.set(e.id, e);
  }

  check(resource: Json): string[] {
    const errors: string[] = [];
    this.element('Observation', [resource], errors);
    return errors.map((e) => `${this.sd.url}: ${e}`);
  }

  /** Child element ids of `id`, each with the JSON key it reads. */
  private children(id: string): { id: string; key: string }[] {
    const out: { id: string; key: string }[] = [];
    for (const childId of this.byId.keys()) {
      if (!childId.startsWith(`${id}.`)) continue;
      const rest = childId.slice(id.length + 1);
      if (rest.includes('.')) continue;
      const [name, slice] = rest.split(':') as [string, string | undefined];
      if (slice === undefined) out.push({ id: childId, key: name });
      else if (name.endsWith('[x]')) out.push({ id: childId, key: slice }); // a type slice: valueQuantity
    }
    return out;
  }

  private slices(id: string): string[] {
    return [...this.byId.keys()].filter(
      (s) => s.startsWith(`${id}:`) && !s.slice(id.length + 1).includes('.'),
    );
  }

  /** The fixed value at `path` (slice names ignored) under element `sliceId`. */
  private fixedAt(sliceId: string, path: string): Json {
    for (const [id, e] of this.byId) {
      if (!id.startsWith(`${sliceId}.`)) continue;
      const rel = id
        .slice(sliceId.length + 1)
        .split('.')
        .map((s) => s.split(':')[0])
        .join('.');
      if (rel !== path) continue;
      const key = Object.keys(e).find((k) => k.startsWith('fixed') || k.startsWith('pattern'));
      if (key !== undefined) return e[key];
    }
    return undefined;
  }

  private element(id: string, values: Json[], errors: string[]): void {
    const def = this.byId.get(id);
    if (def === undefined) return;
    const min = def.min ?? 0;
    if (values.length < min) errors.push(`${id}: ${values.length} values, min ${min}`);
    if (def.max !== undefined && def.max !== '*' && values.length > Number(def.max)) {
      errors.push(`${id}: ${values.length} values, max ${def.max}`);
    }
    for (const [key, fixed] of Object.entries(def)) {
      if (!key.startsWith('fixed') && !key.startsWith('pattern')) continue;
      for (const v of values) {
        const ok = key.startsWith('fixed')
          ? JSON.stringify(v) === JSON.stringify(fixed)
          : matchesPattern(v, fixed);
        if (!ok) errors.push(`${id}: ${JSON.stringify(v)} does not match ${key} ${JSON.stringify(fixed)}`);
      }
    }
    const vs = def.binding?.strength === 'required' ? def.binding.valueSet?.split('|')[0] : undefined;
    const codes = vs === undefined ? undefined : VALUE_SETS.get(vs);
    if (codes !== undefined && id.endsWith('.code')) {
      for (const v of values) if (!codes.has(v as string)) errors.push(`${id}: ${String(v)} not in ${vs}`);
    }
    for (const v of values) {
      for (const child of this.children(id)) this.element(child.id, valuesAt(v, child.key), errors);
    }
    // Value slices: the items matching the slice's fixed values at the discriminator paths.
    const discriminators = def.slicing?.discriminator.filter((d) => d.type === 'value') ?? [];
    if (discriminators.length === 0) return;
    for (const sliceId of this.slices(id)) {
      const matching = values.filter((v) =>
        discriminators.every((d) => {
          const fixed = this.fixedAt(sliceId, d.path);
          return fixed === undefined || valuesAtPath(v, d.path).some((x) => x === fixed);
        }),
      );
      this.element(sliceId, matching, errors);
    }
  }
}

const CHECKERS = new Map<string, SnapshotChecker>();
function conformanceErrors(o: FhirObservation): string[] {
  return (o.meta?.profile ?? []).flatMap((url) => {
    let checker = CHECKERS.get(url);
    if (checker === undefined) {
      checker = new SnapshotChecker(profile(url));
      CHECKERS.set(url, checker);
    }
    return checker.check(o);
  });
}

// ---------------------------------------------------------------------------------------------

const CONTEXT: ObservationContext = {
  identifierSystem: 'https://hospital.example/fhir/sid/iomt-reading',
  patient: { type: 'id' },
  device: { type: 'id' },
};
const T = Date.UTC(2024, 2, 1, 8, 30, 0);

function reading(metric: MetricId, value: number, unit: string, seq = 1, deviceId = 'monitor-1'): Reading {
  return {
    id: `${deviceId}:${seq}`,
    deviceId,
    patientId: 'example',
    metric,
    value,
    unit,
    ts: T,
    seq,
    quality: 'good',
  } as Reading;
}

function only(readings: Reading[]): FhirObservation {
  const { observations, skipped } = toFhirObservations(readings, CONTEXT);
  expect(skipped).toEqual([]);
  expect(observations).toHaveLength(1);
  return observations[0]!;
}

function loincCodings(c: { coding?: FhirCoding[] } | undefined): FhirCoding[] {
  return (c?.coding ?? []).filter((x) => x.system === 'http://loinc.org');
}

describe('the snapshot checker itself', () => {
  it('accepts the official examples that declare a profile, and reports what a broken one lacks', () => {
    const hr = vector<FhirObservation>('observation-example-heart-rate.json');
    const checker = new SnapshotChecker(profile(VITAL_SIGN_PROFILES.heartrate.url));
    expect(checker.check(hr)).toEqual([]);
    const { subject: _s, ...noSubject } = hr;
    expect(checker.check(noSubject).join()).toContain('Observation.subject: 0 values, min 1');
    const wrongUnit = { ...hr, valueQuantity: { ...hr.valueQuantity, code: '{beats}/min' } };
    expect(checker.check(wrongUnit).join()).toContain('fixedCode "/min"');
    const wrongCode = { ...hr, code: { coding: [{ system: 'http://loinc.org', code: '8889-8' }] } };
    expect(checker.check(wrongCode).join()).toContain(
      'Observation.code.coding:HeartRateCode: 0 values, min 1',
    );
    const bp = vector<FhirObservation>('observation-example-bloodpressure.json');
    const bpChecker = new SnapshotChecker(profile(VITAL_SIGN_PROFILES.bp.url));
    expect(bpChecker.check(bp)).toEqual([]);
    expect(bpChecker.check(vector('observation-example-bloodpressure-dar.json'))).toEqual([]);
    expect(bpChecker.check({ ...bp, component: bp.component?.slice(0, 1) }).join()).toContain(
      'DiastolicBP: 0 values, min 1',
    );
    const temp = vector<FhirObservation>('observation-example-body-temperature.json');
    const tempChecker = new SnapshotChecker(profile(VITAL_SIGN_PROFILES.bodytemp.url));
    expect(tempChecker.check(temp)).toEqual([]);
    expect(
      tempChecker.check({ ...temp, valueQuantity: { ...temp.valueQuantity, code: 'K' } }).join(),
    ).toContain('not in http://hl7.org/fhir/ValueSet/ucum-bodytemp');
  });
});

interface VitalCase {
  name: string;
  reading: Reading;
  example: string;
  profile: string;
  /** The official examples write mm[Hg] as `mmHg` (blood pressure) and as `mm[Hg]` (mean BP). */
  compareUnitText: boolean;
  /** LOINC codes of the example that the SDK does not assert (with the reason in the case). */
  notAsserted?: string[];
}

const CASES: VitalCase[] = [
  {
    name: 'heart rate',
    reading: reading('heart-rate', 44, '/min'),
    example: 'observation-example-heart-rate.json',
    profile: VITAL_SIGN_PROFILES.heartrate.url,
    compareUnitText: true,
  },
  {
    name: 'pulse rate (pulse oximetry)',
    reading: reading('pulse-rate', 44, '/min'),
    example: 'observation-example-heart-rate.json',
    profile: VITAL_SIGN_PROFILES.heartrate.url,
    compareUnitText: true,
  },
  {
    name: 'respiratory rate',
    reading: reading('respiratory-rate', 26, '/min'),
    example: 'observation-example-respiratory-rate.json',
    profile: VITAL_SIGN_PROFILES.resprate.url,
    compareUnitText: true,
  },
  {
    name: 'oxygen saturation',
    reading: reading('spo2', 95, '%'),
    example: 'observation-example-satO2.json',
    profile: VITAL_SIGN_PROFILES.oxygensat.url,
    compareUnitText: true,
  },
  {
    name: 'body temperature',
    reading: reading('body-temperature', 36.5, 'Cel'),
    example: 'observation-example-body-temperature.json',
    profile: VITAL_SIGN_PROFILES.bodytemp.url,
    compareUnitText: true,
  },
  {
    name: 'body weight (in [lb_av], as the example)',
    reading: reading('body-weight', 185, '[lb_av]'),
    example: 'observation-example.json',
    profile: VITAL_SIGN_PROFILES.bodyweight.url,
    compareUnitText: true,
    // The example adds 3141-9 "Body weight Measured"; the core catalogue asserts 29463-7 only.
    notAsserted: ['3141-9'],
  },
  {
    name: 'mean blood pressure',
    reading: reading('bp-mean', 80, 'mm[Hg]'),
    example: 'observation-example-mbp.json',
    profile: VITALSIGNS_PROFILE,
    compareUnitText: false,
  },
];

describe.each(CASES)('$name matches the official R4 example and profile', (c) => {
  const example = vector<FhirObservation>(c.example);
  const o = only([c.reading]);

  it('has resourceType, status and the vital-signs category of the example', () => {
    expect(o.resourceType).toBe(example.resourceType);
    expect(o.status).toBe(example.status);
    const [ours] = o.category ?? [];
    const [theirs] = example.category ?? [];
    expect(ours?.coding?.[0]?.system).toBe(theirs?.coding?.[0]?.system);
    expect(ours?.coding?.[0]?.code).toBe(theirs?.coding?.[0]?.code);
    expect(ours?.coding?.[0]?.display).toBe(theirs?.coding?.[0]?.display);
  });

  it("carries every LOINC coding of the example's code, the profile's fixed code first", () => {
    for (const theirs of loincCodings(example.code).filter((x) => !c.notAsserted?.includes(x.code ?? ''))) {
      const ours = loincCodings(o.code).find((x) => x.code === theirs.code);
      expect(ours, `LOINC ${theirs.code}`).toBeDefined();
      expect(ours?.system).toBe(theirs.system);
      expect(ours?.display?.toLowerCase()).toBe(theirs.display?.toLowerCase());
    }
    const fixed = Object.values(VITAL_SIGN_PROFILES).find((p) => p.url === c.profile)?.loinc.code;
    expect(o.code.coding?.[0]?.code).toBe(fixed ?? example.code.coding?.[0]?.code);
    // Every code is a LOINC code of the metric in the core catalogue (or the profile's fixed code).
    const catalogue: string[] = METRICS[c.reading.metric].loinc.map((l) => l.code);
    for (const coding of o.code.coding ?? []) {
      expect(coding.code === fixed || catalogue.includes(coding.code ?? '')).toBe(true);
    }
  });

  it('has the valueQuantity system, code and unit text of the example, and the reading value', () => {
    expect(o.valueQuantity?.system).toBe(example.valueQuantity?.system);
    expect(o.valueQuantity?.code).toBe(example.valueQuantity?.code);
    if (c.compareUnitText) expect(o.valueQuantity?.unit).toBe(example.valueQuantity?.unit);
    expect(o.valueQuantity?.value).toBe(c.reading.value);
  });

  it("declares the example's profile and the per-vital profile, and meets all their constraints", () => {
    for (const url of example.meta?.profile ?? []) expect(o.meta?.profile).toContain(url);
    expect(o.meta?.profile).toContain(c.profile);
    expect(o.meta?.profile).toContain(VITALSIGNS_PROFILE);
    expect(conformanceErrors(o)).toEqual([]);
  });
});

describe('the blood-pressure panel matches observation-example-bloodpressure.json and the bp profile', () => {
  const example = vector<FhirObservation>('observation-example-bloodpressure.json');
  const panel = only([
    reading('bp-systolic', 107, 'mm[Hg]', 1, 'cuff-1'),
    reading('bp-diastolic', 60, 'mm[Hg]', 2, 'cuff-1'),
  ]);

  it('is one 85354-9 Observation with systolic and diastolic components and no top-level value', () => {
    expect(loincCodings(panel.code)).toEqual(loincCodings(example.code));
    expect(panel.code.text).toBe(example.code.text);
    expect(panel.valueQuantity).toBeUndefined();
    expect(panel.dataAbsentReason).toBeUndefined();
    expect(example.valueQuantity).toBeUndefined();
    expect(panel.component).toHaveLength(example.component?.length ?? -1);
    panel.component?.forEach((ours, i) => {
      const theirs = example.component?.[i];
      expect(loincCodings(ours.code)).toEqual(loincCodings(theirs?.code));
      expect(ours.valueQuantity?.value).toBe(theirs?.valueQuantity?.value);
      expect(ours.valueQuantity?.system).toBe(theirs?.valueQuantity?.system);
      expect(ours.valueQuantity?.code).toBe(theirs?.valueQuantity?.code);
      expect(ours.valueQuantity?.unit).toBe(theirs?.valueQuantity?.unit);
    });
    expect(panel.meta?.profile).toEqual([VITALSIGNS_PROFILE, VITAL_SIGN_PROFILES.bp.url]);
    expect(conformanceErrors(panel)).toEqual([]);
  });

  it('a lone systolic is a panel whose diastolic has a dataAbsentReason, like bloodpressure-dar', () => {
    const dar = vector<FhirObservation>('observation-example-bloodpressure-dar.json');
    const lone = only([reading('bp-systolic', 107, 'mm[Hg]', 1, 'cuff-1')]);
    expect(lone.component).toHaveLength(2);
    const [sys, dia] = lone.component ?? [];
    expect(loincCodings(sys?.code)).toEqual(loincCodings(dar.component?.[0]?.code));
    expect(sys?.valueQuantity?.value).toBe(107);
    expect(loincCodings(dia?.code)).toEqual(loincCodings(dar.component?.[1]?.code));
    expect(dia?.valueQuantity).toBeUndefined();
    expect(dia?.dataAbsentReason?.coding?.[0]?.system).toBe(
      dar.component?.[1]?.dataAbsentReason?.coding?.[0]?.system,
    );
    expect(dia?.dataAbsentReason?.coding?.[0]?.code).toBe('unknown');
    expect(conformanceErrors(lone)).toEqual([]);
  });

  it('a lone diastolic is a panel whose systolic has a dataAbsentReason', () => {
    const lone = only([reading('bp-diastolic', 60, 'mm[Hg]', 2, 'cuff-1')]);
    const [sys, dia] = lone.component ?? [];
    expect(sys?.code.coding?.[0]?.code).toBe('8480-6');
    expect(sys?.dataAbsentReason?.coding?.[0]?.code).toBe('unknown');
    expect(dia?.valueQuantity?.value).toBe(60);
    expect(conformanceErrors(lone)).toEqual([]);
  });
});

describe('every emitted Observation conforms to every profile it declares (property)', () => {
  const arbReading = fc
    .record({
      metric: fc.constantFrom(...METRIC_IDS),
      device: fc.constantFrom('monitor-1', 'cuff-1'),
      seq: fc.nat({ max: 1_000_000 }),
      tsStep: fc.nat({ max: 3 }),
      fraction: fc.double({ min: 0, max: 1, noNaN: true }),
      quality: fc.constantFrom(undefined, 'good', 'questionable', 'bad'),
    })
    .map(({ metric, device, seq, tsStep, fraction, quality }) => {
      const { min, max } = METRICS[metric].plausible;
      return {
        id: `${device}:${seq}`,
        deviceId: device,
        patientId: 'patient-1',
        metric,
        value: min + (max - min) * fraction,
        unit: METRICS[metric].unit,
        ts: T + tsStep * 1000,
        seq,
        ...(quality === undefined ? {} : { quality }),
      } as Reading;
    });

  it('holds for random batches', () => {
    fc.assert(
      fc.property(fc.uniqueArray(arbReading, { selector: (r) => r.id, maxLength: 30 }), (readings) => {
        const { observations } = toFhirObservations(readings, CONTEXT);
        for (const o of observations) expect(conformanceErrors(o)).toEqual([]);
      }),
      { numRuns: 150 },
    );
  });
});
