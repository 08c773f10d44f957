/**
 * Test helper: a `nats-server -js` child process on a free port with its own store directory, that
 * a test can stop and start again on the same port and store (an outage, then recovery).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../testing/free-port.js';
import { stopChild } from '../../testing/stop-child.js';

export { freePort };

/** The server binary: `HEALTHIT_NATS_SERVER_BIN`, else `/usr/sbin/nats-server`, else from `PATH`. */
export const NATS_SERVER_BIN =
  process.env.HEALTHIT_NATS_SERVER_BIN ??
  (existsSync('/usr/sbin/nats-server') ? '/usr/sbin/nats-server' : 'nats-server');

/** A NATS server child process. */
export interface ChildNatsServer {
  readonly port: number;
  /** `nats://127.0.0.1:<port>`. */
  readonly url: string;
  readonly storeDir: string;
  /** Starts the server (again) on the same port and store; resolves once it is ready. */
  start(): Promise<void>;
  /** Stops it with `signal` (default SIGTERM) and resolves when the process has exited. */
  stop(signal?: NodeJS.Signals): Promise<void>;
  /** Stops it and removes the store directory. */
  dispose(): Promise<void>;
}

/**
 * Starts `nats-server -js -a 127.0.0.1 -p <free port> -sd <tmp dir>` (without `-js` when
 * `jetstream` is false; `extraArgs` appended, e.g. TLS flags) and resolves once it logs
 * "Server is ready".
 */
export async function startNatsServer({
  jetstream = true,
  extraArgs = [] as readonly string[],
} = {}): Promise<ChildNatsServer> {
  const port = await freePort();
  const storeDir = await mkdtemp(join(tmpdir(), 'healthit-nats-'));
  let child: ChildProcess | undefined;

  const start = (): Promise<void> =>
    new Promise<void>((resolve, reject) => {
      const args = [
        '-a',
        '127.0.0.1',
        '-p',
        String(port),
        ...(jetstream ? ['-js', '-sd', storeDir] : []),
        ...extraArgs,
      ];
      const p = spawn(NATS_SERVER_BIN, args, {
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      child = p;
      let log = '';
      const timer = setTimeout(() => {
        p.kill('SIGKILL');
        reject(new Error(`nats-server on port ${port} not ready after 10 s:\n${log}`));
      }, 10_000);
      p.stderr?.setEncoding('utf8');
      p.stderr?.on('data', (chunk: string) => {
        if (log.length < 20_000) log += chunk;
        if (log.includes('Server is ready')) {
          clearTimeout(timer);
          resolve();
        }
      });
      p.once('error', (e) => {
        clearTimeout(timer);
        reject(e);
      });
      p.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`nats-server exited with ${code} before it was ready:\n${log}`));
      });
    });

  const stop = (signal: NodeJS.Signals = 'SIGTERM'): Promise<void> => {
    const p = child;
    child = undefined;
    return stopChild(p, signal);
  };

  await start();
  return {
    port,
    url: `nats://127.0.0.1:${port}`,
    storeDir,
    start,
    stop,
    async dispose() {
      await stop('SIGKILL');
      await rm(storeDir, { recursive: true, force: true });
    },
  };
}

/**
 * The `nats-server` flags for mutual TLS with the test PKI (`test/tls/test-pki.ts`): the broker's
 * certificate and key, the CA, and `--tlsverify` (every client must present a certificate of that CA).
 */
export function mutualTlsArgs(pki: {
  readonly brokerCertPath: string;
  readonly brokerKeyPath: string;
  readonly caCertPath: string;
}): string[] {
  return [
    '--tls',
    '--tlscert',
    pki.brokerCertPath,
    '--tlskey',
    pki.brokerKeyPath,
    '--tlscacert',
    pki.caCertPath,
    '--tlsverify',
  ];
}
