import { HealthItError, isHealthItError } from '@healthit/core';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { dedupeRecords } from './dedupe-records.js';
import { createForwarder, type ForwarderEvent } from './forwarder.js';
import { createInProcessUplink, type InProcessUplink } from './in-process-uplink.js';
import { createMemoryOutbox } from './memory-outbox.js';
import type { Outbox } from './outbox.js';
import { OUTBOX_ENTRY_OVERHEAD_BYTES, type OutboxWhenFull } from './outbox-policy.js';
import type { Uplink, UplinkRecord, UplinkRecordKind } from './uplink.js';

const encoder = new TextEncoder();
const PAYLOAD_BYTES = 24;

function record(device: string, seq: number, kind: UplinkRecordKind = 'reading'): UplinkRecord {
  const payload = new Uint8Array(PAYLOAD_BYTES);
  payload.set(encoder.encode(`${device}:${seq}`).subarray(0, PAYLOAD_BYTES));
  return { id: `${kind}/${device}/${seq}`, kind, key: device, payload };
}

/** Readings of `devices` devices, `perDevice` each, interleaved; seq starts at `from`. */
function readings(devices: number, perDevice: number, from = 0): UplinkRecord[] {
  const out: UplinkRecord[] = [];
  for (let s = from; s < from + perDevice; s++)
    for (let d = 0; d < devices; d++) out.push(record(`dev-${d}`, s));
  return out;
}

/** Per key, the seq numbers in arrival order. */
function byKey(records: readonly UplinkRecord[]): Map<string, number[]> {
  const m = new Map<string, number[]>();
  for (const r of records) {
    const seq = Number(r.id.split('/').at(-1));
    m.set(r.key, [...(m.get(r.key) ?? []), seq]);
  }
  return m;
}

function isIncreasing(xs: readonly number[]): boolean {
  return xs.every((x, i) => i === 0 || x > xs[i - 1]!);
}

/** Records what the uplink delivers (raw, with redeliveries) and counts sends in flight. */
function observe(uplink: InProcessUplink) {
  const received: UplinkRecord[] = [];
  const unique: UplinkRecord[] = [];
  uplink.received$.subscribe((r) => received.push(r));
  uplink.received$.pipe(dedupeRecords({ maxIds: 10_000 })).subscribe((r) => unique.push(r));
  let inFlight = 0;
  let maxInFlight = 0;
  let sends = 0;
  const counted: Uplink = {
    name: uplink.name,
    state$: uplink.state$,
    close: () => uplink.close(),
    async send(records) {
      sends++;
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      try {
        return await uplink.send(records);
      } finally {
        inFlight--;
      }
    },
  };
  return {
    received,
    unique,
    uplink: counted,
    sends: () => sends,
    maxInFlight: () => maxInFlight,
  };
}

function collect(f: { events$: import('rxjs').Observable<ForwarderEvent> }): ForwarderEvent[] {
  const events: ForwarderEvent[] = [];
  f.events$.subscribe((e) => events.push(e));
  return events;
}

let outbox: Outbox;
beforeEach(() => {
  vi.useFakeTimers();
  outbox = createMemoryOutbox({ maxBytes: 1 << 24, whenFull: 'refuse-new' });
});
afterEach(() => {
  vi.useRealTimers();
});

describe('createForwarder', () => {
  it('drains the outbox oldest first in batches, acknowledging as it goes', async () => {
    const uplink = createInProcessUplink();
    const o = observe(uplink);
    const forwarder = createForwarder({ outbox, uplink: o.uplink, batchSize: 7, pollMs: 10 });
    const events = collect(forwarder);
    const input = readings(3, 10);
    outbox.append(input);
    forwarder.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(o.received.map((r) => r.id)).toEqual(input.map((r) => r.id));
    expect(outbox.stats()).toMatchObject({ pending: 0, acknowledged: 30 });
    expect(events.filter((e) => e.type === 'sent').map((e) => (e.type === 'sent' ? e.count : 0))).toEqual([
      7, 7, 7, 7, 2,
    ]);
    expect(forwarder.stats()).toMatchObject({
      state: 'idle',
      sent: 30,
      sends: 5,
      retries: 0,
      lastAckedPosition: 30,
    });
    // New records are picked up by the next poll, or at once after wake().
    outbox.append([record('dev-0', 10)]);
    await vi.advanceTimersByTimeAsync(9);
    expect(o.received).toHaveLength(30);
    await vi.advanceTimersByTimeAsync(1);
    expect(o.received).toHaveLength(31);
    outbox.append([record('dev-0', 11)]);
    forwarder.wake();
    await vi.advanceTimersByTimeAsync(0);
    expect(o.received).toHaveLength(32);
    await forwarder.stop();
    expect(forwarder.stats().state).toBe('stopped');
  });

  it('keeps every record while the uplink is down, backs off, and delivers each once in order when it is up', async () => {
    const uplink = createInProcessUplink();
    const o = observe(uplink);
    const forwarder = createForwarder({
      outbox,
      uplink: o.uplink,
      batchSize: 50,
      retry: { initialMs: 100, maxMs: 1000 },
      pollMs: 10,
      random: () => 0.999_999,
    });
    const events = collect(forwarder);
    forwarder.start();
    outbox.append(readings(4, 25, 0));
    await vi.advanceTimersByTimeAsync(0);
    expect(o.received).toHaveLength(100);

    uplink.setState('down');
    expect(events.at(-1)).toEqual({ type: 'uplink-down', pending: 0 });
    outbox.append(readings(4, 100, 25));
    await vi.advanceTimersByTimeAsync(5000);
    expect(o.received).toHaveLength(100);
    const retried = events.filter((e) => e.type === 'retried');
    // 100, 200, 400, 800, then capped at 1000 (jitter factor ~1).
    expect(retried.slice(0, 6).map((e) => (e.type === 'retried' ? e.delayMs : 0))).toEqual([
      100, 200, 400, 800, 1000, 1000,
    ]);
    expect(
      retried.every((e) => e.type === 'retried' && e.acknowledged === 0 && e.unacknowledged === 50),
    ).toBe(true);

    // Up: it resumes at once, without waiting for the backoff.
    uplink.setState('up');
    expect(events.at(-1)).toMatchObject({ type: 'uplink-up', pending: 400, downForMs: 5000 });
    await vi.advanceTimersByTimeAsync(0);
    expect(o.received).toHaveLength(500);
    expect(new Set(o.received.map((r) => r.id)).size).toBe(500);
    for (const [, seqs] of byKey(o.received)) expect(seqs).toEqual(Array.from({ length: 125 }, (_, i) => i));
    expect(o.maxInFlight()).toBe(1);
    expect(outbox.stats().pending).toBe(0);
    await forwarder.stop();
  });

  it('applies jitter within [0.5, 1) of the exponential delay', async () => {
    const uplink = createInProcessUplink();
    uplink.setState('down');
    const forwarder = createForwarder({
      outbox,
      uplink,
      retry: { initialMs: 1000, maxMs: 8000 },
      random: () => 0,
    });
    const events = collect(forwarder);
    outbox.append([record('dev-0', 0)]);
    forwarder.start();
    await vi.advanceTimersByTimeAsync(20_000);
    expect(
      events.filter((e) => e.type === 'retried').map((e) => (e.type === 'retried' ? e.delayMs : 0)),
    ).toEqual([
      // Sends at 0, 0.5, 1.5, 3.5, 7.5, 11.5, 15.5 and 19.5 s.
      500, 1000, 2000, 4000, 4000, 4000, 4000, 4000,
    ]);
    await forwarder.stop();
  });

  it('sends the unacknowledged rest after a partial acknowledgement', async () => {
    const uplink = createInProcessUplink({ maxRecordsPerSend: 3 });
    const o = observe(uplink);
    const forwarder = createForwarder({
      outbox,
      uplink: o.uplink,
      batchSize: 10,
      retry: { initialMs: 10, maxMs: 10 },
    });
    const events = collect(forwarder);
    const input = readings(2, 10);
    outbox.append(input);
    forwarder.start();
    await vi.advanceTimersByTimeAsync(200);
    expect(o.received.map((r) => r.id)).toEqual(input.map((r) => r.id));
    expect(events.find((e) => e.type === 'retried')).toMatchObject({
      acknowledged: 3,
      unacknowledged: 7,
      attempt: 1,
    });
    await forwarder.stop();
  });

  it('redelivers only unacknowledged records after a lost acknowledgement', async () => {
    const uplink = createInProcessUplink();
    const o = observe(uplink);
    const forwarder = createForwarder({
      outbox,
      uplink: o.uplink,
      batchSize: 5,
      retry: { initialMs: 10, maxMs: 10 },
    });
    const input = readings(1, 20);
    outbox.append(input.slice(0, 10));
    forwarder.start();
    await vi.advanceTimersByTimeAsync(0);
    uplink.loseAcknowledgements(1);
    outbox.append(input.slice(10));
    forwarder.wake();
    await vi.advanceTimersByTimeAsync(100);
    // The batch whose acknowledgement was lost (seq 10..14) arrives twice, nothing else does.
    const seqs = o.received.map((r) => Number(r.id.split('/').at(-1)));
    expect(seqs).toEqual([
      ...Array.from({ length: 15 }, (_, i) => i),
      10,
      11,
      12,
      13,
      14,
      15,
      16,
      17,
      18,
      19,
    ]);
    expect(o.unique.map((r) => r.id)).toEqual(input.map((r) => r.id));
    await forwarder.stop();
  });

  it('has one batch in flight at most, and stop() waits for it and applies its acknowledgement', async () => {
    const uplink = createInProcessUplink({ ackDelayMs: 50 });
    const o = observe(uplink);
    const forwarder = createForwarder({ outbox, uplink: o.uplink, batchSize: 4 });
    outbox.append(readings(2, 8));
    forwarder.start();
    await vi.advanceTimersByTimeAsync(120);
    expect(o.received).toHaveLength(12);
    expect(outbox.stats().pending).toBe(8);
    let stopped = false;
    const stopping = forwarder.stop().then(() => {
      stopped = true;
    });
    await vi.advanceTimersByTimeAsync(10);
    expect(stopped).toBe(false);
    await vi.advanceTimersByTimeAsync(40);
    await stopping;
    expect(outbox.stats().pending).toBe(4);
    expect(o.maxInFlight()).toBe(1);
    await vi.advanceTimersByTimeAsync(1000);
    expect(o.received).toHaveLength(12);
    // Started again, it carries on where it stopped.
    forwarder.start();
    await vi.advanceTimersByTimeAsync(100);
    expect(o.received.map((r) => r.id)).toEqual(readings(2, 8).map((r) => r.id));
    await forwarder.stop();
  });

  it('stops with a failed event when the uplink is closed, leaving the records in the outbox', async () => {
    const uplink = createInProcessUplink();
    await uplink.close();
    const forwarder = createForwarder({ outbox, uplink });
    const events = collect(forwarder);
    outbox.append([record('dev-0', 0)]);
    forwarder.start();
    await vi.advanceTimersByTimeAsync(0);
    const failed = events.find((e) => e.type === 'failed');
    expect(failed?.type === 'failed' && isHealthItError(failed.error, 'transport/closed')).toBe(true);
    expect(forwarder.stats().state).toBe('failed');
    expect(outbox.stats().pending).toBe(1);
  });

  it('retries after a retryable rejection', async () => {
    let calls = 0;
    const delivered: UplinkRecord[] = [];
    const uplink = createInProcessUplink();
    uplink.received$.subscribe((r) => delivered.push(r));
    const flaky: Uplink = {
      ...uplink,
      name: 'flaky',
      state$: uplink.state$,
      async send(records) {
        calls++;
        if (calls === 1) throw new HealthItError('transport/publish-failed', 'timed out');
        return uplink.send(records);
      },
    };
    const forwarder = createForwarder({
      outbox,
      uplink: flaky,
      retry: { initialMs: 20, maxMs: 20 },
      random: () => 0.5,
    });
    const events = collect(forwarder);
    outbox.append([record('dev-0', 0)]);
    forwarder.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(events[0]).toMatchObject({ type: 'retried', attempt: 1, delayMs: 15, unacknowledged: 1 });
    await vi.advanceTimersByTimeAsync(15);
    expect(delivered).toHaveLength(1);
    await forwarder.stop();
  });

  it('sends pending alerts before the backlog of readings, and acknowledges exactly the records sent', async () => {
    const uplink = createInProcessUplink({ maxRecordsPerSend: 3 });
    const o = observe(uplink);
    const forwarder = createForwarder({
      outbox,
      uplink: o.uplink,
      batchSize: 5,
      retry: { initialMs: 10, maxMs: 10 },
    });
    const events = collect(forwarder);
    outbox.append(readings(2, 10));
    outbox.append([record('dev-0', 100, 'alert'), record('dev-1', 101, 'alert')]);
    forwarder.start();
    await vi.advanceTimersByTimeAsync(0);
    // The first send is [a100, a101, r0, r1, r2]; the uplink takes 3: both alerts and one reading.
    expect(o.received.slice(0, 3).map((r) => r.id)).toEqual([
      'alert/dev-0/100',
      'alert/dev-1/101',
      'reading/dev-0/0',
    ]);
    expect(events[0]).toMatchObject({ type: 'sent', count: 3, alerts: 2 });
    // An alert raised mid-drain overtakes the readings still waiting.
    outbox.append([record('dev-1', 102, 'alert')]);
    await vi.advanceTimersByTimeAsync(10);
    const firstAfter = o.received.findIndex((r) => r.id === 'alert/dev-1/102');
    expect(firstAfter).toBeGreaterThan(2);
    expect(firstAfter).toBeLessThan(9);
    await vi.advanceTimersByTimeAsync(200);
    expect(outbox.stats()).toMatchObject({ pending: 0, acknowledged: 23 });
    expect(o.unique).toHaveLength(23);
    for (const [, seqs] of byKey(o.unique.filter((r) => r.kind === 'reading')))
      expect(isIncreasing(seqs)).toBe(true);
    await forwarder.stop();
  });

  it('never lets a shedding outbox delete the batch in flight: nothing delivered is counted as shed', async () => {
    const entry = PAYLOAD_BYTES + OUTBOX_ENTRY_OVERHEAD_BYTES;
    const small = createMemoryOutbox({ maxBytes: 10 * entry, whenFull: 'shed-oldest-readings' });
    const uplink = createInProcessUplink({ ackDelayMs: 50 });
    const o = observe(uplink);
    const forwarder = createForwarder({ outbox: small, uplink: o.uplink, batchSize: 4 });
    let shed = 0;
    forwarder.start();
    for (let s = 0; s < 40; s++) {
      shed += small.append([record('dev-0', s)]).shed;
      forwarder.wake();
      await vi.advanceTimersByTimeAsync(5);
    }
    await vi.advanceTimersByTimeAsync(1000);
    const stats = small.stats();
    expect(stats).toMatchObject({ pending: 0, appended: 40, shed });
    expect(shed).toBeGreaterThan(0);
    // Every record was delivered (once) or shed, never both.
    expect(o.unique.length + shed).toBe(40);
    expect(stats.acknowledged).toBe(o.unique.length);
    await forwarder.stop();
  });

  it('rejects invalid options', () => {
    const uplink = createInProcessUplink();
    expect(() => createForwarder({ outbox, uplink, batchSize: 0 })).toThrow(RangeError);
    expect(() => createForwarder({ outbox, uplink, retry: { initialMs: 100, maxMs: 10 } })).toThrow(
      RangeError,
    );
  });
});

describe.each<OutboxWhenFull>(['refuse-new', 'shed-oldest-readings'])(
  'a full outbox (%s) behind a down uplink',
  (whenFull) => {
    it('keeps and delivers every alert, and counts what it refused or shed', async () => {
      const entry = PAYLOAD_BYTES + OUTBOX_ENTRY_OVERHEAD_BYTES;
      const full = createMemoryOutbox({ maxBytes: 100 * entry, whenFull });
      const uplink = createInProcessUplink();
      const o = observe(uplink);
      const forwarder = createForwarder({
        outbox: full,
        uplink: o.uplink,
        batchSize: 64,
        retry: { initialMs: 10, maxMs: 50 },
      });
      forwarder.start();
      uplink.setState('down');
      const appended: UplinkRecord[] = [];
      let refused = 0;
      let shed = 0;
      for (let s = 0; s < 100; s++) {
        const batch = [
          record('dev-0', s),
          record('dev-1', s),
          ...(s % 10 === 0 ? [record('dev-0', s, 'alert')] : []),
        ];
        const r = full.append(batch);
        refused += r.refused.length;
        shed += r.shed;
        appended.push(...batch.filter((b) => !r.refused.includes(b)));
      }
      await vi.advanceTimersByTimeAsync(500);
      expect(o.received).toHaveLength(0);
      const stats = full.stats();
      expect(stats.refused).toBe(refused);
      expect(stats.shed).toBe(shed);
      // Alerts have their own bound (default: maxBytes): the readings get all of maxBytes.
      expect(stats).toMatchObject({ alertsShed: 0, alertsRejected: 0, pendingAlertBytes: 10 * entry });
      if (whenFull === 'refuse-new') {
        // Room for 100 readings: the first 50 rounds fill it, the 100 readings after are refused.
        expect(refused).toBe(100);
        expect(shed).toBe(0);
      } else {
        // The 100 newest readings stay.
        expect(refused).toBe(0);
        expect(shed).toBe(100);
      }
      uplink.setState('up');
      await vi.advanceTimersByTimeAsync(100);
      // The alerts go first, ahead of the backlog of readings, oldest first.
      const alertIds = Array.from({ length: 10 }, (_, i) => `alert/dev-0/${i * 10}`);
      expect(o.received.slice(0, 10).map((r) => r.id)).toEqual(alertIds);
      const readingsReceived = o.received.filter((r) => r.kind === 'reading');
      expect(readingsReceived).toHaveLength(100);
      for (const [, seqs] of byKey(readingsReceived)) expect(isIncreasing(seqs)).toBe(true);
      if (whenFull === 'refuse-new') {
        // The oldest readings were kept, the newest refused.
        expect(readingsReceived[0]!.id).toBe('reading/dev-0/0');
      } else {
        // The newest readings were kept, the oldest shed.
        expect(readingsReceived.at(-1)!.id).toBe('reading/dev-1/99');
      }
      expect(new Set(o.received.map((r) => r.id)).size).toBe(o.received.length);
      await forwarder.stop();
    });
  },
);
