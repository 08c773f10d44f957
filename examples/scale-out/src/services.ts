/**
 * Checks, before anything starts, that the machine's services answer — and says what to do when
 * one does not.
 */
import { jetstreamManager } from '@nats-io/jetstream';
import { connect as natsConnect } from '@nats-io/transport-node';
import { connectAsync } from 'mqtt';
import pg from 'pg';

/** Where the services are. */
export interface ServiceUrls {
  readonly mqttUrl: string;
  readonly natsUrl: string;
  readonly pgUrl: string;
}

/** A service that is not usable, and what to do about it. */
export class ServiceUnavailableError extends Error {
  override readonly name = 'ServiceUnavailableError';
  constructor(
    readonly service: 'Mosquitto' | 'NATS JetStream' | 'PostgreSQL',
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

function messageOf(e: unknown): string {
  if (e instanceof AggregateError) return e.errors.map(messageOf).join('; ');
  return e instanceof Error ? e.message || e.name || e.constructor.name : String(e);
}

/**
 * Mosquitto answers a CONNECT.
 * @throws {ServiceUnavailableError} saying how to start it.
 */
export async function checkMosquitto(url: string): Promise<void> {
  try {
    const client = await connectAsync(url, { connectTimeout: 3_000, reconnectPeriod: 0 });
    await client.endAsync();
  } catch (e) {
    throw new ServiceUnavailableError(
      'Mosquitto',
      `Mosquitto is not reachable at ${url} (${messageOf(e)}): start it with \`mosquitto -d -p 1883\` ` +
        '(or `systemctl start mosquitto`), or pass --mqtt-url.',
      { cause: e },
    );
  }
}

/**
 * NATS answers and has JetStream enabled.
 * @throws {ServiceUnavailableError} saying how to start it.
 */
export async function checkNats(url: string): Promise<void> {
  let nc: Awaited<ReturnType<typeof natsConnect>>;
  try {
    nc = await natsConnect({ servers: url, timeout: 3_000, reconnect: false });
  } catch (e) {
    throw new ServiceUnavailableError(
      'NATS JetStream',
      `NATS is not reachable at ${url} (${messageOf(e)}): start it with \`nats-server -js\`, or pass --nats-url.`,
      { cause: e },
    );
  }
  try {
    await (await jetstreamManager(nc, { timeout: 3_000 })).getAccountInfo();
  } catch (e) {
    throw new ServiceUnavailableError(
      'NATS JetStream',
      `NATS at ${url} answers but JetStream is not enabled (${messageOf(e)}): restart it with \`nats-server -js\`.`,
      { cause: e },
    );
  } finally {
    await nc.close();
  }
}

/**
 * PostgreSQL accepts a connection to the database and a query.
 * @throws {ServiceUnavailableError} saying how to fix it.
 */
export async function checkPostgres(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3_000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('SELECT 1');
  } catch (e) {
    const code = (e as { code?: string }).code;
    const hint =
      code === '3D000'
        ? 'create the database (e.g. `createdb -h 127.0.0.1 -U postgres test`)'
        : code === '28P01' || code === '28000'
          ? 'check the user and password in the URL (or allow trust authentication for 127.0.0.1)'
          : 'start it (`pg_ctlcluster <version> main start`, or `systemctl start postgresql`)';
    throw new ServiceUnavailableError(
      'PostgreSQL',
      `PostgreSQL is not usable at ${url} (${messageOf(e)}): ${hint}, or pass --pg-url / set HEALTHIT_PG_URL.`,
      { cause: e },
    );
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * Checks the three services at once.
 * @throws {ServiceUnavailableError} the first that is not usable (all problems in its message).
 */
export async function checkServices(urls: ServiceUrls): Promise<void> {
  const results = await Promise.allSettled([
    checkMosquitto(urls.mqttUrl),
    checkNats(urls.natsUrl),
    checkPostgres(urls.pgUrl),
  ]);
  const failures = results.flatMap((r) =>
    r.status === 'rejected' ? [r.reason as ServiceUnavailableError] : [],
  );
  const [first] = failures;
  if (first === undefined) return;
  if (failures.length === 1) throw first;
  throw new ServiceUnavailableError(first.service, failures.map((f) => f.message).join('\n'), {
    cause: first,
  });
}
