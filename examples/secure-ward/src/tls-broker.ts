import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, rename, writeFile } from 'node:fs/promises';
import { createConnection, createServer } from 'node:net';
import { join } from 'node:path';
import { HealthItError } from '@healthit/core';
import { type CertificateAuthority, issueServerCredentials } from '@healthit/platform/pki';

/** A Mosquitto that requires client certificates from the platform CA and checks its CRL. */
export interface TlsBroker {
  /** `mqtts://127.0.0.1:<port>`. */
  readonly url: string;
  /** Writes the CA's current CRL where the broker reads it (atomically) and has it reload (SIGHUP). */
  publishCrl(): Promise<void>;
  stop(): Promise<void>;
}

/** The broker binary: `HEALTHIT_MOSQUITTO_BIN`, else `/usr/sbin/mosquitto`, else from `PATH`. */
const MOSQUITTO_BIN =
  process.env.HEALTHIT_MOSQUITTO_BIN ??
  (existsSync('/usr/sbin/mosquitto') ? '/usr/sbin/mosquitto' : 'mosquitto');

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const address = srv.address();
      srv.close(() => (typeof address === 'object' && address !== null ? resolve(address.port) : reject()));
    });
  });
}

function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ port, host: '127.0.0.1' });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/**
 * Starts Mosquitto on a free port with a server certificate from the platform CA:
 * `require_certificate`, the CA as `cafile`, its CRL as `crlfile`, `use_identity_as_username` (the
 * certificate's CN is the client's identity), anonymous access off. Its files go in `dir`.
 * @throws {HealthItError} `transport/disconnected` when Mosquitto is not installed or does not start.
 */
export async function startTlsBroker(ca: CertificateAuthority, dir: string): Promise<TlsBroker> {
  const tls = await issueServerCredentials(ca, {
    subjectId: 'broker',
    ipAddresses: ['127.0.0.1'],
    dnsNames: ['localhost'],
  });
  // Mosquitto started as root drops to its own user, which must read these files: the directory is
  // private to this run, so the key is readable in it only for that reason. Keep it 0600 and owned by
  // the broker's user in a real deployment.
  await chmod(dir, 0o755);
  const file = (name: string) => join(dir, name);
  await writeFile(file('ca.pem'), ca.certificatePem, { mode: 0o644 });
  await writeFile(file('broker.pem'), tls.certificatePem, { mode: 0o644 });
  await writeFile(file('broker.key'), tls.privateKeyPem, { mode: 0o644 });
  const publishCrlFile = async () => {
    await writeFile(file('crl.pem.tmp'), await ca.crlPem(), { mode: 0o644 });
    await rename(file('crl.pem.tmp'), file('crl.pem'));
  };
  await publishCrlFile();
  const port = await freePort();
  await writeFile(
    file('mosquitto.conf'),
    [
      `listener ${port} 127.0.0.1`,
      `cafile ${file('ca.pem')}`,
      `certfile ${file('broker.pem')}`,
      `keyfile ${file('broker.key')}`,
      'tls_version tlsv1.2',
      'require_certificate true',
      'use_identity_as_username true',
      `crlfile ${file('crl.pem')}`,
      'allow_anonymous false',
      '',
    ].join('\n'),
  );
  let stderr = '';
  const child: ChildProcess = spawn(MOSQUITTO_BIN, ['-c', file('mosquitto.conf')], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const spawnError = new Promise<Error>((resolve) => child.once('error', resolve));
  const deadline = Date.now() + 10_000;
  for (;;) {
    const failed = await Promise.race([
      spawnError,
      new Promise<undefined>((r) => setTimeout(r, 50, undefined)),
    ]);
    if (failed !== undefined || child.exitCode !== null) {
      throw new HealthItError(
        'transport/disconnected',
        `Mosquitto (${MOSQUITTO_BIN}) did not start: ${failed?.message ?? stderr.trim()} — install it (apt-get install mosquitto) or set HEALTHIT_MOSQUITTO_BIN`,
      );
    }
    if (await listening(port)) break;
    if (Date.now() > deadline)
      throw new HealthItError('transport/disconnected', `Mosquitto did not listen on ${port}: ${stderr}`);
  }
  return {
    url: `mqtts://127.0.0.1:${port}`,
    async publishCrl() {
      await publishCrlFile();
      child.kill('SIGHUP');
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
}
