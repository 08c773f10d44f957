import {
  type JsonValue,
  type LedgerReceipt,
  type LedgerSink,
  parse,
  Reading,
  ValidationError,
} from '@healthit/core';
import { z } from 'zod';
import {
  type ReadingBatchBody,
  readingBatchBody,
  type SaltedCommitment,
  saltedCommitment,
} from '../entries/index.js';
import { RECORD_TYPES } from './record-kinds.js';

/** What {@link anchorReadings} returns. */
export interface AnchoredBatch {
  /** The readings, validated and sorted by `seq`: the order of the batch's Merkle leaves. */
  readonly readings: readonly Reading[];
  /** The `reading.batch` body that was appended (Merkle root, count, seq and time range). */
  readonly body: ReadingBatchBody;
  /** Where the log holds the batch entry. */
  readonly receipt: LedgerReceipt;
  /**
   * The opening of the body's patient commitment, when the readings name a patient. Keep
   * `patient.salt` with the patient record, never on the ledger: with it, the patient id behind
   * every commitment made with that salt can be confirmed.
   */
  readonly patient?: SaltedCommitment;
}

/** Options of {@link anchorReadings}. */
export interface AnchorReadingsOptions {
  /**
   * The patient commitment to use when the readings name a patient (e.g. one salt per patient
   * episode). Default: a fresh `saltedCommitment(patientId)`, returned in the result.
   */
  readonly patient?: SaltedCommitment;
}

const Readings = z.array(Reading).min(1);

/**
 * Anchors a batch of one device's readings: builds the `reading.batch` body (RFC 9162 Merkle root
 * of the readings in `seq` order, count, seq and time range, a salted patient commitment instead of
 * the patient id) and appends it to `sink` as one `reading-batch` record.
 *
 * @throws {ValidationError} when a reading is malformed or not from `deviceId`, the batch is empty
 *   or too large, two readings share a `seq`, or the patient commitment does not open to the
 *   readings' patient; nothing is appended.
 * @throws what `sink.append` throws.
 * @example
 * ```ts
 * const { receipt, readings: leaves } = await anchorReadings(sink, 'mon-7', batch);
 * const bundle = buildProvenanceBundle({ reading: leaves[0], batchReadings: leaves, log, index: receipt.index, checkpointNote });
 * ```
 */
export async function anchorReadings(
  sink: LedgerSink,
  deviceId: string,
  readings: readonly Reading[],
  options: AnchorReadingsOptions = {},
): Promise<AnchoredBatch> {
  const parsed = parse(Readings, 'Reading[]', readings, 'anchorReadings');
  parsed.forEach((r, i) => {
    if (r.deviceId !== deviceId) {
      throw new ValidationError(
        'Reading[]',
        [
          {
            path: `${i}.deviceId`,
            message: `"${r.deviceId}" is not the anchored device "${deviceId}"`,
            code: 'custom',
          },
        ],
        { source: 'anchorReadings' },
      );
    }
  });
  const patientId = parsed[0]?.patientId;
  const patient = patientId === undefined ? undefined : (options.patient ?? saltedCommitment(patientId));
  const body = readingBatchBody(parsed, patient === undefined ? {} : { patient });
  const sorted = [...parsed].sort((a, b) => a.seq - b.seq);
  // The body holds only strings and numbers (an absent `patient` is left out, never undefined).
  const json = body as { readonly [key: string]: JsonValue };
  const [receipt] = await sink.append([{ type: RECORD_TYPES['reading.batch'], body: json }]);
  if (receipt === undefined) throw new Error('The sink returned no receipt for the reading batch');
  return Object.freeze({
    readings: Object.freeze(sorted),
    body,
    receipt,
    ...(patient === undefined ? {} : { patient }),
  });
}
