/**
 * A tiny static server for the page (node:http), on 127.0.0.1: `localhost` is a secure context,
 * so Web Bluetooth is allowed there without https. Sends a strict Content-Security-Policy (scripts
 * only from the page's origin, no eval): the SDK runs under it.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { PageFiles } from './bundle.js';

/** A running page server. */
export interface PageServer {
  /** `http://127.0.0.1:<port>/`. */
  readonly url: string;
  close(): Promise<void>;
}

const CSP = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:";

/** Serves `files` on `port` (0: any free port). */
export async function servePage(files: PageFiles, port = 0): Promise<PageServer> {
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    const file = files.get(path === '/index.html' ? '/' : path);
    if (!file) {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end(`${path} not found`);
      return;
    }
    res
      .writeHead(200, {
        'content-type': file[0],
        'content-security-policy': CSP,
        'cache-control': 'no-store',
      })
      .end(file[1]);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
  const address = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${address.port}/`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
