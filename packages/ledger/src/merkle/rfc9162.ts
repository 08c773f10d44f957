/**
 * The RFC 9162 §2.1 algorithms over an abstract source of subtree hashes, shared by the from-leaves
 * functions and the stored tree. Sizes and indices are plain numbers (safe integers, up to 2^53),
 * so the bit arithmetic uses division, never 32-bit bitwise operators.
 * @internal
 */
import { hashChildren, NODE_PREFIX } from './hash.js';
import { HASH_LENGTH, sha256Into } from './sha256.js';

/** The hash of the subtree over leaves `[start, end)`, `MTH(D[start:end])`. */
export type RangeHash = (start: number, end: number) => Uint8Array;

/** The largest power of two smaller than `n` (n ≥ 2): the RFC's split point `k`. */
export function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/** True when `n` is a power of two (n ≥ 1). */
export function isPowerOfTwo(n: number): boolean {
  let k = 1;
  while (k < n) k *= 2;
  return k === n;
}

/**
 * `PATH(m, D[0:size])` (RFC 9162 §2.1.3.1), leaf level first: the sibling subtree hashes from
 * leaf `m` up to the root. One `hashOf` call per level.
 */
export function path(m: number, size: number, hashOf: RangeHash): Uint8Array[] {
  const out: Uint8Array[] = [];
  let start = 0;
  let end = size;
  while (end - start > 1) {
    const k = splitPoint(end - start);
    if (m < start + k) {
      out.push(hashOf(start + k, end));
      end = start + k;
    } else {
      out.push(hashOf(start, start + k));
      start += k;
    }
  }
  return out.reverse();
}

/**
 * `PROOF(m, D[0:size]) = SUBPROOF(m, D[0:size], true)` (RFC 9162 §2.1.4.1) for `0 < m ≤ size`,
 * leaf level first; empty when `m === size`.
 */
export function subproof(m: number, size: number, hashOf: RangeHash): Uint8Array[] {
  const out: Uint8Array[] = [];
  let start = 0;
  let end = size;
  let b = true;
  for (;;) {
    if (m === end) {
      if (!b) out.push(hashOf(start, end));
      break;
    }
    const k = splitPoint(end - start);
    if (m <= start + k) {
      out.push(hashOf(start + k, end));
      end = start + k;
    } else {
      out.push(hashOf(start, start + k));
      start += k;
      b = false;
    }
  }
  return out.reverse();
}

/**
 * `MTH(D[start:end])` from the perfect subtrees it is made of: for a range that starts on a
 * multiple of a power of two at least its length (every subtree of the RFC recursion does), the
 * range splits into perfect subtrees of the sizes of the set bits of `end - start`, largest first,
 * each aligned; the hash folds them from the right. `perfect(level, index)` is the hash of the
 * perfect subtree of `2^level` leaves starting at leaf `index * 2^level`. O(log n) calls and hashes.
 */
export function foldPerfect(
  start: number,
  end: number,
  perfect: (level: number, index: number) => Uint8Array,
): Uint8Array {
  const pieces: Uint8Array[] = [];
  let at = start;
  let remaining = end - start;
  let width = 1;
  let level = 0;
  while (width * 2 <= remaining) {
    width *= 2;
    level++;
  }
  while (remaining > 0) {
    if (width <= remaining) {
      pieces.push(perfect(level, at / width));
      at += width;
      remaining -= width;
    }
    width /= 2;
    level--;
  }
  let acc = pieces[pieces.length - 1] as Uint8Array;
  for (let i = pieces.length - 2; i >= 0; i--) acc = hashChildren(pieces[i] as Uint8Array, acc);
  return acc;
}

/** Bit length of `a XOR b` for non-negative safe integers: the levels below their common ancestor. */
function levelsApart(a: number, b: number): number {
  let n = 0;
  while (a !== b) {
    a = Math.floor(a / 2);
    b = Math.floor(b / 2);
    n++;
  }
  return n;
}

function popcount(a: number): number {
  let n = 0;
  while (a > 0) {
    n += a % 2;
    a = Math.floor(a / 2);
  }
  return n;
}

/**
 * How an inclusion proof for `index` in a tree of `size` splits: `inner` hashes below the point
 * where the leaf's path meets the right border, then `border` hashes along it.
 */
export function inclusionShape(index: number, size: number): { inner: number; border: number } {
  const inner = levelsApart(index, size - 1);
  return { inner, border: popcount(Math.floor(index / 2 ** inner)) };
}

/** The exact length of an inclusion proof for `index < size`. */
export function inclusionProofLength(index: number, size: number): number {
  const { inner, border } = inclusionShape(index, size);
  return inner + border;
}

/** The exact length of a consistency proof for `0 < oldSize < newSize`. */
export function consistencyProofLength(oldSize: number, newSize: number): number {
  const { inner, border } = inclusionShape(oldSize - 1, newSize);
  let shift = 0;
  let s = oldSize;
  while (s % 2 === 0) {
    s /= 2;
    shift++;
  }
  return (s === 1 ? 0 : 1) + inner - shift + border;
}

/**
 * RFC 9162 §2.1.3.2 steps 2–5: the root an inclusion proof leads to, or undefined when the proof
 * does not fit (`sn` reaches 0 early or not at all). Inputs are already checked: `index < size`,
 * every proof element a 32-byte array.
 */
export function rootFromInclusionProof(
  leaf: Uint8Array,
  index: number,
  size: number,
  proof: readonly Uint8Array[],
): Uint8Array | undefined {
  let fn = index;
  let sn = size - 1;
  let r = leaf;
  for (const p of proof) {
    if (sn === 0) return undefined;
    if (fn % 2 === 1 || fn === sn) {
      r = hashChildren(p, r);
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn /= 2;
          sn = Math.floor(sn / 2);
        }
      }
    } else {
      r = hashChildren(r, p);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 ? r : undefined;
}

/** The node input `0x01 ‖ left ‖ right` that {@link inclusionProofMatches} hashes in place. */
const nodeInput = new Uint8Array(1 + 2 * HASH_LENGTH);
const LEFT = 1;
const RIGHT = 1 + HASH_LENGTH;

/**
 * {@link rootFromInclusionProof} compared with `root`, without allocating: the running hash stays
 * in one 65-byte node input, each digest is written straight into the half the next step needs
 * it in, and each proof element is copied into the other half. Same verdict as
 * `rootFromInclusionProof(...)` being byte-equal to `root` (a property test checks). Same
 * preconditions; synchronous, so calls never interleave.
 */
export function inclusionProofMatches(
  leaf: Uint8Array,
  index: number,
  size: number,
  proof: readonly Uint8Array[],
  root: Uint8Array,
): boolean {
  let fn = index;
  let sn = size - 1;
  const n = proof.length;
  if (n === 0) {
    if (sn !== 0) return false;
    for (let i = 0; i < HASH_LENGTH; i++) if (leaf[i] !== root[i]) return false;
    return true;
  }
  nodeInput[0] = NODE_PREFIX;
  // where the running hash sits for the first step
  let at = fn % 2 === 1 || fn === sn ? RIGHT : LEFT;
  nodeInput.set(leaf, at);
  for (let i = 0; i < n; i++) {
    if (sn === 0) return false;
    nodeInput.set(proof[i] as Uint8Array, at === RIGHT ? LEFT : RIGHT);
    if (at === RIGHT && fn % 2 === 0) {
      while (fn % 2 === 0 && fn !== 0) {
        fn /= 2;
        sn = Math.floor(sn / 2);
      }
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
    if (i === n - 1) break;
    const next = fn % 2 === 1 || fn === sn ? RIGHT : LEFT;
    sha256Into(nodeInput, nodeInput, next);
    at = next;
  }
  if (sn !== 0) return false;
  sha256Into(nodeInput, nodeInput, LEFT);
  for (let i = 0; i < HASH_LENGTH; i++) if (nodeInput[LEFT + i] !== root[i]) return false;
  return true;
}

/**
 * RFC 9162 §2.1.4.2 steps 2–7 for `0 < oldSize < newSize` and a non-empty proof of checked
 * elements: true when the proof reproduces both roots.
 */
export function checkConsistencyProof(
  oldSize: number,
  newSize: number,
  oldRoot: Uint8Array,
  newRoot: Uint8Array,
  proof: readonly Uint8Array[],
  equal: (a: Uint8Array, b: Uint8Array) => boolean,
): boolean {
  const path = isPowerOfTwo(oldSize) ? [oldRoot, ...proof] : proof;
  let fn = oldSize - 1;
  let sn = newSize - 1;
  while (fn % 2 === 1) {
    fn = (fn - 1) / 2;
    sn = Math.floor(sn / 2);
  }
  let fr = path[0] as Uint8Array;
  let sr = fr;
  for (let i = 1; i < path.length; i++) {
    const c = path[i] as Uint8Array;
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      fr = hashChildren(c, fr);
      sr = hashChildren(c, sr);
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn /= 2;
          sn = Math.floor(sn / 2);
        }
      }
    } else {
      sr = hashChildren(sr, c);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 && equal(fr, oldRoot) && equal(sr, newRoot);
}
