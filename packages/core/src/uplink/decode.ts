import { utf8Decode } from '../encoding/bytes.js';
import { HealthItError } from '../errors/health-it-error.js';
import { ValidationError } from '../errors/validation-error.js';
import { Alert } from '../schemas/alert.js';
import { Command, CommandStatus } from '../schemas/command.js';
import { Reading } from '../schemas/reading.js';
import { isReading } from '../schemas/reading-guard.js';
import { parse } from '../validate.js';
import type { UplinkRecord, UplinkRecordKind } from './record.js';
import { alertKey, commandStatusRecordId, readingBatchRecordId, readingSeqRange } from './records.js';

/** A batch record's payload: a non-empty JSON array of readings (the fast guard first, then zod). */
const ReadingBatchPayload = Reading.array().min(1);

/** A decoded reading record. */
export interface DecodedReadingRecord {
  /** Tags a single reading. */
  readonly type: 'reading';
  /** The record id: the reading's id, `${deviceId}:${seq}`. */
  readonly id: string;
  /** The ordering key: the reading's device id. */
  readonly key: string;
  /** The reading, validated against the core `Reading` schema. */
  readonly reading: Reading;
}

/** A decoded batch record: the readings of one device, in the order they were sent. */
export interface DecodedReadingBatchRecord {
  /** Tags a batch of one device's readings. */
  readonly type: 'reading-batch';
  /** The record id: `${deviceId}:${firstSeq}-${lastSeq}`, see {@link readingBatchRecordId}. */
  readonly id: string;
  /** The ordering key: the device id every reading of the batch carries. */
  readonly key: string;
  /** The readings (at least one), each validated against the core `Reading` schema. */
  readonly readings: readonly Reading[];
}

/** A decoded alert record. */
export interface DecodedAlertRecord {
  /** Tags an alert. */
  readonly type: 'alert';
  /** The record id: the alert's id. */
  readonly id: string;
  /** The ordering key: the alert's device id, else its patient id, else `ward` (see {@link alertKey}). */
  readonly key: string;
  /** The alert, validated against the core `Alert` schema. */
  readonly alert: Alert;
}

/** A decoded command record. */
export interface DecodedCommandRecord {
  /** Tags a command (the audit copy of what the gateway sent an actuator). */
  readonly type: 'command';
  /** The record id: the command's id. */
  readonly id: string;
  /** The ordering key: the actuator's device id. */
  readonly key: string;
  /** The command, validated against the core `Command` schema. */
  readonly command: Command;
}

/** A decoded command-status record. */
export interface DecodedCommandStatusRecord {
  /** Tags a command status. */
  readonly type: 'command-status';
  /** The record id: `${commandId}:${state}`, one per command and state. */
  readonly id: string;
  /** The ordering key: the actuator's device id. */
  readonly key: string;
  /** The status, validated against the core `CommandStatus` schema. */
  readonly status: CommandStatus;
}

/** What {@link decodeUplinkRecord} returns, tagged by `type` (the record's kind). */
export type DecodedUplinkRecord =
  | DecodedReadingRecord
  | DecodedReadingBatchRecord
  | DecodedAlertRecord
  | DecodedCommandRecord
  | DecodedCommandStatusRecord;

/** The kinds {@link decodeUplinkRecord} decodes (every kind but `event`). */
export type DecodableUplinkRecordKind = DecodedUplinkRecord['type'];

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
 * Decodes an uplink record on the platform side (made by `readingRecord`, `readingBatchRecord`,
 * `alertRecord`, `commandRecord` or `commandStatusRecord`): parses the UTF-8 JSON payload,
 * validates it with the core schema of its kind, and checks that the record's `id` and `key` are
 * the ones the payload gives (a record whose id does not match would defeat de-duplication).
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
      const { first, last } = readingSeqRange(readings);
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
