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
  /**
   * Salts each reading's Merkle leaf with a secret per-reading salt derived from this key
   * (`entries.readingSalt`), so a provenance bundle's sibling hashes reveal nothing about the other
   * readings (unsalted, a neighbour's hash can be matched by trying its few plausible values). Keep
   * it secret, off the ledger, and give it to `buildProvenanceBundle`. Default: unsalted leaves.
   */
  readonly leafKey?: Uint8Array | string;
}

/** Options of {@link anchorReadingsByDevice}. */
export type AnchorReadingsByDeviceOptions = Pick<AnchorReadingsOptions, 'leafKey'>;

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
  const [batch] = await appendBatches(
    sink,
    [{ readings: parsed, patient: options.patient }],
    options.leafKey,
  );
  return batch as AnchoredBatch;
}

/**
 * Anchors readings of any number of devices in one `sink.append` call (one log batch): one
 * `reading.batch` entry per device, in order of first appearance, each with a fresh salted
 * patient commitment when its readings name a patient, and leaves salted under `options.leafKey`
 * when given. Resolves with one {@link AnchoredBatch} per device.
 *
 * @throws {ValidationError} as {@link anchorReadings}; nothing is appended.
 * @throws what `sink.append` throws.
 */
export async function anchorReadingsByDevice(
  sink: LedgerSink,
  readings: readonly Reading[],
  options: AnchorReadingsByDeviceOptions = {},
): Promise<AnchoredBatch[]> {
  const parsed = parse(Readings, 'Reading[]', readings, 'anchorReadingsByDevice');
  const byDevice = new Map<string, Reading[]>();
  for (const r of parsed) {
    const list = byDevice.get(r.deviceId);
    if (list === undefined) byDevice.set(r.deviceId, [r]);
    else list.push(r);
  }
  return appendBatches(
    sink,
    [...byDevice.values()].map((list) => ({ readings: list, patient: undefined })),
    options.leafKey,
  );
}

/** Builds each device's body (commitment, root) and appends all of them in one sink call. */
async function appendBatches(
  sink: LedgerSink,
  batches: readonly {
    readonly readings: readonly Reading[];
    readonly patient: SaltedCommitment | undefined;
  }[],
  leafKey: Uint8Array | string | undefined,
): Promise<AnchoredBatch[]> {
  const built = batches.map(({ readings, patient: given }) => {
    const patientId = readings[0]?.patientId;
    const patient = patientId === undefined ? undefined : (given ?? saltedCommitment(patientId));
    const body = readingBatchBody(readings, {
      ...(patient === undefined ? {} : { patient }),
      ...(leafKey === undefined ? {} : { leafKey }),
    });
    const sorted = [...readings].sort((a, b) => a.seq - b.seq);
    return { sorted, body, patient };
  });
  // Bodies hold only strings and numbers (an absent `patient` is left out, never undefined).
  const receipts = await sink.append(
    built.map(({ body }) => ({
      type: RECORD_TYPES['reading.batch'],
      body: body as { readonly [key: string]: JsonValue },
    })),
  );
  return built.map(({ sorted, body, patient }, i) => {
    const receipt = receipts[i];
    if (receipt === undefined) throw new Error('The sink returned fewer receipts than records');
    return Object.freeze({
      readings: Object.freeze(sorted),
      body,
      receipt,
      ...(patient === undefined ? {} : { patient }),
    });
  });
}
