import { METRICS, type MetricId } from '@healthit/core';
import type { FhirCoding } from './types.js';
import {
  FHIR_SYSTEMS,
  MEAN_BLOOD_PRESSURE,
  type UcumUnit,
  VITAL_SIGN_PROFILES,
  VITALSIGNS_PROFILE,
  type VitalSignProfileId,
} from './vital-signs.js';

/** A metric that becomes one Observation with a `valueQuantity`. */
export interface SingleVitalSignMapping {
  /** Discriminant: `single`, one Observation with a `valueQuantity`. */
  readonly type: 'single';
  /** `meta.profile`: the base vital-signs profile, then the specific one when R4 has it. */
  readonly profiles: readonly string[];
  /** `code.coding`: the LOINC code the profile fixes first, then the catalogue's more specific codes. */
  readonly coding: readonly Readonly<FhirCoding>[];
  /** `code.text`. */
  readonly text: string;
  /** The units the profile admits, the canonical one first. */
  readonly units: readonly [UcumUnit, ...UcumUnit[]];
}

/** A metric that becomes a component of the blood-pressure panel (LOINC 85354-9). */
export interface BloodPressureComponentMapping {
  /** Discriminant: `bp-component`, one component of the blood-pressure panel. */
  readonly type: 'bp-component';
  /** Which component the metric fills: systolic (LOINC 8480-6) or diastolic (LOINC 8462-4). */
  readonly component: 'systolic' | 'diastolic';
}

/** A metric with no FHIR R4 vital-signs mapping, and why. */
export interface UnmappedMetric {
  /** Discriminant: `unmapped`, the metric's readings are skipped as `unmapped-metric`. */
  readonly type: 'unmapped';
  /** Why the metric is not a FHIR R4 vital sign; quoted in the skipped reading's message. */
  readonly reason: string;
}

/** How one metric maps to FHIR R4. */
export type MetricMapping = SingleVitalSignMapping | BloodPressureComponentMapping | UnmappedMetric;

function loinc(code: string, display: string): Readonly<FhirCoding> {
  return { system: FHIR_SYSTEMS.loinc, code, display };
}

/**
 * The codings of `metric` under `profile`: the profile's fixed LOINC code first (it is what the
 * profile's `code.coding` slice requires), then the catalogue's codes that are not already there
 * (e.g. pulse oximetry's 59408-5 beside 2708-6, 8889-8 beside 8867-4).
 */
function codings(metric: MetricId, required: { code: string; display: string }): Readonly<FhirCoding>[] {
  const out = [loinc(required.code, required.display)];
  for (const c of METRICS[metric].loinc) {
    if (c.code !== required.code) out.push(loinc(c.code, c.display));
  }
  return out;
}

function single(metric: MetricId, profileId: VitalSignProfileId, text: string): SingleVitalSignMapping {
  const profile = VITAL_SIGN_PROFILES[profileId];
  return {
    type: 'single',
    profiles: [VITALSIGNS_PROFILE, profile.url],
    coding: codings(metric, profile.loinc),
    text,
    units: profile.units,
  };
}

/**
 * Every catalogue metric and how it maps to a FHIR R4 vital-signs Observation. Exhaustive over
 * {@link MetricId}: a metric added to the catalogue does not compile until it is mapped or listed
 * as unmapped with a reason.
 */
export const METRIC_MAPPINGS: { readonly [M in MetricId]: MetricMapping } = {
  'heart-rate': single('heart-rate', 'heartrate', 'Heart rate'),
  // The heartrate profile fixes 8867-4; 8889-8 "Heart rate by Pulse oximetry" is carried beside it.
  'pulse-rate': single('pulse-rate', 'heartrate', 'Pulse rate (pulse oximetry)'),
  'respiratory-rate': single('respiratory-rate', 'resprate', 'Respiratory rate'),
  spo2: single('spo2', 'oxygensat', 'Oxygen saturation (SpO2)'),
  'body-temperature': single('body-temperature', 'bodytemp', 'Body temperature'),
  'body-weight': single('body-weight', 'bodyweight', 'Body weight'),
  'bp-systolic': { type: 'bp-component', component: 'systolic' },
  'bp-diastolic': { type: 'bp-component', component: 'diastolic' },
  'bp-mean': {
    type: 'single',
    profiles: [VITALSIGNS_PROFILE],
    coding: codings('bp-mean', MEAN_BLOOD_PRESSURE.loinc),
    text: MEAN_BLOOD_PRESSURE.text,
    units: MEAN_BLOOD_PRESSURE.units,
  },
  glucose: {
    type: 'unmapped',
    reason:
      'blood glucose is a laboratory result, not a FHIR R4 vital sign: it has no vital-signs profile ' +
      'and its LOINC code is outside the observation-vitalsignresult value set',
  },
  'device-temperature': {
    type: 'unmapped',
    reason: 'a cold-chain logger temperature is not a patient observation: it has no LOINC code',
  },
};
