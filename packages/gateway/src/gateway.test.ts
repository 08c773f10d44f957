import { Alert, createInProcessTransport, Reading, Topics, utf8Encode } from '@healthit/core';
import { createFakeClock } from '@healthit/core/testing';
import { describe, expect, it } from 'vitest';
import { envelopeBytes, reading } from '../test/fixtures.js';
import type { GatewayEvent } from './events.js';
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
    const events: GatewayEvent[] = [];
    const subs = [
      gw.readings$.subscribe((r) => readings.push(r)),
      gw.alerts$.subscribe((a) => alerts.push(a)),
      gw.events$.subscribe((e) => events.push(e)),
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
});
