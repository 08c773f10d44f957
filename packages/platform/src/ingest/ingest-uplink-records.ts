import {
  type DecodedUplinkRecord,
  decodeUplinkRecord,
  HealthItError,
  type Reading,
  type ReadingStore,
  type UplinkRecord,
} from '@healthit/core';
import { connect, EMPTY, from, map, merge, mergeMap, type Observable, type OperatorFunction, of } from 'rxjs';
import type { IngestRecordReceived, IngestRecordRejected, UplinkIngestEvent } from './events.js';
import { type IngestOptions, ingestReadings } from './ingest-readings.js';

type Decoded =
  | { readonly ok: true; readonly decoded: DecodedUplinkRecord }
  | { readonly ok: false; readonly event: IngestRecordRejected };

function decode(record: UplinkRecord): Decoded {
  try {
    return { ok: true, decoded: decodeUplinkRecord(record) };
  } catch (e) {
    const error =
      e instanceof HealthItError
        ? e
        : new HealthItError('codec/decode', `Cannot decode uplink record ${record.id}: ${String(e)}`, {
            cause: e,
          });
    return { ok: false, event: { type: 'record-rejected', error, record } };
  }
}

function readingsOf(d: Decoded): Observable<Reading> {
  if (!d.ok) return EMPTY;
  if (d.decoded.type === 'reading') return of(d.decoded.reading);
  if (d.decoded.type === 'reading-batch') return from(d.decoded.readings);
  return EMPTY;
}

function othersOf(d: Decoded): Observable<IngestRecordRejected | IngestRecordReceived> {
  if (!d.ok) return of(d.event);
  const { decoded } = d;
  if (decoded.type === 'reading' || decoded.type === 'reading-batch') return EMPTY;
  return of({ type: 'record', record: decoded });
}

/**
 * The platform's intake of uplink records received in-process (the gateway's in-process uplink,
 * `received$`): decodes every record with core's `decodeUplinkRecord`, writes the readings of
 * `reading` and `reading-batch` records through {@link ingestReadings} (validated, batched,
 * retried, idempotent by reading id, so redeliveries need no de-duplication first), and emits
 * alerts, commands and command statuses as `record` events and undecodable records as
 * `record-rejected` events, at once.
 *
 * For NATS JetStream, where messages must be acknowledged after their commit, use
 * `createNatsIngest` from `@healthit/platform/nats` instead.
 *
 * @throws {TypeError} / {RangeError} as {@link ingestReadings}.
 * @example
 * ```ts
 * uplink.received$.pipe(ingestUplinkRecords(store, { maxBatch: 500 })).subscribe((e) => {
 *   if (e.type === 'record' && e.record.type === 'alert') alertManager.raise(e.record.alert);
 * });
 * ```
 */
export function ingestUplinkRecords(
  store: Pick<ReadingStore, 'append'>,
  options: IngestOptions = {},
): OperatorFunction<UplinkRecord, UplinkIngestEvent> {
  const writeReadings = ingestReadings(store, options);
  return (source) =>
    source.pipe(
      map(decode),
      connect((decoded) =>
        merge(decoded.pipe(mergeMap(othersOf)), decoded.pipe(mergeMap(readingsOf), writeReadings)),
      ),
    );
}
