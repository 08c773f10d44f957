import type { PatientId, Reading } from '@healthit/core';
import * as fc from 'fast-check';
import { DETERIORATION_MODEL_V0 } from '../src/models/deterioration-v0-spec.js';

/** 2025-01-01T00:00:00Z. */
export const T0 = Date.UTC(2025, 0, 1);

/** A vitals row in canonical units, VITALS_FEATURES order. */
export type Row = [number, number, number, number, number];

/** Plausible adult vitals: HR /min, RR /min, SpO2 %, temperature Cel, systolic mm[Hg]. */
export const plausibleRow: fc.Arbitrary<Row> = fc.tuple(
  fc.double({ min: 30, max: 200, noNaN: true }),
  fc.double({ min: 4, max: 50, noNaN: true }),
  fc.double({ min: 70, max: 100, noNaN: true }),
  fc.double({ min: 33, max: 42, noNaN: true }),
  fc.double({ min: 60, max: 240, noNaN: true }),
);

/**
 * The deterioration model's logistic regression computed in plain JS, rounding every step to
 * float32 as the ONNX graph does (Sub, Div, Gemm accumulate, + bias), then the logistic in double.
 */
export function referenceRisk(row: readonly number[]): number {
  const f = Math.fround;
  const { mean, std, weights, bias } = DETERIORATION_MODEL_V0;
  let logit = 0;
  for (let i = 0; i < row.length; i++) {
    const z = f(f(f(row[i] as number) - f(mean[i] as number)) / f(std[i] as number));
    logit = f(logit + f(z * f(weights[i] as number)));
  }
  logit = f(logit + f(bias));
  return 1 / (1 + Math.exp(-logit));
}

/** A normal adult, low risk. */
export const NORMAL: Row = [72, 14, 98, 36.8, 122];
/** Septic-looking: fast heart, fast breathing, low SpO2, fever, low pressure. */
export const SICK: Row = [128, 30, 86, 39.2, 88];

const METRIC_UNITS = [
  ['heart-rate', '/min'],
  ['respiratory-rate', '/min'],
  ['spo2', '%'],
  ['body-temperature', 'Cel'],
  ['bp-systolic', 'mm[Hg]'],
] as const;

/** One reading per feature of `row` for `patient`, from device `${patient}-mon`, seq from `seq0`. */
export function vitalsReadings(patient: string, row: Row, ts = T0, seq0 = 0): Reading[] {
  const deviceId = `${patient}-mon`;
  return METRIC_UNITS.map(([metric, unit], i) => ({
    id: `${deviceId}:${seq0 + i}`,
    deviceId: deviceId as Reading['deviceId'],
    patientId: patient as PatientId,
    metric,
    value: row[i] as number,
    unit,
    ts: ts + i,
    seq: seq0 + i,
  }));
}

/** A single reading. */
export function reading(
  patient: string | undefined,
  metric: Reading['metric'],
  value: number,
  unit: string,
  seq: number,
  ts = T0 + seq,
): Reading {
  const deviceId = `${patient ?? 'anon'}-dev`;
  return {
    id: `${deviceId}:${seq}`,
    deviceId: deviceId as Reading['deviceId'],
    ...(patient === undefined ? {} : { patientId: patient as PatientId }),
    metric,
    value,
    unit,
    ts,
    seq,
  };
}
