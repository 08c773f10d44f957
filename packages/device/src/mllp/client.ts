import { connect as netConnect, type Socket } from 'node:net';
import { HealthItError } from '@healthit/core';
import { type Hl7Ack, readAck } from '../hl7v2/ack.js';
import { decodeHl7Bytes, encodeHl7Text } from '../hl7v2/charset.js';
import { Hl7ParseError } from '../hl7v2/errors.js';
import { parseHl7, parseHl7Header } from '../hl7v2/parse.js';
import { createMllpFrameDecoder, DEFAULT_MAX_FRAME_BYTES, encodeMllpFrame } from './frame.js';

/** Options of {@link createMllpClient}. */
export interface MllpClientOptions {
  /** The receiver's host name or IP address. */
  readonly host: string;
  /** The receiver's TCP port (MLLP listeners often use 2575). */
  readonly port: number;
  /** How long to wait for each acknowledgement (an integer >= 1). Default 30 000 ms. */
  readonly timeoutMs?: number;
  /** How long to wait for the TCP connection. Default `timeoutMs`. */
  readonly connectTimeoutMs?: number;
  /** The largest acknowledgement accepted, in bytes. Default 1 MiB. */
  readonly maxFrameBytes?: number;
  /** Messages waiting to be sent (an integer >= 1); `send` rejects with `buffer/overflow` beyond. Default 1024. */
  readonly maxQueued?: number;
}

/** An MLLP client: sends HL7 messages one at a time and waits for each acknowledgement. */
export interface MllpClient {
  /**
   * Sends one message and resolves with its acknowledgement (AE and AR resolve too: read
   * `ack.code`). Messages go out one at a time, in call order; the next is sent only after the
   * previous one is acknowledged or has failed. Connects (again) when needed.
   *
   * @throws {MllpTimeoutError} (`transport/publish-failed`, ambiguous: the receiver may have
   *   processed it) when no acknowledgement came within `timeoutMs`; the connection is then closed.
   * @throws {HealthItError} `transport/disconnected` when it cannot connect;
   *   `transport/publish-failed` when the connection closed before the acknowledgement or the
   *   acknowledgement is for another message; `transport/closed` after `close()`;
   *   `buffer/overflow` when `maxQueued` messages are waiting.
   * @throws {Hl7ParseError} when the message has no readable MSH-10, or the acknowledgement is malformed.
   */
  send(message: string): Promise<Hl7Ack>;
  /** Closes the connection; waiting and queued messages fail with `transport/closed`. */
  close(): Promise<void>;
}

/**
 * No acknowledgement arrived in time: a `transport/publish-failed` {@link HealthItError}
 * (ambiguous, retryable: the message may or may not have been processed — resend it with the same
 * MSH-10 so the receiver can recognise a duplicate).
 */
export class MllpTimeoutError extends HealthItError {
  /** Always `MllpTimeoutError`. */
  override readonly name = 'MllpTimeoutError';
  /** How long the client waited for the acknowledgement, ms (the client's `timeoutMs`). */
  readonly timeoutMs: number;
  /** MSH-10 of the message that was not acknowledged. */
  readonly controlId: string;

  /**
   * Creates the error, with code `transport/publish-failed`; host and port are named in the
   * message and `detail` only.
   * @param controlId - MSH-10 of the message that was not acknowledged.
   * @param timeoutMs - How long the client waited, ms.
   * @param host - The receiver's host.
   * @param port - The receiver's TCP port.
   */
  constructor(controlId: string, timeoutMs: number, host: string, port: number) {
    super(
      'transport/publish-failed',
      `MLLP: no acknowledgement of message ${controlId} from ${host}:${port} within ${timeoutMs} ms; the receiver may or may not have processed it — resend it`,
      { detail: { controlId, timeoutMs, host, port } },
    );
    this.timeoutMs = timeoutMs;
    this.controlId = controlId;
  }
}

function integerAtLeast(value: number, min: number, name: string): number {
  if (!Number.isInteger(value) || value < min)
    throw new RangeError(`${name} must be an integer >= ${min}, got ${value}`);
  return value;
}

interface Waiter {
  /** The connection the message went out on: only its frames and its closing concern this waiter. */
  readonly socket: Socket;
  frame(payload: Uint8Array): void;
  fail(error: HealthItError): void;
}

/**
 * Creates an MLLP client for sending HL7 v2 messages to a receiver (an interface engine, an
 * `createMllpServer`) the way a monitor gateway does: frame, send, wait for the ACK, next.
 * Nothing connects until the first `send`.
 *
 * @throws {RangeError} for an option out of range.
 * @example
 * ```ts
 * const client = createMllpClient({ host: '10.0.0.5', port: 2575, timeoutMs: 10_000 });
 * const ack = await client.send(buildOruR01(readings, { controlId: 'MSG-1', timestamp: Date.now() }));
 * if (ack.code !== 'AA') console.warn(ack.errors);
 * await client.close();
 * ```
 */
export function createMllpClient(options: MllpClientOptions): MllpClient {
  const { host } = options;
  const port = integerAtLeast(options.port, 1, 'port');
  if (port > 65_535) throw new RangeError(`port must be <= 65535, got ${port}`);
  const timeoutMs = integerAtLeast(options.timeoutMs ?? 30_000, 1, 'timeoutMs');
  const connectTimeoutMs = integerAtLeast(options.connectTimeoutMs ?? timeoutMs, 1, 'connectTimeoutMs');
  const maxFrameBytes = integerAtLeast(options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES, 1, 'maxFrameBytes');
  const maxQueued = integerAtLeast(options.maxQueued ?? 1024, 1, 'maxQueued');

  let socket: Socket | undefined;
  let waiter: Waiter | undefined;
  let chain: Promise<unknown> = Promise.resolve();
  let queued = 0;
  let closed = false;

  const closedError = (): HealthItError =>
    new HealthItError('transport/closed', `MLLP client to ${host}:${port} is closed`, {
      detail: { host, port },
    });

  function connect(): Promise<Socket> {
    if (socket !== undefined && !socket.destroyed) return Promise.resolve(socket);
    return new Promise((resolve, reject) => {
      const s = netConnect({ host, port });
      const timer = setTimeout(() => {
        s.destroy();
        reject(
          new HealthItError(
            'transport/disconnected',
            `MLLP: could not connect to ${host}:${port} within ${connectTimeoutMs} ms`,
            {
              detail: { host, port, connectTimeoutMs },
            },
          ),
        );
      }, connectTimeoutMs);
      const onError = (e: Error): void => {
        clearTimeout(timer);
        reject(
          new HealthItError(
            'transport/disconnected',
            `MLLP: could not connect to ${host}:${port}: ${e.message}`,
            {
              cause: e,
              detail: { host, port },
            },
          ),
        );
      };
      s.once('error', onError);
      s.once('connect', () => {
        clearTimeout(timer);
        s.off('error', onError);
        s.setNoDelay(true);
        socket = s;
        const frames = createMllpFrameDecoder({ maxFrameBytes });
        const mine = (): Waiter | undefined => (waiter?.socket === s ? waiter : undefined);
        s.on('data', (chunk: Buffer) => {
          for (const e of frames.push(chunk)) {
            if (e.type === 'frame') mine()?.frame(e.payload);
            else if (e.type !== 'garbage') {
              mine()?.fail(
                new HealthItError(
                  'codec/decode',
                  `MLLP: the acknowledgement frame from ${host}:${port} is ${e.type}`,
                  {
                    detail: { type: e.type, bytes: e.bytes },
                  },
                ),
              );
            }
          }
        });
        s.on('error', () => undefined); // 'close' follows and fails the waiter
        s.on('close', () => {
          if (socket === s) socket = undefined;
          mine()?.fail(
            new HealthItError(
              'transport/publish-failed',
              `MLLP: the connection to ${host}:${port} closed before the acknowledgement; the message may or may not have been processed — resend it`,
              { detail: { host, port } },
            ),
          );
        });
        if (closed) {
          s.destroy();
          reject(closedError());
        } else {
          resolve(s);
        }
      });
    });
  }

  async function exchange(frame: Uint8Array, controlId: string): Promise<Hl7Ack> {
    if (closed) throw closedError();
    const s = await connect();
    return new Promise<Hl7Ack>((resolve, reject) => {
      const timer = setTimeout(() => {
        waiter = undefined;
        s.destroy();
        reject(new MllpTimeoutError(controlId, timeoutMs, host, port));
      }, timeoutMs);
      waiter = {
        socket: s,
        frame(payload) {
          clearTimeout(timer);
          waiter = undefined;
          let ack: Hl7Ack;
          try {
            ack = readAck(parseHl7(decodeHl7Bytes(payload)));
          } catch (e) {
            reject(e);
            return;
          }
          if (ack.controlId !== controlId) {
            s.destroy(); // out of step with the receiver: start afresh
            reject(
              new HealthItError(
                'transport/publish-failed',
                `MLLP: ${host}:${port} acknowledged message ${JSON.stringify(ack.controlId)} while ${JSON.stringify(controlId)} was waiting; resend it`,
                { detail: { host, port, expected: controlId, received: ack.controlId } },
              ),
            );
            return;
          }
          resolve(ack);
        },
        fail(error) {
          clearTimeout(timer);
          waiter = undefined;
          reject(error);
        },
      };
      s.write(frame);
    });
  }

  return {
    send(message) {
      if (closed) return Promise.reject(closedError());
      if (queued >= maxQueued) {
        return Promise.reject(
          new HealthItError(
            'buffer/overflow',
            `MLLP: ${maxQueued} messages are already waiting to be sent to ${host}:${port}`,
            {
              detail: { host, port, maxQueued },
            },
          ),
        );
      }
      let controlId: string;
      let frame: Uint8Array;
      try {
        controlId = parseHl7Header(message).header.controlId;
        if (controlId === '') {
          throw new Hl7ParseError(
            'required field missing: MSH-10 message control id (the acknowledgement echoes it)',
            {
              segmentIndex: 0,
              segmentId: 'MSH',
              segmentSequence: 1,
              field: 10,
              hl7ErrorCode: 101,
            },
          );
        }
        frame = encodeMllpFrame(encodeHl7Text(message));
      } catch (e) {
        return Promise.reject(e);
      }
      queued++;
      const result = chain.then(() => exchange(frame, controlId));
      chain = result.then(
        () => {
          queued--;
        },
        () => {
          queued--;
        },
      );
      return result;
    },
    async close() {
      if (closed) return;
      closed = true;
      waiter?.fail(closedError());
      const s = socket;
      socket = undefined;
      if (s !== undefined && !s.destroyed) {
        await new Promise<void>((resolve) => {
          s.once('close', () => resolve());
          s.destroy();
        });
      }
    },
  };
}
