import { connect, type Socket } from 'node:net';
import { HealthItError, METRICS, Reading, readingId } from '@healthit/core';
import { filter, firstValueFrom, type Observable, take, toArray } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import { type Hl7Ack, readAck } from '../hl7v2/ack.js';
import { buildOruR01 } from '../hl7v2/build-oru.js';
import { Hl7ParseError, Hl7UnsupportedMessageError } from '../hl7v2/errors.js';
import type { Hl7Message } from '../hl7v2/message.js';
import { oruToReadings } from '../hl7v2/oru-to-readings.js';
import { parseHl7 } from '../hl7v2/parse.js';
import { createMllpClient } from './client.js';
import { createMllpFrameDecoder, encodeMllpFrame } from './frame.js';
import { createMllpServer, type MllpServer, type MllpServerEvent, type MllpServerOptions } from './server.js';

const T = Date.UTC(2025, 0, 1, 12);
const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);
const frame = (s: string): Uint8Array => encodeMllpFrame(utf8(s));

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
    quality: 'good',
  });
  return buildOruR01([r], {
    controlId,
    timestamp: T,
    sendingApplication: 'MON',
    receivingApplication: 'HIS',
  });
}

const servers: MllpServer[] = [];
const sockets: Socket[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function start(
  options: Partial<MllpServerOptions> = {},
): Promise<{ server: MllpServer; port: number; events: MllpServerEvent[] }> {
  const server = createMllpServer({
    port: 0,
    onMessage: () => undefined,
    clock: { now: () => T },
    ...options,
  });
  servers.push(server);
  const events: MllpServerEvent[] = [];
  server.events$.subscribe((e) => events.push(e));
  const { port } = await server.listen();
  return { server, port, events };
}

function open(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port }, () => resolve(s));
    s.once('error', reject);
    sockets.push(s);
  });
}

/** Writes bytes on a raw socket and resolves with the next `count` acknowledgements. */
function exchange(
  socket: Socket,
  bytes: Uint8Array | readonly Uint8Array[],
  count: number,
): Promise<Hl7Ack[]> {
  return new Promise((resolve, reject) => {
    const decoder = createMllpFrameDecoder();
    const acks: Hl7Ack[] = [];
    const onData = (chunk: Buffer): void => {
      for (const e of decoder.push(chunk)) {
        if (e.type !== 'frame') {
          reject(new Error(`unexpected ${e.type}`));
          return;
        }
        acks.push(readAck(parseHl7(new TextDecoder().decode(e.payload))));
        if (acks.length === count) {
          socket.off('data', onData);
          resolve(acks);
        }
      }
    };
    socket.on('data', onData);
    for (const b of Array.isArray(bytes) ? bytes : [bytes]) socket.write(b);
  });
}

const next = <T extends MllpServerEvent['type']>(
  server: MllpServer,
  type: T,
): Promise<Extract<MllpServerEvent, { type: T }>> =>
  firstValueFrom(
    (server.events$ as Observable<MllpServerEvent>).pipe(
      filter((e): e is Extract<MllpServerEvent, { type: T }> => e.type === type),
    ),
  );

describe('MLLP server and client over TCP (127.0.0.1, ephemeral port)', () => {
  it('acknowledges an ORU^R01 with AA after the handler has read it', async () => {
    const received: Reading[] = [];
    const { port, events } = await start({
      onMessage: (message) => {
        received.push(...oruToReadings(message).readings);
      },
    });
    const client = createMllpClient({ host: '127.0.0.1', port, timeoutMs: 5000 });
    const ack = await client.send(oru('MSG-1'));
    await client.close();
    expect(ack).toMatchObject({ code: 'AA', controlId: 'MSG-1', errors: [] });
    expect(ack.message.header).toMatchObject({
      messageType: 'ACK^R01',
      sendingApplication: 'HIS',
      receivingApplication: 'MON',
    });
    expect(received.map((r) => [r.metric, r.value, r.patientId])).toEqual([['spo2', 97, 'P-1']]);
    await new Promise((r) => setTimeout(r, 50));
    expect(events.map((e) => e.type)).toEqual([
      'listening',
      'connection-opened',
      'message-acknowledged',
      'connection-closed',
    ]);
    expect(events[2]).toMatchObject({
      ack: 'AA',
      controlId: 'MSG-1',
      messageType: 'ORU^R01',
      sent: true,
      connectionId: 1,
    });
    expect(events[3]).toMatchObject({ reason: 'peer' });
  });

  it('handles one message at a time per connection and acknowledges in order', async () => {
    const order: string[] = [];
    const { port } = await start({
      onMessage: async (m) => {
        order.push(`start ${m.header.controlId}`);
        await new Promise((r) => setTimeout(r, m.header.controlId === 'A' ? 40 : 1));
        order.push(`end ${m.header.controlId}`);
      },
    });
    const socket = await open(port);
    const acks = await exchange(socket, [frame(oru('A')), frame(oru('B')), frame(oru('C'))], 3);
    expect(acks.map((a) => [a.code, a.controlId])).toEqual([
      ['AA', 'A'],
      ['AA', 'B'],
      ['AA', 'C'],
    ]);
    expect(order).toEqual(['start A', 'end A', 'start B', 'end B', 'start C', 'end C']);
  });

  it('the client sends one at a time, in call order', async () => {
    const seen: string[] = [];
    const { port } = await start({ onMessage: (m) => void seen.push(m.header.controlId) });
    const client = createMllpClient({ host: '127.0.0.1', port, timeoutMs: 5000 });
    const acks = await Promise.all(['1', '2', '3', '4', '5'].map((id) => client.send(oru(id))));
    await client.close();
    expect(acks.map((a) => a.controlId)).toEqual(['1', '2', '3', '4', '5']);
    expect(seen).toEqual(['1', '2', '3', '4', '5']);
  });

  it('answers a body parse error with AE naming segment and field, and reports it', async () => {
    let called = false;
    const { server, port } = await start({
      onMessage: () => {
        called = true;
        return undefined;
      },
    });
    const socket = await open(port);
    const reported = next(server, 'message-acknowledged');
    const [ack] = await exchange(socket, frame(oru('BAD-1').replace('|97|', '|9\\Q\\7|')), 1);
    expect(called).toBe(false);
    expect(ack).toMatchObject({ code: 'AE', controlId: 'BAD-1' });
    expect(ack?.errors).toEqual([
      expect.objectContaining({
        hl7ErrorCode: '102',
        location: 'OBX^1^5',
        message: expect.stringMatching(/unknown escape sequence "Q"/),
      }),
    ]);
    const event = await reported;
    expect(event).toMatchObject({ ack: 'AE', controlId: 'BAD-1', sent: true });
    expect(event.error).toBeInstanceOf(Hl7ParseError);
  });

  it('answers AR for a broken MSH, echoing MSH-10 when it can be read', async () => {
    const { port } = await start();
    const socket = await open(port);
    const acks = await exchange(
      socket,
      [frame('MSH|^~\\&|MON||||||ORU^R01|NOVER|P'), frame('PID|||x'), frame('MSH|^|broken')],
      3,
    );
    expect(acks.map((a) => [a.code, a.controlId, a.errors[0]?.hl7ErrorCode])).toEqual([
      ['AR', 'NOVER', '101'],
      ['AR', '', '100'],
      ['AR', '', '102'],
    ]);
  });

  it('rejects types outside acceptMessageTypes with AR 200 without calling the handler', async () => {
    let called = 0;
    const { port } = await start({ acceptMessageTypes: ['ORU^R01'], onMessage: () => void called++ });
    const socket = await open(port);
    const [adt, ok] = await exchange(
      socket,
      [frame('MSH|^~\\&|A||||||ADT^A01|ADT-1|P|2.6'), frame(oru('OK-1'))],
      2,
    );
    expect(adt).toMatchObject({
      code: 'AR',
      controlId: 'ADT-1',
      errors: [expect.objectContaining({ hl7ErrorCode: '200' })],
    });
    expect(ok?.code).toBe('AA');
    expect(called).toBe(1);
  });

  it('maps handler outcomes to AE / AR / the handler’s own answer', async () => {
    const { server, port } = await start({
      onMessage: (m: Hl7Message) => {
        switch (m.header.controlId) {
          case 'THROW':
            throw new Error('database down');
          case 'REJECT':
            return Promise.reject(new Hl7UnsupportedMessageError('ORU^R40', ['ORU^R01'], 201));
          case 'OWN':
            return {
              ack: 'AE',
              text: 'out of range',
              errors: [{ hl7ErrorCode: 103, message: 'no such bed' }],
            };
          default:
            return undefined;
        }
      },
    });
    const handlerErrors: unknown[] = [];
    server.events$.subscribe((e) => {
      if (e.type === 'message-acknowledged' && e.handlerError !== undefined)
        handlerErrors.push(e.handlerError);
    });
    const socket = await open(port);
    const acks = await exchange(
      socket,
      ['THROW', 'REJECT', 'OWN', 'FINE'].map((id) => frame(oru(id))),
      4,
    );
    expect(acks.map((a) => [a.code, a.errors.map((e) => e.hl7ErrorCode).join(), a.text])).toEqual([
      ['AE', '207', ''],
      ['AR', '201', ''],
      ['AE', '103', 'out of range'],
      ['AA', '', ''],
    ]);
    expect(acks[0]?.errors[0]?.message).toMatch(/database down/);
    expect(handlerErrors).toEqual([new Error('database down')]);
  });

  it('reports garbage between frames, answers oversize and undecodable frames with AR, and goes on', async () => {
    const { port, events } = await start({ maxFrameBytes: 600 });
    const socket = await open(port);
    const big = `${oru('BIG-1')}NTE|1||${'x'.repeat(1000)}\r`;
    const invalidUtf8 = new Uint8Array([
      ...frame('MSH|^~\\&|A||||||ORU^R01|U-1|P|2.6||||||UNICODE UTF-8\rNTE|1||').slice(0, -2),
      0xff,
      0x1c,
      0x0d,
    ]);
    const acks = await exchange(socket, [utf8('garbage\n'), frame(big), invalidUtf8, frame(oru('AFTER'))], 3);
    expect(acks.map((a) => [a.code, a.controlId])).toEqual([
      ['AR', 'BIG-1'],
      ['AR', 'U-1'],
      ['AA', 'AFTER'],
    ]);
    expect(acks[0]?.errors[0]?.message).toMatch(/larger than this receiver's limit of 600 bytes/);
    expect(acks[1]?.errors[0]?.message).toMatch(/not valid UTF-8/);
    const discarded = events.flatMap((e) => (e.type === 'frame-discarded' ? [e.frame.type] : []));
    expect(discarded).toEqual(['garbage', 'oversize']);
  });

  it('refuses connections beyond maxConnections and reports them', async () => {
    const { server, port } = await start({ maxConnections: 1 });
    const first = await open(port);
    const refused = next(server, 'connection-refused');
    const second = await open(port);
    const closed = new Promise((r) => second.once('close', r));
    expect(await refused).toMatchObject({ reason: expect.stringMatching(/1 connections are open/) });
    await closed;
    const [ack] = await exchange(first, frame(oru('STILL')), 1);
    expect(ack?.code).toBe('AA');
    expect(server.connections).toBe(1);
  });

  it('closes idle connections', async () => {
    const { server, port } = await start({ idleTimeoutMs: 100 });
    const socket = await open(port);
    const closedEvent = next(server, 'connection-closed');
    await new Promise((r) => socket.once('close', r));
    expect(await closedEvent).toMatchObject({ reason: 'idle-timeout' });
  });

  it('survives abrupt disconnects mid-frame and mid-handler', async () => {
    let release: () => void = () => undefined;
    const { server, port, events } = await start({
      onMessage: (m) =>
        m.header.controlId === 'SLOW'
          ? new Promise<undefined>((r) => (release = () => r(undefined)))
          : undefined,
    });
    const a = await open(port);
    a.write(frame(oru('HALF')).slice(0, 50));
    a.resetAndDestroy(); // TCP RST, as when a monitor is unplugged
    const b = await open(port);
    const acked = firstValueFrom(
      server.events$.pipe(filter((e) => e.type === 'message-acknowledged' && e.controlId === 'SLOW')),
    );
    b.write(frame(oru('SLOW')));
    await new Promise((r) => setTimeout(r, 50));
    b.resetAndDestroy();
    await new Promise((r) => setTimeout(r, 50));
    release();
    expect(await acked).toMatchObject({ controlId: 'SLOW', ack: 'AA', sent: false });
    const closes = events.flatMap((e) => (e.type === 'connection-closed' ? [e.reason] : []));
    expect(closes.length).toBe(2);
    const c = await open(port);
    const [ack] = await exchange(c, frame(oru('ALIVE')), 1);
    expect(ack?.code).toBe('AA');
  });

  it('still acknowledges a sender that half-closes after sending, then closes', async () => {
    const { port } = await start();
    const socket = await open(port);
    const acks = exchange(socket, frame(oru('LAST')), 1);
    socket.end();
    expect((await acks).map((a) => [a.code, a.controlId])).toEqual([['AA', 'LAST']]);
    await new Promise((r) => socket.once('close', r));
  });

  it('applies back-pressure instead of buffering without bound', async () => {
    const { port } = await start({
      maxPendingFrames: 1,
      onMessage: () => new Promise<undefined>((r) => setTimeout(() => r(undefined), 2)),
    });
    const socket = await open(port);
    const ids = Array.from({ length: 40 }, (_, i) => `P${i}`);
    const acks = await exchange(
      socket,
      ids.map((id) => frame(oru(id))),
      ids.length,
    );
    expect(acks.map((a) => a.controlId)).toEqual(ids);
  });

  it('close() ends connections and completes events$; it cannot listen again', async () => {
    const { server, port } = await start();
    await open(port);
    const all = firstValueFrom(server.events$.pipe(toArray()));
    await new Promise((r) => setTimeout(r, 20));
    await server.close();
    const after = await all;
    expect(after.map((e) => e.type)).toEqual(['connection-closed', 'closed']);
    expect(after[0]).toMatchObject({ reason: 'server-closed' });
    await expect(server.listen()).rejects.toMatchObject({ code: 'state/invalid' });
    await server.close();
  });

  it('reports a port it cannot bind', async () => {
    const { port } = await start();
    const other = createMllpServer({ port, onMessage: () => undefined });
    await expect(other.listen()).rejects.toMatchObject({ code: 'transport/disconnected' });
    await other.close();
  });

  it('validates its options', () => {
    const onMessage = (): undefined => undefined;
    expect(() => createMllpServer({ onMessage, maxConnections: 0 })).toThrow(RangeError);
    expect(() => createMllpServer({ onMessage, port: 70_000 })).toThrow(RangeError);
    expect(() => createMllpServer({ onMessage, idleTimeoutMs: -1 })).toThrow(RangeError);
    expect(() => createMllpServer({ onMessage: 1 as unknown as typeof onMessage })).toThrow(TypeError);
  });
});

describe('MLLP client failures', () => {
  it('times out with a typed, retryable error, then reconnects for the next message', async () => {
    let stall = true;
    const { port } = await start({
      onMessage: () => (stall ? new Promise<undefined>(() => undefined) : undefined),
    });
    const client = createMllpClient({ host: '127.0.0.1', port, timeoutMs: 150 });
    const error = await client.send(oru('LOST')).catch((e: unknown) => e);
    expect(error).toMatchObject({
      name: 'MllpTimeoutError',
      code: 'transport/publish-failed',
      retryable: true,
      controlId: 'LOST',
      timeoutMs: 150,
    });
    expect(error).toBeInstanceOf(HealthItError);
    stall = false;
    expect((await client.send(oru('NEXT'))).code).toBe('AA');
    await client.close();
  });

  it('fails to connect with transport/disconnected', async () => {
    const { server, port } = await start();
    await server.close();
    const client = createMllpClient({ host: '127.0.0.1', port, timeoutMs: 1000 });
    await expect(client.send(oru('X'))).rejects.toMatchObject({
      code: 'transport/disconnected',
      retryable: true,
    });
    await client.close();
  });

  it('rejects an acknowledgement of another message, and a closed connection, as ambiguous failures', async () => {
    const { createServer } = await import('node:net');
    const raw = createServer((socket) => {
      const decoder = createMllpFrameDecoder();
      socket.on('data', (chunk) => {
        for (const e of decoder.push(chunk)) {
          if (e.type !== 'frame') continue;
          const id = parseHl7(new TextDecoder().decode(e.payload)).header.controlId;
          if (id === 'DROP') socket.destroy();
          else socket.write(frame(`MSH|^~\\&|R||||||ACK|a|P|2.6\rMSA|AA|${id}-other\r`));
        }
      });
    });
    await new Promise<void>((r) => raw.listen(0, '127.0.0.1', r));
    const address = raw.address();
    const port = typeof address === 'object' && address !== null ? address.port : 0;
    const client = createMllpClient({ host: '127.0.0.1', port, timeoutMs: 2000 });
    await expect(client.send(oru('MINE'))).rejects.toMatchObject({
      code: 'transport/publish-failed',
      message: expect.stringMatching(/acknowledged message "MINE-other" while "MINE" was waiting/),
    });
    await expect(client.send(oru('DROP'))).rejects.toMatchObject({
      code: 'transport/publish-failed',
      message: expect.stringMatching(/closed before the acknowledgement/),
    });
    await client.close();
    await new Promise((r) => raw.close(r));
  });

  it('checks what it sends, bounds its queue, and fails everything after close', async () => {
    const { port } = await start({
      onMessage: () => new Promise<undefined>((r) => setTimeout(() => r(undefined), 30)),
    });
    const client = createMllpClient({ host: '127.0.0.1', port, timeoutMs: 2000, maxQueued: 2 });
    await expect(client.send('MSH|^~\\&|A||||||ORU^R01||P|2.6')).rejects.toMatchObject({
      field: 10,
      hl7ErrorCode: 101,
    });
    await expect(client.send('PID|||1')).rejects.toBeInstanceOf(Hl7ParseError);
    const first = client.send(oru('Q1'));
    const second = client.send(oru('Q2'));
    await expect(client.send(oru('Q3'))).rejects.toMatchObject({ code: 'buffer/overflow' });
    await new Promise((r) => setTimeout(r, 10));
    await client.close();
    await expect(first).rejects.toMatchObject({ code: 'transport/closed' });
    await expect(second).rejects.toMatchObject({ code: 'transport/closed' });
    await expect(client.send(oru('Q4'))).rejects.toMatchObject({ code: 'transport/closed' });
  });

  it('validates its options', () => {
    expect(() => createMllpClient({ host: 'h', port: 0 })).toThrow(RangeError);
    expect(() => createMllpClient({ host: 'h', port: 1, timeoutMs: 0 })).toThrow(RangeError);
  });
});

describe('events$', () => {
  it('is hot and multicast: late subscribers see later events only', async () => {
    const { server, port } = await start();
    const late = firstValueFrom(server.events$.pipe(take(1)));
    await open(port);
    expect((await late).type).toBe('connection-opened');
  });
});
