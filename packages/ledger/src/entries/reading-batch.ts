import { EpochMs, type Reading, utf8Encode, ValidationError } from '@healthit/core';
import { z } from 'zod';
import { isLowerHex, toHex } from '../hex.js';
import { leafHashOfUtf8 } from '../merkle/hash.js';
import { rootOfLeafStream } from '../merkle/root.js';
import { type SaltedCommitment, verifyCommitment } from './commitment.js';
import { Digest, Id } from './fields.js';
import { readingText, saltedReadingText, validReadings as validReadingsOf } from './reading-leaf.js';
import { readingSalter } from './reading-salt.js';

/** The most readings one `reading.batch` entry may cover. */
export const MAX_BATCH_READINGS = 100_000;

/**
 * The body of a `reading.batch` entry: the RFC 9162 Merkle root of a batch of readings from one
 * device, in `seq` order, with their count, `seq` and time range. Never a patient id: at most a
 * salted commitment to it.
 */
export const ReadingBatchBody = z
  .strictObject({
    /** The device that produced every reading of the batch. */
    device: Id,
    /** How many readings the batch holds (1 to {@link MAX_BATCH_READINGS}). */
    count: z.number().int().min(1).max(MAX_BATCH_READINGS),
    /** The smallest reading `seq`. */
    firstSeq: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER),
    /** The largest reading `seq`. */
    lastSeq: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER),
    /** The earliest reading `ts` (epoch ms). */
    firstTs: EpochMs,
    /** The latest reading `ts` (epoch ms). */
    lastTs: EpochMs,
    /**
     * `merkleRoot(readings sorted by seq, each as readingLeaf(reading))` — with `salted`, each as
     * `readingLeaf(reading, readingSalt(leafKey, reading))` — lowercase hex.
     */
    root: Digest,
    /** `saltedCommitment(patientId).commitment` when the readings belong to a patient. */
    patient: Digest.optional(),
    /**
     * Present (true) when each leaf is salted with a secret per-reading salt, so that the sibling
     * hashes in a reading's proof reveal nothing about its neighbours (see `readingSalt`).
     */
    salted: z.literal(true).optional(),
  })
  .refine((b) => b.lastSeq - b.firstSeq + 1 >= b.count, {
    message: 'lastSeq - firstSeq + 1 must be at least count',
    path: ['lastSeq'],
  })
  .refine((b) => b.lastTs >= b.firstTs, { message: 'lastTs must not be before firstTs', path: ['lastTs'] });
export type ReadingBatchBody = z.infer<typeof ReadingBatchBody>;

/**
 * The Merkle leaf data of a reading: the UTF-8 bytes of the RFC 8785 JSON of its defined fields.
 * The leaf stays off the ledger (it may hold the patient id); only the batch root goes on it.
 * The reading must already be valid (see `Reading`). Salted batches use {@link saltedReadingLeaf}.
 */
export function readingLeaf(reading: Reading): Uint8Array {
  return utf8Encode(readingText(reading));
}

/**
 * The Merkle leaf data of a reading in a salted batch (`salted: true`): the UTF-8 bytes of the
 * RFC 8785 JSON of `{ "reading": <its defined fields>, "salt": <salt hex> }`, with the salt from
 * `readingSalt(leafKey, reading)` (64 lowercase hex characters, or its 32 bytes).
 * @throws {RangeError} when the salt is not 32 bytes / 64 lowercase hex characters.
 */
export function saltedReadingLeaf(reading: Reading, salt: string | Uint8Array): Uint8Array {
  const hex = typeof salt === 'string' ? salt : salt instanceof Uint8Array ? toHex(salt) : '';
  if (!isLowerHex(hex, 32)) {
    throw new RangeError('salt must be 32 bytes (64 lowercase hex characters)');
  }
  return utf8Encode(saltedReadingText(reading, hex));
}

function invalid(path: string, message: string): ValidationError {
  return new ValidationError('ReadingBatch', [{ path, message, code: 'custom' }], {
    source: 'reading batch',
  });
}

function validReadings(input: readonly Reading[]): readonly Reading[] {
  return validReadingsOf(input, MAX_BATCH_READINGS);
}

/** True when the readings are in strictly increasing `seq` order already. */
function inSeqOrder(readings: readonly Reading[]): boolean {
  for (let i = 1; i < readings.length; i++) {
    if ((readings[i] as Reading).seq <= (readings[i - 1] as Reading).seq) return false;
  }
  return true;
}

/** The readings validated and sorted by seq (one device, distinct seqs, one patient or none). */
function sortedReadings(input: readonly Reading[]): readonly Reading[] {
  const readings = validReadings(input);
  const sorted = inSeqOrder(readings) ? readings : [...readings].sort((a, b) => a.seq - b.seq);
  const first = sorted[0] as Reading;
  for (let i = 1; i < sorted.length; i++) {
    const r = sorted[i] as Reading;
    if (r.seq === (sorted[i - 1] as Reading).seq) throw invalid(`${i}.seq`, `duplicate seq ${r.seq}`);
    if (r.deviceId !== first.deviceId) {
      throw invalid(
        `${i}.deviceId`,
        `"${r.deviceId}" differs from "${first.deviceId}": a batch holds one device`,
      );
    }
    if (r.patientId !== first.patientId) {
      throw invalid(`${i}.patientId`, 'readings of one batch must all name the same patient, or none');
    }
  }
  return sorted;
}

/**
 * Builds the body of a `reading.batch` entry for readings of one device, in any order.
 *
 * @param options.patient the opening of the patient commitment, from `saltedCommitment(patientId)`:
 *   required when the readings carry a `patientId` (it must commit to it), refused when they do not.
 * @throws {ValidationError} when a reading is malformed, the batch empty or larger than
 *   {@link MAX_BATCH_READINGS}, two readings share a `seq`, the devices or patients differ, or the
 *   patient commitment is missing or does not open to the readings' patient.
 * @example
 * ```ts
 * const patient = saltedCommitment(readings[0].patientId); // keep patient.salt off the ledger
 * const body = readingBatchBody(readings, { patient });
 * ```
 */
export function readingBatchBody(
  readings: readonly Reading[],
  options: { readonly patient?: SaltedCommitment; readonly leafKey?: Uint8Array | string } = {},
): ReadingBatchBody {
  const sorted = sortedReadings(readings);
  const first = sorted[0] as Reading;
  const body = batchCore(sorted, options.leafKey);
  const { patient } = options;
  if (first.patientId === undefined) {
    if (patient !== undefined)
      throw invalid('patient', 'the readings name no patient: pass no patient commitment');
    return body;
  }
  if (patient === undefined) {
    throw invalid('patient', 'the readings name a patient: pass patient: saltedCommitment(patientId)');
  }
  if (!verifyCommitment(first.patientId, patient.salt, patient.commitment)) {
    throw invalid('patient', "the patient commitment does not open to the readings' patientId");
  }
  return { ...body, patient: patient.commitment };
}

/**
 * `merkleRoot(sorted.map(readingLeaf))`, salted under `leafKey` when given: each leaf hashed
 * straight from its canonical text (no byte array on Node) and folded into the tree as it comes.
 * At least one reading, all of one device.
 */
function batchRoot(sorted: readonly Reading[], leafKey: Uint8Array | string | undefined): Uint8Array {
  if (leafKey === undefined) {
    return rootOfLeafStream(sorted.length, (i) => leafHashOfUtf8(readingText(sorted[i] as Reading)));
  }
  const salt = readingSalter(leafKey, (sorted[0] as Reading).deviceId);
  return rootOfLeafStream(sorted.length, (i) => {
    const r = sorted[i] as Reading;
    return leafHashOfUtf8(saltedReadingText(r, salt(r.seq)));
  });
}

/** The body without the patient commitment, of validated readings sorted by seq. */
function batchCore(sorted: readonly Reading[], leafKey: Uint8Array | string | undefined): ReadingBatchBody {
  const first = sorted[0] as Reading;
  const last = sorted[sorted.length - 1] as Reading;
  let firstTs = first.ts;
  let lastTs = first.ts;
  for (const r of sorted) {
    if (r.ts < firstTs) firstTs = r.ts;
    if (r.ts > lastTs) lastTs = r.ts;
  }
  return {
    device: first.deviceId,
    count: sorted.length,
    firstSeq: first.seq,
    lastSeq: last.seq,
    firstTs,
    lastTs,
    root: toHex(batchRoot(sorted, leafKey)),
    ...(leafKey === undefined ? {} : { salted: true as const }),
  };
}

/**
 * True only when `body` is exactly the `reading.batch` body of `readings` (in any order): same
 * device, count, seq and time range and Merkle root; a patient commitment present exactly when the
 * readings name a patient and, when `patientSalt` is given, opening to that patient. A salted body
 * (`salted: true`) needs the `leafKey` it was built with (false without it). False for a missing,
 * extra or altered reading and for malformed input; never throws on it.
 */
export function verifyReadingBatchBody(
  readings: readonly Reading[],
  body: unknown,
  patientSalt?: string,
  leafKey?: Uint8Array | string,
): boolean {
  const claimed = ReadingBatchBody.safeParse(body);
  if (!claimed.success) return false;
  const c = claimed.data;
  if (c.salted === true && leafKey === undefined) return false;
  let sorted: readonly Reading[];
  let a: ReadingBatchBody;
  try {
    sorted = sortedReadings(readings);
    a = batchCore(sorted, c.salted === true ? leafKey : undefined);
  } catch (error) {
    if (error instanceof ValidationError || error instanceof RangeError || error instanceof TypeError) {
      return false;
    }
    throw error;
  }
  const patientId = sorted[0]?.patientId;
  if ((patientId === undefined) !== (c.patient === undefined)) return false;
  if (patientId !== undefined && patientSalt !== undefined) {
    if (!verifyCommitment(patientId, patientSalt, c.patient as string)) return false;
  }
  return (
    c.device === a.device &&
    c.count === a.count &&
    c.firstSeq === a.firstSeq &&
    c.lastSeq === a.lastSeq &&
    c.firstTs === a.firstTs &&
    c.lastTs === a.lastTs &&
    c.root === a.root
  );
}
