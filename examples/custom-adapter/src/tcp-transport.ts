/**
 * A core `Transport` over plain TCP (`node:net`) with newline-delimited JSON framing: one line per
 * message, `{"t":"<topic>","p":"<payload, base64url>","r":true}\n` (`r` only for retained
 * messages). Two ends:
 *
 * - `listenTcpTransport()`: the gateway side, a TCP server that is itself a `Transport`: its
 *   subscribers receive what every connected peer publishes; what it publishes goes to every peer,
 *   and a peer that connects receives the server's retained messages.
 *   It does not relay between peers (a star, not a broker: when you need a broker, use MQTT).
 * - `connectTcpTransport()`: the device or bridge side, one connection.
 *
 * Both keep MQTT topic semantics locally (wildcards, retained messages, local delivery of one's
 * own publications), which is what `describeTransportConformance` checks.
 * @packageDocumentation
 */
import { createServer, type Server, type Socket, connect as tcpConnect } from 'node:net';
import {
  assertValidTopic,
  type ConnectionState,
  createTopicHub,
  fromBase64Url,
  HealthItError,
  type PublishOptions,
  type TopicHub,
  type Transport,
  toBase64Url,
} from '@healthit/core';
import { BehaviorSubject } from 'rxjs';

/** Options common to both ends. */
export interface TcpTransportOptions {
  /** The longest line accepted from a peer, bytes (default 1 MiB). A longer one closes that connection. */
  readonly maxLineBytes?: number;
  /** At most this many topics keep a retained message (default 10 000; the oldest is evicted). */
  readonly maxRetainedTopics?: number;
  /** Called when a peer sends a line that is not a message (the connection is then closed). */
  readonly onProtocolError?: (error: HealthItError) => void;
}

/** Options of {@link connectTcpTransport}. */
export interface TcpConnectOptions extends TcpTransportOptions {
  readonly host?: string;
  readonly port: number;
  /** Give up connecting after this long, ms (default 5 000). */
  readonly connectTimeoutMs?: number;
}

/** Options of {@link listenTcpTransport}. */
export interface TcpListenOptions extends TcpTransportOptions {
  /** Default `127.0.0.1`; `0.0.0.0` to accept connections from other hosts. */
  readonly host?: string;
  /** Default 0: a free port (read it from {@link TcpTransportServer.port}). */
  readonly port?: number;
  /** Connections accepted at once (default 1 000); more are refused. */
  readonly maxConnections?: number;
}

/** The server end: a `Transport` plus where it listens. */
export interface TcpTransportServer extends Transport {
  /** The port it listens on. */
  readonly port: number;
  /** Connections open now. */
  readonly connectionCount: () => number;
}

interface Link {
  write(line: string): Promise<void>;
  destroy(): void;
  readonly closed: Promise<void>;
}

/** The local half both ends share: subscriptions, the retained store, ordered delivery. */
function createHub(options: TcpTransportOptions): TopicHub {
  return createTopicHub(
    options.maxRetainedTopics === undefined ? {} : { maxRetainedTopics: options.maxRetainedTopics },
  );
}
type Hub = TopicHub;

/** Encodes one message as its line. */
export function encodeTcpLine(topic: string, payload: Uint8Array, retain: boolean): string {
  return `${JSON.stringify(retain ? { t: topic, p: toBase64Url(payload), r: true } : { t: topic, p: toBase64Url(payload) })}\n`;
}

/**
 * Decodes one line (without its `\n`).
 * @throws {HealthItError} `codec/decode` when the line is not a message.
 */
export function decodeTcpLine(line: string): { topic: string; payload: Uint8Array; retain: boolean } {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (cause) {
    throw new HealthItError('codec/decode', `A TCP transport line is not JSON: ${line.slice(0, 80)}`, {
      cause,
    });
  }
  const v = value as { t?: unknown; p?: unknown; r?: unknown };
  if (
    typeof value !== 'object' ||
    value === null ||
    typeof v.t !== 'string' ||
    typeof v.p !== 'string' ||
    (v.r !== undefined && v.r !== true) ||
    Object.keys(value).some((k) => k !== 't' && k !== 'p' && k !== 'r')
  ) {
    throw new HealthItError(
      'codec/decode',
      'A TCP transport line must be {"t": topic, "p": base64url, "r"?: true}',
      {
        detail: { line: line.slice(0, 80) },
      },
    );
  }
  try {
    assertValidTopic(v.t);
  } catch (cause) {
    throw new HealthItError('codec/decode', `A TCP transport line names an invalid topic "${v.t}"`, {
      cause,
    });
  }
  let payload: Uint8Array;
  try {
    payload = fromBase64Url(v.p);
  } catch (cause) {
    throw new HealthItError('codec/decode', 'A TCP transport line has a payload that is not base64url', {
      cause,
    });
  }
  return { topic: v.t, payload, retain: v.r === true };
}

/** Wraps a connected socket: splits lines, feeds the hub, writes lines. */
function attach(socket: Socket, hub: Hub, options: TcpTransportOptions, onClose: () => void): Link {
  const maxLine = options.maxLineBytes ?? 1 << 20;
  socket.setNoDelay(true);
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  const protocolError = (error: HealthItError): void => {
    options.onProtocolError?.(error);
    socket.destroy();
  };
  socket.on('data', (chunk: Buffer) => {
    let start = 0;
    for (let nl = chunk.indexOf(0x0a, start); nl !== -1; nl = chunk.indexOf(0x0a, start)) {
      const piece = chunk.subarray(start, nl);
      const line = pendingBytes === 0 ? piece : Buffer.concat([...pending, piece]);
      pending = [];
      pendingBytes = 0;
      start = nl + 1;
      if (line.byteLength > maxLine) {
        protocolError(new HealthItError('codec/decode', `A TCP transport line exceeds ${maxLine} bytes`));
        return;
      }
      let message: ReturnType<typeof decodeTcpLine>;
      try {
        message = decodeTcpLine(line.toString('utf8'));
      } catch (e) {
        protocolError(e as HealthItError);
        return;
      }
      if (hub.closed) return;
      if (message.retain) hub.retain(message.topic, message.payload);
      hub.deliver({ topic: message.topic, payload: message.payload, retained: false });
    }
    if (start < chunk.byteLength) {
      const rest = chunk.subarray(start);
      pending.push(rest);
      pendingBytes += rest.byteLength;
      if (pendingBytes > maxLine) {
        protocolError(new HealthItError('codec/decode', `A TCP transport line exceeds ${maxLine} bytes`));
      }
    }
  });
  socket.on('error', () => {
    // 'close' follows; the state says what happened.
  });
  const closed = new Promise<void>((resolve) => {
    socket.once('close', () => {
      onClose();
      resolve();
    });
  });
  return {
    write: (line) =>
      new Promise<void>((resolve, reject) => {
        if (socket.destroyed || !socket.writable) {
          reject(new HealthItError('transport/disconnected', 'The TCP connection is not open'));
          return;
        }
        socket.write(line, (error) => {
          if (error)
            reject(new HealthItError('transport/publish-failed', 'A TCP write failed', { cause: error }));
          else resolve();
        });
      }),
    destroy: () => socket.destroy(),
    closed,
  };
}

function closedError(topic: string): HealthItError {
  return new HealthItError('transport/closed', `Cannot publish to "${topic}": the transport is closed`);
}

/**
 * Connects to a {@link listenTcpTransport} server. Resolves once connected.
 *
 * A connection that drops leaves the transport `disconnected` (publish then rejects with the
 * retryable `transport/disconnected`); it does not reconnect: open a new one.
 *
 * @example
 * ```ts
 * const bridge = await connectTcpTransport({ host: 'gateway.local', port: 7001 });
 * await bridge.publish('serial/rad7-1', line);
 * ```
 * @throws {HealthItError} `transport/disconnected` when the connection cannot be opened.
 */
export async function connectTcpTransport(options: TcpConnectOptions): Promise<Transport> {
  const hub = createHub(options);
  const state$ = new BehaviorSubject<ConnectionState>('connecting');
  const socket = tcpConnect({ host: options.host ?? '127.0.0.1', port: options.port });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.destroy();
      reject(
        new HealthItError(
          'transport/disconnected',
          `No TCP connection to ${options.host ?? '127.0.0.1'}:${options.port} within ${options.connectTimeoutMs ?? 5000} ms`,
        ),
      );
    }, options.connectTimeoutMs ?? 5000);
    socket.once('connect', () => {
      clearTimeout(timer);
      resolve();
    });
    socket.once('error', (cause) => {
      clearTimeout(timer);
      reject(
        new HealthItError(
          'transport/disconnected',
          `Cannot connect to ${options.host ?? '127.0.0.1'}:${options.port}: ${cause.message}. Is the gateway listening?`,
          { cause },
        ),
      );
    });
  });
  const link = attach(socket, hub, options, () => {
    if (!hub.closed) state$.next('disconnected');
  });
  state$.next('connected');

  return {
    state$: state$.asObservable(),
    async publish(topic: string, payload: Uint8Array, opts: PublishOptions = {}): Promise<void> {
      if (hub.closed) throw closedError(topic);
      assertValidTopic(topic);
      const copy = payload.slice();
      const retain = opts.retain === true;
      const written = link.write(encodeTcpLine(topic, copy, retain));
      if (retain) hub.retain(topic, copy);
      hub.deliver({ topic, payload: copy, retained: false });
      await written;
    },
    subscribe: (filter) => hub.subscribe(filter),
    async close(): Promise<void> {
      if (hub.closed) return;
      hub.close();
      socket.end();
      const timer = setTimeout(() => link.destroy(), 1000);
      await link.closed;
      clearTimeout(timer);
      state$.next('closed');
      state$.complete();
    },
  };
}

/**
 * Opens a TCP server that is a `Transport`. Resolves once listening.
 *
 * @example
 * ```ts
 * const tcp = await listenTcpTransport({ host: '0.0.0.0', port: 7001 });
 * const gateway = createGateway({ inputs: [{ name: 'serial', transport: tcp, topicFilter: 'serial/{deviceId}', decoder }] });
 * ```
 */
export async function listenTcpTransport(options: TcpListenOptions = {}): Promise<TcpTransportServer> {
  const hub = createHub(options);
  const state$ = new BehaviorSubject<ConnectionState>('connecting');
  const links = new Set<Link>();
  const server: Server = createServer((socket) => {
    const link = attach(socket, hub, options, () => links.delete(link));
    links.add(link);
    // A new peer learns the retained messages, as a new MQTT subscriber would.
    for (const [topic, payload] of hub.retainedEntries()) {
      link.write(encodeTcpLine(topic, payload, true)).catch(() => undefined);
    }
  });
  server.maxConnections = options.maxConnections ?? 1000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', (cause) =>
      reject(
        new HealthItError(
          'transport/disconnected',
          `Cannot listen on ${options.host ?? '127.0.0.1'}:${options.port ?? 0}: ${cause.message}`,
          { cause },
        ),
      ),
    );
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : (options.port ?? 0);
  state$.next('connected');

  return {
    port,
    connectionCount: () => links.size,
    state$: state$.asObservable(),
    async publish(topic: string, payload: Uint8Array, opts: PublishOptions = {}): Promise<void> {
      if (hub.closed) throw closedError(topic);
      assertValidTopic(topic);
      const copy = payload.slice();
      const retain = opts.retain === true;
      const line = encodeTcpLine(topic, copy, retain);
      // A peer that has just hung up is no reason to fail the others.
      const written = Promise.allSettled([...links].map((l) => l.write(line)));
      if (retain) hub.retain(topic, copy);
      hub.deliver({ topic, payload: copy, retained: false });
      await written;
    },
    subscribe: (filter) => hub.subscribe(filter),
    async close(): Promise<void> {
      if (hub.closed) return;
      hub.close();
      const open = [...links];
      for (const l of open) l.destroy();
      await Promise.all(open.map((l) => l.closed));
      await new Promise<void>((resolve) => server.close(() => resolve()));
      state$.next('closed');
      state$.complete();
    },
  };
}
