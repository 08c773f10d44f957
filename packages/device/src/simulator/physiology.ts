/**
 * How much a fever raises heart and respiratory rate, per °C of temperature above the patient's
 * own baseline.
 */
export interface FeverResponse {
  /** Heart rate rise per °C of fever, in /min. */
  readonly heartRatePerDegC: number;
  /** Respiratory rate rise per °C of fever, in /min. */
  readonly respiratoryRatePerDegC: number;
}

/**
 * The default fever response: +8.5 /min heart rate and +2.3 /min respiratory rate per °C.
 *
 * **Approximate.** Karjalainen & Viitasalo (Arch Intern Med 1986;146(6):1169–1171) measured
 * +8.5 beats/min per °C in young men with acute febrile infections (the bedside rule of thumb is
 * about 10 /min per °C); Jensen et al. (Acute Medicine 2019, doi:10.52964/AMJA.0766), in 4 493
 * acutely admitted medical patients, found +7.4 /min heart rate and +2.3 /min respiratory rate
 * per °C above 38 °C.
 *
 * It applies to the fever a phase causes (its temperature target above the baseline), for the
 * vital signs that phase does not set itself: a `fever` phase raises heart and respiratory rate
 * through it, while `deteriorating` gives totals that already include it. Circadian temperature
 * swings and moment-to-moment fluctuation are not fever and do not drive it.
 */
export const FEVER_RESPONSE: FeverResponse = Object.freeze({
  heartRatePerDegC: 8.5,
  respiratoryRatePerDegC: 2.3,
});

/**
 * How SpO2 responds to supplemental oxygen: the achievable SpO2 rises with the flow, capped, and
 * the SpO2 moves towards it with a first-order lag.
 */
export interface OxygenResponse {
  /** Points of SpO2 each L/min adds to the room-air SpO2 once equilibrated, in %/(L/min). */
  readonly gainPctPerLpm: number;
  /** Oxygen never takes SpO2 above this (or above the room-air value, if higher), in %. */
  readonly capPct: number;
  /** Time constant of the rise when oxygen starts or increases, in ms. */
  readonly washInMs: number;
  /** Time constant of the fall when oxygen stops or decreases, in ms. */
  readonly washOutMs: number;
}

/**
 * The default oxygen response: +3 points of SpO2 per L/min, capped at 98 %, with a wash-in time
 * constant of 1.5 min and a wash-out time constant of 4.5 min.
 *
 * Model: with flow `F` and room-air SpO2 `S₀` (the scenario's), the equilibrium benefit is
 * `B* = min(gain·F, max(0, cap − S₀))`; the benefit `B` relaxes towards `B*` exactly,
 * `B ← B* + (B − B*)·e^(−Δ/τ)` with τ = wash-in when rising and wash-out when falling; the true
 * SpO2 is `S₀ + B` plus fluctuation, never above 100 %.
 *
 * **Approximate.** By the usual rule a nasal cannula adds about 3–4 % of FiO2 per L/min (British
 * Thoracic Society guideline, O'Driscoll et al., Thorax 2017;72:i1–i90); how much SpO2 that buys
 * depends on the lungs and on where the patient sits on the dissociation curve, so 3 points per
 * L/min is an illustrative choice (2 L/min takes a hypoxic patient from 88 % to 94 %). The time
 * constants are of the order measured in COPD patients on long-term oxygen, about 1.4 min wash-in
 * and 4.5 min wash-out for arterial saturation (COPD 2013;10(4):405–410); in ventilated non-COPD
 * patients arterial PO2 settles within about 5 min (Cakar et al., Intensive Care Med
 * 2001;27(4):655–659).
 */
export const OXYGEN_RESPONSE: OxygenResponse = Object.freeze({
  gainPctPerLpm: 3,
  capPct: 98,
  washInMs: 90_000,
  washOutMs: 270_000,
});

/**
 * One exact step of the oxygen benefit (points of SpO2 above the room-air value) over `stepMs`.
 *
 * @example
 * ```ts
 * let benefit = 0;
 * benefit = oxygenBenefitStep(OXYGEN_RESPONSE, benefit, 2, 88, 60_000); // 2 L/min for a minute
 * ```
 */
export function oxygenBenefitStep(
  response: OxygenResponse,
  benefit: number,
  flowLpm: number,
  roomAirSpo2: number,
  stepMs: number,
): number {
  const target = Math.min(response.gainPctPerLpm * flowLpm, Math.max(0, response.capPct - roomAirSpo2));
  const tau = target > benefit ? response.washInMs : response.washOutMs;
  return target + (benefit - target) * Math.exp(-stepMs / tau);
}

/**
 * Checks a fever response.
 *
 * @throws {RangeError} for a negative or non-finite coefficient.
 */
export function assertFeverResponse(fever: FeverResponse, where: string): void {
  for (const key of ['heartRatePerDegC', 'respiratoryRatePerDegC'] as const) {
    if (!Number.isFinite(fever[key]) || fever[key] < 0) {
      throw new RangeError(`${where}.${key} must be a finite number >= 0, got ${fever[key]}`);
    }
  }
}

/**
 * Checks an oxygen response.
 *
 * @throws {RangeError} for a negative gain, a cap outside (0, 100] or a time constant that is not
 *   positive and finite.
 */
export function assertOxygenResponse(oxygen: OxygenResponse, where: string): void {
  if (!Number.isFinite(oxygen.gainPctPerLpm) || oxygen.gainPctPerLpm < 0) {
    throw new RangeError(`${where}.gainPctPerLpm must be a finite number >= 0, got ${oxygen.gainPctPerLpm}`);
  }
  if (!(oxygen.capPct > 0 && oxygen.capPct <= 100)) {
    throw new RangeError(`${where}.capPct must be in (0, 100], got ${oxygen.capPct}`);
  }
  for (const key of ['washInMs', 'washOutMs'] as const) {
    if (!Number.isFinite(oxygen[key]) || oxygen[key] <= 0) {
      throw new RangeError(`${where}.${key} must be a finite number of ms > 0, got ${oxygen[key]}`);
    }
  }
}
