import { METRICS, type MetricId } from '@healthit/core';
import { z } from 'zod';

/**
 * The observation set `news2` scores: NEWS2 Chart 1's parameters at the chart's resolution.
 *
 * - `rr` breaths/min, `spo2` %, `sbp` mmHg, `pulse` beats/min: whole numbers, as the chart's bands are;
 * - `temp` °C: at most one decimal (0.1 °C), as the chart's bands are;
 * - each within the metric catalogue's plausibility range (`respiratory-rate` 0–100, `spo2` 50–100,
 *   `bp-systolic` 40–300, `heart-rate` 20–300, `body-temperature` 25–45): outside it a value is an
 *   artefact or an entry error, not a clinical state;
 * - `spo2Scale` 1, or 2 for a prescribed target of 88–92 %; `onOxygen` true for supplemental oxygen;
 * - `consciousness` ACVPU: `A` alert, `C` new confusion, `V` voice, `P` pain, `U` unresponsive.
 *
 * Unknown fields are rejected (a misspelt field would otherwise go unscored).
 */
export const News2Input = z.strictObject({
  rr: wholeNumber('rr', 'respiratory-rate', 'breaths/min'),
  spo2: wholeNumber('spo2', 'spo2', '%'),
  spo2Scale: z.union([z.literal(1), z.literal(2)], {
    error: 'must be 1 (default) or 2 (prescribed target SpO2 88-92 %)',
  }),
  onOxygen: z.boolean({ error: 'must be true (supplemental oxygen) or false (air)' }),
  sbp: wholeNumber('sbp', 'bp-systolic', 'mmHg'),
  pulse: wholeNumber('pulse', 'heart-rate', 'beats/min'),
  consciousness: z.enum(['A', 'C', 'V', 'P', 'U'], {
    error: 'must be one ACVPU letter: A, C (new confusion), V, P or U',
  }),
  temp: plausible(z.number({ error: 'must be a number (°C)' }), 'body-temperature', '°C').refine(
    isTenths,
    'must have at most one decimal (°C): NEWS2 bands are published at 0.1 °C, so a value between them is undefined by the chart',
  ),
});
/** The observation set `news2` scores; see the {@link News2Input} schema for units and ranges. */
export type News2Input = z.infer<typeof News2Input>;

/** The name `news2` gives its input in a `ValidationError` (of `@healthit/core`). */
export const NEWS2_INPUT_SCHEMA_NAME = 'News2Input';

function plausible(schema: z.ZodNumber, metric: MetricId, unit: string): z.ZodNumber {
  const { min, max } = METRICS[metric].plausible;
  return schema
    .min(min, `must be at least ${min} ${unit} (plausibility range of ${metric})`)
    .max(max, `must be at most ${max} ${unit} (plausibility range of ${metric})`);
}

function wholeNumber(field: string, metric: MetricId, unit: string): z.ZodNumber {
  return plausible(
    z
      .number({ error: `must be a number (${unit})` })
      .int(
        `must be a whole number (${unit}): NEWS2 bands for ${field} are published at whole-number resolution`,
      ),
    metric,
    unit,
  );
}

/** True when `value` has at most one decimal, allowing for binary floating-point noise. */
export function isTenths(value: number): boolean {
  const tenths = value * 10;
  return Math.abs(tenths - Math.round(tenths)) <= 1e-9 * Math.max(1, Math.abs(tenths));
}

function wholeIn(value: unknown, metric: MetricId): boolean {
  const { min, max } = METRICS[metric].plausible;
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= min && value <= max;
}

/**
 * True when `value` certainly matches {@link News2Input}: the operator's fast path, which never
 * accepts what the schema rejects (a property test checks); the schema names the offending field
 * for everything else. Does not copy.
 */
export function isNews2Input(value: unknown): value is News2Input {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  let fields = 0;
  for (const key in v) {
    if (!Object.hasOwn(v, key)) return false;
    fields++;
  }
  const { temp, consciousness } = v;
  const tempRange = METRICS['body-temperature'].plausible;
  return (
    fields === 8 &&
    wholeIn(v.rr, 'respiratory-rate') &&
    wholeIn(v.spo2, 'spo2') &&
    (v.spo2Scale === 1 || v.spo2Scale === 2) &&
    typeof v.onOxygen === 'boolean' &&
    wholeIn(v.sbp, 'bp-systolic') &&
    wholeIn(v.pulse, 'heart-rate') &&
    (consciousness === 'A' ||
      consciousness === 'C' ||
      consciousness === 'V' ||
      consciousness === 'P' ||
      consciousness === 'U') &&
    typeof temp === 'number' &&
    Number.isFinite(temp) &&
    temp >= tempRange.min &&
    temp <= tempRange.max &&
    isTenths(temp)
  );
}
