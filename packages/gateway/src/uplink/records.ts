/**
 * The uplink record contract lives in `@healthit/core` (`packages/core/src/uplink/`), shared with
 * the platform that decodes the records; it is re-exported here so the gateway's API is unchanged.
 * Only the gateway-specific step stays: splitting a gateway {@link ReadingBatch} into records.
 */
import { type Reading, readingBatchRecord } from '@healthit/core';
import type { ReadingBatch } from '../acquisition/reading-batch.js';
import type { UplinkRecord } from './uplink.js';

export {
  alertKey,
  alertRecord,
  commandRecord,
  commandStatusRecord,
  commandStatusRecordId,
  type DecodedAlertRecord,
  type DecodedCommandRecord,
  type DecodedCommandStatusRecord,
  type DecodedReadingBatchRecord,
  type DecodedReadingRecord,
  type DecodedUplinkRecord,
  decodeUplinkRecord,
  readingBatchRecordId,
  readingRecord,
  WARD_ALERT_KEY,
} from '@healthit/core';

/**
 * A gateway {@link ReadingBatch} as uplink records, one per device (a message's readings usually
 * all come from one): kind `reading-batch`, `id` = `readingBatchRecordId` (device and seq
 * range), `key` = the device id, payload = the UTF-8 JSON array of the device's readings. A batch
 * that carries the device's own JSON (`batch.json`: every reading accepted unchanged) is forwarded
 * as is, without encoding again. One outbox row and one uplink message per message instead of per
 * reading; `decodeUplinkRecord` validates every reading on the far side.
 *
 * @example
 * ```ts
 * gateway.readingBatches$.pipe(
 *   mergeMap(readingBatchRecords),
 *   appendToOutbox(outbox, { maxBatch: 100, maxWaitMs: 50 }),
 * );
 * ```
 */
export function readingBatchRecords(batch: ReadingBatch): UplinkRecord[] {
  const { readings } = batch;
  const first = readings[0];
  if (first === undefined) return [];
  const deviceId = first.deviceId;
  let oneDevice = true;
  for (const r of readings) {
    if (r.deviceId !== deviceId) {
      oneDevice = false;
      break;
    }
  }
  if (oneDevice) return [readingBatchRecord(readings, batch.json)];
  const byDevice = new Map<string, Reading[]>();
  for (const r of readings) {
    const list = byDevice.get(r.deviceId);
    if (list === undefined) byDevice.set(r.deviceId, [r]);
    else list.push(r);
  }
  return [...byDevice.values()].map((list) => readingBatchRecord(list));
}
