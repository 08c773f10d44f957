import {
  Alert,
  Command,
  CommandStatus,
  HealthItError,
  isReading,
  parse,
  Reading,
  readingToJson,
  utf8Decode,
  utf8Encode,
  ValidationError,
} from '@healthit/core';
import { z } from 'zod';
import type { ReadingBatch } from '../acquisition/reading-batch.js';
import type { UplinkRecord, UplinkRecordKind } from './uplink.js';

/** A batch record's payload: a non-empty JSON array of readings (the fast guard first, then zod). */
const ReadingBatchPayload = z.array(Reading).min(1);

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
 * JSON (`readingToJson`: schema fields in schema order). The reading is not validated again (the gateway's readings already are);
 * {@link decodeUplinkRecord} validates on the far side.
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

function seqRange(readings: readonly Reading[]): { first: number; last: number } {
  let first = Number.POSITIVE_INFINITY;
  let last = Number.NEGATIVE_INFINITY;
  for (const r of readings) {
    if (r.seq < first) first = r.seq;
    if (r.seq > last) last = r.seq;
  }
  return { first, last };
}

/**
 * A gateway {@link ReadingBatch} as uplink records, one per device (a message's readings usually
 * all come from one): kind `reading-batch`, `id` = {@link readingBatchRecordId} (device and seq
 * range), `key` = the device id, payload = the UTF-8 JSON array of the device's readings. A batch
 * that carries the device's own JSON (`batch.json`: every reading accepted unchanged) is forwarded
 * as is, without encoding again. One outbox row and one uplink message per message instead of per
 * reading; {@link decodeUplinkRecord} validates every reading on the far side.
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
  if (oneDevice) return [batchRecord(deviceId, readings, batch.json)];
  const byDevice = new Map<string, Reading[]>();
  for (const r of readings) {
    const list = byDevice.get(r.deviceId);
    if (list === undefined) byDevice.set(r.deviceId, [r]);
    else list.push(r);
  }
  return [...byDevice].map(([device, list]) => batchRecord(device, list, undefined));
}

function batchRecord(
  deviceId: string,
  readings: readonly Reading[],
  json: Uint8Array | undefined,
): UplinkRecord {
  const { first, last } = seqRange(readings);
  return {
    id: readingBatchRecordId(deviceId, first, last),
    kind: 'reading-batch',
    key: deviceId,
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

/** A decoded reading record. */
export interface DecodedReadingRecord {
  readonly type: 'reading';
  readonly id: string;
  readonly key: string;
  readonly reading: Reading;
}

/** A decoded batch record: the readings of one device, in the order they were sent. */
export interface DecodedReadingBatchRecord {
  readonly type: 'reading-batch';
  readonly id: string;
  readonly key: string;
  readonly readings: readonly Reading[];
}

/** A decoded alert record. */
export interface DecodedAlertRecord {
  readonly type: 'alert';
  readonly id: string;
  readonly key: string;
  readonly alert: Alert;
}

/** A decoded command record. */
export interface DecodedCommandRecord {
  readonly type: 'command';
  readonly id: string;
  readonly key: string;
  readonly command: Command;
}

/** A decoded command-status record. */
export interface DecodedCommandStatusRecord {
  readonly type: 'command-status';
  readonly id: string;
  readonly key: string;
  readonly status: CommandStatus;
}

/** What {@link decodeUplinkRecord} returns, tagged by `type` (the record's kind). */
export type DecodedUplinkRecord =
  | DecodedReadingRecord
  | DecodedReadingBatchRecord
  | DecodedAlertRecord
  | DecodedCommandRecord
  | DecodedCommandStatusRecord;

function mismatch(kind: string, source: string, field: string, expected: string, actual: string): never {
  throw new ValidationError(
    'UplinkRecord',
    [
      {
        path: field,
        message: `expected "${expected}" (derived from the ${kind} in the payload), got "${actual}"`,
        code: 'custom',
      },
    ],
    { source },
  );
}

function check(kind: UplinkRecordKind, record: UplinkRecord, source: string, id: string, key: string): void {
  if (record.id !== id) mismatch(kind, source, 'id', id, record.id);
  if (record.key !== key) mismatch(kind, source, 'key', key, record.key);
}

/**
 * Decodes a record made by {@link readingRecord}, {@link readingBatchRecords}, {@link alertRecord},
 * {@link commandRecord} or {@link commandStatusRecord} on the platform side: parses the UTF-8 JSON payload, validates it
 * with the core schema of its kind, and checks that the record's `id` and `key` are the ones the
 * payload gives (a record whose id does not match would defeat de-duplication).
 *
 * @throws {HealthItError} `codec/decode` when the payload is not UTF-8 JSON (detail: `recordId`,
 *   `kind`).
 * @throws {ValidationError} when the payload does not match its schema (message and `issues` name
 *   the field; `source` is `uplink record <id>`), when `id` or `key` do not match the payload
 *   (schema `UplinkRecord`, path `id` / `key`), or for a kind with no decoder (`event`; path `kind`).
 *
 * @example
 * ```ts
 * uplink.received$.pipe(dedupeRecords(), map(decodeUplinkRecord)).subscribe((d) => {
 *   if (d.type === 'reading') readings$.next(d.reading);
 * });
 * ```
 */
export function decodeUplinkRecord(record: UplinkRecord): DecodedUplinkRecord {
  const source = `uplink record ${record.id}`;
  const kind = record.kind;
  if (
    kind !== 'reading' &&
    kind !== 'reading-batch' &&
    kind !== 'alert' &&
    kind !== 'command' &&
    kind !== 'command-status'
  ) {
    throw new ValidationError(
      'UplinkRecord',
      [
        {
          path: 'kind',
          message: `no decoder for kind "${String(kind)}" (expected reading, reading-batch, alert, command or command-status)`,
          code: 'custom',
        },
      ],
      { source },
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(utf8Decode(record.payload));
  } catch (cause) {
    throw new HealthItError(
      'codec/decode',
      `The payload of ${source} (${kind}) is not UTF-8 JSON: ${(cause as Error).message}`,
      { cause, detail: { recordId: record.id, kind, byteLength: record.payload.byteLength } },
    );
  }
  const { id, key } = record;
  switch (kind) {
    case 'reading-batch': {
      const readings =
        Array.isArray(json) && json.length > 0 && json.every(isReading)
          ? (json as Reading[])
          : parse(ReadingBatchPayload, 'Reading[]', json, source);
      readings.forEach((r, i) => {
        if (r.deviceId !== key) mismatch(kind, source, `payload.${i}.deviceId`, key, r.deviceId);
      });
      const { first, last } = seqRange(readings);
      if (id !== readingBatchRecordId(key, first, last)) {
        mismatch(kind, source, 'id', readingBatchRecordId(key, first, last), id);
      }
      return { type: 'reading-batch', id, key, readings };
    }
    case 'reading': {
      const reading = parse(Reading, 'Reading', json, source);
      check(kind, record, source, reading.id, reading.deviceId);
      return { type: 'reading', id, key, reading };
    }
    case 'alert': {
      const alert = parse(Alert, 'Alert', json, source);
      check(kind, record, source, alert.id, alertKey(alert));
      return { type: 'alert', id, key, alert };
    }
    case 'command': {
      const command = parse(Command, 'Command', json, source);
      check(kind, record, source, command.id, command.deviceId);
      return { type: 'command', id, key, command };
    }
    case 'command-status': {
      const status = parse(CommandStatus, 'CommandStatus', json, source);
      check(kind, record, source, commandStatusRecordId(status), status.deviceId);
      return { type: 'command-status', id, key, status };
    }
  }
}
