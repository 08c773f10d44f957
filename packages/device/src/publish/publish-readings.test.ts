import {
  createIdentity,
  type DeviceId,
  type Envelope,
  envelopeJsonCodec,
  envelopePayload,
  isHealthItError,
  openEnvelope,
  READINGS_JSON,
  type Reading,
  readingsJsonCodec,
  sealEnvelope,
  signEnvelope,
  Topics,
  type Transport,
  type TransportMessage,
  verifyEnvelopeSignature,
} from '@healthit/core';
import { createFakeClock, createInProcessTransport } from '@healthit/core/testing';
import { from, lastValueFrom, Subject, take, tap, throwError, toArray, VirtualTimeScheduler } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { createWardSimulator } from '../simulator/ward-simulator.js';
import { type PublishEvent, publishReadings } from './publish-readings.js';

const START = Date.UTC(2025, 0, 1);

/** Lets pending promise callbacks (publishes and their settlements) run. */
function settle(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

/** A transport whose publishes wait until released: a slow broker. */
function gated(inner: Transport): { transport: Transport; waiting: () => number; release: () => void } {
  const queue: (() => void)[] = [];
  return {
    transport: {
      state$: inner.state$,
      subscribe: (filter) => inner.subscribe(filter),
      close: () => inner.close(),
      publish: (topic, payload, options) =>
        new Promise<void>((resolve, reject) => {
          queue.push(() => {
            inner.publish(topic, payload, options).then(resolve, reject);
          });
        }),
    },
    waiting: () => queue.length,
    release: () => {
      for (const go of queue.splice(0)) go();
    },
  };
}

function reading(device: string, seq: number, ts: number): Reading {
  return {
    id: `${device}:${seq}`,
    deviceId: device as DeviceId,
    metric: 'spo2',
    value: 97,
    unit: '%',
    ts,
    seq,
    quality: 'good',
  };
}

function decode(message: TransportMessage): { envelope: Envelope; readings: Reading[] } {
  const envelope = envelopeJsonCodec.decode(message.payload);
  return { envelope, readings: readingsJsonCodec.decode(envelopePayload(envelope)) };
}

describe('publishReadings over the in-process transport', () => {
  it('delivers one envelope per device per tick that decodes back to exactly the readings emitted', async () => {
    const transport = createInProcessTransport();
    const received: TransportMessage[] = [];
    transport.subscribe(Topics.allDeviceReadings).subscribe((m) => received.push(m));
    const scheduler = new VirtualTimeScheduler();
    const ward = createWardSimulator({ patients: 3, seed: 11, scheduler, startTs: START });
    const clock = createFakeClock(START + 5);
    const emitted: Reading[] = [];
    const done = lastValueFrom(
      ward.readings$.pipe(
        take(5 * 3 * 6),
        tap((r) => emitted.push(r)),
        publishReadings(transport, { clock }),
        toArray(),
      ),
    );
    scheduler.flush();
    const events = await done;

    expect(emitted).toHaveLength(90);
    expect(received).toHaveLength(15);
    const decoded = received.map(decode);
    expect(decoded.flatMap((d) => d.readings)).toEqual(emitted);
    const seqs = new Map<string, number[]>();
    for (const [i, { envelope, readings }] of decoded.entries()) {
      const device = readings[0]?.deviceId as string;
      expect(received[i]?.topic).toBe(Topics.deviceReadings(device));
      expect(readings).toHaveLength(6);
      expect(new Set(readings.map((r) => `${r.deviceId}@${r.ts}`)).size).toBe(1);
      expect(envelope).toMatchObject({ v: 1, source: device, contentType: READINGS_JSON, ts: START + 5 });
      expect(envelope.id).toBe(`${device}:${envelope.seq}`);
      seqs.set(device, [...(seqs.get(device) ?? []), envelope.seq]);
    }
    expect(Object.fromEntries(seqs)).toEqual({
      'monitor-001': [1, 2, 3, 4, 5],
      'monitor-002': [1, 2, 3, 4, 5],
      'monitor-003': [1, 2, 3, 4, 5],
    });
    expect(events.map((e) => e.type)).toEqual(Array.from({ length: 15 }, () => 'published'));
    expect(events.map((e) => (e.type === 'published' ? e.envelope : undefined))).toEqual(
      decoded.map((d) => d.envelope),
    );
    await transport.close();
  });

  it('starts each device at firstSeq and stamps the envelope with the clock', async () => {
    const transport = createInProcessTransport();
    const clock = createFakeClock(START);
    const events = await lastValueFrom(
      from([reading('a', 1, 10), reading('a', 2, 20), reading('b', 1, 20)]).pipe(
        publishReadings(transport, { firstSeq: 100, clock }),
        toArray(),
      ),
    );
    expect(
      events.map((e) => (e.type === 'published' ? `${e.envelope.id}@${e.envelope.ts}` : e.type)),
    ).toEqual([
      `a:100@${START}`,
      // b's batch overtakes a's second one, which waits for a's first: events come in completion order.
      `b:100@${START}`,
      `a:101@${START}`,
    ]);
  });
});

describe('publishReadings({ secure })', () => {
  it('signs each batch once with the device key (and can seal it) before it goes out', async () => {
    const transport = createInProcessTransport();
    const device = createIdentity({ id: 'a', kind: 'device' });
    const platform = createIdentity({ id: 'platform', kind: 'service' });
    const sent: TransportMessage[] = [];
    const sub = transport.subscribe('devices/+/readings').subscribe((m) => sent.push(m));
    await settle();
    const secure = (e: Envelope) =>
      signEnvelope(sealEnvelope(e, { id: 'platform', sealingKey: platform.sealing.publicKey }), {
        keyId: device.keyId,
        secretKey: device.signing.secretKey,
      });
    await lastValueFrom(
      from([reading('a', 1, 10), reading('a', 2, 20)]).pipe(
        publishReadings(transport, { secure }),
        toArray(),
      ),
    );
    await settle();
    expect(sent.length).toBeGreaterThan(0);
    const ids: string[] = [];
    for (const message of sent) {
      // one signature per envelope (a batch), verifying under the device key; sealed for the platform
      const envelope = envelopeJsonCodec.decode(message.payload);
      expect(verifyEnvelopeSignature(envelope, () => device.signing.publicKey).ok).toBe(true);
      const opened = openEnvelope(envelope, {
        id: 'platform',
        secretKey: platform.sealing.secretKey,
      }).envelope;
      ids.push(...readingsJsonCodec.decode(envelopePayload(opened)).map((r) => r.id));
    }
    expect(ids).toEqual(['a:1', 'a:2']);
    sub.unsubscribe();
  });

  it('a secure step that throws makes the batch publish-failed', async () => {
    const transport = createInProcessTransport();
    const events = await lastValueFrom(
      from([reading('a', 1, 10)]).pipe(
        publishReadings(transport, {
          secure: () => {
            throw new Error('key store locked');
          },
        }),
        toArray(),
      ),
    );
    expect(events.map((e) => e.type)).toEqual(['publish-failed']);
  });
});

describe('publishReadings failures', () => {
  it('reports every batch as publish-failed on a closed transport and still completes', async () => {
    const transport = createInProcessTransport();
    await transport.close();
    const events = await lastValueFrom(
      from([reading('a', 1, 10), reading('b', 1, 10), reading('a', 2, 20)]).pipe(
        publishReadings(transport),
        toArray(),
      ),
    );
    expect(events).toHaveLength(3);
    for (const event of events) {
      expect(event.type).toBe('publish-failed');
      if (event.type !== 'publish-failed') continue;
      expect(isHealthItError(event.error, 'transport/closed')).toBe(true);
      expect(event.envelope?.source).toBe(event.deviceId);
    }
  });

  it('keeps publishing after a failed publish, wrapping foreign errors as transport/publish-failed', async () => {
    const inner = createInProcessTransport();
    const received: TransportMessage[] = [];
    inner.subscribe(Topics.allDeviceReadings).subscribe((m) => received.push(m));
    let calls = 0;
    const boom = new Error('socket reset');
    const flaky: Transport = {
      state$: inner.state$,
      subscribe: (f) => inner.subscribe(f),
      close: () => inner.close(),
      publish: async (topic, payload, options) => {
        calls += 1;
        if (calls % 2 === 0) throw boom;
        await inner.publish(topic, payload, options);
      },
    };
    const source = [1, 2, 3, 4, 5].map((seq) => reading('mon-1', seq, seq * 1_000));
    const events = await lastValueFrom(from(source).pipe(publishReadings(flaky), toArray()));
    expect(events.map((e) => e.type)).toEqual([
      'published',
      'publish-failed',
      'published',
      'publish-failed',
      'published',
    ]);
    const failed = events[1] as Extract<PublishEvent, { type: 'publish-failed' }>;
    expect(failed.error.code).toBe('transport/publish-failed');
    expect(failed.error.retryable).toBe(true);
    expect(failed.error.cause).toBe(boom);
    expect(failed.error.message).toMatch(
      /1 readings of device "mon-1" to "devices\/mon-1\/readings" failed: socket reset/,
    );
    expect(failed.readings).toEqual([source[1]]);
    // Envelope seq stays strictly increasing per device; the failed ones are not reused.
    expect(received.map((m) => decode(m).envelope.seq)).toEqual([1, 3, 5]);
  });

  it('drops the oldest waiting batch with buffer/overflow when the queue is full', async () => {
    const { transport, release, waiting } = gated(createInProcessTransport());
    const events: PublishEvent[] = [];
    let completed = false;
    from(['d1', 'd2', 'd3', 'd4', 'd5'].map((d) => reading(d, 1, 1_000)))
      .pipe(publishReadings(transport, { maxInFlight: 1, maxQueuedBatches: 2 }))
      .subscribe({ next: (e) => events.push(e), complete: () => (completed = true) });
    expect(waiting()).toBe(1);
    expect(events.map((e) => `${e.type} ${e.deviceId}`)).toEqual(['batch-dropped d2', 'batch-dropped d3']);
    const dropped = events[0] as Extract<PublishEvent, { type: 'batch-dropped' }>;
    expect(dropped.error.code).toBe('buffer/overflow');
    expect(dropped.error.message).toMatch(/queue is full \(2 batches\)/);
    for (let i = 0; i < 5 && !completed; i++) {
      release();
      await settle();
    }
    expect(events.map((e) => `${e.type} ${e.deviceId}`)).toEqual([
      'batch-dropped d2',
      'batch-dropped d3',
      'published d1',
      'published d4',
      'published d5',
    ]);
    expect(completed).toBe(true);
  });

  it("never has two publishes of one device in flight, so each device's envelopes stay in order", async () => {
    const inner = createInProcessTransport();
    const received: TransportMessage[] = [];
    inner.subscribe(Topics.allDeviceReadings).subscribe((m) => received.push(m));
    const { transport, release, waiting } = gated(inner);
    const source = [
      reading('a', 1, 1),
      reading('b', 1, 1),
      reading('a', 2, 2),
      reading('b', 2, 2),
      reading('a', 3, 3),
      reading('c', 1, 3),
    ];
    const done = lastValueFrom(from(source).pipe(publishReadings(transport, { maxInFlight: 2 }), toArray()));
    expect(waiting()).toBe(2);
    for (let i = 0; i < 10 && received.length < 6; i++) {
      release();
      await settle();
    }
    await done;
    const order = received.map((m) => decode(m).envelope.id);
    expect(order.filter((id) => id.startsWith('a:'))).toEqual(['a:1', 'a:2', 'a:3']);
    expect(order.filter((id) => id.startsWith('b:'))).toEqual(['b:1', 'b:2']);
    expect(order).toHaveLength(6);
  });

  it('errors only when the source errors', async () => {
    const transport = createInProcessTransport();
    await expect(
      lastValueFrom(throwError(() => new Error('upstream')).pipe(publishReadings(transport))),
    ).rejects.toThrow('upstream');
  });

  it('stops publishing when unsubscribed', async () => {
    const { transport, release, waiting } = gated(createInProcessTransport());
    const source = new Subject<Reading>();
    const events: PublishEvent[] = [];
    const subscription = source
      .pipe(publishReadings(transport, { maxInFlight: 1 }))
      .subscribe((e) => events.push(e));
    source.next(reading('a', 1, 1));
    source.next(reading('b', 1, 1));
    await settle();
    expect(waiting()).toBe(1);
    subscription.unsubscribe();
    release();
    await settle();
    expect(waiting()).toBe(0);
    expect(events).toEqual([]);
  });

  it('rejects options out of range', () => {
    const transport = createInProcessTransport();
    expect(() => publishReadings(transport, { firstSeq: -1 })).toThrow(/firstSeq/);
    expect(() => publishReadings(transport, { maxQueuedBatches: 0 })).toThrow(
      /maxQueuedBatches must be an integer >= 1/,
    );
    expect(() => publishReadings(transport, { maxInFlight: 1.5 })).toThrow(RangeError);
    expect(() => publishReadings(transport, { qos: 3 as 1 })).toThrow(/qos/);
    expect(() => publishReadings(transport, { maxBatchSize: 0 })).toThrow(/maxBatchSize/);
  });
});
