import { utf8Encode } from '../encoding/bytes.js';
import { readingToJson } from '../encoding/reading-json.js';
import type { Alert } from '../schemas/alert.js';
import type { Command, CommandStatus } from '../schemas/command.js';
import type { Reading } from '../schemas/reading.js';
import type { UplinkRecord } from './record.js';

/**
 * The ordering key of an alert that names neither a device nor a patient (a ward-level alert):
 * such alerts are ordered among themselves.
 */
export const WARD_ALERT_KEY = 'ward';

function encodeJson(value: unknown): Uint8Array {
  return utf8Encode(JSON.stringify(value));
}

/**
 * A reading as an {@link UplinkRecord}: `id` = the reading's id (`${deviceId}:${seq}`), `key` =
 * its device id (so a device's readings stay in order end to end), payload = the reading as UTF-8
 * JSON (`readingToJson`: schema fields in schema order). The reading is not validated again (the
 * gateway's readings already are); `decodeUplinkRecord` validates on the far side.
 *
 * @example
 * ```ts
 * gateway.readings$.pipe(map(readingRecord), appendToOutbox(outbox, { maxBatch: 500, maxWaitMs: 50 }));
 * ```
 */
export function readingRecord(reading: Reading): UplinkRecord {
  return {
    id: reading.id,
    kind: 'reading',
    key: reading.deviceId,
    payload: utf8Encode(readingToJson(reading)),
  };
}

/**
 * The id of a batch record of `deviceId`'s readings with sequence numbers `firstSeq` … `lastSeq`:
 * `${deviceId}:${firstSeq}-${lastSeq}`. Stable (the same readings give the same id) and unique (a
 * device's sequence numbers only grow and the gateway drops duplicates).
 */
export function readingBatchRecordId(deviceId: string, firstSeq: number, lastSeq: number): string {
  return `${deviceId}:${firstSeq}-${lastSeq}`;
}

/** The smallest and greatest `seq` of `readings` (±Infinity when empty). */
export function readingSeqRange(readings: readonly Pick<Reading, 'seq'>[]): { first: number; last: number } {
  let first = Number.POSITIVE_INFINITY;
  let last = Number.NEGATIVE_INFINITY;
  for (const r of readings) {
    if (r.seq < first) first = r.seq;
    if (r.seq > last) last = r.seq;
  }
  return { first, last };
}

/**
 * The readings of ONE device as a batch record: kind `reading-batch`, `id` =
 * {@link readingBatchRecordId} (device and seq range), `key` = the device id, payload = the UTF-8
 * JSON array of the readings — or `json` as is, when the caller has the very same array already
 * encoded (e.g. the device's own message, accepted unchanged). `decodeUplinkRecord` checks on the
 * far side that every reading is valid and of that device and that the id matches.
 *
 * @throws {RangeError} when `readings` is empty.
 */
export function readingBatchRecord(readings: readonly Reading[], json?: Uint8Array): UplinkRecord {
  const first = readings[0];
  if (first === undefined) throw new RangeError('readingBatchRecord needs at least one reading');
  const range = readingSeqRange(readings);
  return {
    id: readingBatchRecordId(first.deviceId, range.first, range.last),
    kind: 'reading-batch',
    key: first.deviceId,
    payload: json ?? utf8Encode(`[${readings.map(readingToJson).join(',')}]`),
  };
}

/**
 * The ordering key of an alert: its device id; for an alert about a patient without a device
 * (e.g. a NEWS2 score over several monitors), the patient id; for neither, {@link WARD_ALERT_KEY}.
 */
export function alertKey(alert: Pick<Alert, 'deviceId' | 'patientId'>): string {
  return alert.deviceId ?? alert.patientId ?? WARD_ALERT_KEY;
}

/**
 * An alert as an {@link UplinkRecord}: `id` = the alert's id, `key` = {@link alertKey} (device id,
 * else patient id, else `'ward'`), payload = UTF-8 JSON. Outboxes never refuse or shed alerts.
 */
export function alertRecord(alert: Alert): UplinkRecord {
  return { id: alert.id, kind: 'alert', key: alertKey(alert), payload: encodeJson(alert) };
}

/**
 * A command as an {@link UplinkRecord} (the audit copy of what the gateway sent an actuator):
 * `id` = the command's id, `key` = the actuator's device id, payload = UTF-8 JSON.
 */
export function commandRecord(command: Command): UplinkRecord {
  return { id: command.id, kind: 'command', key: command.deviceId, payload: encodeJson(command) };
}

/** The record id of a command status: one per command and state, `${commandId}:${state}`. */
export function commandStatusRecordId(status: Pick<CommandStatus, 'commandId' | 'state'>): string {
  return `${status.commandId}:${status.state}`;
}

/**
 * A command status as an {@link UplinkRecord}: `id` = `${commandId}:${state}` (a command reaches
 * each state at most once, so a redelivered status is dropped and a new state is not), `key` = the
 * actuator's device id, payload = UTF-8 JSON.
 */
export function commandStatusRecord(status: CommandStatus): UplinkRecord {
  return {
    id: commandStatusRecordId(status),
    kind: 'command-status',
    key: status.deviceId,
    payload: encodeJson(status),
  };
}
