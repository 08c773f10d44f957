/**
 * The gateway pipeline the load benchmarks run: acquisition (decode, validate, normalise, dedup),
 * a threshold rule, NEWS2 scoring, the historian and 60 s tumbling windows — what a gateway on a
 * ward does with every reading (`minimal`: acquisition and the threshold rule only). With an
 * `outbox`, it is wired as a gateway forwards to the platform (as `examples/scale-out` does): one
 * `reading-batch` record per device message, one record per alert (threshold and NEWS2), appended in
 * batches (`appendToOutbox`, 500 records or 20 ms), the forwarder woken after each append.
 */
import type { Alert, Transport } from '@healthit/core';
import {
  alertRecord,
  appendToOutbox,
  createGateway,
  createHistorian,
  type Historian,
  news2Scores,
  type Outbox,
  readingBatchRecords,
  recordTo,
  windowStats,
} from '@healthit/gateway';
import { filter, map, merge, mergeMap, type Subscription, share } from 'rxjs';

export interface PipelineCounters {
  readings: number;
  events: number;
  windows: number;
  scores: number;
  /** Records appended to the outbox. */
  appended: number;
  /** Records the outbox refused and `appendToOutbox` holds for a retry (its queue), now. */
  held: number;
  /** Records given up under the hold bound, or alerts the outbox gave up. */
  dropped: number;
}

export interface PipelineOptions {
  /** Devices expected: the gateway, historian, windows and NEWS2 are sized for twice as many. */
  readonly devices: number;
  /** Sees every alert the moment the gateway raises it (threshold rule; NEWS2 too when full). */
  readonly onAlert?: (alert: Alert) => void;
  /** Acquisition and the threshold rule only. */
  readonly minimal?: boolean;
  /** Forward reading batches and alerts to this outbox; `onAppended` after each append (wake the forwarder). */
  readonly outbox?: Outbox;
  readonly onAppended?: () => void;
}

export interface Pipeline {
  readonly counters: PipelineCounters;
  /** The historian (undefined when minimal): its `stats()` are the pipeline's largest state. */
  readonly historian: Historian | undefined;
  stop(): void;
}

/** Starts the pipeline on `transport`. */
export function startPipeline(transport: Transport, options: PipelineOptions): Pipeline {
  const { devices, minimal = false, outbox } = options;
  const counters: PipelineCounters = {
    readings: 0,
    events: 0,
    windows: 0,
    scores: 0,
    appended: 0,
    held: 0,
    dropped: 0,
  };
  const gw = createGateway({
    transport,
    rules: [{ id: 'spo2-critical', metric: 'spo2', below: 88, severity: 'high' }],
    maxDevices: devices * 2,
  });
  const historian = minimal ? undefined : createHistorian({ maxSeries: devices * 2, capacityPerSeries: 600 });
  const readings$ = historian === undefined ? gw.readings$ : gw.readings$.pipe(recordTo(historian), share());
  const news2$ = minimal
    ? undefined
    : readings$.pipe(
        news2Scores({ assume: { consciousness: 'A', onOxygen: false }, maxPatients: devices * 2 }),
        share(),
      );
  const alerts$ = gw.alerts$.pipe(share()); // one threshold-rule state for both subscribers
  const subs: Subscription[] = [
    alerts$.subscribe((alert) => options.onAlert?.(alert)),
    gw.events$.subscribe(() => {
      counters.events++;
    }),
    readings$.subscribe(() => {
      counters.readings++;
    }),
  ];
  if (news2$ !== undefined) {
    subs.push(
      readings$
        .pipe(windowStats({ kind: 'tumbling', sizeMs: 60_000, maxSeries: devices * 2 }))
        .subscribe(() => {
          counters.windows++;
        }),
      news2$.subscribe((u) => {
        if (u.type === 'news2-score') counters.scores++;
        else if (u.type === 'news2-alert') options.onAlert?.(u.alert);
      }),
    );
  }
  if (outbox !== undefined) {
    const news2Alerts$ =
      news2$ === undefined
        ? []
        : [
            news2$.pipe(
              filter((u) => u.type === 'news2-alert'),
              map((u) => u.alert),
            ),
          ];
    subs.push(
      merge(
        gw.readingBatches$.pipe(mergeMap(readingBatchRecords)),
        merge(alerts$, ...news2Alerts$).pipe(map(alertRecord)),
      )
        .pipe(appendToOutbox(outbox, { maxBatch: 500, maxWaitMs: 20 }))
        .subscribe((event) => {
          if (event.type === 'appended') {
            counters.appended += event.count;
            options.onAppended?.();
          } else if (event.type === 'held') counters.held = event.count;
          else if (event.type === 'dropped') counters.dropped += event.records.length;
          else if (event.type === 'alerts-dropped') counters.dropped += event.alerts.length;
        }),
    );
  }
  return {
    counters,
    historian,
    stop: () => {
      for (const s of subs) s.unsubscribe();
    },
  };
}
