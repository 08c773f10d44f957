import { existsSync } from 'node:fs';
import { chmod, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { HealthItError } from '@healthit/core';
import { ChildBroker, freePort } from '@healthit/gateway/testing/mosquitto';
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
  const broker = new ChildBroker(port, file('mosquitto.conf'), MOSQUITTO_BIN);
  try {
    await broker.start();
  } catch (cause) {
    throw new HealthItError(
      'transport/disconnected',
      `Mosquitto (${MOSQUITTO_BIN}) did not start: ${(cause as Error).message} — install it (apt-get install mosquitto) or set HEALTHIT_MOSQUITTO_BIN`,
      { cause },
    );
  }
  return {
    url: `mqtts://127.0.0.1:${port}`,
    async publishCrl() {
      await publishCrlFile();
      broker.signal('SIGHUP');
    },
    stop: () => broker.stop(),
  };
}
