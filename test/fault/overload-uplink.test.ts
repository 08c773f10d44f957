/**
 * Fault injection — overload: devices produce faster than the uplink drains (issue "Proof under
 * load and failure").
 *
 * The real pipeline (support-devices/pipeline.ts): simulated monitors → gateway (+ a threshold
 * rule) → `appendToOutbox` → bounded memory outbox → forwarder → in-process uplink, which is down
 * (`setState('down')`) or slow (`ackDelayMs`: a real option of the in-process uplink). The
 * declared policies (packages/gateway/src/uplink/outbox-policy.ts, append-to-outbox.ts):
 *
 * - `refuse-new`: non-alert records that do not fit `maxBytes` are refused and held (≤ `maxHeld`),
 *   retried in order; past `maxHeld` the NEWEST readings are dropped (`dropped` events); alerts are
 *   never refused, held or dropped by it.
 * - `shed-oldest-readings`: everything is stored, then the OLDEST readings not in flight are
 *   deleted until the pending non-alert bytes fit (`shed` events, `stats().shed`); the batch the
 *   forwarder is sending is never shed, so nothing delivered is counted as shed.
 * - Alerts have their own bound, `maxAlertBytes` (default `maxBytes`): when it is full, superseded
 *   alerts (a newer one of the same device and rule at least as severe is pending) go first, then
 *   less severe ones for a more severe one; every alert given up is reported (`alerts-dropped`).
 *   A flapping sensor therefore costs at most `maxAlertBytes`, however long the outage.
 * - The outbox has two lanes: pending alerts are sent before the backlog of readings (FIFO within
 *   each lane), so an alert waits at most for the batch in flight.
 *
 * Memory: the heap test pushes a large volume through the whole pipeline while the uplink is down
 * and checks the heap does not grow with it.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { createFakeClock, createInProcessTransport } from '@healthit/core/testing';
import { createWardSimulator } from '@healthit/device';
import { type OutboxWhenFull, outboxEntryBytes, type ThresholdRule } from '@healthit/gateway';
import { describe, expect, it } from 'vitest';
import { reading, readingsEnvelope, sampleEnvelope, wire } from './support-devices/devices.js';
import { LONG } from './support-devices/env.js';
import {
  type Pipeline,
  type PipelineOptions,
  quantile,
  seqsByDevice,
  sleep,
  startPipeline,
  strictlyIncreasing,
  turn,
} from './support-devices/pipeline.js';

const T0 = Date.UTC(2026, 2, 1, 8);
const PERIOD_MS = 1_000;
const PATIENTS = 20;
const ALARM = 'spo2-alarm-1';
const RULES: ThresholdRule[] = [{ id: 'spo2-low', metric: 'spo2', below: 90, severity: 'high' }];
const isAlertId = (id: string) => id.startsWith('threshold:');

/** Bytes of non-alert / alert records pending in the outbox. */
function pendingBytesByKind(p: Pipeline): { readings: number; alerts: number } {
  const out = { readings: 0, alerts: 0 };
  for (const e of p.outbox.peek(Number.MAX_SAFE_INTEGER)) {
    if (e.kind === 'alert') out.alerts += outboxEntryBytes(e);
    else out.readings += outboxEntryBytes(e);
  }
  return out;
}

interface ProduceOptions extends Omit<PipelineOptions, 'clock' | 'rules'> {
  readonly ticks: number;
  /** Add the pulse oximeter alternating 85 % / 97 % SpO2: one `spo2-low` alert every other tick. */
  readonly alarm?: boolean;
  /** After the pipeline started, before the first tick (e.g. take the uplink down). */
  readonly before?: (p: Pipeline) => void;
  /** After each tick (sample the bounds, yield to the forwarder). */
  readonly between?: (p: Pipeline, tick: number) => Promise<void> | void;
}

/** A ward of monitors (one 6-reading JSON device message per monitor per tick), and the alarm device. */
async function produce(options: ProduceOptions): Promise<Pipeline> {
  const ward = createWardSimulator({
    patients: PATIENTS,
    seed: 99,
    periodMs: PERIOD_MS,
    startTs: T0,
    scenarioMix: { stable: 1 },
    circadian: false,
  });
  const clock = createFakeClock(T0);
  const p = await startPipeline({ ...options, clock, rules: RULES });
  options.before?.(p);
  const { transport } = options;
  const envelopeSeq = new Map<string, number>();
  for (const tick of ward.simulate({ toMs: options.ticks * PERIOD_MS })) {
    clock.set(tick.ts);
    for (const { sample } of tick.deliveries) {
      const seq = (envelopeSeq.get(sample.deviceId) ?? 0) + 1;
      envelopeSeq.set(sample.deviceId, seq);
      await transport.publish(
        `devices/${sample.deviceId}/readings`,
        wire(sampleEnvelope(sample, { seq, ts: sample.ts })),
      );
    }
    if (options.alarm !== false) {
      const spo2 = reading(ALARM, tick.tick, tick.ts, 'spo2', tick.tick % 2 === 1 ? 85 : 97, 'patient-900');
      await transport.publish(
        `devices/${ALARM}/readings`,
        wire(readingsEnvelope([spo2], { seq: tick.tick, ts: tick.ts })),
      );
    }
    await options.between?.(p, tick.tick);
  }
  await sleep((options.maxWaitMs ?? 5) + 10); // the last micro-batch is appended
  return p;
}

const sum = (counter: Record<string, number>) => Object.values(counter).reduce((a, b) => a + b, 0);

/** `gc()` without `--expose-gc` on the command line. */
function exposeGc(): () => void {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

describe('fault: overload — producers faster than the uplink', { timeout: LONG ? 180_000 : 30_000 }, () => {
  it('refuse-new, uplink down: readings ≤ maxBytes, alerts ≤ maxAlertBytes, held ≤ maxHeld, the NEWEST readings dropped and counted, only superseded repeats of the flapping alert dropped — and the alerts delivered first', async () => {
    const TICKS = LONG ? 3_000 : 200;
    const MAX_BYTES = 32 * 1024;
    const MAX_HELD = 100;
    const transport = createInProcessTransport();
    let worstReadingBytes = 0;
    let worstAlertBytes = 0;
    const p = await produce({
      transport,
      ticks: TICKS,
      outbox: { maxBytes: MAX_BYTES, whenFull: 'refuse-new' },
      maxHeld: MAX_HELD,
      maxBatch: 50,
      before: (pipeline) => pipeline.uplink.setState('down'),
      between: async (pipeline) => {
        const bytes = pendingBytesByKind(pipeline);
        worstReadingBytes = Math.max(worstReadingBytes, bytes.readings);
        worstAlertBytes = Math.max(worstAlertBytes, bytes.alerts);
        await turn();
      },
    });
    const c = p.counts;
    // While down: bounded, and every record counted exactly once (in the outbox, held, or dropped).
    expect(worstReadingBytes).toBeLessThanOrEqual(MAX_BYTES);
    expect(worstAlertBytes).toBeLessThanOrEqual(MAX_BYTES); // maxAlertBytes defaults to maxBytes
    expect(c.delivered).toBe(0);
    expect(c.held).toBe(MAX_HELD);
    expect(c.maxHeld).toBe(MAX_HELD);
    expect(c.appended + c.held + sum(c.dropped)).toBe(sum(c.produced));
    // The alarm's alerts are one series (device, rule) at one severity: when their bound is full,
    // the oldest repeats go (superseded by the newer ones), nothing else.
    expect(Object.keys(c.alertsDropped)).toEqual(['superseded']);
    const superseded = c.alertsDropped.superseded ?? 0;
    expect(superseded).toBeGreaterThan(0);
    const stats = p.outbox.stats();
    expect(stats).toMatchObject({
      pending: c.appended - superseded,
      shed: 0,
      alertsShed: superseded,
      alertsRejected: 0,
    });
    // stats().refused counts each refused record once (held records are retried as the same
    // objects); refusals counts every attempt.
    expect(stats.refused).toBe(c.refused);
    expect(stats.refusals).toBeGreaterThan(stats.refused);
    // Only readings dropped — exactly the newest, a suffix of what was produced; never an alert.
    expect(Object.keys(c.dropped)).toEqual(['reading-batch']);
    const producedReadings = p.produced.filter((id) => !isAlertId(id));
    expect(p.dropped).toEqual(producedReadings.slice(producedReadings.length - p.dropped.length));
    expect(c.raised).toBe(TICKS / 2);
    const pendingAtRecovery = p.outbox.peek(Number.MAX_SAFE_INTEGER).map((e) => e.id);
    // The alerts kept are the newest ones, and they come first.
    const raisedIds = p.raised.map((a) => a.id);
    const pendingAlerts = pendingAtRecovery.filter(isAlertId);
    expect(pendingAlerts).toEqual(raisedIds.slice(superseded));
    expect(pendingAtRecovery.slice(0, pendingAlerts.length)).toEqual(pendingAlerts);
    expect(p.alertsDropped.map((d) => d.id)).toEqual(raisedIds.slice(0, superseded));
    const pendingReadings = pendingAtRecovery.filter((id) => !isAlertId(id));
    expect(pendingReadings).toEqual(producedReadings.slice(0, pendingReadings.length)); // the oldest
    const held = producedReadings.slice(pendingReadings.length, pendingReadings.length + MAX_HELD);

    p.uplink.setState('up');
    await p.settle();
    // Alerts first, then the pending readings oldest first, then the held readings.
    const deliveredIds = p.delivered.map((r) => r.id);
    expect(deliveredIds).toEqual([...pendingAtRecovery, ...held]);
    expect(c.storedAlerts).toBe(c.raised - superseded);
    expect(c.storedDuplicates).toBe(0);
    expect(c.stored).toBe(c.accepted - droppedReadings(p));
    for (const [device, seqs] of seqsByDevice(p.stored)) expect(strictlyIncreasing(seqs), device).toBe(true);
    await p.close();
    await transport.close();
  });

  /** The ward into a `shed-oldest-readings` outbox over an uplink ~40× slower than the ward. */
  async function slowUplink(ticks: number) {
    const MAX_BYTES = 32 * 1024;
    const transport = createInProcessTransport();
    let worstReadingBytes = 0;
    const p = await produce({
      transport,
      ticks,
      outbox: { maxBytes: MAX_BYTES, whenFull: 'shed-oldest-readings' },
      maxBatch: 50,
      // ≤ 10 records per 20 ms: ~500 records/s, while the ward produces ~20 000/s here.
      uplink: { ackDelayMs: 20 },
      batchSize: 10,
      between: async (pipeline) => {
        worstReadingBytes = Math.max(worstReadingBytes, pendingBytesByKind(pipeline).readings);
        await turn();
      },
    });
    await p.settle();
    await p.close();
    await transport.close();
    return { p, worstReadingBytes, MAX_BYTES };
  }

  it('shed-oldest-readings, slow uplink: outbox ≤ maxBytes, the OLDEST readings shed and counted, every alert delivered, order kept', async () => {
    const TICKS = LONG ? 3_000 : 200;
    const { p, worstReadingBytes, MAX_BYTES } = await slowUplink(TICKS);
    const c = p.counts;
    expect(worstReadingBytes).toBeLessThanOrEqual(MAX_BYTES);
    expect(c.refused).toBe(0);
    expect(c.dropped).toEqual({});
    expect(c.appended).toBe(sum(c.produced));
    expect(c.shed).toBe(p.outbox.stats().shed);
    expect(c.shed).toBeGreaterThan(sum(c.produced) / 2); // most of it: the uplink is that slow
    // Every record is delivered or shed, never both (the batch in flight is never shed); every
    // alert arrives.
    expect(c.unique + c.shed).toBe(c.appended);
    expect(c.storedAlerts).toBe(c.raised);
    expect(c.alertsDropped).toEqual({});
    expect(c.raised).toBe(TICKS / 2);
    expect(c.storedDuplicates).toBe(0);
    // The newest survive: the last records produced are all delivered. FIFO within each lane
    // (alerts, the rest), per-device order kept.
    const deliveredIds = new Set(p.delivered.map((r) => r.id));
    expect(p.produced.slice(-10).filter((id) => !deliveredIds.has(id))).toEqual([]);
    const lane = (alerts: boolean) =>
      p.delivered.filter((r) => (r.kind === 'alert') === alerts).map((r) => r.position);
    expect(strictlyIncreasing(lane(true))).toBe(true);
    expect(strictlyIncreasing(lane(false))).toBe(true);
    for (const [device, seqs] of seqsByDevice(p.stored)) expect(strictlyIncreasing(seqs), device).toBe(true);
    // Alerts jump the queue: each waits at most for the batch in flight (≤ 10 records, 20 ms) and
    // the micro-batch, not for the ≤ maxBytes of readings ahead of it (≈ 150 batches, 3 s).
    const latencies = p.storedAlerts.map(
      (a) => (p.storedAtMs.get(a.id) ?? 0) - (p.raisedAtMs.get(a.id) ?? 0),
    );
    expect(quantile(latencies, 0.5)).toBeLessThan(200);
    expect(Math.max(...latencies)).toBeLessThan(1_000);
  });

  // Loss accounting: the forwarder leases its batch (`outbox.lease`), and an outbox never sheds an
  // entry in flight, so a record that reaches the platform is never also counted in `shed`.
  it('every record appended is counted once: delivered, or shed — never both', async () => {
    const { p } = await slowUplink(100);
    expect(p.counts.unique + p.counts.shed).toBe(p.counts.appended);
    const stats = p.outbox.stats();
    expect(stats.acknowledged).toBe(p.counts.unique);
    expect(stats.acknowledged + stats.shed + stats.alertsShed).toBe(stats.appended);
  });

  // Alert priority (DESIGN.md: "alerts go out at once"): the outboxes hand out pending alerts before
  // the other records, so an alert raised behind a backlog does not wait for it.
  it('an alert raised during an outage is delivered before the reading backlog when the uplink returns', async () => {
    const transport = createInProcessTransport();
    const p = await produce({
      transport,
      ticks: 20,
      before: (pipeline) => pipeline.uplink.setState('down'),
    });
    p.uplink.setState('up');
    await p.settle();
    const deliveredIds = p.delivered.map((r) => r.id);
    await p.close();
    await transport.close();
    expect(p.counts.raised).toBe(10);
    expect(deliveredIds.slice(0, p.counts.raised).every(isAlertId)).toBe(true);
  });

  it('a flapping sensor (one alert every other reading) fills at most maxAlertBytes, under both policies: its oldest repeats are dropped and reported, nothing else', async () => {
    for (const whenFull of ['refuse-new', 'shed-oldest-readings'] as OutboxWhenFull[]) {
      const transport = createInProcessTransport();
      const MAX_BYTES = 16 * 1024;
      const MAX_ALERT_BYTES = 8 * 1024;
      const p = await produce({
        transport,
        ticks: 200,
        outbox: { maxBytes: MAX_BYTES, whenFull, maxAlertBytes: MAX_ALERT_BYTES },
        maxHeld: 50,
        before: (pipeline) => pipeline.uplink.setState('down'),
      });
      const bytes = pendingBytesByKind(p);
      const stats = p.outbox.stats();
      expect(bytes.readings, whenFull).toBeLessThanOrEqual(MAX_BYTES);
      expect(bytes.alerts, whenFull).toBeLessThanOrEqual(MAX_ALERT_BYTES);
      expect(bytes.alerts, whenFull).toBeGreaterThan(MAX_ALERT_BYTES - 1024); // full, not emptied
      expect(stats.pendingBytes).toBe(bytes.readings + bytes.alerts);
      expect(stats.pendingAlertBytes).toBe(bytes.alerts);
      expect(p.counts.raised).toBe(100);
      // Every alert raised is pending or was dropped as superseded (reported, counted); the newest is kept.
      const pendingAlerts = p.outbox
        .peek(Number.MAX_SAFE_INTEGER)
        .filter((e) => e.kind === 'alert')
        .map((e) => e.id);
      const superseded = p.counts.alertsDropped.superseded ?? 0;
      expect(p.counts.alertsDropped, whenFull).toEqual({ superseded });
      expect(pendingAlerts.length + superseded).toBe(p.counts.raised);
      expect(pendingAlerts.at(-1)).toBe(p.raised.at(-1)!.id);
      expect(stats).toMatchObject({ alertsShed: superseded, alertsRejected: 0 });
      await p.close();
      await transport.close();
    }
  });

  // Bounded memory (DESIGN.md "every buffer has a bound and a declared policy when full"):
  // `thresholdAlerts` re-arms on a single in-range reading, so a flapping or hostile sensor raises
  // an alert every other reading; the outbox's alert bound (`maxAlertBytes`, default `maxBytes`)
  // caps what that costs, whatever the outage length.
  it('the outbox stays within a bound independent of the outage length when a sensor flaps', async () => {
    const MAX_BYTES = 16 * 1024;
    const pendingAfter = async (ticks: number) => {
      const transport = createInProcessTransport();
      const p = await produce({
        transport,
        ticks,
        outbox: { maxBytes: MAX_BYTES, whenFull: 'shed-oldest-readings' },
        before: (pipeline) => pipeline.uplink.setState('down'),
      });
      const stats = p.outbox.stats();
      await p.close();
      await transport.close();
      return stats;
    };
    for (const ticks of [200, 400]) {
      const stats = await pendingAfter(ticks);
      expect(stats.pendingBytes, `${ticks} ticks`).toBeLessThanOrEqual(2 * MAX_BYTES);
      expect(stats.pendingAlertBytes, `${ticks} ticks`).toBeLessThanOrEqual(stats.maxAlertBytes);
      expect(stats.maxAlertBytes).toBe(MAX_BYTES);
    }
  });

  it('memory: with the uplink down, the heap does not grow with the volume pushed through (both policies)', async () => {
    const gc = exposeGc();
    const WARM = 200;
    const TICKS = WARM + (LONG ? 4_000 : 400);
    const MAX_BYTES = 1024 * 1024;
    const results: Record<string, { growthMb: number; readings: number; maxPending: number }> = {};
    for (const whenFull of ['refuse-new', 'shed-oldest-readings'] as OutboxWhenFull[]) {
      const transport = createInProcessTransport();
      let heapAfterWarmUp = 0;
      let maxPending = 0;
      let acceptedAfterWarmUp = 0;
      const p = await produce({
        transport,
        ticks: TICKS,
        alarm: false, // readings only: alerts have their own bound (see above)
        outbox: { maxBytes: MAX_BYTES, whenFull },
        maxHeld: 1_000,
        maxBatch: 500,
        keep: 'counts',
        before: (pipeline) => pipeline.uplink.setState('down'),
        between: async (pipeline, tick) => {
          maxPending = Math.max(maxPending, pipeline.outbox.stats().pendingBytes);
          if (tick === WARM) {
            await sleep(20);
            gc();
            heapAfterWarmUp = process.memoryUsage().heapUsed;
            acceptedAfterWarmUp = pipeline.counts.accepted;
          }
        },
      });
      gc();
      const growth = process.memoryUsage().heapUsed - heapAfterWarmUp;
      results[whenFull] = {
        growthMb: growth / 2 ** 20,
        readings: p.counts.accepted - acceptedAfterWarmUp,
        maxPending,
      };
      expect(maxPending, whenFull).toBeLessThanOrEqual(MAX_BYTES);
      expect(p.counts.held, whenFull).toBeLessThanOrEqual(1_000);
      await p.close();
      await transport.close();
    }
    for (const [policy, r] of Object.entries(results)) {
      // 400 ticks × 20 monitors × 6 readings = 48 000 readings (≈ 8 MB of JSON) pushed through.
      expect(r.readings, policy).toBe((TICKS - WARM) * PATIENTS * 6);
      expect(r.growthMb, policy).toBeLessThan(2);
    }
  });
});

/** Readings in `dropped` reading-batch records (a monitor message is one record of 6 readings). */
function droppedReadings(p: Pipeline): number {
  return p.dropped.reduce((n, id) => {
    const range = id
      .slice(id.lastIndexOf(':') + 1)
      .split('-')
      .map(Number);
    return n + ((range[1] ?? 0) - (range[0] ?? 0) + 1);
  }, 0);
}
