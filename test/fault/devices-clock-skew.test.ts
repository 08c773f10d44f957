/**
 * Fault injection — device clocks (issue "Proof under load and failure").
 *
 * Six simulated bedside monitors send JSON device messages through the real gateway pipeline
 * (in-process transport → createGateway → outbox → forwarder → in-process uplink → platform) and
 * NEWS2 at the edge; the gateway runs on a fake clock at the true time. Their clocks:
 *
 * | device      | clock                                                                 |
 * | ----------- | --------------------------------------------------------------------- |
 * | monitor-001 | right                                                                 |
 * | monitor-002 | 3 h ahead (the simulator's `clockDrift` fault)                        |
 * | monitor-003 | 3 h behind (the simulator's `clockDrift` fault)                       |
 * | monitor-004 | jumps back 1 h at tick 10                                             |
 * | monitor-005 | jumps forward 1 h at tick 10                                          |
 * | monitor-006 | jumps back 2 min at tick 10 (less than the replay window's maxAgeMs)  |
 *
 * What the gateway does (packages/gateway/src/gateway.ts, security/authenticator.ts,
 * core security/replay-guard.ts), asserted exactly:
 * - Without `authenticate`: nothing looks at time. Every reading is accepted as the device stamped
 *   it — no correction, no quality flag, no event — and kept in the device's `seq` order (so a
 *   clock that jumps back shows as `ts` going back at the platform).
 * - With `authenticate` (a replay guard on the gateway clock): the ENVELOPE's `ts` must lie within
 *   [now − maxAgeMs, now + maxAheadMs]; otherwise the message is refused with a `message-rejected`
 *   event, `HealthItError` code `security/replay`, `detail.reason` `expired` / `future`, counted by
 *   `authenticate.counts()`. Readings' own `ts` are never checked by the gateway.
 * - NEWS2 at the edge (`news2Scores`, packages/gateway/src/news2/operator.ts) judges each value by
 *   its clock: older than the parameter's limit is stale, stamped more than `maxAheadMs` (60 s)
 *   ahead is unusable; a patient that cannot be scored because of either is reported once
 *   (`news2-incomplete` with `stale` / `ahead`), whether or not it was ever scored.
 */
import type { Reading } from '@healthit/core';
import { createFakeClock, createInProcessTransport } from '@healthit/core/testing';
import { createWardSimulator, deviceJsonCodec } from '@healthit/device';
import {
  createGateway,
  createMessageAuthenticator,
  type GatewayEvent,
  type MessageRejected,
  type News2Update,
  news2Scores,
} from '@healthit/gateway';
import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  reading,
  readingsEnvelope,
  restamp,
  sampleEnvelope,
  signedFleet,
  wire,
} from './support-devices/devices.js';
import { LONG } from './support-devices/env.js';
import {
  decreases,
  seqsByDevice,
  startPipeline,
  strictlyIncreasing,
  turn,
} from './support-devices/pipeline.js';

const T0 = Date.UTC(2026, 2, 1, 8);
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const TICKS = LONG ? 24 * 60 : 30;
const JUMP_TICK = 10;
/** The replay window of the authenticated gateway. */
const MAX_AGE_MS = 5 * MINUTE;
/** The replay guard's default. */
const MAX_AHEAD_MS = 60_000;

const DEVICES = ['monitor-001', 'monitor-002', 'monitor-003', 'monitor-004', 'monitor-005', 'monitor-006'];
/** Device clock minus true time, for the monitors whose clock jumps (002/003 drift in the simulator). */
const JUMPS: Record<string, (tick: number) => number> = {
  'monitor-004': (tick) => (tick >= JUMP_TICK ? -HOUR : 0),
  'monitor-005': (tick) => (tick >= JUMP_TICK ? HOUR : 0),
  'monitor-006': (tick) => (tick >= JUMP_TICK ? -2 * MINUTE : 0),
};

async function runSkewedWard(authenticated: boolean) {
  const ward = createWardSimulator({
    patients: DEVICES.length,
    seed: 2026,
    periodMs: MINUTE,
    startTs: T0,
    scenarioMix: { stable: 1 },
    devices: ({ index }) => [
      {
        kind: 'monitor',
        ...(index === 1 ? { faults: { clockDrift: { ppm: 0, offsetMs: 3 * HOUR } } } : {}),
        ...(index === 2 ? { faults: { clockDrift: { ppm: 0, offsetMs: -3 * HOUR } } } : {}),
      },
    ],
  });
  const clock = createFakeClock(T0);
  const transport = createInProcessTransport();
  const fleet = signedFleet(DEVICES);
  const authenticate = authenticated
    ? createMessageAuthenticator({ registry: fleet.registry, replay: { maxAgeMs: MAX_AGE_MS, clock } })
    : undefined;
  const p = await startPipeline({
    transport,
    clock,
    ...(authenticate === undefined ? {} : { authenticate }),
  });
  const news2: News2Update[] = [];
  const news2Sub = p.gateway.readings$
    .pipe(news2Scores({ clock, assume: { consciousness: 'A', onOxygen: false } }))
    .subscribe((u) => news2.push(u));

  /** What each device sent, in send order, with the tick it was sent at. */
  const sent = new Map<string, { tick: number; readings: readonly Reading[] }[]>();
  const envelopeSeq = new Map<string, number>();
  for (const tick of ward.simulate({ toMs: TICKS * MINUTE })) {
    clock.set(tick.ts);
    for (const { sample } of tick.deliveries) {
      const jump = JUMPS[sample.deviceId];
      const stamped = jump === undefined ? sample : restamp(sample, sample.trueTs + jump(tick.tick));
      const seq = (envelopeSeq.get(sample.deviceId) ?? 0) + 1;
      envelopeSeq.set(sample.deviceId, seq);
      // The device stamps the envelope with its own clock too.
      const envelope = sampleEnvelope(stamped, { seq, ts: stamped.ts });
      await transport.publish(
        `devices/${sample.deviceId}/readings`,
        wire(authenticated ? fleet.sign(envelope) : envelope),
      );
      const list = sent.get(sample.deviceId) ?? [];
      list.push({ tick: tick.tick, readings: stamped.readings });
      sent.set(sample.deviceId, list);
    }
  }
  await p.settle();
  news2Sub.unsubscribe();
  await p.close();
  await transport.close();
  return { p, sent, news2, authenticate };
}

const readingsOf = (msgs: readonly { readonly readings: readonly Reading[] }[] | undefined) =>
  (msgs ?? []).flatMap((m) => m.readings);

function news2Of(updates: readonly News2Update[], patientId: string) {
  const mine = updates.filter(
    (u) => (u.type === 'news2-score' || u.type === 'news2-incomplete') && u.patientId === patientId,
  );
  return {
    scores: mine.filter((u) => u.type === 'news2-score').length,
    incomplete: mine.flatMap((u) =>
      u.type === 'news2-incomplete' ? [{ ts: u.ts, missing: u.missing, stale: u.stale, ahead: u.ahead }] : [],
    ),
    lastScoreTs: Math.max(...mine.filter((u) => u.type === 'news2-score').map((u) => u.ts)),
  };
}

describe('fault: device clock skew and time jumps', { timeout: LONG ? 120_000 : 30_000 }, () => {
  it('without authentication: every reading is accepted exactly as stamped (no correction, no quality flag, no event), in seq order, end to end', async () => {
    const { p, sent, news2 } = await runSkewedWard(false);
    const all = DEVICES.flatMap((d) => readingsOf(sent.get(d)));
    expect(all).toHaveLength(DEVICES.length * TICKS * 6);

    // The gateway said nothing about any of it.
    expect(p.events).toEqual([]);
    // Accepted unchanged: same ids, values, ts (3 h ahead, 3 h behind, jumped), quality still `good`.
    const bySendOrder = (rs: readonly Reading[]) =>
      [...rs].sort((a, b) => a.deviceId.localeCompare(b.deviceId) || a.seq - b.seq);
    expect(bySendOrder(p.accepted)).toEqual(bySendOrder(all));
    expect(new Set(p.accepted.map((r) => r.quality))).toEqual(new Set(['good']));
    const skewOf = (deviceId: string) =>
      new Set(p.accepted.filter((r) => r.deviceId === deviceId).map((r) => (r.ts - T0) % MINUTE));
    expect(skewOf('monitor-002')).toEqual(new Set([0])); // whole minutes: ts = true + 3 h exactly
    expect(p.accepted.find((r) => r.deviceId === 'monitor-002')?.ts).toBe(T0 + MINUTE + 3 * HOUR);
    expect(p.accepted.find((r) => r.deviceId === 'monitor-003')?.ts).toBe(T0 + MINUTE - 3 * HOUR);

    // Nothing lost or duplicated downstream; per device, platform order = seq order = send order.
    expect(p.counts.storedDuplicates).toBe(0);
    expect(p.stored).toHaveLength(all.length);
    const stored = seqsByDevice(p.stored);
    for (const d of DEVICES) {
      expect(stored.get(d), d).toEqual(readingsOf(sent.get(d)).map((r) => r.seq));
      expect(strictlyIncreasing(stored.get(d) ?? []), d).toBe(true);
    }
    // Time order is the device's: a clock that jumps back shows as ts going back, once, at the platform.
    const tsDecreases = (d: string) => decreases(p.stored.filter((r) => r.deviceId === d).map((r) => r.ts));
    expect(DEVICES.map(tsDecreases)).toEqual([0, 0, 0, 1, 0, 1]);

    // NEWS2 judges a value by the gateway clock against the device's ts: stale when older than its
    // limit, unusable when stamped more than maxAheadMs (60 s) ahead. Right / −2 min: scored
    // throughout. 3 h ahead / 3 h behind: never scored, and said so at once — one
    // `news2-incomplete` naming the parameter `ahead` / `stale`. ±1 h at tick 10: scored until
    // then, then one `news2-incomplete` (`stale` / `ahead`) and silence until scorable again.
    const n = DEVICES.map((_, i) => news2Of(news2, `patient-00${i + 1}`));
    expect(n.map((x) => x.scores > 0)).toEqual([true, false, false, true, true, true]);
    const measured = ['rr', 'spo2', 'sbp', 'pulse', 'temp'];
    const first = T0 + MINUTE;
    const jump = T0 + JUMP_TICK * MINUTE;
    expect(n[1]?.incomplete).toEqual([{ ts: first, missing: measured, stale: [], ahead: ['pulse'] }]);
    expect(n[2]?.incomplete).toEqual([{ ts: first, missing: measured, stale: ['pulse'], ahead: [] }]);
    expect(n[3]?.incomplete).toEqual([{ ts: jump, missing: ['pulse'], stale: ['pulse'], ahead: [] }]);
    expect(n[4]?.incomplete).toEqual([{ ts: jump, missing: ['pulse'], stale: [], ahead: ['pulse'] }]);
    expect(n[3]?.lastScoreTs).toBeLessThan(jump);
    expect(n[4]?.lastScoreTs).toBeLessThan(jump);
    for (const i of [0, 5]) expect(n[i]?.incomplete, `patient ${i + 1}`).toEqual([]);
  });

  it('with authentication: envelopes outside [now − maxAgeMs, now + maxAheadMs] are refused as security/replay expired/future and counted; nothing else is lost', async () => {
    const { p, sent, authenticate } = await runSkewedWard(true);
    const after = TICKS - JUMP_TICK + 1; // messages sent from the jump on
    const before = JUMP_TICK - 1;
    expect(p.counts.events).toEqual({
      'message-rejected': 2 * TICKS + 2 * after,
      'security/replay:expired': TICKS + after, // 3 h behind; −1 h after the jump
      'security/replay:future': TICKS + after, // 3 h ahead; +1 h after the jump
    });
    expect(authenticate?.counts()).toMatchObject({
      expired: TICKS + after,
      future: TICKS + after,
      replay: 0,
    });
    const rejected = p.events.filter((e): e is MessageRejected => e.type === 'message-rejected');
    for (const e of rejected) {
      expect(e.error.code).toBe('security/replay');
      expect(e.error.retryable).toBe(false);
      expect(e.error.message).toMatch(/refused: seq \d+ at ts \d+: (expired|future)/);
    }
    const refusedBy = (d: string) =>
      rejected.filter((e) => e.error.detail.deviceId === d).map((e) => String(e.error.detail.reason));
    expect(refusedBy('monitor-002')).toEqual(Array(TICKS).fill('future'));
    expect(refusedBy('monitor-003')).toEqual(Array(TICKS).fill('expired'));
    expect(refusedBy('monitor-004')).toEqual(Array(after).fill('expired'));
    expect(refusedBy('monitor-005')).toEqual(Array(after).fill('future'));
    expect(refusedBy('monitor-001')).toEqual([]);
    expect(refusedBy('monitor-006')).toEqual([]); // 2 min back is inside the 5 min window

    // Exactly the messages inside the window came through, unchanged, once, in seq order.
    const expected = new Map<string, Reading[]>([
      ['monitor-001', readingsOf(sent.get('monitor-001'))],
      ['monitor-004', readingsOf(sent.get('monitor-004')?.slice(0, before))],
      ['monitor-005', readingsOf(sent.get('monitor-005')?.slice(0, before))],
      ['monitor-006', readingsOf(sent.get('monitor-006'))],
    ]);
    const stored = seqsByDevice(p.stored);
    for (const d of DEVICES) {
      const want = expected.get(d) ?? [];
      expect(stored.get(d) ?? [], d).toEqual(want.map((r) => r.seq));
    }
    expect(p.counts.storedDuplicates).toBe(0);
    expect(p.accepted).toHaveLength([...expected.values()].flat().length);
    expect(p.stored).toHaveLength(p.accepted.length);
    expect(decreases(p.stored.filter((r) => r.deviceId === 'monitor-006').map((r) => r.ts))).toBe(1);
  });

  it('property: for any device clock offsets, the plain gateway accepts all; the authenticated one accepts exactly the in-window envelopes and names why for the rest', async () => {
    const offset = fc.oneof(
      fc.integer({ min: -6 * HOUR, max: 6 * HOUR }),
      fc.constantFrom(-MAX_AGE_MS - 1, -MAX_AGE_MS, 0, MAX_AHEAD_MS, MAX_AHEAD_MS + 1),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.array(offset, { minLength: 1, maxLength: 30 }),
        fc.boolean(),
        async (offsets, auth) => {
          const clock = createFakeClock(T0);
          const transport = createInProcessTransport();
          const fleet = signedFleet(['skewed-1', 'honest-1']);
          const authenticate = auth
            ? createMessageAuthenticator({
                registry: fleet.registry,
                replay: { maxAgeMs: MAX_AGE_MS, clock },
              })
            : undefined;
          const gateway = createGateway({ transport, clock, ...(authenticate ? { authenticate } : {}) });
          const accepted: Reading[] = [];
          const events: GatewayEvent[] = [];
          const subs = [
            gateway.readings$.subscribe((r) => accepted.push(r)),
            gateway.events$.subscribe((e) => events.push(e)),
          ];
          await turn();
          const want: Reading[] = [];
          const why: string[] = [];
          for (const [i, off] of offsets.entries()) {
            clock.set(T0 + 8 * HOUR + i * MINUTE);
            const now = clock.now();
            const seq = i + 1;
            const skewed = reading('skewed-1', seq, now + off);
            const honest = reading('honest-1', seq, now);
            for (const r of [skewed, honest]) {
              const e = readingsEnvelope([r], { seq, ts: r.ts });
              await transport.publish(`devices/${r.deviceId}/readings`, wire(auth ? fleet.sign(e) : e));
            }
            const verdict = !auth
              ? 'ok'
              : off < -MAX_AGE_MS
                ? 'expired'
                : off > MAX_AHEAD_MS
                  ? 'future'
                  : 'ok';
            if (verdict === 'ok') want.push(skewed);
            else why.push(verdict);
            want.push(honest);
          }
          for (const s of subs) s.unsubscribe();
          await transport.close();
          expect(accepted).toEqual(want);
          expect(
            events.map((e) => (e.type === 'message-rejected' ? String(e.error.detail.reason) : e.type)),
          ).toEqual(why);
        },
      ),
      { numRuns: LONG ? 500 : 40 },
    );
  });

  it('gap: readings\u2019 own ts are never checked — an envelope stamped right carrying readings 3 h ahead passes authentication unchanged', async () => {
    const clock = createFakeClock(T0);
    const transport = createInProcessTransport();
    const fleet = signedFleet(['monitor-777']);
    const authenticate = createMessageAuthenticator({
      registry: fleet.registry,
      replay: { maxAgeMs: MAX_AGE_MS, clock },
    });
    const gateway = createGateway({ transport, clock, authenticate });
    const accepted: Reading[] = [];
    const events: GatewayEvent[] = [];
    gateway.readings$.subscribe((r) => accepted.push(r));
    gateway.events$.subscribe((e) => events.push(e));
    await turn();
    const ahead = reading('monitor-777', 1, T0 + 3 * HOUR);
    await transport.publish(
      'devices/monitor-777/readings',
      wire(fleet.sign(readingsEnvelope([ahead], { seq: 1, ts: T0 }))),
    );
    expect(events).toEqual([]);
    expect(accepted).toEqual([ahead]);
    await transport.close();
  });

  /**
   * A monitor falls silent after minute 5; at minute 15 a thermometer reading for the same
   * patient makes NEWS2 score them again. With the monitor's clock right, its rr/SpO2/pulse are
   * 10 min old (> 5 min) and the patient is `news2-incomplete`.
   */
  async function silentMonitor(offsetMs: number) {
    const ward = createWardSimulator({
      patients: 1,
      seed: 7,
      periodMs: MINUTE,
      startTs: T0,
      scenarioMix: { stable: 1 },
      devices: [
        {
          kind: 'monitor',
          faults: {
            dropout: { windows: [{ fromMs: 5 * MINUTE + 1, toMs: 60 * MINUTE }] },
            ...(offsetMs === 0 ? {} : { clockDrift: { ppm: 0, offsetMs } }),
          },
        },
      ],
    });
    const clock = createFakeClock(T0);
    const transport = createInProcessTransport();
    const gateway = createGateway({ transport, clock, codecs: [deviceJsonCodec] });
    const updates: News2Update[] = [];
    gateway.readings$
      .pipe(news2Scores({ clock, assume: { consciousness: 'A', onOxygen: false } }))
      .subscribe((u) => updates.push(u));
    await turn();
    let seq = 0;
    for (const tick of ward.simulate({ toMs: 15 * MINUTE })) {
      clock.set(tick.ts);
      for (const { sample } of tick.deliveries) {
        seq++;
        await transport.publish(
          `devices/${sample.deviceId}/readings`,
          wire(sampleEnvelope(sample, { seq, ts: sample.ts })),
        );
      }
    }
    const temp = reading('thermo-001', 1, clock.now(), 'body-temperature', 37.9, 'patient-001');
    await transport.publish(
      'devices/thermo-001/readings',
      wire(readingsEnvelope([temp], { seq: 1, ts: temp.ts })),
    );
    await transport.close();
    return updates.filter((u) => u.type === 'news2-incomplete' || u.type === 'news2-score');
  }

  it('control: a right-clock monitor silent for 10 min is stale: NEWS2 reports the patient incomplete', async () => {
    const updates = await silentMonitor(0);
    expect(updates.at(-1)).toEqual({
      type: 'news2-incomplete',
      patientId: 'patient-001',
      ts: T0 + 15 * MINUTE,
      missing: ['rr', 'spo2', 'pulse'],
      stale: ['rr', 'spo2', 'pulse'],
      ahead: [],
    });
  });

  // Was an `it.fails`: `fresh()` judged only `now - ts <= maxAgeMs`, so values stamped 3 h ahead
  // counted as fresh until 3 h 5 min after they arrived and the silent monitor kept scoring the
  // patient. Now a value stamped more than `maxAheadMs` (60 s) ahead is never used, and the patient
  // is reported incomplete, naming the parameter `ahead`.
  it('a monitor 3 h ahead is never scored on its future-stamped values: NEWS2 reports the patient incomplete (ahead) at once, and stays unscored after it falls silent', async () => {
    const updates = await silentMonitor(3 * HOUR);
    expect(updates.filter((u) => u.type === 'news2-score')).toEqual([]);
    expect(updates).toEqual([
      {
        type: 'news2-incomplete',
        patientId: 'patient-001',
        ts: T0 + MINUTE,
        missing: ['rr', 'spo2', 'sbp', 'pulse', 'temp'],
        stale: [],
        ahead: ['pulse'],
      },
    ]);
  });

  // Was an `it.fails`: `news2Scores` emitted `news2-incomplete` only when a patient that HAD a
  // score lost it (`if (state.lastKey === undefined) return;`), so a monitor 3 h behind — every
  // value stale on arrival, accepted by the gateway with no flag — left the patient unscored with
  // nothing anywhere saying so. Now a never-scored patient is reported once as soon as a value is
  // unusable because of its time stamp.
  it('a patient whose monitor runs 3 h behind is reported (a NEWS2 update naming the stale parameters), not silently unscored', async () => {
    const ward = createWardSimulator({
      patients: 1,
      seed: 7,
      periodMs: MINUTE,
      startTs: T0,
      scenarioMix: { stable: 1 },
      devices: [{ kind: 'monitor', faults: { clockDrift: { ppm: 0, offsetMs: -3 * HOUR } } }],
    });
    const clock = createFakeClock(T0);
    const transport = createInProcessTransport();
    const gateway = createGateway({ transport, clock, codecs: [deviceJsonCodec] });
    const said: unknown[] = [];
    gateway.events$.subscribe((e) => said.push(e));
    gateway.readings$
      .pipe(news2Scores({ clock, assume: { consciousness: 'A', onOxygen: false } }))
      .subscribe((u) => said.push(u));
    let accepted = 0;
    gateway.readings$.subscribe(() => accepted++);
    await turn();
    for (const tick of ward.simulate({ toMs: 10 * MINUTE })) {
      clock.set(tick.ts);
      for (const { sample } of tick.deliveries) {
        await transport.publish(
          `devices/${sample.deviceId}/readings`,
          wire(sampleEnvelope(sample, { seq: tick.tick, ts: sample.ts })),
        );
      }
    }
    await transport.close();
    expect(accepted).toBe(60);
    // The gateway says nothing (it does not judge readings' time stamps); NEWS2 says it once.
    expect(said).toEqual([
      {
        type: 'news2-incomplete',
        patientId: 'patient-001',
        ts: T0 + MINUTE,
        missing: ['rr', 'spo2', 'sbp', 'pulse', 'temp'],
        stale: ['pulse'],
        ahead: [],
      },
    ]);
  });
});
