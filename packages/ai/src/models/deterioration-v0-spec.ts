import { VITALS_FEATURES } from '../features/vitals.js';
import type { LogisticRegressionSpec } from './logistic-regression.js';

/**
 * The deterioration-risk model v0: a logistic regression over the five {@link VITALS_FEATURES}
 * (heart rate, respiratory rate, SpO2, body temperature, systolic blood pressure, canonical units).
 *
 * Risk rises with a fast heart rate, a fast respiratory rate, a low SpO2 and a low systolic
 * pressure. Temperature gets a small positive weight only: both fever and hypothermia are
 * dangerous, and a linear model cannot express a U-shaped effect.
 *
 * **The weights are illustrative, chosen by hand for sensible signs and magnitudes. This is not a
 * validated clinical model and must not be used to make clinical decisions.** It exists so that the
 * SDK's model pipeline (artifact → runtime → operator) runs end to end on a real ONNX graph.
 */
export const DETERIORATION_MODEL_V0 = {
  id: 'deterioration-risk',
  version: '0.1.0',
  description:
    'Illustrative deterioration risk: logistic regression over heart rate (/min), respiratory rate (/min), ' +
    'SpO2 (%), body temperature (Cel) and systolic blood pressure (mm[Hg]). Hand-chosen weights; ' +
    'NOT a validated clinical model, not for clinical decisions.',
  inputName: 'vitals',
  outputName: 'risk',
  features: VITALS_FEATURES,
  units: ['/min', '/min', '%', 'Cel', 'mm[Hg]'],
  mean: [80, 16, 96, 37, 120],
  std: [15, 4, 3, 0.8, 20],
  weights: [0.8, 1.0, -1.2, 0.15, -0.7],
  bias: -3,
} as const satisfies LogisticRegressionSpec;
