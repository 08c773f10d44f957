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
import { envelopeBytes, reading } from '../test/fixtures.js';
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
});
