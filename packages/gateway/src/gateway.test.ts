import {
  Alert,
  type ChannelDecoder,
  createInProcessTransport,
  HealthItError,
  Reading,
  readingId,
  Topics,
  utf8Decode,
  utf8Encode,
} from '@healthit/core';
import { createFakeClock } from '@healthit/core/testing';
import { describe, expect, it } from 'vitest';
import { envelopeBytes, reading, T0 } from '../test/fixtures.js';
import type { AcquisitionEvent } from './events.js';
import { createGateway } from './gateway.js';

describe('createGateway', () => {
  it('accepts valid readings, refuses bad input as events, raises alerts, and keeps running', async () => {
    const transport = createInProcessTransport();
    const gw = createGateway({
      transport,
      clock: createFakeClock(5000),
      rules: [{ id: 'spo2-low', metric: 'spo2', below: 92, severity: 'high' }],
    });
    const readings: Reading[] = [];
    const alerts: Alert[] = [];
    const events: AcquisitionEvent[] = [];
    const subs = [
      gw.readings$.subscribe((r) => readings.push(r)),
      gw.alerts$.subscribe((a) => alerts.push(a)),
      gw.events$.subscribe((e) => events.push(e as AcquisitionEvent)),
    ];
    const topic = Topics.deviceReadings('mon-1');
    await transport.publish(topic, envelopeBytes('mon-1', 1, [reading('mon-1', 1, 'spo2', 97, '%')]));
    await transport.publish(topic, utf8Encode('garbage'));
    await transport.publish(topic, envelopeBytes('mon-1', 2, [reading('mon-1', 1, 'spo2', 97, '%')])); // duplicate
    await transport.publish(
      topic,
      envelopeBytes('mon-1', 3, [
        reading('mon-1', 2, 'body-temperature', 101.3, '[degF]'),
        reading('mon-1', 3, 'spo2', 89, '%'),
      ]),
    );
    await transport.publish(
      topic,
      envelopeBytes('mon-1', 4, [reading('mon-1', 4, 'heart-rate', 1000, '/min')]),
    );

    expect(readings.map((r) => r.id)).toEqual(['mon-1:1', 'mon-1:2', 'mon-1:3']);
    expect(readings[1]).toMatchObject({ unit: 'Cel' });
    expect(readings[1]?.value).toBeCloseTo(38.5, 10);
    expect(events.map((e) => e.type)).toEqual(['message-rejected', 'reading-duplicate', 'reading-rejected']);
    expect(alerts).toHaveLength(1);
    expect(Alert.parse(alerts[0])).toMatchObject({ readingIds: ['mon-1:3'], severity: 'high', ts: 5000 });
    for (const r of readings) expect(Reading.parse(r)).toEqual(r);
    for (const s of subs) s.unsubscribe();
    await transport.close();
  });

  it('is cold: nothing is subscribed on the transport until an output is', async () => {
    const transport = createInProcessTransport();
    const gw = createGateway({ transport });
    await transport.publish(
      Topics.deviceReadings('mon-1'),
      envelopeBytes('mon-1', 1, [reading('mon-1', 1, 'spo2', 97, '%')]),
    );
    const got: Reading[] = [];
    const sub = gw.readings$.subscribe((r) => got.push(r));
    expect(got).toEqual([]);
    await transport.publish(
      Topics.deviceReadings('mon-1'),
      envelopeBytes('mon-1', 2, [reading('mon-1', 2, 'spo2', 96, '%')]),
    );
    expect(got.map((r) => r.id)).toEqual(['mon-1:2']);
    sub.unsubscribe();
  });

  it('names the implicit input "default" in its events', async () => {
    const transport = createInProcessTransport();
    const events: AcquisitionEvent[] = [];
    const sub = createGateway({ transport }).events$.subscribe((e) => events.push(e as AcquisitionEvent));
    await transport.publish(Topics.deviceReadings('mon-1'), utf8Encode('garbage'));
    expect(events).toMatchObject([
      { type: 'message-rejected', inputName: 'default', topic: 'devices/mon-1/readings' },
    ]);
    sub.unsubscribe();
  });

  /** "metric value seq" → one reading of the topic's device: a stand-in for a device codec. */
  const text: ChannelDecoder = {
    name: 'text',
    requiredParams: ['deviceId'],
    decode(bytes, { params, receivedAt }) {
      const [metric, value, seq] = utf8Decode(bytes).split(' ');
      if (seq === undefined) throw new HealthItError('codec/decode', 'text: expected "metric value seq"');
      const deviceId = params.deviceId as string;
      return {
        readings: [
          Reading.parse({
            id: readingId(deviceId, Number(seq)),
            deviceId,
            metric,
            value: Number(value),
            unit: metric === 'spo2' ? '%' : '/min',
            ts: receivedAt,
            seq: Number(seq),
          }),
        ],
      };
    },
  };

  it('acquires from several inputs on several transports, each with its decoder, de-duplicating across them', async () => {
    const mqtt = createInProcessTransport();
    const bridge = createInProcessTransport();
    const gw = createGateway({
      transports: { mqtt, bridge },
      decoders: { text },
      clock: createFakeClock(7000),
      inputs: [
        { name: 'json', transport: 'mqtt', topicFilter: 'devices/{deviceId}/readings', decoder: 'envelope' },
        { name: 'raw', transport: 'bridge', topicFilter: 'raw/{deviceId}', decoder: 'text' },
        { name: 'raw-too', transport: bridge, topicFilter: 'raw2/{deviceId}', decoder: text },
      ],
    });
    const readings: Reading[] = [];
    const events: AcquisitionEvent[] = [];
    const subs = [
      gw.readings$.subscribe((r) => readings.push(r)),
      gw.events$.subscribe((e) => events.push(e as AcquisitionEvent)),
    ];
    await mqtt.publish(
      Topics.deviceReadings('mon-1'),
      envelopeBytes('mon-1', 1, [reading('mon-1', 1, 'spo2', 97, '%')]),
    );
    await bridge.publish('raw/ox-1', utf8Encode('spo2 95 10'));
    await bridge.publish('raw/ox-1', utf8Encode('spo2 95'));
    await bridge.publish('raw2/ox-1', utf8Encode('spo2 95 10')); // same device and seq, other input
    await bridge.publish('raw/ox-1', utf8Encode('heart-rate 900 11')); // implausible
    await mqtt.publish(
      Topics.deviceReadings('mon-2'),
      envelopeBytes('mon-9', 1, [reading('mon-9', 1, 'spo2', 97, '%')]),
    );
    await bridge.publish('raw/ox-1', utf8Encode('heart-rate 90 12'));

    expect(readings.map((r) => [r.id, r.ts])).toEqual([
      ['mon-1:1', reading('mon-1', 1, 'spo2', 97, '%').ts],
      ['ox-1:10', 7000],
      ['ox-1:12', 7000],
    ]);
    expect(events.map((e) => [e.type, e.inputName, e.topic])).toEqual([
      ['message-rejected', 'raw', 'raw/ox-1'],
      ['reading-duplicate', 'raw-too', 'raw2/ox-1'],
      ['reading-rejected', 'raw', 'raw/ox-1'],
      ['message-rejected', 'json', 'devices/mon-2/readings'],
    ]);
    for (const s of subs) s.unsubscribe();
  });

  it('is cold per input and shares one subscription per input among its outputs', async () => {
    const bridge = createInProcessTransport();
    let subscribes = 0;
    const counting = {
      ...bridge,
      subscribe: (filter: string) => {
        subscribes++;
        return bridge.subscribe(filter);
      },
    };
    const gw = createGateway({
      inputs: [{ name: 'raw', transport: counting, topicFilter: 'raw/{deviceId}', decoder: text }],
    });
    expect(subscribes).toBe(0);
    const subs = [gw.readings$.subscribe(), gw.events$.subscribe(), gw.alerts$.subscribe()];
    expect(subscribes).toBe(1);
    for (const s of subs) s.unsubscribe();
  });

  it('multicasts readings$ as share() does: in turn, late subscribers from then on, reconnecting', async () => {
    const bus = createInProcessTransport();
    let subscribes = 0;
    const counting = {
      ...bus,
      subscribe: (filter: string) => {
        subscribes++;
        return bus.subscribe(filter);
      },
    };
    const gw = createGateway({ transport: counting });
    const topic = Topics.deviceReadings('mon-1');
    const publish = (seq: number) =>
      bus.publish(
        topic,
        envelopeBytes('mon-1', seq, [
          reading('mon-1', seq, 'spo2', 97, '%'),
          reading('mon-1', seq + 1, 'spo2', 96, '%'),
        ]),
      );
    const log: string[] = [];
    const a = gw.readings$.subscribe((r) => log.push(`a${r.seq}`));
    await publish(1);
    const b = gw.readings$.subscribe((r) => log.push(`b${r.seq}`));
    await publish(3);
    expect(log).toEqual(['a1', 'a2', 'a3', 'b3', 'a4', 'b4']);
    expect(subscribes).toBe(1);
    a.unsubscribe();
    b.unsubscribe();
    await publish(5); // nobody listens: not delivered
    let completed = false;
    const c = gw.readings$.subscribe({
      next: (r) => log.push(`c${r.seq}`),
      complete: () => {
        completed = true;
      },
    });
    expect(subscribes).toBe(2);
    await publish(7);
    await bus.close();
    expect(log.slice(6)).toEqual(['c7', 'c8']);
    expect(completed).toBe(true);
    c.unsubscribe();
  });

  it('refuses the single-transport options together with inputs, and neither transport nor inputs', () => {
    const transport = createInProcessTransport();
    expect(() =>
      createGateway({
        transport,
        topicFilter: 'x/+',
        inputs: [{ name: 'a', topicFilter: 'a/{deviceId}', decoder: text }],
      }),
    ).toThrow(/`topicFilter` applies only without `inputs`/);
    expect(() => createGateway({})).toThrow(/needs a `transport` or `inputs`/);
    expect(() =>
      createGateway({ inputs: [{ name: 'a', transport, topicFilter: 'a/+', decoder: text }] }),
    ).toThrow(/needs the topic level\(s\) \{deviceId\}/);
  });

  it('accepts a reading that arrives after a newer one once (reading-late), drops repeats (reading-duplicate) and refuses seqs below the window (reading-too-old)', async () => {
    const transport = createInProcessTransport();
    const gw = createGateway({ transport, sequenceWindow: 32 });
    const readings: Reading[] = [];
    const events: AcquisitionEvent[] = [];
    const subs = [
      gw.readings$.subscribe((r) => readings.push(r)),
      gw.events$.subscribe((e) => events.push(e as AcquisitionEvent)),
    ];
    const topic = Topics.deviceReadings('mon-1');
    const send = (envSeq: number, seq: number) =>
      transport.publish(topic, envelopeBytes('mon-1', envSeq, [reading('mon-1', seq, 'spo2', 97, '%')]));
    await send(1, 1);
    await send(2, 3);
    await send(3, 2); // late: accepted
    await send(4, 2); // now a duplicate
    await send(5, 40);
    await send(6, 8); // 40 - 8 ≥ 32: too old to tell
    await send(7, 9); // the oldest seq still judged: accepted
    expect(readings.map((r) => r.seq)).toEqual([1, 3, 2, 40, 9]);
    expect(events).toEqual([
      { type: 'reading-late', inputName: 'default', topic, readingId: 'mon-1:2', seq: 2, lastSeq: 3 },
      { type: 'reading-duplicate', inputName: 'default', topic, readingId: 'mon-1:2', lastSeq: 3 },
      {
        type: 'reading-too-old',
        inputName: 'default',
        topic,
        readingId: 'mon-1:8',
        seq: 8,
        lastSeq: 40,
        window: 32,
      },
      { type: 'reading-late', inputName: 'default', topic, readingId: 'mon-1:9', seq: 9, lastSeq: 40 },
    ]);
    for (const s of subs) s.unsubscribe();
    expect(() => createGateway({ transport, sequenceWindow: 100 })).toThrow(RangeError);
  });

  it('rate limits per device: the excess is dropped with one reading-rate-limited event per message, feeds no rule, and others are unaffected', async () => {
    const transport = createInProcessTransport();
    const clock = createFakeClock(T0);
    const gw = createGateway({
      transport,
      clock,
      rules: [{ id: 'spo2-low', metric: 'spo2', below: 92, severity: 'high' }],
      rateLimit: {
        readingsPerSecond: 2,
        burst: 3,
        perDevice: (id) => (id === 'pump-1' ? null : undefined),
      },
    });
    const readings: Reading[] = [];
    const alerts: Alert[] = [];
    const events: AcquisitionEvent[] = [];
    const subs = [
      gw.readings$.subscribe((r) => readings.push(r)),
      gw.alerts$.subscribe((a) => alerts.push(a)),
      gw.events$.subscribe((e) => events.push(e as AcquisitionEvent)),
    ];
    const batch = (dev: string, envSeq: number, seqs: number[], value = 97) =>
      transport.publish(
        Topics.deviceReadings(dev),
        envelopeBytes(
          dev,
          envSeq,
          seqs.map((s) => reading(dev, s, 'spo2', value, '%')),
        ),
      );
    await batch('flood-1', 1, [1, 2, 3, 4, 5]); // burst 3: 4 and 5 dropped
    await batch('mon-1', 1, [1, 2, 3]);
    await batch('flood-1', 2, [6], 80); // no token: a low SpO2 that raises no alert
    await batch('pump-1', 1, [1, 2, 3, 4, 5, 6]); // unlimited
    clock.advance(500); // one token
    await batch('flood-1', 3, [7, 8]); // 8 dropped
    await batch('flood-1', 4, [4]); // no token yet: dropped again
    clock.advance(500);
    await batch('flood-1', 5, [4]); // a dropped seq sent again with a token: accepted (late)
    clock.advance(10_000);
    await batch('flood-1', 6, [4]); // now it was seen: a duplicate, which takes no token

    const seqsOf = (dev: string) => readings.filter((r) => r.deviceId === dev).map((r) => r.seq);
    expect(seqsOf('flood-1')).toEqual([1, 2, 3, 7, 4]);
    expect(seqsOf('mon-1')).toEqual([1, 2, 3]);
    expect(seqsOf('pump-1')).toEqual([1, 2, 3, 4, 5, 6]);
    expect(alerts).toEqual([]);
    const limited = events.filter((e) => e.type === 'reading-rate-limited');
    expect(limited).toEqual([
      {
        type: 'reading-rate-limited',
        inputName: 'default',
        topic: 'devices/flood-1/readings',
        deviceId: 'flood-1',
        count: 2,
        readingIds: ['flood-1:4', 'flood-1:5'],
        droppedTotal: 2,
        readingsPerSecond: 2,
        burst: 3,
      },
      expect.objectContaining({ count: 1, readingIds: ['flood-1:6'], droppedTotal: 3 }),
      expect.objectContaining({ count: 1, readingIds: ['flood-1:8'], droppedTotal: 4 }),
      expect.objectContaining({ count: 1, readingIds: ['flood-1:4'], droppedTotal: 5 }),
    ]);
    expect(events.filter((e) => e.type !== 'reading-rate-limited')).toEqual([
      expect.objectContaining({ type: 'reading-late', readingId: 'flood-1:4', lastSeq: 7 }),
      expect.objectContaining({ type: 'reading-duplicate', readingId: 'flood-1:4' }),
    ]);
    for (const s of subs) s.unsubscribe();
  });

  it('errors its outputs when perDevice gives an invalid limit (a configuration error)', async () => {
    const transport = createInProcessTransport();
    const gw = createGateway({
      transport,
      rateLimit: { readingsPerSecond: 1, burst: 1, perDevice: () => ({ readingsPerSecond: -1, burst: 1 }) },
    });
    let failure: unknown;
    gw.readings$.subscribe({ error: (e: unknown) => (failure = e) });
    await transport.publish(
      Topics.deviceReadings('mon-1'),
      envelopeBytes('mon-1', 1, [reading('mon-1', 1, 'spo2', 97, '%')]),
    );
    expect(failure).toBeInstanceOf(RangeError);
    expect(String(failure)).toMatch(/perDevice\(mon-1\)/);
  });

  it('refuses an invalid rate limit when created', () => {
    const transport = createInProcessTransport();
    expect(() => createGateway({ transport, rateLimit: { readingsPerSecond: 0, burst: 1 } })).toThrow(
      RangeError,
    );
    expect(() =>
      createGateway({ transport, rateLimit: { readingsPerSecond: 1, burst: 1, maxDevices: 0 } }),
    ).toThrow(RangeError);
  });
});
