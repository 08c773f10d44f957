/**
 * A TCP proxy (node:net) between a client under test and a real server, that a fault-injection
 * test uses to cut connections: every accepted connection is piped to `target`, and the test can
 * destroy all of them at once, refuse new ones for a while, or cut a connection right after the
 * client sent a given command (an acknowledgement lost on the way back).
 */
import { createConnection, createServer, type Server, type Socket } from 'node:net';

/** What a {@link TcpProxy} did so far. */
export interface TcpProxyStats {
  /** Connections accepted and piped to the target. */
  readonly accepted: number;
  /** Connections refused (destroyed at once) while refusing. */
  readonly refused: number;
  /** Connections destroyed by {@link TcpProxy.cutAll} or a trigger. */
  readonly cut: number;
}

/** A running proxy. */
export interface TcpProxy {
  readonly port: number;
  /** Destroys every open connection (both sides, no FIN: as a network or server failure). Returns how many. */
  cutAll(): number;
  /** While true, new connections are destroyed as soon as they are accepted (the server looks down). */
  refuse(on: boolean): void;
  /**
   * The next time a client sends bytes containing `marker` (e.g. `COMMIT`), forwards them to the
   * server and then cuts that connection before any answer comes back: the server acts on the
   * command, the client never learns it did. Resolves when it happened.
   */
  cutAfterClientSends(marker: string): Promise<void>;
  stats(): TcpProxyStats;
  close(): Promise<void>;
}

/** Starts a proxy on 127.0.0.1 (a free port) to `target`. */
export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  const pairs = new Set<{ client: Socket; server: Socket }>();
  let refusing = false;
  let accepted = 0;
  let refused = 0;
  let cut = 0;
  const triggers: { marker: Buffer; fired: () => void }[] = [];

  const destroyPair = (pair: { client: Socket; server: Socket }): void => {
    if (!pairs.delete(pair)) return;
    // resetAndDestroy sends RST where supported: the peer sees the connection die, not a clean close.
    for (const s of [pair.client, pair.server]) {
      if (typeof s.resetAndDestroy === 'function' && !s.destroyed && s.readyState === 'open')
        s.resetAndDestroy();
      else s.destroy();
    }
  };

  const server: Server = createServer((client) => {
    if (refusing) {
      refused += 1;
      client.destroy();
      return;
    }
    accepted += 1;
    const upstream = createConnection(target);
    const pair = { client, server: upstream };
    pairs.add(pair);
    client.on('data', (chunk: Buffer) => {
      const trigger = triggers.find((t) => chunk.includes(t.marker));
      if (trigger === undefined) {
        upstream.write(chunk);
        return;
      }
      triggers.splice(triggers.indexOf(trigger), 1);
      // Stop relaying answers at once, hand the command to the server, then cut.
      upstream.pause();
      upstream.write(chunk, () => {
        setTimeout(() => {
          cut += 1;
          destroyPair(pair);
          trigger.fired();
        }, 50);
      });
    });
    upstream.on('data', (chunk: Buffer) => {
      if (!client.destroyed) client.write(chunk);
    });
    const end = () => destroyPair(pair);
    client.on('error', end);
    upstream.on('error', end);
    client.on('close', end);
    upstream.on('close', end);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  if (typeof address !== 'object' || address === null) throw new Error('the proxy has no port');

  return {
    port: address.port,
    cutAll() {
      const open = [...pairs];
      for (const pair of open) destroyPair(pair);
      cut += open.length;
      return open.length;
    },
    refuse(on) {
      refusing = on;
    },
    cutAfterClientSends(marker) {
      return new Promise<void>((resolve) => triggers.push({ marker: Buffer.from(marker), fired: resolve }));
    },
    stats: () => ({ accepted, refused, cut }),
    close() {
      for (const pair of [...pairs]) destroyPair(pair);
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
