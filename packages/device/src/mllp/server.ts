import { createServer, type Server, type Socket } from 'node:net';
import { type Clock, HealthItError, isHealthItError, systemClock } from '@healthit/core';
import { type Observable, Subject } from 'rxjs';
import { type AckCode, ackErrorOf, buildAck, type Hl7AckError } from '../hl7v2/ack.js';
import { decodeBytes, decodeHl7Bytes, encodeHl7Text } from '../hl7v2/charset.js';
import { Hl7ParseError, Hl7UnsupportedMessageError } from '../hl7v2/errors.js';
import type { Hl7Message } from '../hl7v2/message.js';
import { type Hl7MshParse, parseHl7, parseHl7Header } from '../hl7v2/parse.js';
import {
  createMllpFrameDecoder,
  DEFAULT_MAX_FRAME_BYTES,
  encodeMllpFrame,
  type MllpFrameDecoder,
  type MllpFrameEvent,
} from './frame.js';

/** Where a message came from, given to the {@link MllpMessageHandler}. */
export interface MllpMessageContext {
  /** Numbers connections from 1, in the order they were accepted. */
  readonly connectionId: number;
  /** The sender's IP address as the socket reports it (empty when unknown). */
  readonly remoteAddress: string;
  /** The sender's TCP port (0 when unknown). */
  readonly remotePort: number;
  /** When the frame was complete (clock time, epoch ms). */
  readonly receivedAt: number;
  /** The message text as received. */
  readonly text: string;
}

/** What a handler may return to choose the acknowledgement itself (default: AA). */
export interface MllpHandlerResult {
  /** MSA-1 of the acknowledgement: AA accepted, AE error, AR rejected. */
  readonly ack: AckCode;
  /** MSA-3. */
  readonly text?: string;
  /** One ERR segment per error, in order. Default none. */
  readonly errors?: readonly Hl7AckError[];
}

/**
 * Handles one parsed message. Returning (or resolving) nothing acknowledges it with AA. Throwing
 * (or rejecting) answers AE with ERR 207 — except an `Hl7ParseError` (AE with its own ERR) and an
 * `Hl7UnsupportedMessageError` (AR 200/201). Messages of one connection are handled one at a time,
 * in order; the acknowledgement is sent after the handler settles.
 */
export type MllpMessageHandler = (
  message: Hl7Message,
  context: MllpMessageContext,
) => undefined | MllpHandlerResult | Promise<undefined | MllpHandlerResult>;

/** Options of {@link createMllpServer}. */
export interface MllpServerOptions {
  /** Called with each message that parsed and is of an accepted type; decides its acknowledgement. */
  readonly onMessage: MllpMessageHandler;
  /** TCP port; 0 picks a free one (see the result of `listen`). Default 2575, the port IANA registered for HL7. */
  readonly port?: number;
  /** Interface to listen on. Default `127.0.0.1`; use `0.0.0.0` / `::` to accept monitors on the network. */
  readonly host?: string;
  /** Connections served at once (an integer >= 1); more are refused and reported. Default 64. */
  readonly maxConnections?: number;
  /** A connection idle (nothing received or sent, no message in progress) this long is closed. 0 disables. Default 300 000 (5 min). */
  readonly idleTimeoutMs?: number;
  /** The largest message accepted, in bytes; larger frames are answered AR and skipped. Default 1 MiB. */
  readonly maxFrameBytes?: number;
  /**
   * Frames waiting for the handler per connection (an integer >= 1). When reached, the server
   * stops reading that socket (TCP back-pressure) until the queue drains. Default 16.
   */
  readonly maxPendingFrames?: number;
  /** MSH-9 types to accept, e.g. `['ORU^R01']`; others are answered AR 200 without calling the handler. Default: all. */
  readonly acceptMessageTypes?: readonly string[];
  /** MSH-3 of the acknowledgements. Default: the message's receiving application (MSH-5). */
  readonly ackSendingApplication?: string | readonly string[];
  /** Makes MSH-10 of each acknowledgement. Default `A<server start, base 36>-<n>`. */
  readonly ackControlId?: () => string;
  /** Time of acknowledgements (MSH-7) and of `receivedAt`. Default the system clock. */
  readonly clock?: Clock;
}

/** Why a connection closed. */
export type MllpCloseReason = 'peer' | 'idle-timeout' | 'error' | 'server-closed';

/** What the server did, on {@link MllpServer.events$}. */
export type MllpServerEvent =
  | {
      /** The server is bound and accepting connections. */
      readonly type: 'listening';
      /** The address it is bound to, as the socket reports it, e.g. `127.0.0.1`. */
      readonly host: string;
      /** The port it is bound to (the free one picked when the option was 0). */
      readonly port: number;
    }
  | {
      /** A connection was accepted. */
      readonly type: 'connection-opened';
      /** The connection's number, from 1 in the order connections were accepted. */
      readonly connectionId: number;
      /** The peer's IP address (empty when unknown). */
      readonly remoteAddress: string;
      /** The peer's TCP port (0 when unknown). */
      readonly remotePort: number;
    }
  /** `maxConnections` were open, or the server was closing: the connection was closed at once. */
  | {
      /** Discriminates the event. */
      readonly type: 'connection-refused';
      /** The peer's IP address (empty when unknown). */
      readonly remoteAddress: string;
      /** The peer's TCP port (0 when unknown). */
      readonly remotePort: number;
      /** Why, e.g. `64 connections are open (maxConnections)` or `the server is closing`. */
      readonly reason: string;
    }
  | {
      /** A connection closed. */
      readonly type: 'connection-closed';
      /** The connection's number, as in `connection-opened`. */
      readonly connectionId: number;
      /** Who or what closed it. */
      readonly reason: MllpCloseReason;
      /** The socket error, for reason `error`. */
      readonly error?: HealthItError;
    }
  /** Bytes outside frames (`garbage`), or a frame that was too large or malformed (answered AR). */
  | {
      /** Discriminates the event. */
      readonly type: 'frame-discarded';
      /** The connection the bytes arrived on. */
      readonly connectionId: number;
      /** What the frame decoder reported: `garbage`, `oversize` or `malformed`. */
      readonly frame: Exclude<MllpFrameEvent, { type: 'frame' }>;
    }
  /** A message (or discarded frame) was answered. */
  | {
      /** Discriminates the event. */
      readonly type: 'message-acknowledged';
      /** The connection the message arrived on. */
      readonly connectionId: number;
      /** MSA-1 of the acknowledgement: AA, AE or AR. */
      readonly ack: AckCode;
      /** MSH-10 of the message; empty when its MSH could not be read. */
      readonly controlId: string;
      /** MSH-9 as `ORU^R01`; empty when its MSH could not be read. */
      readonly messageType: string;
      /** Why it was not AA: a parse error, an unsupported type, a discarded frame. */
      readonly error?: HealthItError;
      /** What the handler threw or rejected with, when it did (AE 207). */
      readonly handlerError?: unknown;
      /** False when the connection was gone before the acknowledgement could be written. */
      readonly sent: boolean;
    }
  | {
      /** The listening socket failed, or serving a connection failed (that connection is then destroyed). */
      readonly type: 'server-error';
      /** What failed, e.g. `transport/disconnected` for a socket error. */
      readonly error: HealthItError;
    }
  | {
      /** `close()` finished: every connection is closed; `events$` completes next. */
      readonly type: 'closed';
    };

/** A running (or not yet started) MLLP server. */
export interface MllpServer {
  /**
   * Starts listening.
   * @throws {HealthItError} `transport/disconnected` when the port cannot be bound;
   *   `state/invalid` when already listening or closed.
   */
  listen(): Promise<{ readonly host: string; readonly port: number }>;
  /** Stops accepting, closes every connection (messages in progress are not acknowledged, so senders resend them) and completes `events$`. */
  close(): Promise<void>;
  /** Hot: subscribe before `listen` to see everything. Completes on `close`. */
  readonly events$: Observable<MllpServerEvent>;
  /** Connections open now. */
  readonly connections: number;
}

interface Connection {
  readonly id: number;
  readonly socket: Socket;
  readonly decoder: MllpFrameDecoder;
  readonly queue: MllpFrameEvent[];
  readonly remoteAddress: string;
  readonly remotePort: number;
  busy: boolean;
  paused: boolean;
  peerEnded: boolean;
  closeReason: MllpCloseReason | undefined;
  error: HealthItError | undefined;
  /** Resolves when the socket has closed. */
  readonly closed: Promise<void>;
}

interface Answer {
  readonly ack: string;
  readonly event: Omit<Extract<MllpServerEvent, { type: 'message-acknowledged' }>, 'sent' | 'connectionId'>;
}

function integerAtLeast(value: number, min: number, name: string): number {
  if (!Number.isInteger(value) || value < min)
    throw new RangeError(`${name} must be an integer >= ${min}, got ${value}`);
  return value;
}

/** The MSH of a discarded frame's leading bytes, when complete and well-formed. */
function headerOf(bytes: Uint8Array, complete: boolean): Hl7MshParse | undefined {
  const text = decodeBytes(bytes, 'latin1');
  if (!complete && !/[\r\n]/.test(text)) return undefined;
  try {
    return parseHl7Header(text);
  } catch {
    return undefined;
  }
}

/**
 * Creates an MLLP server (HL7 v2 over TCP, framed `0x0B … 0x1C 0x0D`), the way legacy bedside
 * monitors and their gateways send HL7: every frame gets an original-mode acknowledgement.
 *
 * - A message is parsed strictly (`parseHl7`) and handed to `onMessage`; AA when it settles.
 * - An unreadable MSH, an undecodable character set, an oversize or malformed frame → AR
 *   (ERR 207 / the parse error's code), echoing MSH-10 when it can be read. A parse error after
 *   MSH → AE with the error's location and table 0357 code. A type outside `acceptMessageTypes`
 *   → AR 200. A handler failure → AE 207 (see {@link MllpMessageHandler}).
 * - Everything is reported on `events$`; bad input and abrupt disconnects never throw or crash
 *   the process. Memory is bounded per connection (`maxFrameBytes`, `maxPendingFrames`).
 *
 * Nothing happens until `listen()`.
 *
 * @throws {RangeError} for an option out of range.
 * @example
 * ```ts
 * const server = createMllpServer({
 *   port: 2575, host: '0.0.0.0', acceptMessageTypes: ['ORU^R01'],
 *   onMessage: (message) => { readings$.next(oruToReadings(message).readings); },
 * });
 * server.events$.subscribe((e) => { if (e.type === 'message-acknowledged' && e.ack !== 'AA') log.warn(e); });
 * await server.listen();
 * ```
 */
export function createMllpServer(options: MllpServerOptions): MllpServer {
  if (typeof options.onMessage !== 'function') throw new TypeError('onMessage must be a function');
  const port = options.port ?? 2575;
  integerAtLeast(port, 0, 'port');
  if (port > 65_535) throw new RangeError(`port must be <= 65535, got ${port}`);
  const host = options.host ?? '127.0.0.1';
  const maxConnections = integerAtLeast(options.maxConnections ?? 64, 1, 'maxConnections');
  const idleTimeoutMs = integerAtLeast(options.idleTimeoutMs ?? 300_000, 0, 'idleTimeoutMs');
  const maxFrameBytes = integerAtLeast(options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES, 1, 'maxFrameBytes');
  const maxPending = integerAtLeast(options.maxPendingFrames ?? 16, 1, 'maxPendingFrames');
  const accepted = options.acceptMessageTypes === undefined ? undefined : new Set(options.acceptMessageTypes);
  const clock = options.clock ?? systemClock;
  const startedAt = clock.now();
  let ackCount = 0;
  const nextAckId =
    options.ackControlId ??
    ((): string => `A${Math.max(0, Math.floor(startedAt)).toString(36)}-${++ackCount}`);

  const events = new Subject<MllpServerEvent>();
  let completed = false;
  const emit = (e: MllpServerEvent): void => {
    if (!completed) events.next(e);
  };
  const open = new Set<Connection>();
  let server: Server | undefined;
  let state: 'new' | 'listening' | 'closed' = 'new';
  let connectionCount = 0;

  const ack = (
    original: Hl7Message | Hl7MshParse | undefined,
    code: AckCode,
    errors: readonly Hl7AckError[],
    text?: string,
  ): string =>
    buildAck(original, {
      code,
      controlId: nextAckId(),
      timestamp: Math.floor(clock.now()),
      errors,
      ...(text === undefined ? {} : { text }),
      ...(options.ackSendingApplication === undefined
        ? {}
        : { sendingApplication: options.ackSendingApplication }),
    });

  const reject = (
    original: Hl7Message | Hl7MshParse | undefined,
    code: AckCode,
    error: HealthItError,
    ackError: Hl7AckError,
  ): Answer => ({
    ack: ack(original, code, [ackError]),
    event: {
      type: 'message-acknowledged',
      ack: code,
      controlId: original?.header.controlId ?? '',
      messageType: original?.header.messageType ?? '',
      error,
    },
  });

  async function answer(conn: Connection, frame: MllpFrameEvent): Promise<Answer | undefined> {
    if (frame.type === 'garbage') return undefined;
    if (frame.type !== 'frame') {
      const original = headerOf(frame.prefix, frame.prefix.length >= frame.bytes);
      const why =
        frame.type === 'oversize'
          ? `the message is larger than this receiver's limit of ${frame.maxFrameBytes} bytes; split it or raise maxFrameBytes`
          : `the MLLP frame is malformed (${frame.reason}); frame each message as 0x0B message 0x1C 0x0D`;
      const error = new HealthItError('codec/decode', `MLLP: ${why}`, {
        detail: { ...frame, prefix: undefined },
      });
      return reject(original, 'AR', error, { hl7ErrorCode: 207, message: error.message });
    }
    let text: string;
    try {
      text = decodeHl7Bytes(frame.payload);
    } catch (e) {
      const error = e as HealthItError;
      return reject(headerOf(frame.payload, true), 'AR', error, {
        hl7ErrorCode: 207,
        message: error.message,
      });
    }
    let message: Hl7Message;
    try {
      message = parseHl7(text);
    } catch (e) {
      if (!(e instanceof Hl7ParseError)) throw e;
      let header: Hl7MshParse | undefined;
      try {
        header = parseHl7Header(text);
      } catch {
        header = undefined;
      }
      return reject(header, e.segmentIndex > 0 ? 'AE' : 'AR', e, ackErrorOf(e));
    }
    const { header } = message;
    if (accepted !== undefined && !accepted.has(header.messageType)) {
      const error = new Hl7UnsupportedMessageError(header.messageType, [...accepted]);
      return reject(message, 'AR', error, { hl7ErrorCode: 200, message: error.message });
    }
    const context: MllpMessageContext = {
      connectionId: conn.id,
      remoteAddress: conn.remoteAddress,
      remotePort: conn.remotePort,
      receivedAt: clock.now(),
      text,
    };
    try {
      const result = await options.onMessage(message, context);
      const code = result?.ack ?? 'AA';
      return {
        ack: ack(message, code, result?.errors ?? [], result?.text),
        event: {
          type: 'message-acknowledged',
          ack: code,
          controlId: header.controlId,
          messageType: header.messageType,
        },
      };
    } catch (e) {
      if (e instanceof Hl7UnsupportedMessageError) {
        return reject(message, 'AR', e, { hl7ErrorCode: e.hl7ErrorCode, message: e.message });
      }
      if (e instanceof Hl7ParseError) return reject(message, 'AE', e, ackErrorOf(e));
      const detail = e instanceof Error ? e.message : String(e);
      return {
        ack: ack(message, 'AE', [
          { hl7ErrorCode: 207, message: `the receiving application failed: ${detail}` },
        ]),
        event: {
          type: 'message-acknowledged',
          ack: 'AE',
          controlId: header.controlId,
          messageType: header.messageType,
          ...(isHealthItError(e) ? { error: e } : {}),
          handlerError: e,
        },
      };
    }
  }

  function write(conn: Connection, text: string): boolean {
    if (conn.socket.destroyed || !conn.socket.writable) return false;
    let bytes: Uint8Array;
    try {
      bytes = encodeMllpFrame(encodeHl7Text(text));
    } catch {
      // An echoed field the ACK's character set cannot carry: answer in UTF-8 instead.
      bytes = encodeMllpFrame(new TextEncoder().encode(text));
    }
    conn.socket.write(bytes);
    return true;
  }

  async function pump(conn: Connection): Promise<void> {
    if (conn.busy) return;
    conn.busy = true;
    try {
      while (conn.queue.length > 0 && conn.closeReason === undefined) {
        const frame = conn.queue.shift() as MllpFrameEvent;
        if (conn.paused && conn.queue.length < maxPending) {
          conn.paused = false;
          conn.socket.resume();
        }
        let result: Answer | undefined;
        try {
          result = await answer(conn, frame);
        } catch (e) {
          const error = new HealthItError('codec/decode', `MLLP: could not answer a frame: ${String(e)}`, {
            cause: e,
          });
          result = reject(undefined, 'AR', error, { hl7ErrorCode: 207, message: error.message });
        }
        if (result === undefined) continue;
        const sent = conn.closeReason === undefined && write(conn, result.ack);
        emit({ ...result.event, connectionId: conn.id, sent });
      }
    } finally {
      conn.busy = false;
    }
    if (conn.peerEnded && conn.queue.length === 0 && !conn.socket.destroyed) conn.socket.end();
  }

  function accept(socket: Socket): void {
    const remoteAddress = socket.remoteAddress ?? '';
    const remotePort = socket.remotePort ?? 0;
    if (state !== 'listening' || open.size >= maxConnections) {
      socket.on('error', () => undefined);
      socket.destroy();
      emit({
        type: 'connection-refused',
        remoteAddress,
        remotePort,
        reason:
          state !== 'listening'
            ? 'the server is closing'
            : `${maxConnections} connections are open (maxConnections)`,
      });
      return;
    }
    let markClosed: () => void = () => undefined;
    const conn: Connection = {
      closed: new Promise<void>((resolve) => {
        markClosed = resolve;
      }),
      id: ++connectionCount,
      socket,
      decoder: createMllpFrameDecoder({ maxFrameBytes }),
      queue: [],
      remoteAddress,
      remotePort,
      busy: false,
      paused: false,
      peerEnded: false,
      closeReason: undefined,
      error: undefined,
    };
    open.add(conn);
    socket.setNoDelay(true);
    if (idleTimeoutMs > 0) socket.setTimeout(idleTimeoutMs);
    emit({ type: 'connection-opened', connectionId: conn.id, remoteAddress, remotePort });

    const take = (frames: readonly MllpFrameEvent[]): void => {
      for (const f of frames) {
        if (f.type !== 'frame') emit({ type: 'frame-discarded', connectionId: conn.id, frame: f });
        if (f.type !== 'garbage') conn.queue.push(f);
      }
      if (!conn.paused && conn.queue.length >= maxPending) {
        conn.paused = true;
        socket.pause();
      }
      pump(conn).catch((e: unknown) => {
        emit({
          type: 'server-error',
          error: new HealthItError('codec/decode', `MLLP connection ${conn.id}: ${String(e)}`, { cause: e }),
        });
        socket.destroy();
      });
    };
    socket.on('data', (chunk: Buffer) => take(conn.decoder.push(chunk)));
    socket.on('end', () => {
      conn.peerEnded = true;
      take(conn.decoder.end());
    });
    socket.on('timeout', () => {
      if (conn.busy || conn.queue.length > 0) {
        socket.setTimeout(idleTimeoutMs);
        return;
      }
      conn.closeReason ??= 'idle-timeout';
      socket.destroy();
    });
    socket.on('error', (e) => {
      conn.error ??= new HealthItError(
        'transport/disconnected',
        `MLLP connection ${conn.id} from ${remoteAddress}:${remotePort}: ${e.message}`,
        {
          cause: e,
          detail: { connectionId: conn.id, remoteAddress, remotePort },
        },
      );
      conn.closeReason ??= 'error';
    });
    socket.on('close', () => {
      open.delete(conn);
      conn.queue.length = 0;
      const reason = conn.closeReason ?? 'peer';
      conn.closeReason = reason;
      emit({
        type: 'connection-closed',
        connectionId: conn.id,
        reason,
        ...(reason === 'error' && conn.error !== undefined ? { error: conn.error } : {}),
      });
      markClosed();
    });
  }

  return {
    events$: events.asObservable(),
    get connections() {
      return open.size;
    },
    listen() {
      if (state !== 'new') {
        return Promise.reject(
          new HealthItError(
            'state/invalid',
            `MLLP server cannot listen: it is ${state === 'listening' ? 'already listening' : 'closed'}`,
          ),
        );
      }
      return new Promise((resolve, rejectListen) => {
        const s = createServer({ allowHalfOpen: true }, accept);
        const onError = (e: Error): void => {
          s.off('listening', onListening);
          rejectListen(
            new HealthItError(
              'transport/disconnected',
              `MLLP server could not listen on ${host}:${port}: ${e.message}`,
              {
                cause: e,
                detail: { host, port },
              },
            ),
          );
        };
        const onListening = (): void => {
          s.off('error', onError);
          s.on('error', (e) =>
            emit({
              type: 'server-error',
              error: new HealthItError('transport/disconnected', `MLLP server: ${e.message}`, { cause: e }),
            }),
          );
          server = s;
          state = 'listening';
          const address = s.address();
          const bound =
            typeof address === 'object' && address !== null
              ? { host: address.address, port: address.port }
              : { host, port };
          emit({ type: 'listening', ...bound });
          resolve(bound);
        };
        s.once('error', onError);
        s.once('listening', onListening);
        s.listen(port, host);
      });
    },
    async close() {
      if (state === 'closed') return;
      const wasListening = state === 'listening';
      state = 'closed';
      const closing = [...open].map((conn) => {
        conn.closeReason ??= 'server-closed';
        conn.socket.destroy();
        return conn.closed;
      });
      await Promise.all(closing);
      if (wasListening && server !== undefined) {
        const s = server;
        await new Promise<void>((resolve) => s.close(() => resolve()));
      }
      emit({ type: 'closed' });
      completed = true;
      events.complete();
    },
  };
}
