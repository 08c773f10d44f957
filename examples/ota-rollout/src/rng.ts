/** A seeded pseudo-random generator (mulberry32): every choice of a run follows from `--seed`. */
export { ed25519PublicKey } from '@healthit/core';

/** Returns numbers in [0, 1). */
export type Rng = () => number;

/** The generator of a seed. */
export function createRng(seed: number): Rng {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** 32 bytes of key seed from the generator (simulation keys only: never for real keys). */
export function seedBytes(rng: Rng): Uint8Array {
  return Uint8Array.from({ length: 32 }, () => Math.floor(rng() * 256));
}

/** One of `items`. */
export function pick<T>(rng: Rng, items: readonly T[]): T {
  return items[Math.floor(rng() * items.length)] as T;
}
