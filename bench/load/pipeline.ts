/**
 * The gateway pipeline the load benchmarks run (`minimal`: acquisition and the threshold rule only): acquisition (decode, validate, normalise, dedup),
 * a threshold rule, NEWS2 scoring, the historian and 60 s tumbling windows — what a gateway on a
 * ward does with every reading.
 */
import type { Alert, Transport } from '@healthit/core';
import { createGateway, createHistorian, news2Scores, recordTo, windowStats } from '@healthit/gateway';
import { type Subscription, share } from 'rxjs';

export interface PipelineCounters {
  readings: number;
  events: number;
  windows: number;
  scores: number;
}

/** Starts the pipeline on `transport`; `onAlert` sees every alert the moment it is raised. */
export function startPipeline(
  transport: Transport,
  devices: number,
  onAlert: (alert: Alert) => void,
  minimal = false,
): { counters: PipelineCounters; stop: () => void } {
  const counters: PipelineCounters = { readings: 0, events: 0, windows: 0, scores: 0 };
  const gw = createGateway({
    transport,
    rules: [{ id: 'spo2-critical', metric: 'spo2', below: 88, severity: 'high' }],
    maxDevices: devices * 2,
  });
  const historian = createHistorian({ maxSeries: devices * 2, capacityPerSeries: 600 });
  const readings$ = minimal ? gw.readings$ : gw.readings$.pipe(recordTo(historian), share());
  const subs: Subscription[] = [
    gw.alerts$.subscribe(onAlert),
    gw.events$.subscribe(() => {
      counters.events++;
    }),
    readings$.subscribe(() => {
      counters.readings++;
    }),
    ...(minimal
      ? []
      : [
          readings$
            .pipe(windowStats({ kind: 'tumbling', sizeMs: 60_000, maxSeries: devices * 2 }))
            .subscribe(() => {
              counters.windows++;
            }),
          readings$
            .pipe(news2Scores({ assume: { consciousness: 'A', onOxygen: false }, maxPatients: devices * 2 }))
            .subscribe(() => {
              counters.scores++;
            }),
        ]),
  ];
  return {
    counters,
    stop: () => {
      for (const s of subs) s.unsubscribe();
    },
  };
}
