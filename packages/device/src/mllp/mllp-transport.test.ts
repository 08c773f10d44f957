import { createInProcessTransport, METRICS, Reading, readingId, type TransportMessage } from '@healthit/core';
import { describeTransportConformance } from '@healthit/core/testing';
import { describe, expect, it } from 'vitest';
import { buildOruR01 } from '../hl7v2/build-oru.js';
import { decodeHl7Bytes } from '../hl7v2/charset.js';
import { createMllpClient } from './client.js';
import { createMllpTransport } from './mllp-transport.js';

const T = Date.UTC(2025, 0, 1, 12);

function oru(controlId: string, value = 97): string {
  const r = Reading.parse({
    id: readingId('mon-1', 1),
    deviceId: 'mon-1',
    patientId: 'P-1',
    metric: 'spo2',
    value,
    unit: METRICS.spo2.unit,
    ts: T,
    seq: 1,
  });
  return buildOruR01([r], { controlId, timestamp: T, sendingApplication: 'MON', receivingApplication: 'GW' });
}

async function started(options: Parameters<typeof createMllpTransport>[0] = {}) {
  const mllp = createMllpTransport({ port: 0, clock: { now: () => T }, ...options });
  const states: string[] = [];
  mllp.state$.subscribe((s) => states.push(s));
  const { port } = await mllp.server.listen();
  const client = createMllpClient({ host: '127.0.0.1', port, timeoutMs: 5000 });
  return { mllp, client, states };
}

describe('createMllpTransport', () => {
  it('delivers each message on mllp/<remote> and acknowledges AA once a subscriber took it', async () => {
    const { mllp, client, states } = await started();
    const got: TransportMessage[] = [];
    const sub = mllp.subscribe('mllp/+').subscribe((m) => got.push(m));
    const ack = await client.send(oru('C-1'));
    expect(ack).toMatchObject({ code: 'AA', controlId: 'C-1' });
    expect(got).toHaveLength(1);
    expect(got[0]?.topic).toMatch(/^mllp\/(::ffff:)?127\.0\.0\.1$/);
    expect(got[0]?.retained).toBe(false);
    expect(decodeHl7Bytes(got[0]?.payload as Uint8Array)).toBe(oru('C-1'));
    sub.unsubscribe();
    await client.close();
    await mllp.close();
    expect(states).toEqual(['connecting', 'connected', 'closed']);
  });

  it('answers AR (ERR 207, "resend later") while no subscription matches, and AA again once one does', async () => {
    const { mllp, client } = await started({ topic: (m) => `mllp/${m.header.sendingApplication}` });
    const before = await client.send(oru('C-1'));
    expect(before.code).toBe('AR');
    expect(before.errors[0]).toMatchObject({ hl7ErrorCode: '207' });
    expect(before.text).toMatch(/no consumer/);
    const other = mllp.subscribe('mllp/OTHER').subscribe();
    expect((await client.send(oru('C-2'))).code).toBe('AR');
    const got: string[] = [];
    const sub = mllp.subscribe('mllp/MON').subscribe((m) => got.push(m.topic));
    expect((await client.send(oru('C-3'))).code).toBe('AA');
    sub.unsubscribe();
    expect((await client.send(oru('C-4'))).code).toBe('AR');
    expect(got).toEqual(['mllp/MON']);
    other.unsubscribe();
    await client.close();
    await mllp.close();
  });

  it('answers AE when the topic function gives no valid topic', async () => {
    const { mllp, client } = await started({ topic: () => 'mllp/#' });
    const sub = mllp.subscribe('#').subscribe();
    const ack = await client.send(oru('C-1'));
    expect(ack.code).toBe('AE');
    expect(ack.errors[0]?.message).toMatch(/no topic for this message.*wildcard/);
    sub.unsubscribe();
    await client.close();
    await mllp.close();
  });

  it('publishes locally, completes subscriptions on close, and refuses to publish after', async () => {
    const mllp = createMllpTransport({ port: 0 });
    const got: string[] = [];
    let completed = false;
    mllp
      .subscribe('replay/#')
      .subscribe({ next: (m) => got.push(m.topic), complete: () => (completed = true) });
    await mllp.publish('replay/a', Uint8Array.of(1));
    expect(got).toEqual(['replay/a']);
    await mllp.close();
    await mllp.close();
    expect(completed).toBe(true);
    await expect(mllp.publish('replay/a', Uint8Array.of(1))).rejects.toMatchObject({
      code: 'transport/closed',
    });
    // Same shape as any transport: usable wherever one is expected.
    expect(Object.keys(createInProcessTransport()).every((k) => k in mllp)).toBe(true);
  });
});

// Its local side (publish, subscribe, retained messages, close) behaves as every transport must.
describeTransportConformance('mllp (local side)', async () => {
  const t = createMllpTransport({ port: 0 });
  await t.server.listen();
  return { publisher: t, subscriber: t, dispose: () => t.close() };
});
