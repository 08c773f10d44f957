import { HealthItError, isHealthItError, type LoadedModel, type Tensor } from '@healthit/core';
import { Observable, type OperatorFunction } from 'rxjs';
import { VITALS_FEATURES, type VitalsFeature } from '../features/vitals.js';
import type { CollectedVitals } from './collect-vitals.js';
import type { RiskScore, ScoreEvent, ScoreEventError } from './events.js';
import type { VitalsRow } from './latest-vitals.js';

/** Where a batch goes in and comes out of the model. */
export interface BatchModelOptions {
  readonly inputName: string;
  readonly outputName: string;
}

function batchError(rows: readonly VitalsRow[], error: HealthItError): ScoreEventError {
  return {
    type: 'error',
    error,
    patientIds: rows.map((r) => r.patientId),
    readingIds: rows.flatMap((r) => r.readingIds),
  };
}

function featuresOf(row: VitalsRow): Record<VitalsFeature, number> {
  return Object.fromEntries(VITALS_FEATURES.map((f, i) => [f, row.values[i]])) as Record<
    VitalsFeature,
    number
  >;
}

/**
 * Runs the model once on `rows` and turns its output into events. Never rejects: a failed run is
 * one `model/run` error event naming every patient of the batch; an out-of-range output value is an
 * error event for that patient only.
 */
export async function scoreRows(
  model: LoadedModel,
  rows: readonly VitalsRow[],
  options: BatchModelOptions,
): Promise<ScoreEvent[]> {
  const where = `scoreVitals: model ${model.id}@${model.version}`;
  const width = VITALS_FEATURES.length;
  const data = new Float32Array(rows.length * width);
  rows.forEach((row, i) => {
    data.set(row.values, i * width);
  });
  const input: Tensor = { type: 'float32', data, dims: [rows.length, width] };
  let outputs: Record<string, Tensor>;
  try {
    outputs = await model.run({ [options.inputName]: input });
  } catch (e) {
    const error = isHealthItError(e)
      ? e
      : new HealthItError('model/run', `${where} failed on a batch of ${rows.length}: ${String(e)}`, {
          cause: e,
        });
    return [batchError(rows, error)];
  }
  const output = outputs[options.outputName];
  if (output?.type !== 'float32' || output.data.length !== rows.length) {
    const got = output === undefined ? 'nothing' : `${output.type} [${output.dims.join(', ')}]`;
    return [
      batchError(
        rows,
        new HealthItError(
          'model/run',
          `${where}: expected output "${options.outputName}" float32 [${rows.length}, 1] for a batch of ` +
            `${rows.length}, got ${got}; outputs were ${Object.keys(outputs).join(', ') || 'none'}`,
          { detail: { modelId: model.id, version: model.version, outputName: options.outputName } },
        ),
      ),
    ];
  }
  return rows.map((row, i): ScoreEvent => {
    const risk = output.data[i] as number;
    if (!(risk >= 0 && risk <= 1)) {
      return batchError(
        [row],
        new HealthItError('model/run', `${where}: risk ${risk} for patient ${row.patientId} is not in 0..1`, {
          detail: { modelId: model.id, version: model.version, patientId: row.patientId, risk: String(risk) },
        }),
      );
    }
    const score: RiskScore = {
      patientId: row.patientId,
      risk,
      ts: row.ts,
      readingIds: row.readingIds,
      features: featuresOf(row),
      modelId: model.id,
      modelVersion: model.version,
    };
    return { type: 'score', score };
  });
}

/**
 * Runs batches through the model one at a time, passing errors straight on.
 *
 * Bounded, with a declared policy: while a run is in flight, rows that arrive wait in a queue keyed
 * by patient, where a newer row for the same patient replaces the waiting one (keeping its place).
 * So waiting work never exceeds one row per patient, and each run takes up to `maxBatch` rows in
 * arrival order. On completion of the source, the queue is drained before completing.
 */
export function runBatches(
  model: LoadedModel,
  maxBatch: number,
  options: BatchModelOptions,
): OperatorFunction<CollectedVitals, ScoreEvent> {
  return (source) =>
    new Observable<ScoreEvent>((subscriber) => {
      const waiting = new Map<string, VitalsRow>();
      let running = false;
      let sourceDone = false;
      let closed = false;

      const pump = (): void => {
        if (running || closed) return;
        if (waiting.size === 0) {
          if (sourceDone) subscriber.complete();
          return;
        }
        const batch: VitalsRow[] = [];
        for (const [patientId, row] of waiting) {
          if (batch.length >= maxBatch) break;
          batch.push(row);
          waiting.delete(patientId);
        }
        running = true;
        scoreRows(model, batch, options).then(
          (events) => {
            if (closed) return;
            for (const event of events) subscriber.next(event);
            running = false;
            pump();
          },
          // scoreRows turns every model failure into an event: a rejection here is a bug, so fatal.
          (e: unknown) => subscriber.error(e),
        );
      };

      const subscription = source.subscribe({
        next(item) {
          if (item.type === 'error') {
            subscriber.next(item);
            return;
          }
          for (const row of item.rows) waiting.set(row.patientId, row);
          pump();
        },
        error(e) {
          subscriber.error(e);
        },
        complete() {
          sourceDone = true;
          pump();
        },
      });
      return () => {
        closed = true;
        subscription.unsubscribe();
      };
    });
}
