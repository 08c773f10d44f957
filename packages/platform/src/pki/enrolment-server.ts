import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { TLSSocket } from 'node:tls';
import {
  type Clock,
  certificateRequestDigest,
  createReplayGuard,
  HealthItError,
  isHealthItError,
  systemClock,
  verifyCertificateRequestProof,
} from '@healthit/core';
import {
  CRL_PATH,
  EST_CONTENT_TYPES,
  EST_PATHS,
  encodeCertsOnly,
  parseEnrolmentAuthorization,
  type TlsCredentials,
} from '@healthit/core/certificates';
import { type Observable, Subject } from 'rxjs';
import type { CertificateAuthority, CertificateSubjectKind } from './certificate-authority.js';
import type { CertificateRecord } from './certificate-inventory.js';

/** Options of {@link startEnrolmentServer}. */
export interface EnrolmentServerOptions {
  /**
   * The CA that issues the certificates and whose certificate and CRL the server publishes
   * (`/.well-known/est/cacerts`, `/crl`).
   */
  readonly ca: CertificateAuthority;
  /**
   * The registered Ed25519 identity key `keyId` of a subject allowed to enrol now, or undefined
   * (unknown, not active, key revoked): the device registry's answer, wired by the integrator.
   */
  readonly identityKey: (
    subjectId: string,
    kind: CertificateSubjectKind,
    keyId: string,
  ) => Uint8Array | undefined;
  /** The server's own certificate and key (see `issueServerCredentials`). */
  readonly tls: Pick<TlsCredentials, 'certificatePem' | 'privateKeyPem'>;
  /** Default 127.0.0.1. */
  readonly host?: string;
  /** Default 0 (a free port). */
  readonly port?: number;
  /** The time for replay checks of enrolment proofs and for refusal records (default the system clock). */
  readonly clock?: Clock;
  /** How far a first enrolment's `ts` may be from the clock (default 5 min); each is accepted once. */
  readonly maxClockSkewMs?: number;
  /** Largest request body (default 16 KiB); larger is refused with 413. */
  readonly maxRequestBytes?: number;
}

/** A refused enrolment: an audit record. */
export interface EnrolmentRefusal {
  /** Discriminant: `enrolment.refused`. */
  readonly type: 'enrolment.refused';
  /** The request's URL path (and query), as received, e.g. `/.well-known/est/simpleenroll`. */
  readonly path: string;
  /** The HTTP status sent. */
  readonly status: number;
  /** Why it was refused, in words (also the response body). */
  readonly reason: string;
  /** The subject it claimed to be, when it got that far. */
  readonly subjectId?: string;
  /** When it was refused, epoch ms (the server's clock). */
  readonly at: number;
}

/** A running enrolment server. */
export interface EnrolmentServer {
  /** `https://host:port`. */
  readonly url: string;
  /** The TCP port the server listens on (the one chosen when `port` was 0). */
  readonly port: number;
  /** Every refusal, for the audit trail. */
  readonly refusals$: Observable<EnrolmentRefusal>;
  /**
   * Stops accepting connections, closes open ones and completes `refusals$`; resolves once the
   * server is closed.
   */
  close(): Promise<void>;
}

class Refusal extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly subjectId?: string,
  ) {
    super(message);
  }
}

function refusalOf(error: unknown, subjectId?: string): Refusal {
  if (error instanceof Refusal) return error;
  if (isHealthItError(error)) {
    const status =
      error.code === 'validation/invalid'
        ? 400
        : error.code === 'security/unauthenticated' || error.code === 'security/replay'
          ? 403
          : error.code === 'buffer/overflow'
            ? 503
            : 500;
    return new Refusal(status, error.message, subjectId);
  }
  return new Refusal(500, 'internal error', subjectId);
}

function readBody(req: IncomingMessage, max: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      if (size > max) return; // already refused: the rest is read and dropped (bounded by the request timeout)
      size += chunk.length;
      if (size > max) {
        chunks.length = 0;
        reject(new Refusal(413, `The request body exceeds ${max} bytes`)); // answered, not reset
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('latin1')));
    req.on('error', reject);
  });
}

/** The DER of a base64 PKCS #10 body (RFC 7030 §4.2.1). */
function csrDer(body: string): Uint8Array {
  const text = body.replace(/\s+/g, '');
  if (text.length === 0 || !/^[A-Za-z0-9+/]+={0,2}$/.test(text)) {
    throw new Refusal(400, 'The body is not a base64 PKCS #10 request');
  }
  return new Uint8Array(Buffer.from(text, 'base64'));
}

/**
 * Starts the platform's enrolment server: EST (RFC 7030) over HTTPS, on the CA's own server
 * certificate. `cacerts` and the CRL are public; `simpleenroll` (first enrolment) needs the
 * subject's Ed25519 identity proof over the request; `simplereenroll` (renewal) needs mutual TLS with
 * the subject's current, unrevoked certificate, and revokes it as superseded once the new one is issued.
 */
export async function startEnrolmentServer(options: EnrolmentServerOptions): Promise<EnrolmentServer> {
  const { ca } = options;
  const clock = options.clock ?? systemClock;
  const maxSkew = options.maxClockSkewMs ?? 5 * 60_000;
  const maxBytes = options.maxRequestBytes ?? 16 * 1024;
  const seen = createReplayGuard({ maxAgeMs: maxSkew, maxAheadMs: maxSkew, window: 64, clock });
  const refusals$ = new Subject<EnrolmentRefusal>();

  async function enrol(req: IncomingMessage): Promise<CertificateRecord> {
    const auth = parseEnrolmentAuthorization(req.headers.authorization);
    if (auth.kind === 'person')
      throw new Refusal(403, 'People do not enrol for TLS certificates', auth.subjectId);
    const der = csrDer(await readBody(req, maxBytes));
    const key = options.identityKey(auth.subjectId, auth.kind, auth.keyId);
    if (key === undefined) {
      throw new Refusal(
        403,
        `${auth.kind} ${auth.subjectId} with key ${auth.keyId} may not enrol`,
        auth.subjectId,
      );
    }
    const statement = { ...auth, csrSha256: certificateRequestDigest(der) };
    if (!verifyCertificateRequestProof(statement, auth.proof, key)) {
      throw new Refusal(401, 'The identity proof does not verify for this request', auth.subjectId);
    }
    const fresh = seen.check(`${auth.kind}:${auth.subjectId}`, auth.ts, auth.ts);
    if (!fresh.ok)
      throw new Refusal(401, `The request is stale or replayed (${fresh.reason})`, auth.subjectId);
    return ca.issue({ csr: der, subjectId: auth.subjectId, kind: auth.kind });
  }

  async function reenrol(req: IncomingMessage): Promise<CertificateRecord> {
    const socket = req.socket as TLSSocket;
    const peer = socket.getPeerCertificate();
    if (peer === null || typeof peer !== 'object' || peer.serialNumber === undefined) {
      throw new Refusal(401, 'Re-enrolment needs the current certificate (mutual TLS)');
    }
    if (!socket.authorized) {
      throw new Refusal(401, `The client certificate is not valid: ${String(socket.authorizationError)}`);
    }
    const current = ca.record(peer.serialNumber);
    const status = current === undefined ? 'unknown' : ca.status(current.serialNumber);
    if (current === undefined || status !== 'valid') {
      throw new Refusal(403, `The client certificate is ${status}`, current?.subjectId);
    }
    const der = csrDer(await readBody(req, maxBytes));
    const record = await ca.issue({ csr: der, subjectId: current.subjectId, kind: current.kind });
    ca.revoke(current.serialNumber, 'superseded');
    return record;
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? '/', 'https://x').pathname;
    const route = `${req.method} ${path}`;
    if (route === `GET ${EST_PATHS.cacerts}`) {
      res.writeHead(200, {
        'content-type': EST_CONTENT_TYPES.certsOnly,
        'content-transfer-encoding': 'base64',
      });
      res.end(encodeCertsOnly([ca.certificatePem]));
      return;
    }
    if (route === `GET ${CRL_PATH}`) {
      const crl = await ca.crl();
      res.writeHead(200, { 'content-type': EST_CONTENT_TYPES.crl, 'cache-control': 'no-cache' });
      res.end(Buffer.from(crl));
      return;
    }
    const issuing =
      route === `POST ${EST_PATHS.simpleenroll}`
        ? enrol
        : route === `POST ${EST_PATHS.simplereenroll}`
          ? reenrol
          : undefined;
    if (issuing === undefined) {
      const known = [
        EST_PATHS.cacerts,
        CRL_PATH,
        EST_PATHS.simpleenroll,
        EST_PATHS.simplereenroll,
      ] as string[];
      throw new Refusal(known.includes(path) ? 405 : 404, `${route} is not an enrolment operation`);
    }
    const type = String(req.headers['content-type'] ?? '');
    if (!type.startsWith(EST_CONTENT_TYPES.csr)) {
      throw new Refusal(415, `The body must be ${EST_CONTENT_TYPES.csr}, got "${type}"`);
    }
    const record = await issuing(req);
    res.writeHead(200, {
      'content-type': EST_CONTENT_TYPES.certsOnly,
      'content-transfer-encoding': 'base64',
    });
    res.end(encodeCertsOnly([record.certificatePem]));
  }

  const server: Server = createServer(
    {
      cert: options.tls.certificatePem,
      key: options.tls.privateKeyPem,
      ca: [ca.certificatePem],
      requestCert: true,
      rejectUnauthorized: false,
      minVersion: 'TLSv1.2',
      requestTimeout: 10_000,
      headersTimeout: 10_000,
    },
    (req, res) => {
      handle(req, res).catch((error: unknown) => {
        const refusal = refusalOf(error);
        refusals$.next({
          type: 'enrolment.refused',
          path: req.url ?? '',
          status: refusal.status,
          reason: refusal.message,
          ...(refusal.subjectId === undefined ? {} : { subjectId: refusal.subjectId }),
          at: clock.now(),
        });
        if (!res.headersSent) {
          res.writeHead(refusal.status, { 'content-type': 'text/plain; charset=utf-8', connection: 'close' });
        }
        res.end(refusal.message);
      });
    },
  );
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  if (address === null || typeof address === 'string') {
    throw new HealthItError('state/invalid', 'The enrolment server has no TCP address');
  }
  return {
    url: `https://${options.host ?? '127.0.0.1'}:${address.port}`,
    port: address.port,
    refusals$: refusals$.asObservable(),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
        refusals$.complete();
      }),
  };
}
