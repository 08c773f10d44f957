import type { MetricId } from '@healthit/core';

/**
 * Per-metric settings of the artefact operators (`medianFilter`, `spikeFilter`,
 * `stuckValue`), in the metric's canonical unit (the gateway's `readings$` are already
 * normalised to it).
 */
export interface ArtefactDefaults {
  /**
   * A change smaller than this is noise, not a clinical difference. `medianFilter` flags a reading
   * only when smoothing moved it by more; `spikeFilter` never flags a deviation up to it (a floor
   * under the MAD test, whose MAD is 0 on quantised, flat signals).
   */
  readonly tolerance: number;
  /**
   * `spikeFilter`'s absolute limit: a value farther than this from the median of the preceding
   * window is an artefact whatever the window's spread.
   */
  readonly maxDeviation: number;
  /** `stuckValue`: identical consecutive readings needed (together with `stuckMinDurationMs`). */
  readonly stuckMinRepeats: number;
  /** `stuckValue`: event-time span, first to last, the identical readings must cover. */
  readonly stuckMinDurationMs: number;
}

const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;
const DAY_MS = 24 * HOUR_MS;

/**
 * Defaults per metric. Rationale (sampling assumed: continuous vitals ~1 Hz, temperature patches
 * ~1/min, NIBP every 15–60 min, CGM every 5 min, scales daily, cold-chain loggers every 1–5 min):
 *
 * - **heart / pulse rate** (integer bpm): monitors average over a few beats, yet beat-to-beat
 *   variability moves the displayed integer within seconds to tens of seconds; a jump of 40 bpm in
 *   one sample is not physiological (motion, lead-off, double counting). Stuck after 2 min of one
 *   exact value. Paced patients (fixed rate) need `stuckValue` off or a longer period.
 * - **respiratory rate**: noisy, derived every few seconds; 20 /min off the median in one sample is
 *   an artefact (talking, movement). Stuck after 5 min — ventilated patients at a set rate
 *   legitimately repeat, so disable or lengthen for them.
 * - **SpO2** (integer %, averaged 4–16 s): a 10-point step in one sample is faster than any real
 *   desaturation through the averaging; noise floor 2 %. Healthy patients sit on one value for
 *   minutes, so stuck needs 10 min (shorter than temperature, whose 0.1 °C steps take far longer).
 *   A patient at the 100 % ceiling on oxygen repeats legitimately — see the docs.
 * - **body temperature** (0.1 °C resolution): core temperature drifts ~0.1 °C over tens of minutes,
 *   so an unchanged value for an hour is still plausible; stuck only after 1 h (and 20 readings).
 *   A 1 °C jump between samples is probe displacement, not fever.
 * - **blood pressure** (integer mmHg): cuff readings are minutes apart and may differ by tens of
 *   mmHg, so the absolute limits are wide (60 / 40 / 50); five identical cuff readings spanning
 *   15 min is a frozen value.
 * - **body weight**: daily; 10 kg off the median of the last weighings is a wrong person or object
 *   on the scale; the same weight to 0.1 kg for 7 readings over 6 days is a cached value.
 * - **glucose** (mg/dL): CGM changes at most ~3–4 mg/dL/min, so 100 mg/dL between samples is an
 *   artefact (compression low, fingerstick error); stuck after 12 identical values over 1 h.
 * - **device temperature** (cold chain, 0.1 °C): compressor cycling moves a fridge probe every
 *   ~15–30 min but a glycol-buffered or freezer probe is very stable, so stuck only after 12 h; a
 *   10 °C step in one sample is an artefact, while a real excursion still rises over several.
 */
export const ARTEFACT_DEFAULTS: Readonly<Record<MetricId, ArtefactDefaults>> = {
  'heart-rate': { tolerance: 10, maxDeviation: 40, stuckMinRepeats: 120, stuckMinDurationMs: 2 * MINUTE_MS },
  'pulse-rate': { tolerance: 10, maxDeviation: 40, stuckMinRepeats: 120, stuckMinDurationMs: 2 * MINUTE_MS },
  'respiratory-rate': {
    tolerance: 5,
    maxDeviation: 20,
    stuckMinRepeats: 60,
    stuckMinDurationMs: 5 * MINUTE_MS,
  },
  spo2: { tolerance: 2, maxDeviation: 10, stuckMinRepeats: 60, stuckMinDurationMs: 10 * MINUTE_MS },
  'body-temperature': { tolerance: 0.3, maxDeviation: 1, stuckMinRepeats: 20, stuckMinDurationMs: HOUR_MS },
  'bp-systolic': { tolerance: 10, maxDeviation: 60, stuckMinRepeats: 5, stuckMinDurationMs: 15 * MINUTE_MS },
  'bp-diastolic': { tolerance: 8, maxDeviation: 40, stuckMinRepeats: 5, stuckMinDurationMs: 15 * MINUTE_MS },
  'bp-mean': { tolerance: 8, maxDeviation: 50, stuckMinRepeats: 5, stuckMinDurationMs: 15 * MINUTE_MS },
  'body-weight': { tolerance: 1, maxDeviation: 10, stuckMinRepeats: 7, stuckMinDurationMs: 6 * DAY_MS },
  glucose: { tolerance: 10, maxDeviation: 100, stuckMinRepeats: 12, stuckMinDurationMs: HOUR_MS },
  'device-temperature': {
    tolerance: 1,
    maxDeviation: 10,
    stuckMinRepeats: 30,
    stuckMinDurationMs: 12 * HOUR_MS,
  },
};
