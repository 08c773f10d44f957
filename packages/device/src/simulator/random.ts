import { uniformFloat64 } from 'pure-rand/distribution/uniformFloat64';
import { uniformInt } from 'pure-rand/distribution/uniformInt';
import { xoroshiro128plus, xoroshiro128plusFromState } from 'pure-rand/generator/xoroshiro128plus';
import type { JumpableRandomGenerator } from 'pure-rand/types/JumpableRandomGenerator';

/**
 * A seeded source of random numbers over one pure-rand xoroshiro128+ generator, which it advances
 * in place. Never `Math.random`: the same generator state always yields the same numbers.
 */
export interface SeededRandom {
  /** Uniform in [0, 1), 53 bits. */
  uniform(): number;
  /** Uniform integer in [min, max], both inclusive. */
  int(min: number, max: number): number;
  /** Standard normal N(0, 1) (Box–Muller). */
  normal(): number;
  /**
   * Normal N(mean, sd²) truncated to [min, max] by rejection (at most 64 draws, then clamped, so
   * it always terminates).
   */
  truncatedNormal(mean: number, sd: number, min: number, max: number): number;
}

/** Wraps a generator (advanced in place) as a {@link SeededRandom}. */
export function seededRandom(rng: JumpableRandomGenerator): SeededRandom {
  const uniform = (): number => uniformFloat64(rng);
  const normal = (): number => {
    // 1 - u lies in (0, 1], so the logarithm is finite.
    const u1 = 1 - uniform();
    const u2 = uniform();
    return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
  };
  return {
    uniform,
    int: (min, max) => uniformInt(rng, min, max),
    normal,
    truncatedNormal(mean, sd, min, max) {
      for (let i = 0; i < 64; i++) {
        const x = mean + sd * normal();
        if (x >= min && x <= max) return x;
      }
      return Math.min(max, Math.max(min, mean));
    },
  };
}

/**
 * `count` statistically independent generators derived from one seed: stream `k` is the root
 * generator jumped `k + 1` times (2^64 steps each), as pure-rand recommends for independent
 * simulations. Any safe integer is a seed: its high and low 32-bit halves are both mixed in.
 *
 * @throws {RangeError} when `seed` is not a safe integer or `count` is not a non-negative integer.
 */
export function seededStreams(seed: number, count: number): JumpableRandomGenerator[] {
  if (!Number.isSafeInteger(seed)) throw new RangeError(`seed must be a safe integer, got ${seed}`);
  if (!Number.isInteger(count) || count < 0) {
    throw new RangeError(`stream count must be a non-negative integer, got ${count}`);
  }
  const low = seed % 0x1_0000_0000;
  const high = Math.floor(seed / 0x1_0000_0000);
  const cursor = xoroshiro128plus((low ^ Math.imul(high, 0x9e37_79b1)) | 0);
  const streams: JumpableRandomGenerator[] = [];
  for (let k = 0; k < count; k++) {
    cursor.jump();
    streams.push(cursor.clone());
  }
  return streams;
}

/** A 32-bit finaliser (MurmurHash3 fmix32) of `h` mixed with `x`. */
function mix(h: number, x: number): number {
  let k = (h ^ Math.imul(x | 0, 0xcc9e_2d51)) | 0;
  k = Math.imul(k ^ (k >>> 16), 0x85eb_ca6b);
  k = Math.imul(k ^ (k >>> 13), 0xc2b2_ae35);
  return (k ^ (k >>> 16)) | 0;
}

/**
 * A generator derived from `seed` and a path of small integers (`purpose`, then e.g. a patient
 * index and a device index), independent of every other path: its 128-bit state is four hashes of
 * the seed and the path, warmed up by a few steps. Use it for random streams that must not depend
 * on how many other streams exist (a device's faults do not change when the ward grows or another
 * device is configured differently).
 *
 * @throws {RangeError} when `seed` is not a safe integer or a path element not an integer.
 */
export function derivedStream(seed: number, ...path: number[]): JumpableRandomGenerator {
  if (!Number.isSafeInteger(seed)) throw new RangeError(`seed must be a safe integer, got ${seed}`);
  for (const p of path)
    if (!Number.isInteger(p)) throw new RangeError(`stream path must be integers, got ${p}`);
  const low = seed % 0x1_0000_0000;
  const high = Math.floor(seed / 0x1_0000_0000);
  const state = [0x9e37_79b9, 0x243f_6a88, 0xb7e1_5162, 0x6a09_e667].map((word) => {
    let h = mix(mix(word, low), high);
    for (const p of path) h = mix(h, p);
    return mix(h, path.length);
  });
  if (!state.some((w) => w !== 0)) state[0] = 1;
  const rng = xoroshiro128plusFromState(state);
  for (let i = 0; i < 8; i++) rng.next();
  return rng;
}
