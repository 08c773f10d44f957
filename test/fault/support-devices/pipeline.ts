/**
 * The gateway pipeline of the fault-injection tests, wired as an integrator (and the ward example)
 * wires it, from real SDK parts only: transport → `createGateway` (acquisition, decoding,
 * validation, unit normalisation, optional per-device rate limit, de-duplication by (device, seq)
 * in a sliding window, threshold rules) →
 * `readingBatchRecords` / `alertRecord` → `appendToOutbox` → bounded memory outbox →
 * `createForwarder` → in-process uplink → platform side (`dedupeRecords` by record id,
 * `decodeUplinkRecord`). The uplink can be made slow (`ackDelayMs`) or taken down (`setState`):
 * both are switches of the real in-process uplink, not mocks.
 *
 * It records what every stage did, as counters (always) and as lists (`keep: 'all'`, the default;
 * the memory tests use `keep: 'counts'` so that the test's own bookkeeping does not grow the heap).
 */
import type { Alert, Clock, Reading, Transport } from '@healthit/core';
import { deviceJsonCodec } from '@healthit/device';
import {
  type AppendToOutboxEvent,
  alertRecord,
  appendToOutbox,
  createForwarder,
  createGateway,
  createInProcessUplink,
  createMemoryOutbox,
  decodeUplinkRecord,
  dedupeRecords,
  type Forwarder,
  type ForwarderEvent,
  type Gateway,
  type GatewayEvent,
  type InProcessUplink,
  type InProcessUplinkOptions,
  type MessageAuthenticator,
  type Outbox,
  type OutboxBounds,
  type OutboxEntry,
  type RateLimitOptions,
  readingBatchRecords,
  type ThresholdRule,
  type UplinkRecord,
} from '@healthit/gateway';
import { map, merge, mergeMap, type Subscription, tap } from 'rxjs';

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Lets timers and I/O callbacks run once (the in-process transport itself is synchronous). */
export const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Resolves once `condition()` holds; rejects with `what` after `timeoutMs`. */
export async function until(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for: ${what}`);
    await sleep(5);
  }
}

/** Options of {@link startPipeline}. */
export interface PipelineOptions {
  readonly transport: Transport;
  /** The gateway's clock (decode time, alert `ts`); default the system clock. */
  readonly clock?: Clock;
  readonly rules?: readonly ThresholdRule[];
  readonly authenticate?: MessageAuthenticator;
  /** The gateway's per-device admission control (default none). */
  readonly rateLimit?: RateLimitOptions;
  /** Default 64 MiB, `refuse-new` (the ward example's). */
  readonly outbox?: OutboxBounds;
  /** `appendToOutbox` hold-queue bound (default 10 000, the SDK's). */
  readonly maxHeld?: number;
  /** `appendToOutbox` batching (default 500 records / 5 ms). */
  readonly maxBatch?: number;
  readonly maxWaitMs?: number;
  readonly retryMs?: number;
  /** Options of the real in-process uplink: `ackDelayMs` makes it slow. */
  readonly uplink?: InProcessUplinkOptions;
  /** Forwarder batch size (default 500) and idle poll (default 5 ms). */
  readonly batchSize?: number;
  readonly pollMs?: number;
  /** Platform-side de-duplication window (default 1 000 000 record ids). */
  readonly dedupeMaxIds?: number;
  /** `all` (default): keep every reading, event and record seen; `counts`: counters only. */
  readonly keep?: 'all' | 'counts';
}

/** Counters of every stage, for exact assertions on what happened to each record. */
export interface PipelineCounts {
  /** Readings the gateway accepted (`readings$`). */
  accepted: number;
  /** `events$` by type (and `message-rejected` also by `error.code:detail.reason`). */
  events: Record<string, number>;
  /** Alerts the gateway raised (`alerts$`). */
  raised: number;
  /** Records handed to `appendToOutbox`, by kind. */
  produced: Record<string, number>;
  /** Records stored by `append` calls (held ones retried included). */
  appended: number;
  /** Records refused on their first attempt (now held). */
  refused: number;
  /** Records the outbox deleted (`shed-oldest-readings`). */
  shed: number;
  /** Alerts the outbox gave up under its alert bound (`alerts-dropped` events), by reason. */
  alertsDropped: Record<string, number>;
  /** Records given up past `maxHeld`, by kind. */
  dropped: Record<string, number>;
  /** Largest number of held records. */
  maxHeld: number;
  /** Current number of held records. */
  held: number;
  /** Largest outbox `pendingBytes` seen after an append. */
  maxPendingBytes: number;
  /** Records the uplink delivered, redeliveries included. */
  delivered: number;
  /** Records the platform kept after `dedupeRecords`. */
  unique: number;
  /** Readings the platform decoded (from `reading-batch` records). */
  stored: number;
  /** Readings decoded at the platform whose id had already been decoded there. */
  storedDuplicates: number;
  /** Alerts decoded at the platform. */
  storedAlerts: number;
}

export interface Pipeline {
  readonly gateway: Gateway;
  readonly outbox: Outbox;
  readonly uplink: InProcessUplink;
  readonly forwarder: Forwarder;
  readonly counts: PipelineCounts;
  /** `keep: 'all'` only: accepted readings, in order. */
  readonly accepted: Reading[];
  /** `keep: 'all'` only: every gateway event. */
  readonly events: GatewayEvent[];
  /** `keep: 'all'` only: every alert raised at the gateway. */
  readonly raised: Alert[];
  /** `keep: 'all'` only: ids of the records handed to the outbox, in order. */
  readonly produced: string[];
  /** `keep: 'all'` only: ids of the records dropped past `maxHeld`. */
  readonly dropped: string[];
  /** `keep: 'all'` only: the alerts the outbox gave up under its alert bound, with the reason. */
  readonly alertsDropped: { readonly id: string; readonly reason: string }[];
  /** `keep: 'all'` only: every record the uplink delivered (outbox entries, with `position`), redeliveries included. */
  readonly delivered: OutboxEntry[];
  /** `keep: 'all'` only: readings decoded at the platform, in arrival order. */
  readonly stored: Reading[];
  /** `keep: 'all'` only: alerts decoded at the platform, in arrival order. */
  readonly storedAlerts: Alert[];
  /** `keep: 'all'` only: `performance.now()` when each reading id (or alert id) reached the platform. */
  readonly storedAtMs: Map<string, number>;
  /** `keep: 'all'` only: `performance.now()` when each alert id was raised by the gateway. */
  readonly raisedAtMs: Map<string, number>;
  /** `keep: 'all'` only: `performance.now()` when each reading id was accepted by the gateway. */
  readonly acceptedAtMs: Map<string, number>;
  readonly forwarderEvents: ForwarderEvent[];
  /** Waits until nothing is batched, held or pending in the outbox (the uplink must be up). */
  settle(timeoutMs?: number): Promise<void>;
  /** Stops the forwarder and every subscription; closes uplink and outbox. */
  close(): Promise<void>;
}

function bump(counter: Record<string, number>, key: string, by = 1): void {
  counter[key] = (counter[key] ?? 0) + by;
}

/**
 * Starts the pipeline; the gateway is subscribed to the transport when this resolves. The gateway
 * knows the built-in readings codec and the device package's JSON device message codec.
 */
export async function startPipeline(options: PipelineOptions): Promise<Pipeline> {
  const keepAll = (options.keep ?? 'all') === 'all';
  const gateway = createGateway({
    transport: options.transport,
    codecs: [deviceJsonCodec],
    ...(options.clock === undefined ? {} : { clock: options.clock }),
    ...(options.rules === undefined ? {} : { rules: options.rules }),
    ...(options.authenticate === undefined ? {} : { authenticate: options.authenticate }),
    ...(options.rateLimit === undefined ? {} : { rateLimit: options.rateLimit }),
  });
  const outbox = createMemoryOutbox(options.outbox ?? { maxBytes: 64 * 2 ** 20, whenFull: 'refuse-new' });
  const uplink = createInProcessUplink(options.uplink ?? {});
  const forwarder = createForwarder({
    outbox,
    uplink,
    batchSize: options.batchSize ?? 500,
    pollMs: options.pollMs ?? 5,
    retry: { initialMs: 5, maxMs: 50 },
  });
  const counts: PipelineCounts = {
    accepted: 0,
    events: {},
    raised: 0,
    produced: {},
    appended: 0,
    refused: 0,
    shed: 0,
    alertsDropped: {},
    dropped: {},
    maxHeld: 0,
    held: 0,
    maxPendingBytes: 0,
    delivered: 0,
    unique: 0,
    stored: 0,
    storedDuplicates: 0,
    storedAlerts: 0,
  };
  const accepted: Reading[] = [];
  const events: GatewayEvent[] = [];
  const raised: Alert[] = [];
  const produced: string[] = [];
  const dropped: string[] = [];
  const alertsDropped: { id: string; reason: string }[] = [];
  const delivered: OutboxEntry[] = [];
  const stored: Reading[] = [];
  const storedAlerts: Alert[] = [];
  const storedAtMs = new Map<string, number>();
  const acceptedAtMs = new Map<string, number>();
  const raisedAtMs = new Map<string, number>();
  const forwarderEvents: ForwarderEvent[] = [];
  const storedIds = new Set<string>();
  const subs: Subscription[] = [];

  // Platform side first: the uplink's received$ is hot.
  subs.push(
    uplink.received$.subscribe((r) => {
      counts.delivered++;
      if (keepAll) delivered.push(r as OutboxEntry);
    }),
    uplink.received$
      .pipe(dedupeRecords({ maxIds: options.dedupeMaxIds ?? 1_000_000 }), map(decodeUplinkRecord))
      .subscribe((d) => {
        counts.unique++;
        if (d.type === 'alert') {
          counts.storedAlerts++;
          if (keepAll) {
            storedAlerts.push(d.alert);
            storedAtMs.set(d.alert.id, performance.now());
          }
          return;
        }
        const readings = d.type === 'reading-batch' ? d.readings : d.type === 'reading' ? [d.reading] : [];
        const now = performance.now();
        for (const r of readings) {
          counts.stored++;
          if (keepAll) {
            if (storedIds.has(r.id)) counts.storedDuplicates++;
            storedIds.add(r.id);
            stored.push(r);
            storedAtMs.set(r.id, now);
          }
        }
      }),
    forwarder.events$.subscribe((e) => {
      if (keepAll) forwarderEvents.push(e);
    }),
  );
  forwarder.start();

  subs.push(
    gateway.readings$.subscribe((r) => {
      counts.accepted++;
      if (keepAll) {
        accepted.push(r);
        acceptedAtMs.set(r.id, performance.now());
      }
    }),
    gateway.events$.subscribe((e) => {
      bump(counts.events, e.type);
      if (e.type === 'message-rejected') {
        bump(counts.events, `${e.error.code}:${String(e.error.detail.reason ?? '')}`);
      }
      if (keepAll) events.push(e);
    }),
    merge(
      gateway.readingBatches$.pipe(mergeMap(readingBatchRecords)),
      gateway.alerts$.pipe(
        tap((a) => {
          counts.raised++;
          if (keepAll) {
            raised.push(a);
            raisedAtMs.set(a.id, performance.now());
          }
        }),
        map(alertRecord),
      ),
    )
      .pipe(
        tap((r: UplinkRecord) => {
          bump(counts.produced, r.kind);
          if (keepAll) produced.push(r.id);
        }),
        appendToOutbox(outbox, {
          maxBatch: options.maxBatch ?? 500,
          maxWaitMs: options.maxWaitMs ?? 5,
          retryMs: options.retryMs ?? 10,
          ...(options.maxHeld === undefined ? {} : { maxHeld: options.maxHeld }),
        }),
      )
      .subscribe((e: AppendToOutboxEvent) => {
        switch (e.type) {
          case 'appended':
            counts.appended += e.count;
            counts.maxPendingBytes = Math.max(counts.maxPendingBytes, outbox.stats().pendingBytes);
            forwarder.wake();
            break;
          case 'refused':
            counts.refused += e.records.length;
            break;
          case 'shed':
            counts.shed += e.count;
            break;
          case 'alerts-dropped':
            for (const a of e.alerts) {
              bump(counts.alertsDropped, a.reason);
              if (keepAll) alertsDropped.push({ id: a.record.id, reason: a.reason });
            }
            break;
          case 'held':
            counts.held = e.count;
            counts.maxHeld = Math.max(counts.maxHeld, e.count);
            break;
          case 'dropped':
            for (const r of e.records) {
              bump(counts.dropped, r.kind);
              if (keepAll) dropped.push(r.id);
            }
            break;
        }
      }),
  );
  await turn();

  return {
    gateway,
    outbox,
    uplink,
    forwarder,
    counts,
    accepted,
    events,
    raised,
    produced,
    dropped,
    alertsDropped,
    delivered,
    stored,
    storedAlerts,
    storedAtMs,
    raisedAtMs,
    acceptedAtMs,
    forwarderEvents,
    async settle(timeoutMs = 10_000) {
      await sleep((options.maxWaitMs ?? 5) + 5);
      await until(
        () => counts.held === 0 && outbox.stats().pending === 0,
        `outbox drained (held ${counts.held}, pending ${outbox.stats().pending})`,
        timeoutMs,
      );
    },
    async close() {
      for (const s of subs) s.unsubscribe();
      await forwarder.stop();
      await uplink.close();
      outbox.close();
    },
  };
}

/** Per device, the `seq` of `readings` in the order given. */
export function seqsByDevice(readings: readonly Reading[]): Map<string, number[]> {
  const out = new Map<string, number[]>();
  for (const r of readings) {
    const list = out.get(r.deviceId);
    if (list === undefined) out.set(r.deviceId, [r.seq]);
    else list.push(r.seq);
  }
  return out;
}

export function strictlyIncreasing(xs: readonly number[]): boolean {
  return xs.every((x, i) => i === 0 || x > (xs[i - 1] as number));
}

/** How many times `xs` goes down from one element to the next. */
export function decreases(xs: readonly number[]): number {
  let n = 0;
  for (let i = 1; i < xs.length; i++) if ((xs[i] as number) < (xs[i - 1] as number)) n++;
  return n;
}

/** The `p`-quantile (0…1) of `xs` (nearest rank). */
export function quantile(xs: readonly number[], p: number): number {
  if (xs.length === 0) return Number.NaN;
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))] as number;
}
