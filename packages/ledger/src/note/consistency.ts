import { verifyConsistency } from '../merkle/consistency.js';
import type { Checkpoint } from './checkpoint.js';
import { detectEquivocation } from './equivocation.js';
import { NoteError } from './errors.js';
import type { NoteVerifier } from './signer.js';
import type { SignedCheckpoint } from './verify-checkpoint.js';

/**
 * Verifies an RFC 9162 consistency proof (same contract as `verifyConsistency` of the Merkle module,
 * the default): true when the tree of `oldSize` leaves with `oldRoot` is a prefix of the tree of
 * `newSize` leaves with `newRoot`. Must not throw.
 */
export type ConsistencyVerifier = (
  oldSize: number,
  newSize: number,
  oldRoot: Uint8Array,
  newRoot: Uint8Array,
  proof: readonly Uint8Array[],
) => boolean;

/** The default {@link ConsistencyVerifier}: RFC 9162 section 2.1.4.2. */
export const defaultConsistencyVerifier: ConsistencyVerifier = verifyConsistency;

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/**
 * @internal Checks that `next` may follow `last` (both verified under `log`): not smaller
 * (`rollback`), same root at the same size (else `equivocation`, with evidence), and for a larger
 * tree a valid consistency proof (`inconsistent`). Every tree extends the empty one.
 */
export function checkAppendOnly(
  last: SignedCheckpoint,
  next: SignedCheckpoint,
  proof: readonly Uint8Array[],
  log: NoteVerifier,
  verify: ConsistencyVerifier,
): void {
  const a: Checkpoint = last.checkpoint;
  const b: Checkpoint = next.checkpoint;
  if (b.size < a.size) {
    throw new NoteError(
      'rollback',
      `checkpoint of size ${b.size} is older than the one already verified (size ${a.size})`,
    );
  }
  if (b.size === a.size) {
    if (equalBytes(a.rootHash, b.rootHash)) return;
    const evidence = detectEquivocation(last.note, next.note, log, { origin: a.origin });
    throw new NoteError('equivocation', `the log signed two different trees of size ${a.size}`, {
      ...(evidence === undefined ? {} : { evidence }),
    });
  }
  if (a.size === 0) return;
  if (!verify(a.size, b.size, a.rootHash, b.rootHash, proof)) {
    throw new NoteError(
      'inconsistent',
      `no valid consistency proof from size ${a.size} to size ${b.size}: the log's history changed`,
    );
  }
}
