import { isHealthItError } from '@healthit/core';
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import { dedupeRecords } from './dedupe-records.js';
import { createInProcessUplink } from './in-process-uplink.js';
import type { UplinkRecord, UplinkState } from './uplink.js';

const rec = (id: string): UplinkRecord => ({ id, kind: 'reading', key: 'd', payload: new Uint8Array([1]) });

describe('createInProcessUplink', () => {
  it('delivers records in order to every subscriber and acknowledges all of them', async () => {
    const uplink = createInProcessUplink();
    const a: string[] = [];
    const b: string[] = [];
    uplink.received$.subscribe((r) => a.push(r.id));
    uplink.received$.subscribe((r) => b.push(r.id));
    expect(await uplink.send([rec('1'), rec('2')])).toBe(2);
    expect(a).toEqual(['1', '2']);
    expect(b).toEqual(['1', '2']);
  });

  it('delivers nothing and acknowledges 0 while down; state$ replays and reports changes', async () => {
    const uplink = createInProcessUplink();
    const states: UplinkState[] = [];
    uplink.state$.subscribe((s) => states.push(s));
    const got: string[] = [];
    uplink.received$.subscribe((r) => got.push(r.id));
    uplink.setState('down');
    uplink.setState('down');
    expect(await uplink.send([rec('1')])).toBe(0);
    uplink.setState('up');
    expect(await uplink.send([rec('1')])).toBe(1);
    expect(got).toEqual(['1']);
    expect(states).toEqual(['up', 'down', 'up']);
  });

  it('acknowledges at most maxRecordsPerSend, and loses acknowledgements on request', async () => {
    const uplink = createInProcessUplink({ maxRecordsPerSend: 2 });
    const got: string[] = [];
    uplink.received$.subscribe((r) => got.push(r.id));
    expect(await uplink.send([rec('1'), rec('2'), rec('3')])).toBe(2);
    uplink.loseAcknowledgements(1);
    expect(await uplink.send([rec('3')])).toBe(0);
    expect(await uplink.send([rec('3')])).toBe(1);
    expect(got).toEqual(['1', '2', '3', '3']);
  });

  it('loses a delayed acknowledgement when the uplink goes down before it arrives (virtual time)', async () => {
    const scheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
    let cut: Promise<number> | undefined;
    let kept: Promise<number> | undefined;
    const delivered: [number, string][] = [];
    scheduler.run(({ flush }) => {
      const uplink = createInProcessUplink({ ackDelayMs: 10, scheduler });
      uplink.received$.subscribe((r) => delivered.push([scheduler.now(), r.id]));
      cut = uplink.send([rec('1')]); // delivered at 0, acknowledgement due at 10
      scheduler.schedule(() => uplink.setState('down'), 5);
      scheduler.schedule(() => uplink.setState('up'), 6);
      scheduler.schedule(() => {
        kept = uplink.send([rec('2')]); // delivered at 7, acknowledgement at 17
      }, 7);
      flush();
    });
    expect(delivered).toEqual([
      [0, '1'],
      [7, '2'],
    ]);
    expect(await cut).toBe(0);
    expect(await kept).toBe(1);
  });

  it('rejects sends after close with transport/closed and completes its streams', async () => {
    const uplink = createInProcessUplink();
    let completed = false;
    uplink.received$.subscribe({ complete: () => (completed = true) });
    await uplink.close();
    expect(completed).toBe(true);
    const err = await uplink.send([rec('1')]).catch((e: unknown) => e);
    expect(isHealthItError(err, 'transport/closed')).toBe(true);
  });
});

describe('dedupeRecords', () => {
  it('drops redelivered ids (marbles)', () => {
    new TestScheduler((actual, expected) => expect(actual).toEqual(expected)).run(
      ({ cold, expectObservable }) => {
        const values = { a: rec('a'), b: rec('b'), c: rec('c') };
        const source = cold('a-b-a-c-b-c|', values);
        expectObservable(source.pipe(dedupeRecords())).toBe('a-b---c----|', values);
      },
    );
  });

  it('forgets the oldest ids beyond maxIds (bounded window)', () => {
    new TestScheduler((actual, expected) => expect(actual).toEqual(expected)).run(
      ({ cold, expectObservable }) => {
        const values = { a: rec('a'), b: rec('b'), c: rec('c') };
        const source = cold('abcca|', values);
        // With room for two ids, 'a' is forgotten when 'c' arrives: its late redelivery passes.
        expectObservable(source.pipe(dedupeRecords({ maxIds: 2 }))).toBe('abc-a|', values);
      },
    );
    expect(() => dedupeRecords({ maxIds: 0 })).toThrow(RangeError);
  });
});
