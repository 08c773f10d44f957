import { connect } from 'node:net';
import { type ConnectionState, isHealthItError, utf8Decode, utf8Encode } from '@healthit/core';
import { describeTransportConformance } from '@healthit/core/testing';
import { firstValueFrom, take, timeout, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { connectTcpTransport, decodeTcpLine, encodeTcpLine, listenTcpTransport } from './tcp-transport.js';

// The SDK's transport conformance suite, in both directions over real TCP on 127.0.0.1.
describeTransportConformance('tcp (peer → server)', async () => {
  const server = await listenTcpTransport();
  const peer = await connectTcpTransport({ port: server.port });
  return {
    publisher: peer,
    subscriber: server,
    dispose: async () => {
      await peer.close();
      await server.close();
    },
  };
});

describeTransportConformance('tcp (server → peer)', async () => {
  const server = await listenTcpTransport();
  const peer = await connectTcpTransport({ port: server.port });
  return {
    publisher: server,
    subscriber: peer,
    dispose: async () => {
      await peer.close();
      await server.close();
    },
  };
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('tcp transport specifics', () => {
  it('the line format: JSON with a base64url payload, "r" only when retained', () => {
    const line = encodeTcpLine('a/b', utf8Encode('hi'), false);
    expect(line).toBe('{"t":"a/b","p":"aGk"}\n');
    expect(encodeTcpLine('a/b', new Uint8Array([0xff]), true)).toBe('{"t":"a/b","p":"_w","r":true}\n');
    const back = decodeTcpLine(line.trimEnd());
    expect([back.topic, utf8Decode(back.payload), back.retain]).toEqual(['a/b', 'hi', false]);
    for (const bad of [
      'nope',
      '{"t":"a"}',
      '{"t":"a/#","p":""}',
      '{"t":"a","p":"!!"}',
      '{"t":"a","p":"","x":1}',
    ]) {
      expect(() => decodeTcpLine(bad), bad).toThrow(expect.objectContaining({ code: 'codec/decode' }));
    }
  });

  it('a peer sending a line that is not a message is cut off and reported; others go on', async () => {
    const errors: string[] = [];
    const server = await listenTcpTransport({ onProtocolError: (e) => errors.push(e.message) });
    const good = await connectTcpTransport({ port: server.port });
    const received = firstValueFrom(server.subscribe('x/#').pipe(take(1), timeout(3000)));
    const raw = connect({ host: '127.0.0.1', port: server.port });
    await new Promise((r) => raw.once('connect', r));
    const rawClosed = new Promise((r) => raw.once('close', r));
    raw.write('this is not json\n');
    await rawClosed;
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/not JSON/);
    await good.publish('x/1', utf8Encode('still here'));
    expect(utf8Decode((await received).payload)).toBe('still here');
    await good.close();
    await server.close();
  });

  it('a line longer than maxLineBytes cuts the connection', async () => {
    const errors: string[] = [];
    const server = await listenTcpTransport({
      maxLineBytes: 64,
      onProtocolError: (e) => errors.push(e.message),
    });
    const peer = await connectTcpTransport({ port: server.port });
    await peer.publish('x', new Uint8Array(100));
    await sleep(100);
    expect(errors[0]).toMatch(/exceeds 64 bytes/);
    await peer.close();
    await server.close();
  });

  it('a peer that connects later receives the server’s retained messages', async () => {
    const server = await listenTcpTransport();
    await server.publish('config/rad7-1', utf8Encode('{"rate":1}'), { retain: true });
    const peer = await connectTcpTransport({ port: server.port });
    await sleep(100);
    const m = await firstValueFrom(peer.subscribe('config/+').pipe(take(1), timeout(3000)));
    expect([m.topic, utf8Decode(m.payload), m.retained]).toEqual(['config/rad7-1', '{"rate":1}', true]);
    await peer.close();
    await server.close();
  });

  it('when the server goes away the peer is disconnected and publish rejects with a retryable error', async () => {
    const server = await listenTcpTransport();
    const peer = await connectTcpTransport({ port: server.port });
    const states = firstValueFrom(peer.state$.pipe(take(2), toArray(), timeout(3000)));
    await server.close();
    expect(await states).toEqual<ConnectionState[]>(['connected', 'disconnected']);
    const err = await peer.publish('x', utf8Encode('late')).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isHealthItError(err, 'transport/disconnected')).toBe(true);
    expect((err as { retryable: boolean }).retryable).toBe(true);
    await peer.close();
  });

  it('connecting to a port where nobody listens fails with transport/disconnected, saying what to check', async () => {
    const server = await listenTcpTransport();
    const port = server.port;
    await server.close();
    const err = await connectTcpTransport({ port }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isHealthItError(err, 'transport/disconnected')).toBe(true);
    expect((err as Error).message).toMatch(/Is the gateway listening/);
  });
});
