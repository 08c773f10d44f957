/**
 * The NATS JetStream uplink over mutual TLS: a `nats-server -js` of our own with `--tlsverify` and
 * the test PKI (openssl CLI). The gateway's uplink connects with its client certificate and stores
 * records; without a certificate, with one from another CA or an expired one, it is refused.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isHealthItError, utf8Encode } from '@healthit/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestPki, type TestPki } from '../../test/tls/test-pki.js';
import { createNatsUplink } from './index.js';
import { type ChildNatsServer, mutualTlsArgs, startNatsServer } from './test-fixtures/nats-server.js';

let dir: string;
let pki: TestPki;
let server: ChildNatsServer;
let url: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'healthit-nats-tls-'));
  pki = createTestPki(dir);
  server = await startNatsServer({
    extraArgs: mutualTlsArgs(pki),
  });
  url = `tls://127.0.0.1:${server.port}`;
}, 60_000);

afterAll(async () => {
  await server?.dispose();
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});

async function refusal(tls: { ca: string; cert?: string; key?: string }): Promise<unknown> {
  return createNatsUplink({ servers: url, site: 'ward-tls', connectOptions: { tls, timeout: 3_000 } }).then(
    async (u) => {
      await u.close();
      return undefined;
    },
    (e: unknown) => e,
  );
}

describe('NATS uplink over mutual TLS (own nats-server, test PKI)', () => {
  it('connects with the gateway certificate and stores records over TLS', async () => {
    const uplink = await createNatsUplink({
      servers: url,
      site: 'ward-tls',
      connectOptions: { tls: { ca: pki.caCert, ...pki.client('gateway-1') } },
    });
    const sent = await uplink.send([
      { id: 'mon-1:1', kind: 'reading', key: 'mon-1', payload: utf8Encode('{"tls":true}') },
    ]);
    expect(sent).toBe(1);
    await uplink.close();
  });

  it('attack: without a client certificate, with one from another CA, or an expired one → refused (transport/disconnected)', async () => {
    const errors = await Promise.all(
      [
        { ca: pki.caCert },
        { ca: pki.caCert, ...pki.client('rogue') },
        { ca: pki.caCert, ...pki.client('expired') },
      ].map(refusal),
    );
    expect(errors.map((e) => isHealthItError(e, 'transport/disconnected'))).toEqual([true, true, true]);
  });

  it('attack: a server the client’s CA did not certify → the client refuses it', async () => {
    expect(
      isHealthItError(
        await refusal({ ca: pki.rogueCaCert, ...pki.client('gateway-1') }),
        'transport/disconnected',
      ),
    ).toBe(true);
  });
});
