/**
 * A throw-away PKI for the TLS tests, made with the openssl CLI (never hand-rolled ASN.1): a CA with
 * an `openssl ca` database (so certificates can be revoked and a CRL published), a broker
 * certificate for 127.0.0.1 / localhost, client certificates (valid, expired, revoked), and a
 * second, untrusted CA with its own client. Files are PEM in `dir`, readable by the broker's user.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** A new P-256 key, unencrypted (test keys only). */
const NEW_EC_KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

function openssl(dir: string, args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
}

/** Makes a CA (key, self-signed certificate, `openssl ca` database) in `dir/<name>`. */
function makeCa(dir: string, name: string): string {
  const home = join(dir, name);
  mkdirSync(join(home, 'newcerts'), { recursive: true });
  writeFileSync(join(home, 'index.txt'), '');
  writeFileSync(join(home, 'serial'), '1000\n');
  writeFileSync(join(home, 'crlnumber'), '1000\n');
  writeFileSync(
    join(home, 'ca.cnf'),
    [
      '[ ca ]',
      'default_ca = test',
      '[ test ]',
      `dir = ${home}`,
      'database = $dir/index.txt',
      'new_certs_dir = $dir/newcerts',
      'serial = $dir/serial',
      'crlnumber = $dir/crlnumber',
      'certificate = $dir/ca.crt',
      'private_key = $dir/ca.key',
      'default_md = sha256',
      'default_days = 2',
      'default_crl_days = 2',
      'policy = any',
      'unique_subject = no',
      'copy_extensions = copy',
      '[ any ]',
      'commonName = supplied',
      '',
    ].join('\n'),
  );
  openssl(home, [
    'req',
    '-x509',
    ...NEW_EC_KEY,
    '-keyout',
    'ca.key',
    '-out',
    'ca.crt',
    '-days',
    '2',
    '-subj',
    `/CN=${name}`,
  ]);
  return home;
}

/** Issues `name.crt` / `name.key` from the CA at `ca`, optionally with validity dates and SANs. */
function issue(ca: string, name: string, options: { san?: string; start?: string; end?: string } = {}): void {
  const csrArgs = [
    'req',
    ...NEW_EC_KEY,
    '-keyout',
    `${name}.key`,
    '-out',
    `${name}.csr`,
    '-subj',
    `/CN=${name}`,
  ];
  if (options.san !== undefined) csrArgs.push('-addext', `subjectAltName=${options.san}`);
  openssl(ca, csrArgs);
  const signArgs = [
    'ca',
    '-batch',
    '-config',
    'ca.cnf',
    '-in',
    `${name}.csr`,
    '-out',
    `${name}.crt`,
    '-notext',
  ];
  if (options.start !== undefined) signArgs.push('-startdate', options.start);
  if (options.end !== undefined) signArgs.push('-enddate', options.end);
  openssl(ca, signArgs);
}

/** The PEM texts of the test PKI. */
export interface TestPki {
  readonly dir: string;
  readonly caCert: string;
  readonly brokerCertPath: string;
  readonly brokerKeyPath: string;
  readonly caCertPath: string;
  readonly crlPath: string;
  /** Client credentials by name: `gateway-1` and `platform-1` (valid), `expired`, `revoked`, `rogue` (other CA). */
  client(name: 'gateway-1' | 'platform-1' | 'expired' | 'revoked' | 'rogue'): {
    readonly cert: string;
    readonly key: string;
  };
  /** The untrusted CA's certificate. */
  readonly rogueCaCert: string;
}

/** Creates the PKI in `dir` (an empty directory). Needs `openssl` on the PATH. */
export function createTestPki(dir: string): TestPki {
  const ca = makeCa(dir, 'test-ca');
  issue(ca, 'broker', { san: 'IP:127.0.0.1,DNS:localhost' });
  issue(ca, 'gateway-1');
  issue(ca, 'platform-1');
  issue(ca, 'expired', { start: '20200101000000Z', end: '20200102000000Z' });
  issue(ca, 'revoked');
  openssl(ca, ['ca', '-batch', '-config', 'ca.cnf', '-revoke', 'revoked.crt']);
  openssl(ca, ['ca', '-batch', '-config', 'ca.cnf', '-gencrl', '-out', 'crl.pem']);
  const rogue = makeCa(dir, 'rogue-ca');
  issue(rogue, 'rogue');
  // the broker runs as its own user: let it read everything (test keys only)
  chmodSync(dir, 0o755);
  for (const home of [ca, rogue]) {
    chmodSync(home, 0o755);
    for (const f of readdirSync(home)) if (/\.(crt|key|pem)$/.test(f)) chmodSync(join(home, f), 0o644);
  }
  const read = (home: string, f: string) => readFileSync(join(home, f), 'utf8');
  return {
    dir,
    caCert: read(ca, 'ca.crt'),
    caCertPath: join(ca, 'ca.crt'),
    brokerCertPath: join(ca, 'broker.crt'),
    brokerKeyPath: join(ca, 'broker.key'),
    crlPath: join(ca, 'crl.pem'),
    rogueCaCert: read(rogue, 'ca.crt'),
    client(name) {
      const home = name === 'rogue' ? rogue : ca;
      return { cert: read(home, `${name}.crt`), key: read(home, `${name}.key`) };
    },
  };
}
