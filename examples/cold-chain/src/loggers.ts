import { deviceId, type Reading, readingId } from '@healthit/core';
import { map, type Observable, type SchedulerLike, take, timer } from 'rxjs';
import type { ExcursionPlan, JourneyPlan, Leg, TemperatureProfile } from './plan.js';

/** A seeded pseudo-random generator (mulberry32): numbers in [0, 1), the same for the same seed. */
export function createRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** FNV-1a of a string mixed with a seed: one independent random stream per logger. */
function seedOf(seed: number, name: string): number {
  let h = (0x811c9dc5 ^ seed) >>> 0;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

/** How far an excursion has lifted the temperature at `atMs` (0 outside it), as a fraction of its peak. */
function excursionShare(excursion: ExcursionPlan, atMs: number): number {
  const t = atMs - excursion.startMs;
  const { riseMs, holdMs, fallMs } = excursion;
  if (t < 0 || t >= riseMs + holdMs + fallMs) return 0;
  if (t < riseMs) return t / riseMs;
  if (t < riseMs + holdMs) return 1;
  return 1 - (t - riseMs - holdMs) / fallMs;
}

/**
 * The temperature a logger reads at `atMs` (ms after the journey's start), rounded to the 0.1 °C
 * resolution of a data logger: the place's set point, its cooling cycle, sensor noise, and the
 * planned excursion when it concerns this logger.
 */
export function temperatureAt(
  profile: TemperatureProfile,
  atMs: number,
  random: () => number,
  excursion?: ExcursionPlan,
): number {
  const cycle = profile.cycleCelsius * Math.sin((2 * Math.PI * atMs) / profile.cycleMs);
  const noise = (random() * 2 - 1) * profile.noiseCelsius;
  const normal = profile.baseCelsius + cycle + noise;
  if (excursion === undefined) return Math.round(normal * 10) / 10;
  const share = excursionShare(excursion, atMs);
  const value = normal + share * (excursion.peakCelsius + noise - normal);
  return Math.round(value * 10) / 10;
}

/**
 * The readings of one leg's temperature logger, in virtual time on `scheduler` (whose frame 0 is
 * the journey's start): one `device-temperature` reading in `Cel` every `plan.readingPeriodMs` from
 * the leg's start to its end, then completes. Seeded: the same seed gives the same readings.
 */
export function loggerReadings(
  leg: Leg,
  plan: JourneyPlan,
  seed: number,
  scheduler: SchedulerLike,
): Observable<Reading> {
  const count = Math.floor((leg.endMs - leg.startMs) / plan.readingPeriodMs);
  const random = createRandom(seedOf(seed, leg.logger));
  const device = deviceId(leg.logger);
  const excursion = plan.excursion?.logger === leg.logger ? plan.excursion : undefined;
  return timer(leg.startMs, plan.readingPeriodMs, scheduler).pipe(
    take(count),
    map((seq): Reading => {
      const atMs = leg.startMs + seq * plan.readingPeriodMs;
      return {
        id: readingId(leg.logger, seq),
        deviceId: device,
        metric: 'device-temperature',
        value: temperatureAt(leg.profile, atMs, random, excursion),
        unit: 'Cel',
        ts: plan.startTs + atMs,
        seq,
        quality: 'good',
      };
    }),
  );
}
