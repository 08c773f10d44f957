import { parseCheckpoint } from './checkpoint.js';
import { verifyNote } from './note.js';
import { keyLabel, type NoteVerifier } from './signer.js';

/**
 * Self-contained proof that a log equivocated (showed a split view): two checkpoints of the same
 * origin and size with different root hashes, both signed by the log's key. Anyone holding the
 * log's public key can re-check it with {@link verifyEquivocationEvidence}; publish it.
 */
export interface EquivocationEvidence {
  /** Discriminant. */
  readonly type: 'equivocation';
  /** The log's origin line. */
  readonly origin: string;
  /** The tree size both checkpoints claim. */
  readonly size: number;
  /** The log key (`name+keyid`) that signed both. */
  readonly logKey: string;
  /** The two signed checkpoint notes, verbatim. */
  readonly notes: readonly [string, string];
}

/** Options of {@link detectEquivocation}. */
export interface DetectEquivocationOptions {
  /** The expected origin. Default: the log key's name. */
  readonly origin?: string;
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/**
 * Compares two signed checkpoints of one log. Returns evidence when both verify under `log`, carry
 * the expected origin and the same size, and differ in root hash; `undefined` otherwise (including
 * when either does not verify: an unsigned claim proves nothing about the log). Never throws on a
 * bad note.
 * @example
 * ```ts
 * const evidence = detectEquivocation(seenByMe, seenByPeer, logVerifier);
 * if (evidence) report(evidence);
 * ```
 */
export function detectEquivocation(
  a: string,
  b: string,
  log: NoteVerifier,
  options: DetectEquivocationOptions = {},
): EquivocationEvidence | undefined {
  const origin = options.origin ?? log.name;
  try {
    const ca = parseCheckpoint(verifyNote(a, [log]).text);
    const cb = parseCheckpoint(verifyNote(b, [log]).text);
    if (ca.origin !== origin || cb.origin !== origin || ca.size !== cb.size) return undefined;
    if (equalBytes(ca.rootHash, cb.rootHash)) return undefined;
    return Object.freeze({
      type: 'equivocation' as const,
      origin,
      size: ca.size,
      logKey: keyLabel(log),
      notes: Object.freeze([a, b] as const),
    });
  } catch {
    return undefined;
  }
}

/** True when `evidence` really proves that the log behind `log` equivocated. */
export function verifyEquivocationEvidence(evidence: EquivocationEvidence, log: NoteVerifier): boolean {
  if (evidence?.type !== 'equivocation' || !Array.isArray(evidence.notes) || evidence.notes.length !== 2)
    return false;
  const again = detectEquivocation(evidence.notes[0], evidence.notes[1], log, { origin: evidence.origin });
  return again !== undefined && again.size === evidence.size && evidence.logKey === keyLabel(log);
}
