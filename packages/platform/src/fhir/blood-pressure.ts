import { codeableConcept, type ObservationParts, questionableNote } from './observation.js';
import type { PreparedReading } from './prepared-reading.js';
import { vitalSignQuantity } from './quantity.js';
import type { FhirAnnotation, FhirObservationComponent } from './types.js';
import { BP_COMPONENTS, FHIR_SYSTEMS, VITAL_SIGN_PROFILES, VITALSIGNS_PROFILE } from './vital-signs.js';

/** A blood-pressure panel's readings: at least one of the two. */
export type BloodPressurePair =
  | { readonly systolic: PreparedReading; readonly diastolic: PreparedReading | undefined }
  | { readonly systolic: PreparedReading | undefined; readonly diastolic: PreparedReading };

function componentOf(p: PreparedReading): 'systolic' | 'diastolic' {
  if (p.mapping.type !== 'bp-component')
    throw new Error(`${p.reading.metric} is not a blood-pressure component`);
  return p.mapping.component;
}

/**
 * Pairs systolic and diastolic readings into panels. Readings pair when they share device,
 * patient, subject and device references and `ts`; within such a group the n-th systolic (by
 * `seq`) pairs with the n-th diastolic, and a reading left over forms a panel of its own. Panels
 * come out in the order of their first reading in the input.
 */
export function pairBloodPressure(components: readonly PreparedReading[]): BloodPressurePair[] {
  const groups = new Map<string, { systolic: PreparedReading[]; diastolic: PreparedReading[] }>();
  for (const p of components) {
    const r = p.reading;
    const key = JSON.stringify([r.deviceId, r.patientId ?? null, r.ts, p.subject, p.device ?? null]);
    let group = groups.get(key);
    if (group === undefined) {
      group = { systolic: [], diastolic: [] };
      groups.set(key, group);
    }
    group[componentOf(p)].push(p);
  }
  const pairs: BloodPressurePair[] = [];
  const bySeq = (a: PreparedReading, b: PreparedReading) =>
    a.reading.seq - b.reading.seq || a.index - b.index;
  for (const { systolic, diastolic } of groups.values()) {
    systolic.sort(bySeq);
    diastolic.sort(bySeq);
    for (let i = 0; i < Math.max(systolic.length, diastolic.length); i++) {
      const s = systolic[i];
      const d = diastolic[i];
      if (s !== undefined) pairs.push({ systolic: s, diastolic: d });
      else if (d !== undefined) pairs.push({ systolic: s, diastolic: d });
    }
  }
  return pairs.sort((a, b) => firstIndex(a) - firstIndex(b));
}

/** The input position of a pair's first reading. */
export function firstIndex(pair: BloodPressurePair): number {
  return Math.min(
    pair.systolic?.index ?? Number.POSITIVE_INFINITY,
    pair.diastolic?.index ?? Number.POSITIVE_INFINITY,
  );
}

const BP = VITAL_SIGN_PROFILES.bp;

function component(
  which: 'systolic' | 'diastolic',
  p: PreparedReading | undefined,
): FhirObservationComponent {
  const code = codeableConcept([{ system: FHIR_SYSTEMS.loinc, ...BP_COMPONENTS[which] }]);
  if (p !== undefined) {
    return { code, valueQuantity: vitalSignQuantity(p.reading.value, p.reading.unit, BP.units) };
  }
  // vs-3: a component without a value carries a dataAbsentReason. `unknown`: the value is expected
  // to exist but is not known (the device sent no such reading for this measurement).
  return {
    code,
    dataAbsentReason: {
      coding: [{ system: FHIR_SYSTEMS.dataAbsentReason, code: 'unknown', display: 'Unknown' }],
      text: `No ${which} reading from the device for this measurement`,
    },
  };
}

/**
 * The parts of a blood-pressure panel Observation (profile `bp`, LOINC 85354-9): components
 * systolic (8480-6) then diastolic (8462-4) in `mm[Hg]`, no top-level value. A missing component
 * is present with `dataAbsentReason` `unknown`, as the `bp` profile requires both slices (1..1).
 */
export function bloodPressurePanelParts(pair: BloodPressurePair): ObservationParts {
  const from = [pair.systolic, pair.diastolic].filter((p): p is PreparedReading => p !== undefined);
  const notes: FhirAnnotation[] = [];
  if (pair.systolic?.reading.quality === 'questionable')
    notes.push(questionableNote('The systolic reading was'));
  if (pair.diastolic?.reading.quality === 'questionable')
    notes.push(questionableNote('The diastolic reading was'));
  return {
    from,
    profiles: [VITALSIGNS_PROFILE, BP.url],
    coding: [{ system: FHIR_SYSTEMS.loinc, ...BP.loinc }],
    text: BP.text,
    component: [component('systolic', pair.systolic), component('diastolic', pair.diastolic)],
    ...(notes.length === 0 ? {} : { note: notes }),
  };
}
