/**
 * A provenance bundle hands its holder (an auditor, a patient, a court) one reading and the sibling
 * hashes on its path to the batch root. The readings next to it are predictable: the same device,
 * patient, metric, unit and quality, the next seq, the next sampling time; only the value is
 * unknown, and a vital sign has a few hundred plausible values. Unsalted, the neighbour's leaf hash
 * (the proof's first hash) is matched by trying them all; salted leaves (`leafKey`) close that.
 */
import type { Reading } from '@healthit/core';
import { afterEach, describe, expect, it } from 'vitest';
import { readingLeaf, saltedReadingLeaf } from '../../src/entries/index.js';
import { toHex } from '../../src/hex.js';
import { leafHash } from '../../src/merkle/index.js';
import type { ProvenanceBundle } from '../../src/provenance/bundle.js';
import { type AnchoredBundle, anchoredBundle } from '../../src/provenance/test-fixtures/bundle.js';
import { verifyProvenanceBundle } from '../../src/provenance/verify.js';

let open: AnchoredBundle[] = [];
afterEach(async () => {
  await Promise.all(open.map((a) => a.stack.log.close()));
  open = [];
});

/**
 * The attacker: from the proven reading (even leaf index, so the proof's first hash is the leaf of
 * the next reading), guesses the next reading with every value from 0 to 300 in steps of 0.1, and
 * returns the value whose leaf hash matches, if any. `salt` is what the attacker can put in a
 * salted leaf: the only salt it holds, the proven reading's own.
 */
function bruteForceNeighbour(bundle: ProvenanceBundle): number | undefined {
  const known = bundle.reading as Reading;
  const target = bundle.batch.proof[0];
  for (let tenth = 0; tenth <= 3000; tenth++) {
    const guess = {
      ...known,
      id: `${known.deviceId}:${known.seq + 1}`,
      seq: known.seq + 1,
      ts: known.ts + 1000,
      value: tenth / 10,
    };
    const leaf =
      bundle.batch.salt === undefined ? readingLeaf(guess) : saltedReadingLeaf(guess, bundle.batch.salt);
    if (toHex(leafHash(leaf)) === target) return guess.value;
  }
  return undefined;
}

describe('attack: guessing a neighbouring reading from a provenance bundle', () => {
  it('unsalted batch (control, the attack is real): the neighbour’s value is recovered from the proof’s first sibling hash', async () => {
    const a = await anchoredBundle({ size: 8, pick: 2 });
    open.push(a);
    expect(a.bundle.batch.leafIndex).toBe(2);
    expect(bruteForceNeighbour(a.bundle)).toBe((a.batch[3] as Reading).value);
  });

  it('salted batch (leafKey): the same search finds nothing, and the bundle still verifies offline', async () => {
    const a = await anchoredBundle({ size: 8, pick: 2, leafKey: new Uint8Array(32).fill(5) });
    open.push(a);
    expect(a.bundle.batch.salt).toMatch(/^[0-9a-f]{64}$/);
    expect(bruteForceNeighbour(a.bundle)).toBeUndefined();
    const verdict = verifyProvenanceBundle(a.bundle, {
      logKey: a.stack.logVkey,
      witnesses: a.stack.witnessVkeys,
    });
    expect(verdict.ok).toBe(true);
  });
});
