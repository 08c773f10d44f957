/**
 * Simulated devices as the SDK ships them: the seeded ward simulator (`@healthit/device`), each
 * monitor publishing its readings with `publishReadings` at QoS 1, recording what became of every
 * reading.
 */
import type { Reading, Transport } from '@healthit/core';
import { createWardSimulator, publishReadings } from '@healthit/device';
import { defaultIfEmpty, lastValueFrom, Subject, takeUntil, tap } from 'rxjs';

/** What the devices did, by reading id. */
export interface PublishingDevices {
  /** Every reading the simulator produced, in order. */
  readonly produced: string[];
  /** When each reading was produced (epoch ms). */
  readonly producedAt: Map<string, number>;
  /** Readings whose publish the broker acknowledged (`published` events), in completion order. */
  readonly published: string[];
  /** Readings of `publish-failed` batches → the error code. */
  readonly failed: Map<string, string>;
  /** Readings of `batch-dropped` batches. */
  readonly dropped: string[];
  /** Stops the simulator; resolves once every publish has settled. */
  stop(): Promise<void>;
}

/** Starts `patients` monitors (6 readings per tick each) publishing every `periodMs` on `transport`. */
export function startDevices(
  transport: Transport,
  { patients, periodMs, seed }: { patients: number; periodMs: number; seed: number },
): PublishingDevices {
  const ward = createWardSimulator({ patients, seed, periodMs });
  const produced: string[] = [];
  const producedAt = new Map<string, number>();
  const published: string[] = [];
  const failed = new Map<string, string>();
  const dropped: string[] = [];
  const stop$ = new Subject<void>();
  const publishing = lastValueFrom(
    ward.readings$.pipe(
      takeUntil(stop$),
      tap((r: Reading) => {
        produced.push(r.id);
        producedAt.set(r.id, Date.now());
      }),
      publishReadings(transport, { qos: 1, maxInFlight: 64 }),
      tap((e) => {
        if (e.type === 'published') for (const r of e.readings) published.push(r.id);
        else if (e.type === 'publish-failed') for (const r of e.readings) failed.set(r.id, e.error.code);
        else for (const r of e.readings) dropped.push(r.id);
      }),
      defaultIfEmpty(undefined),
    ),
  );
  return {
    produced,
    producedAt,
    published,
    failed,
    dropped,
    async stop() {
      stop$.next();
      await publishing;
    },
  };
}
