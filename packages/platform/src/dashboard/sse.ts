import type { ServerResponse } from 'node:http';

/** Bounds of an {@link SseHub}. */
export interface SseHubOptions {
  /** Clients connected at once (default 64). Policy when full: `refuse-new` (HTTP 503, `Retry-After`). */
  readonly maxClients?: number;
  /**
   * Bytes queued for one client whose socket does not keep up (default 1 MiB). Policy when passed:
   * `disconnect-slow-client` — the connection is closed; the browser's `EventSource` reconnects and
   * the page reloads its state, so nothing is shown stale.
   */
  readonly maxQueuedBytesPerClient?: number;
  /** A comment line this often keeps proxies from closing an idle stream (default 15 000 ms). */
  readonly heartbeatMs?: number;
}

/** Counters of an {@link SseHub}. */
export interface SseHubStats {
  /** Clients connected now. */
  readonly clients: number;
  /** Connections refused because `maxClients` were connected. */
  readonly refused: number;
  /** Clients disconnected for falling behind. */
  readonly disconnectedSlow: number;
  /** Events broadcast. */
  readonly events: number;
}

/** Server-sent events to every connected browser. */
export interface SseHub {
  /**
   * Takes over `res` as an event stream. Returns false (and answers 503) when `maxClients` are
   * connected.
   */
  attach(res: ServerResponse): boolean;
  /** Sends `data` (JSON) as event `event` to every client. */
  broadcast(event: string, data: unknown): void;
  /** The hub's current counters. */
  stats(): SseHubStats;
  /** Ends every stream. Idempotent. */
  close(): void;
}

function positive(name: string, value: number): number {
  if (!Number.isFinite(value) || value <= 0) throw new RangeError(`${name} must be > 0, got ${value}`);
  return value;
}

/**
 * Creates the hub (see {@link SseHubOptions} for its bounds and their policies).
 * @throws {RangeError} for a bound that is not positive.
 */
export function createSseHub(options: SseHubOptions = {}): SseHub {
  const maxClients = positive('maxClients', options.maxClients ?? 64);
  const maxQueued = positive('maxQueuedBytesPerClient', options.maxQueuedBytesPerClient ?? 2 ** 20);
  const heartbeatMs = positive('heartbeatMs', options.heartbeatMs ?? 15_000);
  const clients = new Set<ServerResponse>();
  let refused = 0;
  let disconnectedSlow = 0;
  let events = 0;
  let closed = false;

  const send = (res: ServerResponse, text: string): void => {
    if (res.writableLength > maxQueued) {
      disconnectedSlow += 1;
      clients.delete(res);
      res.destroy();
      return;
    }
    res.write(text);
  };
  const heartbeat = setInterval(() => {
    for (const res of clients) send(res, ': keep-alive\n\n');
  }, heartbeatMs);
  heartbeat.unref();

  return {
    attach(res) {
      if (closed || clients.size >= maxClients) {
        refused += 1;
        res.writeHead(503, { 'content-type': 'text/plain', 'retry-after': '5' });
        res.end(closed ? 'the dashboard is closing' : `at most ${maxClients} live connections`);
        return false;
      }
      res.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-store',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
      });
      res.write('retry: 2000\n\n');
      clients.add(res);
      res.on('close', () => clients.delete(res));
      return true;
    },
    broadcast(event, data) {
      if (closed) return;
      events += 1;
      const text = `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
      for (const res of clients) send(res, text);
    },
    stats: () => ({ clients: clients.size, refused, disconnectedSlow, events }),
    close() {
      if (closed) return;
      closed = true;
      clearInterval(heartbeat);
      for (const res of clients) res.end();
      clients.clear();
    },
  };
}
