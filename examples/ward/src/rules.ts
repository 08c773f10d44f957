import type { ThresholdRule } from '@healthit/gateway';

/**
 * Edge rules of the quick start: the NEWS2 single-parameter "red score" bands of the Royal College
 * of Physicians chart (2017). A score of 3 in any one parameter calls for an urgent ward-based
 * response; the RCP classes it as low-medium clinical risk. Bounds are in canonical units and
 * written for the resolution monitors report (integers; temperature to 0.1 °C).
 * The full NEWS2 aggregate score arrives with the gateway issue.
 */
export const NEWS2_RED_SCORE_RULES: readonly ThresholdRule[] = [
  {
    id: 'news2-red-respiratory-rate',
    metric: 'respiratory-rate',
    below: 9,
    above: 24,
    severity: 'low-medium',
  }, // ≤8 or ≥25
  { id: 'news2-red-spo2', metric: 'spo2', below: 92, severity: 'low-medium' }, // ≤91 (scale 1)
  { id: 'news2-red-systolic', metric: 'bp-systolic', below: 91, above: 219, severity: 'low-medium' }, // ≤90 or ≥220
  { id: 'news2-red-pulse', metric: 'heart-rate', below: 41, above: 130, severity: 'low-medium' }, // ≤40 or ≥131
  { id: 'news2-red-temperature', metric: 'body-temperature', below: 35.05, severity: 'low-medium' }, // ≤35.0
];
