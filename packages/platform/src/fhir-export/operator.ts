import { HealthItError } from '@healthit/core';
import type { Client } from 'fhir-kit-client';
import { catchError, defer, from, map, mergeMap, Observable, type OperatorFunction, of } from 'rxjs';
import type { FhirObservation } from '../fhir/types.js';
import { createFhirClient } from './client.js';
import { type ExportObservationsOptions, exportObservations, type FhirExportResult } from './export.js';

/** Options of {@link exportObservationBatches}. */
export interface ExportOperatorOptions
  extends Omit<ExportObservationsOptions, 'onRejected' | 'signal' | 'concurrency'> {
  /** Input batches exported at once (default 2). */
  readonly concurrency?: number;
  /** Emit results in input order (default true); false emits each as it completes. */
  readonly ordered?: boolean;
}

/** What happened to one input batch. */
export type FhirExportBatchOutcome =
  | ({
      /** The batch was exported; the counts and any collected rejections follow. */
      readonly type: 'exported';
      /** 0-based position of the batch in the input stream. */
      readonly index: number;
      /** Observations in the batch. */
      readonly size: number;
    } & FhirExportResult)
  | {
      /** The batch as a whole could not be exported; nothing of it is known to be written. */
      readonly type: 'export-failed';
      /** 0-based position of the batch in the input stream. */
      readonly index: number;
      /** Observations in the batch. */
      readonly size: number;
      /** Why the whole batch failed (e.g. `store/unavailable` after every retry). */
      readonly error: unknown;
      /** The batch, to re-queue: exporting it again never duplicates. */
      readonly observations: readonly FhirObservation[];
    };

/** Re-emits `{ index }` values in index order (0, 1, 2 ...); holds at most the out-of-order ones. */
function inIndexOrder<T extends { readonly index: number }>(): OperatorFunction<T, T> {
  return (source) =>
    new Observable<T>((subscriber) => {
      let next = 0;
      const held = new Map<number, T>();
      return source.subscribe({
        next(value) {
          held.set(value.index, value);
          for (let v = held.get(next); v !== undefined; v = held.get(next)) {
            held.delete(next);
            next++;
            subscriber.next(v);
          }
        },
        error: (e: unknown) => subscriber.error(e),
        complete: () => subscriber.complete(),
      });
    });
}

/**
 * The stream form of {@link exportObservations}: each input batch of Observations (e.g. from
 * `bufferTime(1000, null, 1000)`) is exported with at most `concurrency` batches in flight, and one
 * {@link FhirExportBatchOutcome} comes out per batch — in input order unless `ordered: false`.
 * Rejected Observations are isolated and listed (`onRejected: 'collect'`); a batch the server
 * cannot take at all is an `export-failed` value, never an error of the stream. Unsubscribing
 * aborts the requests in flight.
 *
 * @throws {HealthItError} `config/invalid` (at once) for bad options.
 * @example
 * ```ts
 * observations$.pipe(bufferTime(1000, null, 1000), filter((b) => b.length > 0),
 *   exportObservationBatches({ client, concurrency: 4 }))
 * ```
 */
export function exportObservationBatches(
  options: ExportOperatorOptions,
): OperatorFunction<readonly FhirObservation[], FhirExportBatchOutcome> {
  const concurrency = options.concurrency ?? 2;
  if (!(Number.isInteger(concurrency) && concurrency > 0)) {
    throw new HealthItError('config/invalid', `concurrency must be a positive integer, got ${concurrency}`);
  }
  if (options.client === undefined && options.baseUrl === undefined) {
    throw new HealthItError('config/invalid', 'exportObservationBatches needs a client or a baseUrl');
  }
  const { ordered = true, concurrency: _c, ...rest } = options;
  const client: Client =
    options.client ??
    createFhirClient({
      baseUrl: options.baseUrl as string,
      ...(options.trustedCaPem === undefined ? {} : { trustedCaPem: options.trustedCaPem }),
    });
  const exportOne = (batch: readonly FhirObservation[], index: number): Observable<FhirExportBatchOutcome> =>
    defer(() => {
      const abort = new AbortController();
      return new Observable<FhirExportResult>((subscriber) => {
        const sub = from(
          exportObservations(batch, { ...rest, client, onRejected: 'collect', signal: abort.signal }),
        ).subscribe(subscriber);
        return () => {
          sub.unsubscribe();
          abort.abort(new Error('unsubscribed'));
        };
      });
    }).pipe(
      map((result): FhirExportBatchOutcome => ({ type: 'exported', index, size: batch.length, ...result })),
      catchError((error: unknown) =>
        of<FhirExportBatchOutcome>({
          type: 'export-failed',
          index,
          size: batch.length,
          error,
          observations: batch,
        }),
      ),
    );
  return (source) => {
    const results = source.pipe(mergeMap(exportOne, concurrency));
    return ordered ? results.pipe(inIndexOrder()) : results;
  };
}
