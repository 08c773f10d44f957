/**
 * Fault injection — duplicate, out-of-order and replayed device messages (issue "Proof under load
 * and failure").
 *
 * What the gateway does (packages/gateway/src/gateway.ts with preprocessing/sequence-guard.ts):
 * per device it remembers the highest reading `seq` accepted and which of the 1024 seqs up to it
 * were seen (a sliding-window bitmap, as IPsec's anti-replay window). A reading whose `seq` was
 * seen is dropped and reported as a `reading-duplicate` event (`lastSeq` = the highest seq); one
 * that arrives after a newer one but was never seen (out of order) is accepted — out of seq order —
 * and reported as `reading-late`; one 1024 or more below the highest would be `reading-too-old`.
 * So a redelivered or replayed message costs nothing and is counted, and no genuine measurement is
 * lost to reordering. With `authenticate`, repeats of the same envelope are refused earlier, as
 * `security/replay` `replay`; a reordered envelope inside the replay window passes authentication
 * and is accepted by the sequence guard too: the two layers agree.
 *
 * Downstream, the uplink is at-least-once (lost acknowledgements make the forwarder send again);
 * the platform's `dedupeRecords` makes that 0 duplicates stored.
 */
import { deviceId, type Reading, readingId } from '@healthit/core';
import { createFakeClock, createInProcessTransport } from '@healthit/core/testing';
import { createWardSimulator, type DeviceSample } from '@healthit/device';
import {
  createMessageAuthenticator,
  dedupeBySeq,
  type ReadingDuplicate,
  type ReadingLate,
  reorder,
} from '@healthit/gateway';
import { filter, map } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import { reading, readingsEnvelope, sampleEnvelope, signedFleet, wire } from './support-devices/devices.js';
import { LONG } from './support-devices/env.js';
import { seqsByDevice, startPipeline } from './support-devices/pipeline.js';

const T0 = Date.UTC(2026, 2, 1, 8);
const MINUTE = 60_000;
const TICKS = LONG ? 24 * 60 : 60;

describe('fault: duplicate, out-of-order and replayed device messages', {
  timeout: LONG ? 120_000 : 30_000,
}, () => {
  it('simulated faulty monitors + broker redelivery + replay + lost uplink acks: 0 duplicates stored, every measurement stored once (late ones too, reported as reading-late), every drop counted as reading-duplicate', async () => {
    const ward = createWardSimulator({
      patients: 4,
      seed: 41,
      periodMs: MINUTE,
      startTs: T0,
      scenarioMix: { stable: 1 },
      devices: ({ index }) => [
        {
          kind: 'monitor',
          faults:
            [
              { duplicate: { probability: 0.25 } },
              { outOfOrder: { probability: 0.25, maxDelayTicks: 3 } },
              { duplicate: { probability: 0.2 }, outOfOrder: { probability: 0.2, maxDelayTicks: 3 } },
              {},
            ][index] ?? {},
        },
      ],
    });
    const clock = createFakeClock(T0);
    const transport = createInProcessTransport();
    const p = await startPipeline({ transport, clock, batchSize: 50 });

    const deliveredReadings: Reading[] = [];
    const onTime: Reading[] = [];
    const late: Reading[] = [];
    const redelivered: Reading[] = []; // duplicate deliveries, broker redeliveries, replays
    /** The model of the gateway's guard: per device the highest seq and every seq seen, in delivery order. */
    const highest = new Map<string, number>();
    const seen = new Set<string>();
    const lateByModel: string[] = [];
    let duplicatesByModel = 0;
    const envelopeSeq = new Map<string, number>();
    let tick2: { bytes: Uint8Array; sample: DeviceSample } | undefined;
    const publish = async (bytes: Uint8Array, sample: DeviceSample) => {
      await transport.publish(`devices/${sample.deviceId}/readings`, bytes);
      deliveredReadings.push(...sample.readings);
      for (const r of sample.readings) {
        const top = highest.get(r.deviceId) ?? -1;
        if (seen.has(r.id)) duplicatesByModel++;
        else if (r.seq < top) lateByModel.push(r.id);
        seen.add(r.id);
        highest.set(r.deviceId, Math.max(top, r.seq));
      }
    };
    for (const tick of ward.simulate({ toMs: TICKS * MINUTE })) {
      clock.set(tick.ts);
      if (tick.tick === 20) p.uplink.loseAcknowledgements(3);
      for (const { sample, delivery } of tick.deliveries) {
        const seq = (envelopeSeq.get(sample.deviceId) ?? 0) + 1;
        envelopeSeq.set(sample.deviceId, seq);
        const bytes = wire(sampleEnvelope(sample, { seq, ts: sample.ts }));
        await publish(bytes, sample);
        if (delivery === 'on-time') onTime.push(...sample.readings);
        else if (delivery === 'late') late.push(...sample.readings);
        else redelivered.push(...sample.readings);
        if (sample.deviceId === 'monitor-004') {
          if (tick.tick === 2) tick2 = { bytes, sample };
          // The broker delivers every 7th message twice (QoS 1 redelivery: the same bytes).
          if (tick.tick % 7 === 0) {
            await publish(bytes, sample);
            redelivered.push(...sample.readings);
          }
        }
      }
      if (tick.tick === 40 && tick2 !== undefined) {
        // Someone replays a 38-minute-old message of monitor-004, byte for byte.
        await publish(tick2.bytes, tick2.sample);
        redelivered.push(...tick2.sample.readings);
      }
    }
    await p.settle();
    await p.close();
    await transport.close();

    // The faults really happened.
    expect(redelivered.length).toBeGreaterThan(0);
    expect(late.length).toBeGreaterThan(0);
    expect(p.counts.delivered).toBeGreaterThan(p.counts.unique); // the uplink sent records again

    // 0 duplicates stored; at the platform, per device, a reading is below an earlier one's seq
    // exactly when the gateway reported it as `reading-late`.
    expect(p.counts.storedDuplicates).toBe(0);
    const lateEvents = p.events.filter((e): e is ReadingLate => e.type === 'reading-late');
    const outOfOrderAtPlatform: string[] = [];
    const top = new Map<string, number>();
    for (const r of p.stored) {
      if (r.seq < (top.get(r.deviceId) ?? -1)) outOfOrderAtPlatform.push(r.id);
      top.set(r.deviceId, Math.max(r.seq, top.get(r.deviceId) ?? -1));
    }
    expect(lateEvents.map((e) => e.readingId)).toEqual(lateByModel);
    expect(outOfOrderAtPlatform.sort()).toEqual([...lateByModel].sort());
    for (const e of lateEvents) expect(e.lastSeq, e.readingId).toBeGreaterThan(e.seq);
    // Every measurement — on time or late — is stored exactly once; nothing stored that was not measured.
    const storedIds = new Set(p.stored.map((r) => r.id));
    const measured = new Set([...onTime, ...late].map((r) => r.id));
    expect([...measured].filter((id) => !storedIds.has(id))).toEqual([]);
    expect([...storedIds].filter((id) => !measured.has(id))).toEqual([]);
    expect(p.stored).toHaveLength(measured.size);
    expect(lateByModel.length).toBeGreaterThan(0); // reordering really happened

    // Every delivered reading that was not stored is one `reading-duplicate` event: no silent drop.
    expect(Object.keys(p.counts.events).sort()).toEqual(['reading-duplicate', 'reading-late']);
    const dupEvents = p.events.filter((e): e is ReadingDuplicate => e.type === 'reading-duplicate');
    expect(dupEvents).toHaveLength(deliveredReadings.length - p.stored.length);
    expect(dupEvents).toHaveLength(duplicatesByModel);
    for (const e of dupEvents) {
      const [device, seq] = [
        e.readingId.slice(0, e.readingId.lastIndexOf(':')),
        Number(e.readingId.split(':').at(-1)),
      ];
      expect(e.lastSeq, e.readingId).toBeGreaterThanOrEqual(seq);
      expect(e.topic).toBe(`devices/${device}/readings`);
    }
    // Redeliveries and replays are the duplicates, and only they: no genuine measurement was dropped.
    expect(dupEvents).toHaveLength(redelivered.length);
  });

  /** Device A's messages m1…m6 (one reading each), delivered out of order, twice and replayed. */
  async function scripted(authenticated: boolean) {
    const clock = createFakeClock(T0 + 10 * MINUTE);
    const transport = createInProcessTransport();
    const fleet = signedFleet(['dev-a', 'dev-b']);
    const authenticate = authenticated
      ? createMessageAuthenticator({ registry: fleet.registry, replay: { maxAgeMs: 60 * MINUTE, clock } })
      : undefined;
    const p = await startPipeline({ transport, clock, ...(authenticate ? { authenticate } : {}) });
    const bytes = (device: string, seq: number) => {
      const e = readingsEnvelope([reading(device, seq, T0 + seq * 1000)], { seq, ts: T0 + seq * 1000 });
      return wire(authenticated ? fleet.sign(e) : e);
    };
    const a = [0, 1, 2, 3, 4, 5, 6].map((s) => bytes('dev-a', s));
    const order = [1, 2, 2, 4, 3, 5, 1, 6]; // m2 twice, m3/m4 swapped, m1 replayed
    for (const [i, s] of order.entries()) {
      await transport.publish('devices/dev-a/readings', a[s] as Uint8Array);
      if (i < 6) await transport.publish('devices/dev-b/readings', bytes('dev-b', i + 1));
    }
    await p.settle();
    await p.close();
    await transport.close();
    const outcome = p.events.map((e) =>
      e.type === 'reading-duplicate'
        ? `${e.readingId} duplicate (lastSeq ${e.lastSeq})`
        : e.type === 'reading-late'
          ? `${e.readingId} late (lastSeq ${e.lastSeq})`
          : e.type === 'message-rejected'
            ? `${String(e.error.detail.envelopeId)} ${e.error.code} ${String(e.error.detail.reason)}`
            : e.type,
    );
    return { p, outcome, authenticate };
  }

  it('scripted, plain gateway: twice, swapped and replayed → accepted once each, late m3 accepted, each counted', async () => {
    const { p, outcome } = await scripted(false);
    expect(outcome).toEqual([
      'dev-a:2 duplicate (lastSeq 2)',
      'dev-a:3 late (lastSeq 4)', // swapped: m3 came after m4, accepted
      'dev-a:1 duplicate (lastSeq 5)', // replayed
    ]);
    expect(seqsByDevice(p.stored)).toEqual(
      new Map([
        ['dev-a', [1, 2, 4, 3, 5, 6]],
        ['dev-b', [1, 2, 3, 4, 5, 6]],
      ]),
    );
    expect(p.counts.storedDuplicates).toBe(0);
  });

  it('scripted, authenticated gateway: repeats are security/replay refusals (counted); the swapped m3 passes authentication and the sequence guard (reading-late)', async () => {
    const { p, outcome, authenticate } = await scripted(true);
    expect(outcome).toEqual([
      'dev-a:2 security/replay replay',
      'dev-a:3 late (lastSeq 4)',
      'dev-a:1 security/replay replay',
    ]);
    expect(authenticate?.counts()).toMatchObject({ replay: 2, 'too-old': 0, expired: 0 });
    expect(seqsByDevice(p.stored).get('dev-a')).toEqual([1, 2, 4, 3, 5, 6]);
    expect(seqsByDevice(p.stored).get('dev-b')).toEqual([1, 2, 3, 4, 5, 6]);
  });

  // Was an `it.fails`: the guard kept only the highest seq (`seq <= prev` → duplicate), so the
  // reordered envelope the authenticator's replay window accepted was then dropped as a
  // "duplicate". The guard now keeps a window of seen seqs, as the replay guard does.
  it('a message delivered after a newer one (inside the replay window) is still stored, once', async () => {
    const { p } = await scripted(true);
    expect(seqsByDevice(p.stored).get('dev-a')).toEqual([1, 2, 4, 3, 5, 6]);
    expect(p.counts.storedDuplicates).toBe(0);
  });

  it('a reading 1024 or more seqs below the newest is refused as reading-too-old, not silently', async () => {
    const clock = createFakeClock(T0);
    const transport = createInProcessTransport();
    const p = await startPipeline({ transport, clock });
    const send = (seq: number) =>
      transport.publish(
        'devices/dev-a/readings',
        wire(readingsEnvelope([reading('dev-a', seq, T0 + seq)], { seq, ts: T0 + seq })),
      );
    await send(2_000);
    await send(977); // the oldest seq still in the window (2000 − 1023): accepted, late
    await send(976); // 1024 below: too old to tell
    await p.settle();
    await p.close();
    await transport.close();
    expect(seqsByDevice(p.stored).get('dev-a')).toEqual([2_000, 977]);
    expect(p.events.map((e) => e.type)).toEqual(['reading-late', 'reading-too-old']);
    expect(p.events[1]).toMatchObject({ readingId: 'dev-a:976', seq: 976, lastSeq: 2_000, window: 1024 });
  });

  it('virtual time: `dedupeBySeq` (the gateway’s step) keeps the swapped reading, marked late; `reorder` → `dedupeBySeq` also puts it back in order', () => {
    const r = (seq: number): Reading => ({
      id: readingId('d1', seq),
      deviceId: deviceId('d1'),
      metric: 'heart-rate',
      value: 70 + seq,
      unit: '/min',
      ts: T0 + seq * 1000,
      seq,
    });
    const values = { a: r(1), b: r(2), c: r(3), d: r(4), e: r(5) };
    const scheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
    scheduler.run(({ cold, expectObservable }) => {
      const arriving = cold('abdce|', values); // c (seq 3) after d (seq 4)
      expectObservable(arriving.pipe(dedupeBySeq())).toBe('abdxe|', {
        a: { type: 'reading', reading: values.a },
        b: { type: 'reading', reading: values.b },
        d: { type: 'reading', reading: values.d },
        x: { type: 'reading', reading: values.c, late: true },
        e: { type: 'reading', reading: values.e },
      });
      const kept = arriving.pipe(
        reorder({ latenessMs: 1000, maxBuffered: 16 }),
        filter((o) => o.type === 'reading'),
        map((o) => o.reading),
        dedupeBySeq(),
        filter((o) => o.type === 'reading'),
        map((o) => o.reading),
      );
      expectObservable(kept).toBe('-abcd(e|)', values);
    });
  });
});
