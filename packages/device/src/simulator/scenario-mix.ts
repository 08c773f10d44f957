import type { SeededRandom } from './random.js';
import { isScenarioName, SCENARIO_NAMES, type ScenarioName } from './scenarios.js';

/** Relative weights of the scenarios across a ward (they need not sum to 1). */
export type ScenarioMix = { readonly [S in ScenarioName]?: number };

/** The ward default: most patients stable, a few deteriorating, a few hypoxic. */
export const DEFAULT_SCENARIO_MIX: ScenarioMix = Object.freeze({
  stable: 0.8,
  deteriorating: 0.1,
  hypoxic: 0.1,
});

/**
 * How many of `patients` follow each scenario: the weights' shares rounded by the largest-remainder
 * (Hamilton) method, ties going to the scenario listed first in {@link SCENARIO_NAMES}. So with the
 * default mix, 10 patients are 8 stable, 1 deteriorating, 1 hypoxic.
 *
 * @throws {RangeError} for an unknown scenario, a negative or non-finite weight, or weights summing to 0.
 */
export function scenarioCounts(mix: ScenarioMix, patients: number): Record<ScenarioName, number> {
  for (const key of Object.keys(mix)) {
    if (!isScenarioName(key)) {
      throw new RangeError(`scenarioMix: unknown scenario "${key}"; use one of ${SCENARIO_NAMES.join(', ')}`);
    }
  }
  const weights = SCENARIO_NAMES.map((name) => {
    const w = mix[name] ?? 0;
    if (!Number.isFinite(w) || w < 0) {
      throw new RangeError(`scenarioMix.${name} must be a finite weight >= 0, got ${w}`);
    }
    return w;
  });
  const total = weights.reduce((a, b) => a + b, 0);
  if (!(total > 0))
    throw new RangeError('scenarioMix: the weights sum to 0; give at least one a positive weight');
  const quotas = weights.map((w) => (w / total) * patients);
  const counts = quotas.map(Math.floor);
  let left = patients - counts.reduce((a, b) => a + b, 0);
  const byRemainder = quotas
    .map((q, i) => ({ i, remainder: q - Math.floor(q) }))
    .sort((a, b) => b.remainder - a.remainder || a.i - b.i);
  for (const { i } of byRemainder) {
    if (left === 0) break;
    counts[i] = (counts[i] ?? 0) + 1;
    left -= 1;
  }
  return Object.fromEntries(SCENARIO_NAMES.map((name, i) => [name, counts[i] ?? 0])) as Record<
    ScenarioName,
    number
  >;
}

/**
 * Assigns a scenario to each of `patients` patients: exactly {@link scenarioCounts} of each, in an
 * order shuffled (Fisher–Yates) with `random`, so which patients deteriorate depends on the seed.
 */
export function assignScenarios(mix: ScenarioMix, patients: number, random: SeededRandom): ScenarioName[] {
  const counts = scenarioCounts(mix, patients);
  const assigned: ScenarioName[] = [];
  for (const name of SCENARIO_NAMES) for (let i = 0; i < counts[name]; i++) assigned.push(name);
  for (let i = assigned.length - 1; i > 0; i--) {
    const j = random.int(0, i);
    const tmp = assigned[i] as ScenarioName;
    assigned[i] = assigned[j] as ScenarioName;
    assigned[j] = tmp;
  }
  return assigned;
}
