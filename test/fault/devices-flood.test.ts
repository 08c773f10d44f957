/**
 * Fault injection — one misbehaving device floods the gateway at 100× its declared rate (issue
 * "Proof under load and failure").
 *
 * The gateway's admission control (`createGateway({ rateLimit })`, packages/gateway/src/gateway.ts
 * with preprocessing/rate-limiter.ts): a token bucket per device (`readingsPerSecond` sustained,
 * `burst` at once, on the gateway's clock); a reading over its device's rate is dropped before
 * de-duplication and counted in a `reading-rate-limited` event (one per message and device, with
 * `count`, `readingIds` and the device's `droppedTotal`), never silently. Off by default. So:
 *
 * - uplink keeping up, with a limit of 10 readings/s (burst 20) per device: the flooder gets
 *   exactly burst + rate × elapsed of its readings through, every other one is in an event; the
 *   other devices are unaffected — all their readings arrive, in order, with bounded latency
 *   (in-process in virtual ticks, and over a real Mosquitto broker in a child process);
 * - uplink down (outage) with a bounded outbox: without a limit, shedding is oldest-first across
 *   all devices, so the flood pushes the other devices' readings out; with the limit, an outbox
 *   sized for the declared traffic keeps every reading of the other devices.
 */

import { type Reading, systemClock } from '@healthit/core';
import { createFakeClock, createInProcessTransport } from '@healthit/core/testing';
import { createWardSimulator, publishReadings } from '@healthit/device';
import type { RateLimitOptions, ReadingRateLimited } from '@healthit/gateway';
import { createMqttTransport } from '@healthit/gateway/mqtt';
import { ChildBroker, freePort } from '@healthit/gateway/testing/mosquitto';
import { filter, firstValueFrom, Subject, timeout } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { reading, readingsEnvelope, sampleEnvelope, wire } from './support-devices/devices.js';
import { LONG, MOSQUITTO_BIN, skipWithoutMosquitto } from './support-devices/env.js';
import {
  type Pipeline,
  quantile,
  seqsByDevice,
  sleep,
  startPipeline,
  strictlyIncreasing,
  until,
} from './support-devices/pipeline.js';

const T0 = Date.UTC(2026, 2, 1, 8);
const PERIOD_MS = 1_000;
const HONEST = 10;
/** Messages the flooding device sends per period, where it declared one (`everyMs` = the period). */
const FLOOD_FACTOR = 100;
const FLOODER = 'monitor-flood';

/**
 * 10 honest monitors (one 6-reading message per period, as declared) and the flooder (100
 * one-reading messages per period), over the in-process transport, in virtual ticks.
 */
async function floodInProcess(options: {
  readonly ticks: number;
  readonly outbox?: { readonly maxBytes: number; readonly whenFull: 'refuse-new' | 'shed-oldest-readings' };
  readonly uplinkDown?: boolean;
  readonly rateLimit?: RateLimitOptions;
}) {
  const ward = createWardSimulator({
    patients: HONEST,
    seed: 5,
    periodMs: PERIOD_MS,
    startTs: T0,
    scenarioMix: { stable: 1 },
    circadian: false,
  });
  const clock = createFakeClock(T0);
  const transport = createInProcessTransport();
  const p = await startPipeline({
    transport,
    clock,
    ...(options.outbox ? { outbox: options.outbox } : {}),
    ...(options.rateLimit ? { rateLimit: options.rateLimit } : {}),
  });
  if (options.uplinkDown === true) p.uplink.setState('down');
  const honest: Reading[] = [];
  const publishedAt = new Map<string, number>();
  let floodSeq = 0;
  const envelopeSeq = new Map<string, number>();
  for (const tick of ward.simulate({ toMs: options.ticks * PERIOD_MS })) {
    clock.set(tick.ts);
    // The flooder's burst interleaves with the honest devices: half before, half after.
    const burst = async (n: number) => {
      for (let i = 0; i < n; i++) {
        floodSeq++;
        const r = reading(
          FLOODER,
          floodSeq,
          tick.ts - PERIOD_MS + (floodSeq % FLOOD_FACTOR) * 10,
          'heart-rate',
          80,
        );
        await transport.publish(
          `devices/${FLOODER}/readings`,
          wire(readingsEnvelope([r], { seq: floodSeq, ts: r.ts })),
        );
      }
    };
    await burst(FLOOD_FACTOR / 2);
    for (const { sample } of tick.deliveries) {
      const seq = (envelopeSeq.get(sample.deviceId) ?? 0) + 1;
      envelopeSeq.set(sample.deviceId, seq);
      for (const r of sample.readings) publishedAt.set(r.id, performance.now());
      await transport.publish(
        `devices/${sample.deviceId}/readings`,
        wire(sampleEnvelope(sample, { seq, ts: sample.ts })),
      );
      honest.push(...sample.readings);
    }
    await burst(FLOOD_FACTOR / 2);
    await sleep(0); // one macrotask per tick: the forwarder runs as it would between bursts
  }
  return { p, transport, honest, publishedAt, floodSent: floodSeq };
}

const fromFlooder = (rs: readonly Reading[]) => rs.filter((r) => r.deviceId === FLOODER).length;

/** Per device: 10 readings/s sustained (the honest monitors send 6), 20 at once. */
const LIMIT = { readingsPerSecond: 10, burst: 20 } as const;

/** The `reading-rate-limited` events of a pipeline, and what they count. */
function rateLimited(p: Pipeline) {
  const events = p.events.filter((e): e is ReadingRateLimited => e.type === 'reading-rate-limited');
  return {
    events,
    devices: new Set(events.map((e) => e.deviceId)),
    dropped: events.reduce((n, e) => n + e.count, 0),
    ids: events.flatMap((e) => e.readingIds),
  };
}

describe('fault: one device floods at 100× its declared rate', { timeout: LONG ? 120_000 : 30_000 }, () => {
  it('in-process, uplink up, 10 readings/s per device: the flooder gets exactly burst + rate × elapsed through, every drop is counted in reading-rate-limited events; every other reading arrives, in order, with bounded latency', async () => {
    const TICKS = LONG ? 600 : 60;
    const { p, transport, honest, publishedAt, floodSent } = await floodInProcess({
      ticks: TICKS,
      rateLimit: LIMIT,
    });
    await p.settle();
    await p.close();
    await transport.close();

    expect(floodSent).toBe(TICKS * FLOOD_FACTOR);
    // The flooder: a full bucket (20) in the first tick, then 10 per 1 s tick of the gateway clock.
    const admitted = LIMIT.burst + LIMIT.readingsPerSecond * (TICKS - 1);
    expect(fromFlooder(p.accepted)).toBe(admitted);
    expect(fromFlooder(p.stored)).toBe(admitted);
    // Every dropped reading is in exactly one event, of the flooder, and nothing else was said.
    const limited = rateLimited(p);
    expect(limited.devices).toEqual(new Set([FLOODER]));
    expect(limited.dropped).toBe(floodSent - admitted);
    expect(new Set(limited.ids).size).toBe(limited.dropped);
    expect(limited.events.every((e) => e.count === e.readingIds.length && e.count === 1)).toBe(true);
    expect(limited.events.at(-1)?.droppedTotal).toBe(floodSent - admitted);
    expect(limited.events[0]).toMatchObject({
      readingsPerSecond: 10,
      burst: 20,
      topic: `devices/${FLOODER}/readings`,
    });
    expect(p.events.length).toBe(limited.events.length);
    const acceptedIds = new Set(p.accepted.map((r) => r.id));
    expect(limited.ids.filter((id) => acceptedIds.has(id))).toEqual([]);
    // The others: every reading stored once, in seq order.
    const others = p.stored.filter((r) => r.deviceId !== FLOODER);
    expect(others.map((r) => r.id).sort()).toEqual(honest.map((r) => r.id).sort());
    expect(p.counts.storedDuplicates).toBe(0);
    for (const [device, seqs] of seqsByDevice(others)) expect(strictlyIncreasing(seqs), device).toBe(true);
    // Latency, publish → platform (through outbox, forwarder and uplink, behind the flood's records).
    const latencies = honest.map(
      (r) => (p.storedAtMs.get(r.id) ?? Number.NaN) - (publishedAt.get(r.id) ?? 0),
    );
    expect(latencies.every(Number.isFinite)).toBe(true);
    expect(quantile(latencies, 0.99)).toBeLessThan(500);
    expect(Math.max(...latencies)).toBeLessThan(2_000);
  });

  it('in-process, no rate limit (the default): the flood is accepted in full, with no event', async () => {
    const TICKS = 10;
    const { p, transport, floodSent } = await floodInProcess({ ticks: TICKS });
    await p.settle();
    await p.close();
    await transport.close();
    expect(fromFlooder(p.accepted)).toBe(floodSent);
    expect(p.events).toEqual([]);
  });

  it('in-process, uplink down, shed-oldest-readings, no rate limit: shedding is device-agnostic — what survives is exactly the newest records, the flooder’s share included', async () => {
    const TICKS = 40;
    const { p, transport, honest } = await floodInProcess({
      ticks: TICKS,
      outbox: { maxBytes: 64 * 1024, whenFull: 'shed-oldest-readings' },
      uplinkDown: true,
    });
    await sleep(20);
    p.uplink.setState('up');
    await p.settle();
    await p.close();
    await transport.close();
    const deliveredIds = p.delivered.map((r) => r.id);
    expect(deliveredIds).toEqual(p.produced.slice(p.produced.length - deliveredIds.length));
    expect(p.counts.shed + p.counts.unique).toBe(p.counts.appended);
    const honestStored = p.stored.filter((r) => r.deviceId !== FLOODER).length;
    expect(honestStored).toBeLessThan(honest.length); // the other devices lost readings too
    expect(fromFlooder(p.stored)).toBeGreaterThan(honestStored); // most of what survived is the flood
  });

  // Isolation during an outage comes from admission control: the outbox's shedding is oldest-first
  // across all devices (uplink/memory-outbox.ts `shedToFit`), so it is the per-device rate limit
  // that keeps the flood within what the outbox was sized for. 640 KiB holds the 40 s outage's
  // declared traffic (10 monitors × 6 readings/s, ≈ 470 KB) plus the flooder's admitted 10/s,
  // not its 100×.
  it('during an outage, with the per-device rate limit, the other devices keep every reading while one device floods (the same outbox without the limit sheds theirs)', async () => {
    const outbox = { maxBytes: 640 * 1024, whenFull: 'shed-oldest-readings' } as const;
    const run = async (rateLimit: RateLimitOptions | undefined) => {
      const { p, transport, honest, floodSent } = await floodInProcess({
        ticks: 40,
        outbox,
        uplinkDown: true,
        ...(rateLimit ? { rateLimit } : {}),
      });
      await sleep(20);
      p.uplink.setState('up');
      await p.settle();
      await p.close();
      await transport.close();
      return { p, honest, floodSent };
    };
    const limited = await run(LIMIT);
    expect(limited.p.counts.shed).toBe(0);
    expect(limited.p.stored.filter((r) => r.deviceId !== FLOODER)).toHaveLength(limited.honest.length);
    const admitted = LIMIT.burst + LIMIT.readingsPerSecond * 39;
    expect(fromFlooder(limited.p.stored)).toBe(admitted);
    expect(rateLimited(limited.p).dropped).toBe(limited.floodSent - admitted);

    const unlimited = await run(undefined);
    expect(unlimited.p.counts.shed).toBeGreaterThan(0);
    expect(unlimited.p.stored.filter((r) => r.deviceId !== FLOODER).length).toBeLessThan(
      unlimited.honest.length,
    );
  });
});

describe.skipIf(skipWithoutMosquitto('the MQTT flood test'))(
  'fault: flood over a real Mosquitto (child process)',
  () => {
    let broker: ChildBroker;
    beforeAll(async () => {
      broker = new ChildBroker(await freePort(), undefined, MOSQUITTO_BIN);
      await broker.start();
    });
    afterAll(async () => {
      await broker.stop();
    });

    it('the flooder is held to its rate limit (every drop counted); the other devices’ readings all arrive through the broker, in order, with bounded latency, while one device publishes 100× its rate', {
      timeout: LONG ? 120_000 : 30_000,
    }, async () => {
      const DURATION_MS = LONG ? 30_000 : 4_000;
      const DECLARED_HZ = 10;
      // Closed last-opened first when the test ends, passed or failed.
      const closers: { close(): Promise<void> }[] = [];
      const timers: ReturnType<typeof setInterval>[] = [];
      onTestFinished(async () => {
        for (const t of timers) clearInterval(t);
        for (const c of closers.reverse()) await c.close().catch(() => undefined);
      });
      const open = async (clientId: string) => {
        const t = createMqttTransport({ url: broker.url, clientId });
        closers.push(t);
        await firstValueFrom(
          t.state$.pipe(
            filter((s) => s === 'connected'),
            timeout(5_000),
          ),
        );
        return t;
      };
      const gatewayTransport = await open('fault-gw');
      // Each device may send twice its declared rate (burst: 4 s of it); the probe is exempt.
      const limit = { readingsPerSecond: 2 * DECLARED_HZ, burst: 4 * DECLARED_HZ };
      const p: Pipeline = await startPipeline({
        transport: gatewayTransport,
        rateLimit: { ...limit, perDevice: (id) => (id === 'probe-1' ? null : undefined) },
      });
      closers.push(p);
      // The broker acknowledges SUBSCRIBE asynchronously: probe until the gateway hears a device.
      const probe = await open('fault-probe');
      let probeSeq = 0;
      const probing = setInterval(() => {
        probeSeq++;
        const r = reading('probe-1', probeSeq, Date.now());
        void probe.publish(
          'devices/probe-1/readings',
          wire(readingsEnvelope([r], { seq: probeSeq, ts: r.ts })),
        );
      }, 20);
      await until(() => p.counts.accepted > 0, 'the gateway is subscribed', 5_000).finally(() =>
        clearInterval(probing),
      );
      await sleep(50);
      const baseline = p.counts.accepted;

      // Honest devices: the device package's publisher, QoS 1, one connection each, 10 Hz.
      const honestIds = Array.from({ length: HONEST }, (_, i) => `bedside-${String(i + 1).padStart(2, '0')}`);
      const honestTransports = await Promise.all(honestIds.map((id) => open(`fault-${id}`)));
      const subjects = honestIds.map(() => new Subject<Reading>());
      const published: Reading[] = [];
      const publishFailures: string[] = [];
      const pubs = subjects.map((s, i) =>
        s
          .pipe(
            publishReadings(honestTransports[i]!, {
              clock: systemClock,
            }),
          )
          .subscribe((e) => {
            if (e.type === 'published') published.push(...e.readings);
            else publishFailures.push(e.type);
          }),
      );
      // The flooder: its own connection, 100× the declared rate, one reading per message, QoS 1.
      const flooder = await open('fault-flooder');
      let floodSeq = 0;
      let floodAcked = 0;
      const floodPending: Promise<void>[] = [];
      const floodStartMs = performance.now();
      const honestSeq = new Map<string, number>();
      const honestTimer: ReturnType<typeof setInterval> = setInterval(() => {
        honestIds.forEach((id, i) => {
          const seq = (honestSeq.get(id) ?? 0) + 1;
          honestSeq.set(id, seq);
          subjects[i]?.next(reading(id, seq, Date.now(), 'heart-rate', 70));
        });
      }, 1_000 / DECLARED_HZ);
      timers.push(honestTimer);
      const floodTimer: ReturnType<typeof setInterval> = setInterval(() => {
        // 100× 10 Hz = 1 000 messages/s: 10 every 10 ms.
        for (let i = 0; i < (FLOOD_FACTOR * DECLARED_HZ) / 100; i++) {
          floodSeq++;
          const r = reading(FLOODER, floodSeq, Date.now(), 'heart-rate', 80);
          floodPending.push(
            flooder
              .publish(
                `devices/${FLOODER}/readings`,
                wire(readingsEnvelope([r], { seq: floodSeq, ts: r.ts })),
                { qos: 1 },
              )
              .then(() => {
                floodAcked++;
              }),
          );
        }
      }, 10);
      timers.push(floodTimer);
      await sleep(DURATION_MS);
      clearInterval(honestTimer);
      clearInterval(floodTimer);
      for (const s of subjects) s.complete();
      await Promise.allSettled(floodPending);
      await until(
        () =>
          published.length + publishFailures.length === [...honestSeq.values()].reduce((a, b) => a + b, 0),
        'honest publishes settled',
      );
      // Heard = accepted or counted as rate-limited.
      const heard = () => p.counts.accepted - baseline + rateLimited(p).dropped;
      await until(
        () => heard() >= published.length + floodAcked,
        `the gateway heard everything (${heard()} of ${published.length + floodAcked})`,
        15_000,
      );
      const floodSpanS = (performance.now() - floodStartMs) / 1_000;
      await p.settle();

      expect(publishFailures).toEqual([]);
      // The flood really was ~100× the honest per-device rate; the gateway admitted at most its
      // limit over the time it lasted, and counted every other flood reading, once.
      const honestPerDevice = published.length / HONEST;
      expect(floodAcked / honestPerDevice).toBeGreaterThan(FLOOD_FACTOR / 2);
      const limited = rateLimited(p);
      const admitted = fromFlooder(p.accepted);
      expect(admitted + limited.dropped).toBe(floodAcked);
      expect(admitted).toBeLessThanOrEqual(limit.burst + limit.readingsPerSecond * floodSpanS + 1);
      expect(admitted).toBeGreaterThanOrEqual((limit.readingsPerSecond * DURATION_MS) / 1_000 / 2);
      expect(limited.devices).toEqual(new Set([FLOODER]));
      expect(new Set(limited.ids).size).toBe(limited.dropped);
      expect(p.events).toHaveLength(limited.events.length);
      expect(fromFlooder(p.stored)).toBe(admitted);
      // Every honest reading stored, once, in order.
      const storedHonest = p.stored.filter((r) => r.deviceId.startsWith('bedside-'));
      expect(storedHonest.map((r) => r.id).sort()).toEqual(published.map((r) => r.id).sort());
      expect(p.counts.storedDuplicates).toBe(0);
      for (const [device, seqs] of seqsByDevice(storedHonest))
        expect(strictlyIncreasing(seqs), device).toBe(true);
      // Latency: device clock (Date.now() at measurement) → accepted by the gateway / stored.
      const wall = (t: number) => performance.timeOrigin + t;
      const toGateway = storedHonest.map((r) => wall(p.acceptedAtMs.get(r.id) ?? Number.NaN) - r.ts);
      const toPlatform = storedHonest.map((r) => wall(p.storedAtMs.get(r.id) ?? Number.NaN) - r.ts);
      expect(quantile(toGateway, 0.99)).toBeLessThan(1_000);
      expect(quantile(toPlatform, 0.99)).toBeLessThan(2_000);
      expect(Math.max(...toPlatform)).toBeLessThan(5_000);

      for (const s of pubs) s.unsubscribe();
    });
  },
);
