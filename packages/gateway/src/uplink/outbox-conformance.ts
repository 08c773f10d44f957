import { ALERT_SEVERITIES, type AlertSeverity, isHealthItError } from '@healthit/core';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import type { DroppedAlert, Outbox, OutboxEntry } from './outbox.js';
import { OUTBOX_ENTRY_OVERHEAD_BYTES, type OutboxBounds, triageAlert } from './outbox-policy.js';
import type { UplinkRecord, UplinkRecordKind } from './uplink.js';

/** One outbox store under test, opened (and for a durable one, reopened) by the suite. */
export interface OutboxUnderTest {
  /** Opens the outbox. A durable one is opened again after `close()` to check replay. */
  open(): Outbox;
  /** Closes what is open and removes files. */
  dispose(): void;
}

/** Creates a fresh, empty outbox store with the given bounds. */
export type OutboxFactory = (bounds: OutboxBounds) => OutboxUnderTest;

/** Options of {@link describeOutboxConformance}. */
export interface OutboxConformanceOptions {
  /** True when `open()` after `close()` returns the same contents (a disk outbox): replay is tested. */
  readonly durable: boolean;
}

const encoder = new TextEncoder();

/** A record whose payload is `payloadBytes` long (the id, padded). An alert of it is not JSON. */
function rec(id: string, kind: UplinkRecordKind = 'reading', key = 'dev-1', payloadBytes = 36): UplinkRecord {
  const payload = new Uint8Array(payloadBytes);
  payload.set(encoder.encode(id).subarray(0, payloadBytes));
  return { id, kind, key, payload };
}

/** Bytes of every {@link alertRec} payload. */
const ALERT_PAYLOAD_BYTES = 200;

/**
 * An alert record with a real `Alert` JSON payload of exactly {@link ALERT_PAYLOAD_BYTES} bytes:
 * series = `key` and `rule`.
 */
export function alertRec(id: string, key: string, rule: string, severity: AlertSeverity): UplinkRecord {
  const alert = { id, rule, severity, message: '', ts: 0, deviceId: key, readingIds: [`${key}:1`] };
  const pad = ALERT_PAYLOAD_BYTES - JSON.stringify(alert).length;
  if (pad < 1) throw new RangeError(`alert ${id} does not fit ${ALERT_PAYLOAD_BYTES} bytes`);
  alert.message = 'm'.repeat(pad);
  return { id, kind: 'alert', key, payload: encoder.encode(JSON.stringify(alert)) };
}

/** Bytes one record of `payloadBytes` counts. */
const size = (payloadBytes = 36) => payloadBytes + OUTBOX_ENTRY_OVERHEAD_BYTES;
/** Bytes one {@link alertRec} counts. */
const alertSize = size(ALERT_PAYLOAD_BYTES);

function ids(entries: readonly Pick<UplinkRecord, 'id'>[]): string[] {
  return entries.map((e) => e.id);
}

function drops(dropped: readonly DroppedAlert[]): [string, string][] {
  return dropped.map((d) => [d.record.id, d.reason]);
}

/**
 * The behaviour every {@link Outbox} must have: the two lanes (alerts first), exact and legacy
 * acknowledgement, leases, bounds, both full policies, the alert bound, stats — and, for a durable
 * outbox, replay after reopening. Run it from a test file.
 *
 * @example
 * ```ts
 * describeOutboxConformance('memory outbox', (bounds) => {
 *   const outbox = createMemoryOutbox(bounds);
 *   return { open: () => outbox, dispose: () => outbox.close() };
 * }, { durable: false });
 * ```
 */
export function describeOutboxConformance(
  name: string,
  factory: OutboxFactory,
  options: OutboxConformanceOptions,
): void {
  const { durable } = options;
  describe(`Outbox conformance: ${name}`, () => {
    const opened: OutboxUnderTest[] = [];
    function make(bounds: Partial<OutboxBounds> = {}): { store: OutboxUnderTest; outbox: Outbox } {
      const store = factory({ maxBytes: 1 << 20, whenFull: 'refuse-new', ...bounds });
      opened.push(store);
      return { store, outbox: store.open() };
    }
    afterEach(() => {
      for (const s of opened.splice(0)) s.dispose();
    });

    it('hands out pending alerts first, then the other records, each oldest first, with intact fields', () => {
      const { outbox } = make();
      const a = [rec('r1', 'reading', 'dev-a'), rec('a1', 'alert', 'dev-b', 80), rec('e1', 'event', 'gw')];
      expect(outbox.append(a)).toEqual({ accepted: 3, refused: [], shed: 0, alertsDropped: [] });
      expect(outbox.append([rec('r2', 'reading', 'dev-a'), rec('a2', 'alert', 'dev-a')]).accepted).toBe(2);
      const peeked = outbox.peek(10);
      expect(ids(peeked)).toEqual(['a1', 'a2', 'r1', 'e1', 'r2']);
      expect(peeked.map((e) => [e.kind, e.key])).toEqual([
        ['alert', 'dev-b'],
        ['alert', 'dev-a'],
        ['reading', 'dev-a'],
        ['event', 'gw'],
        ['reading', 'dev-a'],
      ]);
      // Positions follow append order.
      expect(peeked.map((e) => e.position)).toEqual([2, 5, 1, 3, 4].map((p) => p + peeked[2]!.position - 1));
      expect([...peeked[0]!.payload]).toEqual([...a[1]!.payload]);
      expect(peeked[0]!.payload.byteLength).toBe(80);
      expect(ids(outbox.peek(1))).toEqual(['a1']);
      expect(ids(outbox.peek(3))).toEqual(['a1', 'a2', 'r1']);
    });

    it('peek honours its limit and removes nothing', () => {
      const { outbox } = make();
      outbox.append(Array.from({ length: 10 }, (_, i) => rec(`r${i}`)));
      expect(ids(outbox.peek(3))).toEqual(['r0', 'r1', 'r2']);
      expect(ids(outbox.peek(3))).toEqual(['r0', 'r1', 'r2']);
      expect(outbox.peek(0)).toEqual([]);
      expect(outbox.stats().pending).toBe(10);
    });

    it('ack with positions removes exactly those entries, across both lanes; repeats are a no-op', () => {
      const { outbox } = make();
      outbox.append([rec('r0'), rec('a0', 'alert'), rec('r1'), rec('a1', 'alert'), rec('r2')]);
      const batch = outbox.peek(3); // a0, a1, r0
      expect(ids(batch)).toEqual(['a0', 'a1', 'r0']);
      outbox.ack(batch.map((e) => e.position));
      expect(ids(outbox.peek(10))).toEqual(['r1', 'r2']);
      outbox.ack(batch.map((e) => e.position));
      outbox.ack([]);
      expect(outbox.stats()).toMatchObject({
        pending: 2,
        appended: 5,
        acknowledged: 3,
        pendingBytes: 2 * size(),
      });
      // An alert appended after a peek is not acknowledged with that peek's records.
      const next = outbox.peek(1);
      outbox.append([rec('a2', 'alert')]);
      outbox.ack(next.map((e) => e.position));
      expect(ids(outbox.peek(10))).toEqual(['a2', 'r2']);
    });

    it('ack with a number removes the peeked prefix ending at that entry, never an entry peek orders after it', () => {
      const { outbox } = make();
      outbox.append([rec('r0'), rec('a0', 'alert')]);
      // peek: a0, r0. Acknowledging a0 must not remove r0, appended earlier but sent later.
      const [a0, r0] = outbox.peek(2);
      outbox.ack(a0!.position);
      expect(ids(outbox.peek(10))).toEqual(['r0']);
      outbox.append([rec('a1', 'alert'), rec('r1')]);
      // peek: a1, r0, r1. Acknowledging r0 removes r0 only: a1 was appended after it.
      outbox.ack(r0!.position);
      expect(ids(outbox.peek(10))).toEqual(['a1', 'r1']);
      // A data entry removes the alerts appended before it and the data entries up to it.
      outbox.append([rec('r2')]);
      const r2 = outbox.peek(10).at(-1)!;
      outbox.ack(r2.position);
      expect(outbox.peek(10)).toEqual([]);
      // Lower positions are a no-op.
      outbox.ack(r0!.position);
      outbox.ack(0);
      expect(outbox.stats()).toMatchObject({ pending: 0, appended: 5, acknowledged: 5 });
    });

    it('refuses to acknowledge a position never appended (RangeError) and a non-position (TypeError)', () => {
      const { outbox } = make();
      outbox.append([rec('r0')]);
      const last = outbox.peek(1)[0]!.position;
      expect(() => outbox.ack(last + 1)).toThrow(RangeError);
      expect(() => outbox.ack([last, last + 1])).toThrow(RangeError);
      expect(() => outbox.ack([1.5])).toThrow(RangeError);
      expect(() => outbox.ack('1' as never)).toThrow(TypeError);
      expect(outbox.stats().pending).toBe(1);
    });

    it('keeps positions increasing after the outbox was emptied', () => {
      const { outbox } = make();
      outbox.append([rec('r0'), rec('r1')]);
      const last = outbox.peek(2)[1]!.position;
      outbox.ack(last);
      expect(outbox.stats()).toMatchObject({ pending: 0, pendingBytes: 0 });
      outbox.append([rec('r2')]);
      expect(outbox.peek(1)[0]!.position).toBeGreaterThan(last);
    });

    it('counts payload bytes plus the per-entry overhead in stats, alerts apart', () => {
      const { outbox } = make({ maxBytes: 10_000 });
      outbox.append([rec('r0', 'reading', 'd', 10), rec('r1', 'alert', 'd', 100)]);
      expect(outbox.stats()).toEqual({
        pending: 2,
        pendingBytes: 110 + 2 * OUTBOX_ENTRY_OVERHEAD_BYTES,
        maxBytes: 10_000,
        pendingAlertBytes: 100 + OUTBOX_ENTRY_OVERHEAD_BYTES,
        maxAlertBytes: 10_000,
        appended: 2,
        acknowledged: 0,
        refused: 0,
        refusals: 0,
        shed: 0,
        alertsShed: 0,
        alertsRejected: 0,
      });
      const { outbox: other } = make({ maxBytes: 10_000, maxAlertBytes: 500 });
      expect(other.stats()).toMatchObject({ maxBytes: 10_000, maxAlertBytes: 500 });
    });

    it('rejects invalid bounds', () => {
      expect(() => factory({ maxBytes: 0, whenFull: 'refuse-new' }).open()).toThrow(RangeError);
      expect(() => factory({ maxBytes: 1000, whenFull: 'refuse-new', maxAlertBytes: 0 }).open()).toThrow(
        RangeError,
      );
      expect(() => factory({ maxBytes: 1000, whenFull: 'drop-all' as never }).open()).toThrow(TypeError);
    });

    it('throws store/closed after close', () => {
      const { outbox } = make();
      outbox.close();
      for (const call of [
        () => outbox.append([rec('r0')]),
        () => outbox.lease(1),
        () => outbox.release(),
        () => outbox.ack([1]),
      ]) {
        let err: unknown;
        try {
          call();
        } catch (e) {
          err = e;
        }
        expect(isHealthItError(err, 'store/closed')).toBe(true);
      }
    });

    describe('lease', () => {
      it('returns what peek returns', () => {
        const { outbox } = make();
        outbox.append([rec('r0'), rec('a0', 'alert'), rec('r1')]);
        expect(outbox.lease(2)).toEqual(outbox.peek(2));
        expect(outbox.lease(0)).toEqual([]);
        expect(outbox.stats().pending).toBe(3);
      });

      it('in-flight entries are never shed: the oldest entries not in flight go instead', () => {
        const { outbox } = make({ maxBytes: 3 * size(), whenFull: 'shed-oldest-readings' });
        outbox.append([rec('r0'), rec('r1'), rec('r2')]);
        const inFlight = outbox.lease(2);
        expect(ids(inFlight)).toEqual(['r0', 'r1']);
        expect(outbox.append([rec('r3'), rec('r4')]).shed).toBe(2);
        expect(ids(outbox.peek(10))).toEqual(['r0', 'r1', 'r4']);
        outbox.ack(inFlight.map((e) => e.position));
        expect(outbox.stats()).toMatchObject({ pending: 1, acknowledged: 2, shed: 2 });
        // Acknowledged, they no longer hold anything back.
        outbox.append([rec('r5'), rec('r6'), rec('r7')]);
        expect(ids(outbox.peek(10))).toEqual(['r5', 'r6', 'r7']);
      });

      it('release ends the lease, and the next lease replaces it', () => {
        const { outbox } = make({ maxBytes: 3 * size(), whenFull: 'shed-oldest-readings' });
        outbox.append([rec('r0'), rec('r1'), rec('r2')]);
        outbox.lease(2);
        outbox.release();
        outbox.release();
        expect(outbox.append([rec('r3')]).shed).toBe(1);
        expect(ids(outbox.peek(10))).toEqual(['r1', 'r2', 'r3']);
        outbox.lease(1); // r1 only: r2 is no longer in flight
        outbox.lease(3); // r1, r2, r3
        outbox.lease(1); // r1 again: r2 and r3 are released
        outbox.append([rec('r4'), rec('r5')]);
        expect(ids(outbox.peek(10))).toEqual(['r1', 'r4', 'r5']);
      });

      it('stays over maxBytes rather than shed an entry in flight', () => {
        const { outbox } = make({ maxBytes: 2 * size(), whenFull: 'shed-oldest-readings' });
        outbox.append([rec('r0'), rec('r1')]);
        outbox.lease(2);
        expect(outbox.append([rec('r2')]).shed).toBe(1);
        expect(ids(outbox.peek(10))).toEqual(['r0', 'r1']);
        expect(outbox.stats().pendingBytes).toBe(2 * size());
      });

      it('in-flight alerts are never dropped under the alert bound', () => {
        const { outbox } = make({ maxAlertBytes: 2 * alertSize });
        outbox.append([alertRec('a0', 'dev-1', 'spo2', 'high'), alertRec('a1', 'dev-1', 'spo2', 'high')]);
        const inFlight = outbox.lease(10);
        const r = outbox.append([alertRec('a2', 'dev-1', 'spo2', 'high')]);
        expect(drops(r.alertsDropped)).toEqual([['a2', 'no-room']]);
        outbox.ack(inFlight.map((e) => e.position));
        expect(outbox.append([alertRec('a3', 'dev-1', 'spo2', 'high')]).accepted).toBe(1);
      });
    });

    describe('when full, policy refuse-new', () => {
      it('refuses the readings that do not fit, in order, and every later non-alert of the call', () => {
        const { outbox } = make({ maxBytes: 3 * size(), whenFull: 'refuse-new' });
        const batch = [rec('r0'), rec('r1'), rec('r2'), rec('r3', 'reading', 'dev-1', 1), rec('e4', 'event')];
        const result = outbox.append(batch);
        expect(result.accepted).toBe(3);
        expect(ids(result.refused)).toEqual(['r3', 'e4']);
        expect(result.shed).toBe(0);
        expect(outbox.stats()).toMatchObject({
          pending: 3,
          refused: 2,
          refusals: 2,
          pendingBytes: 3 * size(),
        });
        expect(ids(outbox.peek(10))).toEqual(['r0', 'r1', 'r2']);
      });

      it('counts a record refused again (the same object) once in refused, every time in refusals', () => {
        const { outbox } = make({ maxBytes: 1 * size(), whenFull: 'refuse-new' });
        const { refused } = outbox.append([rec('r0'), rec('r1'), rec('r2')]);
        expect(refused).toHaveLength(2);
        outbox.append(refused);
        outbox.append([...refused, rec('r3')]);
        expect(outbox.stats()).toMatchObject({ refused: 3, refusals: 7, pending: 1 });
      });

      it('accepts alerts whatever the readings take, in their own bound, also after refusing readings of the call', () => {
        const { outbox } = make({ maxBytes: 2 * size(), whenFull: 'refuse-new', maxAlertBytes: 3 * size() });
        const result = outbox.append([
          rec('r0'),
          rec('r1'),
          rec('r2'),
          rec('a0', 'alert'),
          rec('a1', 'alert'),
        ]);
        expect(result.accepted).toBe(4);
        expect(ids(result.refused)).toEqual(['r2']);
        expect(ids(outbox.peek(10))).toEqual(['a0', 'a1', 'r0', 'r1']);
        expect(outbox.stats()).toMatchObject({ pendingBytes: 4 * size(), pendingAlertBytes: 2 * size() });
        expect(outbox.append([rec('a2', 'alert')]).accepted).toBe(1);
        expect(outbox.append([rec('r3')]).refused).toHaveLength(1);
        expect(outbox.stats()).toMatchObject({ pending: 5, refused: 2, shed: 0 });
      });

      it('alerts do not take room from readings', () => {
        const { outbox } = make({ maxBytes: 2 * size(), whenFull: 'refuse-new', maxAlertBytes: 5 * size() });
        outbox.append([rec('a0', 'alert'), rec('a1', 'alert'), rec('a2', 'alert')]);
        expect(outbox.append([rec('r0'), rec('r1')]).refused).toEqual([]);
      });

      it('accepts refused records again once acknowledgements made room', () => {
        const { outbox } = make({ maxBytes: 2 * size(), whenFull: 'refuse-new' });
        const { refused } = outbox.append([rec('r0'), rec('r1'), rec('r2')]);
        outbox.ack([outbox.peek(1)[0]!.position]);
        expect(outbox.append(refused)).toEqual({ accepted: 1, refused: [], shed: 0, alertsDropped: [] });
        expect(ids(outbox.peek(10))).toEqual(['r1', 'r2']);
      });
    });

    describe('when full, policy shed-oldest-readings', () => {
      it('sheds the oldest readings to fit, keeps the rest in order, and never refuses', () => {
        const { outbox } = make({ maxBytes: 3 * size(), whenFull: 'shed-oldest-readings' });
        outbox.append([rec('r0'), rec('r1'), rec('r2')]);
        const result = outbox.append([rec('r3'), rec('r4')]);
        expect(result).toEqual({ accepted: 2, refused: [], shed: 2, alertsDropped: [] });
        expect(ids(outbox.peek(10))).toEqual(['r2', 'r3', 'r4']);
        expect(outbox.stats()).toMatchObject({ pending: 3, pendingBytes: 3 * size(), shed: 2, refused: 0 });
      });

      it('sheds readings before other kinds, within a call too, and never an alert', () => {
        const { outbox } = make({
          maxBytes: 3 * size(),
          whenFull: 'shed-oldest-readings',
          maxAlertBytes: 10 * size(),
        });
        outbox.append([rec('a0', 'alert'), rec('e0', 'event'), rec('r0'), rec('c0', 'command-status')]);
        expect(ids(outbox.peek(10))).toEqual(['a0', 'e0', 'r0', 'c0']);
        outbox.append([rec('r1'), rec('r2')]);
        // Over by two: r0 then r1 go (readings first, oldest first); e0 and c0 stay.
        expect(ids(outbox.peek(10))).toEqual(['a0', 'e0', 'c0', 'r2']);
        outbox.append([rec('e1', 'event'), rec('a1', 'alert'), rec('a2', 'alert')]);
        // Over by one, one reading left: r2 goes. Alerts take nothing from maxBytes.
        expect(ids(outbox.peek(10))).toEqual(['a0', 'a1', 'a2', 'e0', 'c0', 'e1']);
        outbox.append([rec('c1', 'command')]);
        // No reading left: the oldest other record goes.
        expect(ids(outbox.peek(10))).toEqual(['a0', 'a1', 'a2', 'c0', 'e1', 'c1']);
        expect(outbox.stats()).toMatchObject({
          pending: 6,
          shed: 4,
          appended: 10,
          pendingAlertBytes: 3 * size(),
        });
      });

      it('keeps pending = appended − acknowledged − shed − alertsShed', () => {
        const { outbox } = make({ maxBytes: 10 * size(), whenFull: 'shed-oldest-readings' });
        for (let i = 0; i < 20; i++) {
          outbox.append([rec(`r${i}`), ...(i % 5 === 0 ? [rec(`a${i}`, 'alert')] : [])]);
          if (i % 3 === 0) outbox.ack([outbox.peek(1)[0]!.position]);
        }
        const s = outbox.stats();
        expect(s.shed).toBeGreaterThan(0);
        expect(s.pending).toBe(s.appended - s.acknowledged - s.shed - s.alertsShed);
      });
    });

    describe('the alert bound (maxAlertBytes)', () => {
      it('defaults to maxBytes', () => {
        const { outbox } = make({ maxBytes: 2 * alertSize });
        const r = outbox.append([
          alertRec('a0', 'd1', 'r', 'high'),
          alertRec('a1', 'd2', 'r', 'high'),
          alertRec('a2', 'd3', 'r', 'high'),
        ]);
        expect(drops(r.alertsDropped)).toEqual([['a2', 'no-room']]);
        expect(outbox.stats()).toMatchObject({
          maxAlertBytes: 2 * alertSize,
          pendingAlertBytes: 2 * alertSize,
        });
      });

      it('a flapping series: the oldest superseded alerts go, the newest stay; other series and readings are untouched', () => {
        const { outbox } = make({ maxAlertBytes: 3 * alertSize, maxBytes: 2 * size() });
        outbox.append([rec('r0'), alertRec('x0', 'dev-2', 'hr-high', 'medium')]);
        const results = [0, 1, 2, 3, 4].map((i) =>
          outbox.append([alertRec(`f${i}`, 'dev-1', 'spo2-low', 'high')]),
        );
        expect(results.map((r) => drops(r.alertsDropped))).toEqual([
          [],
          [],
          [['f0', 'superseded']],
          [['f1', 'superseded']],
          [['f2', 'superseded']],
        ]);
        expect(results.every((r) => r.accepted === 1)).toBe(true);
        // The dropped alert is reported as it was stored (with its position).
        expect((results[2]!.alertsDropped[0]!.record as OutboxEntry).position).toBeGreaterThan(0);
        expect(ids(outbox.peek(10))).toEqual(['x0', 'f3', 'f4', 'r0']);
        const s = outbox.stats();
        expect(s).toMatchObject({ alertsShed: 3, alertsRejected: 0, pendingAlertBytes: 3 * alertSize });
        expect(s.pending).toBe(s.appended - s.acknowledged - s.shed - s.alertsShed);
      });

      it('never drops an alert for a later one of lower severity in its series', () => {
        const { outbox } = make({ maxAlertBytes: 3 * alertSize });
        outbox.append([alertRec('c0', 'dev-1', 'spo2-low', 'critical')]);
        for (let i = 1; i <= 5; i++) outbox.append([alertRec(`h${i}`, 'dev-1', 'spo2-low', 'high')]);
        // c0 is not superseded by the less severe h*: only h1, h2, h3 went.
        expect(ids(outbox.peek(10))).toEqual(['c0', 'h4', 'h5']);
        // Already superseded alerts go first (h4, by h5); a newer critical then supersedes c0 and h5.
        let r = outbox.append([alertRec('c6', 'dev-1', 'spo2-low', 'critical')]);
        expect(drops(r.alertsDropped)).toEqual([['h4', 'superseded']]);
        expect(ids(outbox.peek(10))).toEqual(['c0', 'h5', 'c6']);
        r = outbox.append([alertRec('h7', 'dev-1', 'spo2-low', 'high')]);
        expect(drops(r.alertsDropped)).toEqual([['c0', 'superseded']]);
        expect(ids(outbox.peek(10))).toEqual(['h5', 'c6', 'h7']);
      });

      it('a new alert makes room by dropping the alerts of its series it supersedes', () => {
        const { outbox } = make({ maxAlertBytes: 2 * alertSize });
        outbox.append([alertRec('a0', 'dev-1', 'rr', 'medium'), alertRec('b0', 'dev-2', 'rr', 'high')]);
        const r = outbox.append([alertRec('a1', 'dev-1', 'rr', 'medium')]);
        expect(drops(r.alertsDropped)).toEqual([['a0', 'superseded']]);
        expect(ids(outbox.peek(10))).toEqual(['b0', 'a1']);
      });

      it('displaces the least severe alerts, oldest first, for a more severe one; rejects one no more severe than all', () => {
        const { outbox } = make({ maxAlertBytes: 3 * alertSize });
        outbox.append([
          alertRec('l0', 'dev-0', 'temp', 'low'),
          alertRec('l1', 'dev-1', 'temp', 'low'),
          alertRec('l2', 'dev-2', 'temp', 'low'),
        ]);
        let r = outbox.append([alertRec('h0', 'dev-3', 'spo2', 'high')]);
        expect(drops(r.alertsDropped)).toEqual([['l0', 'displaced']]);
        r = outbox.append([alertRec('l3', 'dev-4', 'temp', 'low')]);
        expect(r.accepted).toBe(0);
        expect(drops(r.alertsDropped)).toEqual([['l3', 'no-room']]);
        r = outbox.append([alertRec('m0', 'dev-5', 'hr', 'medium')]);
        expect(drops(r.alertsDropped)).toEqual([['l1', 'displaced']]);
        r = outbox.append([alertRec('x0', 'dev-6', 'news2', 'critical')]);
        expect(drops(r.alertsDropped)).toEqual([['l2', 'displaced']]);
        r = outbox.append([alertRec('x1', 'dev-7', 'news2', 'critical')]);
        // Least severe first: the medium goes before the (older) high.
        expect(drops(r.alertsDropped)).toEqual([['m0', 'displaced']]);
        r = outbox.append([alertRec('h1', 'dev-8', 'spo2', 'high')]);
        expect(drops(r.alertsDropped)).toEqual([['h1', 'no-room']]);
        expect(ids(outbox.peek(10))).toEqual(['h0', 'x0', 'x1']);
        const s = outbox.stats();
        expect(s).toMatchObject({ alertsShed: 4, alertsRejected: 2, appended: 7 });
        expect(s.pending).toBe(s.appended - s.acknowledged - s.shed - s.alertsShed);
      });

      it('does not drop anything for an alert it then cannot store', () => {
        const { outbox } = make({ maxAlertBytes: 2 * alertSize });
        outbox.append([alertRec('a0', 'dev-1', 'spo2', 'high'), alertRec('a1', 'dev-2', 'spo2', 'critical')]);
        // Room needs one alert; a0 (less severe) alone would do, so it is displaced.
        expect(drops(outbox.append([alertRec('a2', 'dev-3', 'spo2', 'critical')]).alertsDropped)).toEqual([
          ['a0', 'displaced'],
        ]);
        // Now two criticals: a high for dev-1 finds nothing to displace and nothing is dropped.
        expect(drops(outbox.append([alertRec('a3', 'dev-1', 'spo2', 'high')]).alertsDropped)).toEqual([
          ['a3', 'no-room'],
        ]);
        expect(ids(outbox.peek(10))).toEqual(['a1', 'a2']);
      });

      it('rejects an alert larger than the bound; an alert that is not Alert JSON counts as critical and of its own series', () => {
        const { outbox } = make({ maxAlertBytes: 2 * size() });
        let r = outbox.append([rec('big', 'alert', 'dev-1', 2 * size())]);
        expect(drops(r.alertsDropped)).toEqual([['big', 'no-room']]);
        r = outbox.append([rec('a0', 'alert'), rec('a1', 'alert'), rec('a2', 'alert')]);
        expect(drops(r.alertsDropped)).toEqual([['a2', 'no-room']]);
        expect(triageAlert(rec('a0', 'alert'))).toEqual({
          series: null,
          severity: ALERT_SEVERITIES.length - 1,
        });
        expect(outbox.stats()).toMatchObject({ pending: 2, alertsRejected: 2, alertsShed: 0 });
      });
    });

    if (durable) {
      it('replays from the first unacknowledged entries after reopening, lanes, positions and counters intact', () => {
        const { store, outbox } = make({ maxBytes: 4 * size(), whenFull: 'shed-oldest-readings' });
        outbox.append([rec('r0'), rec('r1'), rec('a0', 'alert'), rec('r2'), rec('r3')]);
        const before = outbox.peek(10);
        expect(ids(before)).toEqual(['a0', 'r0', 'r1', 'r2', 'r3']);
        outbox.ack([before[1]!.position]);
        outbox.append(outbox.append([rec('r4')]).refused);
        const after = outbox.peek(10);
        const stats = outbox.stats();
        outbox.close();
        const again = store.open();
        expect(again.peek(10)).toEqual(after.map((e) => ({ ...e, payload: expect.anything() })));
        expect(again.peek(10).map((e) => [...e.payload])).toEqual(after.map((e) => [...e.payload]));
        expect(again.stats()).toEqual(stats);
        again.append([rec('r5')]);
        expect(again.peek(10).at(-1)!.position).toBeGreaterThan(Math.max(...after.map((e) => e.position)));
        again.close();
      });

      it('keeps the in-flight mark and superseded alerts across a restart', () => {
        const { store, outbox } = make({
          maxBytes: 3 * size(),
          whenFull: 'shed-oldest-readings',
          maxAlertBytes: 2 * alertSize,
        });
        outbox.append([rec('r0'), rec('r1'), rec('r2')]);
        outbox.append([alertRec('f0', 'dev-1', 'spo2', 'high'), alertRec('f1', 'dev-1', 'spo2', 'high')]);
        expect(ids(outbox.lease(3))).toEqual(['f0', 'f1', 'r0']);
        outbox.close();
        const again = store.open();
        // r0 was in flight when the gateway stopped: it may have reached the platform.
        expect(again.append([rec('r3')]).shed).toBe(1);
        expect(ids(again.peek(10))).toEqual(['f0', 'f1', 'r0', 'r2', 'r3']);
        // f0 and f1 are in flight too: a new alert finds no room.
        expect(drops(again.append([alertRec('f2', 'dev-1', 'spo2', 'high')]).alertsDropped)).toEqual([
          ['f2', 'no-room'],
        ]);
        again.ack([1, 2, 3].map((i) => again.peek(3)[i - 1]!.position));
        again.append([alertRec('f3', 'dev-1', 'spo2', 'high'), alertRec('f4', 'dev-1', 'spo2', 'high')]);
        // f3 is superseded by f4, also after a restart.
        again.close();
        const third = store.open();
        expect(drops(third.append([alertRec('f5', 'dev-1', 'spo2', 'high')]).alertsDropped)).toEqual([
          ['f3', 'superseded'],
        ]);
        third.close();
      });
    }

    it('property: any interleaving of append/peek/lease/ack/reopen keeps the lanes in order, loses nothing unreported, and keeps the bounds', () => {
      type Op =
        | { op: 'append'; items: { kind: UplinkRecordKind; series: number; severity: number }[] }
        | { op: 'peek'; limit: number }
        | { op: 'lease'; limit: number }
        | { op: 'release' }
        | { op: 'ack'; take: number; skip: number }
        | { op: 'ack-number'; index: number }
        | { op: 'reopen' };
      const item = fc.record({
        kind: fc.constantFrom<UplinkRecordKind>('reading', 'reading', 'alert', 'event'),
        series: fc.integer({ min: 0, max: 2 }),
        severity: fc.integer({ min: 0, max: ALERT_SEVERITIES.length - 1 }),
      });
      const op: fc.Arbitrary<Op> = fc.oneof(
        fc.record({ op: fc.constant('append' as const), items: fc.array(item, { maxLength: 8 }) }),
        fc.record({ op: fc.constant('peek' as const), limit: fc.integer({ min: 0, max: 12 }) }),
        fc.record({ op: fc.constant('lease' as const), limit: fc.integer({ min: 0, max: 6 }) }),
        fc.constant({ op: 'release' as const }),
        fc.record({
          op: fc.constant('ack' as const),
          take: fc.integer({ min: 0, max: 8 }),
          skip: fc.integer({ min: 0, max: 2 }),
        }),
        fc.record({ op: fc.constant('ack-number' as const), index: fc.integer({ min: 0, max: 10 }) }),
        fc.constant({ op: 'reopen' as const }),
      );
      fc.assert(
        fc.property(
          fc.array(op, { maxLength: 30 }),
          fc.constantFrom<OutboxBounds['whenFull']>('refuse-new', 'shed-oldest-readings'),
          fc.integer({ min: 1, max: 12 }),
          fc.integer({ min: 1, max: 6 }),
          (ops, whenFull, capacity, alertCapacity) => {
            const maxAlertBytes = alertCapacity * alertSize;
            const store = factory({ maxBytes: capacity * size(), whenFull, maxAlertBytes });
            try {
              let outbox = store.open();
              // The model: what is stored (id → position and kind), in flight, and acknowledged.
              const stored = new Map<string, OutboxEntry>();
              const leased = new Set<string>();
              let acked = 0;
              let next = 0;
              let lastPosition = 0;
              const all = () => outbox.peek(1_000_000);
              const removeAcked = (gone: readonly string[]) => {
                for (const id of gone) {
                  stored.delete(id);
                  leased.delete(id);
                }
                acked += gone.length;
              };
              for (const o of ops) {
                if (o.op === 'append') {
                  const batch = o.items.map((x) =>
                    x.kind === 'alert'
                      ? alertRec(`alert-${next++}`, `dev-${x.series}`, 'rule', ALERT_SEVERITIES[x.severity]!)
                      : rec(`${x.kind}-${next++}`, x.kind),
                  );
                  const result = outbox.append(batch);
                  const refused = new Set(ids(result.refused));
                  const noRoom = new Set(
                    result.alertsDropped.filter((d) => d.reason === 'no-room').map((d) => d.record.id),
                  );
                  expect(result.accepted + refused.size + noRoom.size).toBe(batch.length);
                  for (const id of refused) expect(id.startsWith('alert')).toBe(false);
                  if (whenFull === 'shed-oldest-readings') expect(refused.size).toBe(0);
                  const entries = all();
                  const now = new Map(entries.map((e) => [e.id, e]));
                  for (const r of batch) {
                    if (refused.has(r.id) || noRoom.has(r.id)) expect(now.has(r.id)).toBe(false);
                    else stored.set(r.id, { ...r, position: 0 });
                  }
                  // Whatever is gone was reported: shed (non-alert) or dropped (alert); never in flight.
                  const gone = [...stored.keys()].filter((id) => !now.has(id));
                  const alertsGone = gone.filter((id) => id.startsWith('alert')).sort();
                  const reported = result.alertsDropped
                    .filter((d) => d.reason !== 'no-room')
                    .map((d) => d.record.id)
                    .sort();
                  expect(alertsGone).toEqual(reported);
                  expect(gone.length - alertsGone.length).toBe(result.shed);
                  for (const id of gone) {
                    expect(leased.has(id)).toBe(false);
                    stored.delete(id);
                  }
                  for (const e of entries) {
                    if (stored.get(e.id)?.position === 0) {
                      expect(e.position).toBeGreaterThan(lastPosition);
                      stored.set(e.id, e);
                    }
                  }
                  lastPosition = Math.max(lastPosition, ...entries.map((e) => e.position));
                } else if (o.op === 'peek') {
                  expect(ids(outbox.peek(o.limit))).toEqual(ids(all()).slice(0, o.limit));
                } else if (o.op === 'lease') {
                  const expected = ids(all()).slice(0, o.limit);
                  const got = outbox.lease(o.limit);
                  expect(ids(got)).toEqual(expected);
                  leased.clear();
                  for (const e of got) leased.add(e.id);
                } else if (o.op === 'release') {
                  outbox.release();
                  leased.clear();
                } else if (o.op === 'ack') {
                  const chosen = all().slice(o.skip, o.skip + o.take);
                  outbox.ack(chosen.map((e) => e.position));
                  removeAcked(ids(chosen));
                } else if (o.op === 'ack-number') {
                  const entries = all();
                  const target = entries[o.index] ?? entries.at(-1);
                  if (target !== undefined) {
                    const p = target.position;
                    const data = target.kind !== 'alert';
                    const expected = entries.filter((e) => e.position <= p && (data || e.kind === 'alert'));
                    // Never one that peek orders after the target.
                    const at = entries.indexOf(target);
                    for (const e of expected) expect(entries.indexOf(e)).toBeLessThanOrEqual(at);
                    outbox.ack(p);
                    removeAcked(ids(expected));
                  }
                } else if (durable) {
                  outbox.close();
                  outbox = store.open();
                }
                const entries = all();
                // The lanes: alerts by position, then the rest by position.
                const alerts = entries.filter((e) => e.kind === 'alert');
                const rest = entries.filter((e) => e.kind !== 'alert');
                expect(entries).toEqual([...alerts, ...rest]);
                for (const lane of [alerts, rest]) {
                  for (let i = 1; i < lane.length; i++) {
                    expect(lane[i]!.position).toBeGreaterThan(lane[i - 1]!.position);
                  }
                }
                expect(ids(entries).sort()).toEqual([...stored.keys()].sort());
                const s = outbox.stats();
                expect(s.pending).toBe(stored.size);
                expect(s.pending).toBe(s.appended - s.acknowledged - s.shed - s.alertsShed);
                expect(s.acknowledged).toBe(acked);
                expect(s.pendingAlertBytes).toBe(alerts.length * alertSize);
                expect(s.pendingAlertBytes).toBeLessThanOrEqual(maxAlertBytes);
                const dataBytes = rest.length * size();
                expect(s.pendingBytes).toBe(dataBytes + s.pendingAlertBytes);
                const leasedBytes = rest.filter((e) => leased.has(e.id)).length * size();
                expect(dataBytes).toBeLessThanOrEqual(Math.max(s.maxBytes, leasedBytes));
              }
              outbox.close();
            } finally {
              store.dispose();
            }
          },
        ),
        { numRuns: 80 },
      );
    });
  });
}
