import { concatBytes } from '@noble/hashes/utils.js';
import { HealthItError } from '../errors/index.js';

/** One HTTPS exchange of the enrolment protocol. */
export interface HttpsExchange {
  /** The HTTP method: `GET` to fetch CA certificates or the CRL, `POST` to enrol or re-enrol. */
  readonly method: 'GET' | 'POST';
  /** The absolute `https:` URL: an EST path resolved against the enrolment server's base URL. */
  readonly url: URL;
  /** Request headers (lowercase names), such as `content-type` and `authorization`; none when undefined. */
  readonly headers?: Readonly<Record<string, string>>;
  /** The request body as text (a base64 DER certificate request for enrolment); none when undefined. */
  readonly body?: string;
  /** Trust anchors for the server's certificate (PEM): the platform CA, not the system store. */
  readonly ca: string | readonly string[];
  /** A client certificate and key (PEM), for mutual TLS. */
  readonly client?: { readonly certificatePem: string; readonly privateKeyPem: string };
  /** How long to wait for the response, ms, before failing with `transport/disconnected`. */
  readonly timeoutMs: number;
  /** The largest response body accepted, bytes; a larger one fails with `buffer/overflow`. */
  readonly maxResponseBytes: number;
}

/** An HTTPS response: status, content type and body bytes. */
export interface HttpsResponse {
  /** The HTTP status code (0 when the server sent none). */
  readonly status: number;
  /** The `content-type` header as sent, parameters included; empty when absent. */
  readonly contentType: string;
  /** The whole response body, bytes (at most the exchange's `maxResponseBytes`). */
  readonly body: Uint8Array<ArrayBuffer>;
}

/** Sends one exchange and reads its response: node:https by default, or the integrator's own. */
export type HttpsExchanger = (exchange: HttpsExchange) => Promise<HttpsResponse>;

/** The few members of node:https used here (looked up at run time, so core still bundles for browsers). */
interface NodeHttps {
  request(
    url: URL,
    options: object,
    callback: (res: {
      statusCode?: number;
      headers: Record<string, string | string[] | undefined>;
      on(event: 'data', listener: (chunk: Uint8Array) => void): void;
      on(event: 'end' | 'error', listener: (error?: Error) => void): void;
    }) => void,
  ): {
    on(event: 'timeout', listener: () => void): void;
    on(event: 'error', listener: (error: Error) => void): void;
    destroy(error?: Error): void;
    end(body?: string): void;
  };
}

function nodeHttps(): NodeHttps {
  const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  const mod = proc?.getBuiltinModule?.('node:https') as NodeHttps | undefined;
  if (mod === undefined) {
    throw new HealthItError('config/invalid', 'node:https is not available here: pass your own `exchange`');
  }
  return mod;
}

/**
 * Sends one request over TLS 1.2+ with node:https and reads the response, bounded in time and size.
 * @throws {HealthItError} `transport/disconnected` when the server cannot be reached or the TLS
 * handshake fails (an untrusted server certificate included); `buffer/overflow` for an oversized response.
 */
export const nodeHttpsExchange: HttpsExchanger = (x) =>
  new Promise((resolve, reject) => {
    const req = nodeHttps().request(
      x.url,
      {
        method: x.method,
        headers: x.headers,
        ca: x.ca,
        cert: x.client?.certificatePem,
        key: x.client?.privateKeyPem,
        minVersion: 'TLSv1.2',
        timeout: x.timeoutMs,
      },
      (res) => {
        const chunks: Uint8Array[] = [];
        let size = 0;
        res.on('data', (chunk) => {
          size += chunk.length;
          if (size > x.maxResponseBytes) {
            req.destroy(
              new HealthItError(
                'buffer/overflow',
                `The response from ${x.url.href} exceeds ${x.maxResponseBytes} bytes`,
              ),
            );
            return;
          }
          chunks.push(chunk);
        });
        res.on('end', () => {
          const type = res.headers['content-type'];
          resolve({
            status: res.statusCode ?? 0,
            contentType: String(type ?? ''),
            body: Uint8Array.from(concatBytes(...chunks)),
          });
        });
        res.on('error', (error) => reject(error));
      },
    );
    req.on('timeout', () =>
      req.destroy(
        new HealthItError('transport/disconnected', `No response from ${x.url.href} in ${x.timeoutMs} ms`),
      ),
    );
    req.on('error', (cause) =>
      reject(
        cause instanceof HealthItError
          ? cause
          : new HealthItError(
              'transport/disconnected',
              `${x.method} ${x.url.href} failed: ${cause.message}`,
              {
                cause,
              },
            ),
      ),
    );
    req.end(x.body);
  });
