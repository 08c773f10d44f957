import {
  createServer as createHttpServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { HealthItError } from '@healthit/core';
import {
  allOk,
  getStatus,
  normalizeOperationOutcome,
  OperationOutcomeError,
  validateResource,
} from '@medplum/core';
import { type FhirResponse, FhirRouter, type HttpMethod } from '@medplum/fhir-router';
import type { Bundle, OperationOutcome, OperationOutcomeIssue, Resource } from '@medplum/fhirtypes';
import { loadFhirDefinitions } from './definitions.js';
import { IndexedMemoryRepository } from './indexed-repository.js';
import { processTransactionBundle, TransactionEntryFailure } from './transaction.js';

/** Options of {@link startEmbeddedFhirServer}. */
export interface EmbeddedFhirServerOptions {
  /** Interface to listen on (default `127.0.0.1`). */
  readonly host?: string;
  /** Port (default 0: any free port; read it from {@link EmbeddedFhirServer.port}). */
  readonly port?: number;
  /** Serve HTTPS with this certificate and key (PEM), e.g. from `issueServerCredentials`. */
  readonly tls?: { readonly certificatePem: string; readonly privateKeyPem: string };
  /** Path the FHIR base is served under (default `/fhir`). */
  readonly basePath?: string;
  /** Largest request body in bytes (default 32 MiB); a larger one is answered 413. */
  readonly maxBodyBytes?: number;
  /**
   * Validate every created or updated resource against the R4 StructureDefinitions (Medplum's
   * `validateResource`) and answer 400 naming the element, as a hospital's server does (default
   * false: validation costs about 0.3 ms per resource).
   */
  readonly validate?: boolean;
  /** The repository to serve (default a new, empty one); caller-owned, e.g. to seed or inspect it. */
  readonly repository?: IndexedMemoryRepository;
}

/** A running embedded FHIR server (see {@link startEmbeddedFhirServer}). */
export interface EmbeddedFhirServer {
  /** The FHIR base URL, e.g. `http://127.0.0.1:40123/fhir`. */
  readonly baseUrl: string;
  /** The TCP port the server listens on (the one chosen when `port` was 0). */
  readonly port: number;
  /** The resources it holds. */
  readonly repository: IndexedMemoryRepository;
  /** Stops listening and closes every connection; resolves when the server is closed. */
  close(): Promise<void>;
}

const JSON_TYPE = 'application/fhir+json; charset=utf-8';
const METHODS: ReadonlySet<string> = new Set(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']);

function outcome(
  code: OperationOutcomeIssue['code'],
  diagnostics: string,
  expression?: string[],
): OperationOutcome {
  return {
    resourceType: 'OperationOutcome',
    issue: [{ severity: 'error', code, diagnostics, ...(expression === undefined ? {} : { expression }) }],
  };
}

class HttpFailure extends Error {
  constructor(
    readonly status: number,
    readonly outcome: OperationOutcome,
  ) {
    super(outcome.issue?.[0]?.diagnostics ?? `HTTP ${status}`);
  }
}

function readBody(req: IncomingMessage, max: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > max) {
      reject(
        new HttpFailure(
          413,
          outcome('too-long', `The request body (${declared} bytes) exceeds ${max} bytes`),
        ),
      );
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let refused = false;
    req.on('data', (chunk: Buffer) => {
      if (refused) return;
      size += chunk.length;
      if (size > max) {
        refused = true;
        chunks.length = 0;
        reject(new HttpFailure(413, outcome('too-long', `The request body exceeds ${max} bytes`)));
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function parseJson(body: Buffer): unknown {
  if (body.length === 0) return undefined;
  try {
    return JSON.parse(body.toString('utf8'));
  } catch (e) {
    throw new HttpFailure(
      400,
      outcome(
        'invalid',
        `The request body is not valid JSON: ${(e as Error).message}. Send a FHIR JSON resource.`,
      ),
    );
  }
}

/** Throws a 400 naming the element when `resource` does not conform to its R4 StructureDefinition. */
function validate(resource: Resource, at?: string): void {
  try {
    validateResource(resource);
  } catch (e) {
    const issues = e instanceof OperationOutcomeError ? (e.outcome.issue ?? []) : [];
    const error = issues.find((i) => i.severity === 'error' || i.severity === 'fatal') ?? issues[0];
    const element = error?.expression?.[0] ?? '';
    const what = `${error?.details?.text ?? (e as Error).message}${element === '' ? '' : ` (${element})`}`;
    const where = at === undefined ? element : `${at}.resource${element.replace(/^[A-Za-z]+/, '')}`;
    throw new HttpFailure(
      400,
      outcome(
        'invalid',
        `${at === undefined ? '' : `${at}: `}${what}`,
        where === '' ? undefined : [where, ...(at === undefined ? [] : [at])],
      ),
    );
  }
}

function validateBody(method: string, body: unknown): void {
  if (typeof body !== 'object' || body === null || !('resourceType' in body)) return;
  const resource = body as Resource;
  if (resource.resourceType === 'Bundle' && method === 'POST') {
    const bundle = resource as Bundle;
    if (bundle.type === 'transaction' || bundle.type === 'batch') {
      bundle.entry?.forEach((entry, i) => {
        const m = entry.request?.method;
        if (entry.resource !== undefined && (m === 'POST' || m === 'PUT'))
          validate(entry.resource, `Bundle.entry[${i}]`);
      });
      return;
    }
  }
  if (method === 'POST' || method === 'PUT') validate(resource);
}

function capabilityStatement(): Resource {
  return {
    resourceType: 'CapabilityStatement',
    status: 'active',
    date: new Date().toISOString(),
    kind: 'instance',
    software: { name: '@healthit/platform embedded FHIR server (Medplum FHIR router, in memory)' },
    fhirVersion: '4.0.1',
    format: ['json'],
    rest: [
      {
        mode: 'server',
        interaction: [{ code: 'transaction' }, { code: 'batch' }, { code: 'search-system' }],
      },
    ],
  } as Resource;
}

/**
 * Starts an in-process FHIR R4 server: Medplum's FHIR router over an in-memory repository indexed
 * on identifiers and patient references ({@link IndexedMemoryRepository}), behind `node:http`, or
 * `node:https` when `tls` is given. Create, read, update, patch, delete, search, history,
 * conditional create/update and transaction/batch Bundles; a transaction is all or nothing, and one
 * made only of creates is run by {@link processTransactionBundle} (what Medplum's batch processor
 * does, without its repeated work per entry). With `Prefer: return=minimal` a Bundle's answer
 * keeps each entry's status and location, the outcome only of entries that failed.
 *
 * For tests, examples and the quick start — not a production FHIR server: no persistence (it lives
 * in memory and is gone on close), no authentication or authorisation, no terminology services,
 * no paging beyond `_count`/`_offset`, one request at a time.
 *
 * @throws {HealthItError} `config/invalid` for a bad option; the listen error (e.g. `EADDRINUSE`) as its cause.
 * @example
 * ```ts
 * const fhir = await startEmbeddedFhirServer();
 * const client = new Client({ baseUrl: fhir.baseUrl });
 * await client.create({ resourceType: 'Patient', body: { resourceType: 'Patient' } });
 * await fhir.close();
 * ```
 */
export async function startEmbeddedFhirServer(
  options: EmbeddedFhirServerOptions = {},
): Promise<EmbeddedFhirServer> {
  const basePath = (options.basePath ?? '/fhir').replace(/\/+$/, '');
  if (basePath !== '' && !basePath.startsWith('/')) {
    throw new HealthItError('config/invalid', `basePath must start with "/", got "${options.basePath}"`);
  }
  const maxBodyBytes = options.maxBodyBytes ?? 32 * 1024 * 1024;
  if (!(Number.isInteger(maxBodyBytes) && maxBodyBytes > 0)) {
    throw new HealthItError('config/invalid', `maxBodyBytes must be a positive integer, got ${maxBodyBytes}`);
  }
  loadFhirDefinitions();
  const repo = options.repository ?? new IndexedMemoryRepository();
  const router = new FhirRouter();
  const shouldValidate = options.validate ?? false;
  let baseUrl = '';

  const send = (
    res: ServerResponse,
    status: number,
    body: unknown,
    headers: Record<string, string> = {},
  ): void => {
    const text = body === undefined ? '' : JSON.stringify(body);
    res.writeHead(status, {
      ...(text === '' ? {} : { 'content-type': JSON_TYPE }),
      'content-length': String(Buffer.byteLength(text)),
      ...headers,
    });
    res.end(text);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://embedded');
    const method = req.method ?? 'GET';
    if (url.pathname !== basePath && !url.pathname.startsWith(`${basePath}/`)) {
      throw new HttpFailure(
        404,
        outcome('not-found', `No FHIR endpoint at ${url.pathname}; the base is ${basePath}`),
      );
    }
    if (!METHODS.has(method)) {
      throw new HttpFailure(405, outcome('not-supported', `Method ${method} is not supported`));
    }
    const body =
      method === 'GET' || method === 'DELETE' ? undefined : parseJson(await readBody(req, maxBodyBytes));
    const path = url.pathname.slice(basePath.length).replace(/^\/+/, '');
    if (method === 'GET' && path === 'metadata') {
      send(res, 200, capabilityStatement());
      return;
    }
    if (shouldValidate) validateBody(method, body);
    const minimal = /return=minimal/.test(String(req.headers.prefer ?? ''));
    const isTransaction =
      method === 'POST' &&
      path === '' &&
      (body as Bundle | undefined)?.resourceType === 'Bundle' &&
      (body as Bundle).type === 'transaction';

    const [result, resource] = await repo.atomically(async (): Promise<FhirResponse> => {
      if (!isTransaction) {
        return router.handleRequest(
          {
            method: method as HttpMethod,
            url: path + url.search,
            pathname: '',
            body,
            params: {},
            query: Object.fromEntries(url.searchParams),
            headers: req.headers,
          },
          repo,
        );
      }
      try {
        return [allOk, await processTransactionBundle(body as Bundle, repo, router)];
      } catch (e) {
        if (!(e instanceof TransactionEntryFailure)) throw e;
        const entry = (body as Bundle).entry?.[e.index];
        const what = `${entry?.request?.method ?? '?'} ${entry?.request?.url ?? '?'}`;
        const detail = e.outcome.issue?.[0];
        const because = detail?.diagnostics ?? detail?.details?.text ?? 'failed';
        throw new HttpFailure(
          e.status,
          outcome(
            detail?.code ?? 'processing',
            `Transaction failed at Bundle.entry[${e.index}] (${what}): ${because}; nothing was committed`,
            [`Bundle.entry[${e.index}]`, ...(detail?.expression ?? [])],
          ),
        );
      }
    });

    const status = getStatus(result);
    if (status >= 400 || resource === undefined) {
      send(res, status, result);
      return;
    }
    const headers: Record<string, string> = {};
    const versionId = resource.meta?.versionId;
    if (versionId !== undefined) headers.etag = `W/"${versionId}"`;
    if (status === 201 && resource.id !== undefined) {
      headers.location = `${baseUrl}/${resource.resourceType}/${resource.id}/_history/${versionId ?? ''}`;
    }
    if (minimal && resource.resourceType === 'Bundle' && method === 'POST' && path === '') {
      for (const entry of (resource as Bundle).entry ?? []) {
        delete entry.resource;
        // A success needs no OperationOutcome (All OK, Created): its status says it.
        if (entry.response?.status?.startsWith('2') === true) delete entry.response.outcome;
      }
      send(res, status, resource, headers);
    } else {
      send(res, status, minimal && status === 201 ? undefined : resource, headers);
    }
  };

  const listener = (req: IncomingMessage, res: ServerResponse): void => {
    handle(req, res).catch((e: unknown) => {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      if (e instanceof HttpFailure) {
        // A refused body is not read to its end: close the connection rather than drain it.
        send(res, e.status, e.outcome, e.status === 413 ? { connection: 'close' } : {});
        return;
      }
      const o = normalizeOperationOutcome(e);
      send(res, getStatus(o) >= 400 ? getStatus(o) : 500, o);
    });
  };

  const server: Server =
    options.tls === undefined
      ? createHttpServer(listener)
      : createHttpsServer({ cert: options.tls.certificatePem, key: options.tls.privateKeyPem }, listener);
  await new Promise<void>((resolve, reject) => {
    server.once('error', (cause) =>
      reject(
        new HealthItError('config/invalid', `The FHIR server could not listen: ${cause.message}`, { cause }),
      ),
    );
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const { port, address } = server.address() as AddressInfo;
  const host = address.includes(':') ? `[${address}]` : address;
  baseUrl = `${options.tls === undefined ? 'http' : 'https'}://${host}:${port}${basePath}`;
  let closing: Promise<void> | undefined;
  return {
    baseUrl,
    port,
    repository: repo,
    close: () => {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closing;
    },
  };
}
