import { describe, expect, it } from 'vitest';
import { toBase64Url } from '../encoding/bytes.js';
import type { Command } from '../schemas/command.js';
import { deviceId } from '../schemas/ids.js';
import { issueRoleClaim } from './access-control.js';
import { authoriseCommandUnderOrder, verifyCommandAuthorisation } from './command-authorisation.js';
import { createIdentity } from './identity.js';
import { issueStandingOrder } from './standing-order.js';

const idp = createIdentity({ id: 'idp', kind: 'service' });
const gw = createIdentity({ id: 'gateway-1', kind: 'gateway' });
const rogueGw = createIdentity({ id: 'gateway-9', kind: 'gateway' });
const kim = createIdentity({ id: 'dr:kim', kind: 'person' });
const claim = issueRoleClaim(
  {
    subject: 'dr:kim',
    roles: ['clinician'],
    wards: ['w3'],
    patients: [],
    expiresAt: 10_000,
    key: toBase64Url(kim.signing.publicKey),
  },
  { id: 'idp', secretKey: idp.signing.secretKey },
);
const order = issueStandingOrder(
  {
    id: 'so-1',
    deviceId: 'o2-1',
    action: 'oxygen.set-flow',
    param: 'flowLpm',
    min: 0,
    max: 4,
    gatewayId: 'gateway-1',
    gatewayKey: toBase64Url(gw.signing.publicKey),
    expiresAt: 5_000,
  },
  { claim, secretKey: kim.signing.secretKey },
);
const command = (flowLpm: number): Command => ({
  id: `c-${flowLpm}`,
  deviceId: deviceId('o2-1'),
  action: 'oxygen.set-flow',
  params: { flowLpm },
  issuedBy: 'rule:spo2',
  issuedAt: 1,
});
const verify = (c: Command, now = 1_000) =>
  verifyCommandAuthorisation(c, {
    issuers: (i) => (i === 'idp' ? idp.signing.publicKey : undefined),
    resource: { ward: 'w3' },
    clock: { now: () => now },
  });

describe('commands under a standing order', () => {
  it('a gateway command within the order verifies, naming the ordering clinician', () => {
    expect(verify(authoriseCommandUnderOrder(command(2), order, gw.signing.secretKey))).toMatchObject({
      ok: true,
      principal: { id: 'dr:kim' },
    });
  });

  it('attack: another gateway’s signature, a command changed after signing, an expired order, another device → refused', () => {
    expect(verify(authoriseCommandUnderOrder(command(2), order, rogueGw.signing.secretKey))).toMatchObject({
      ok: false,
      reason: 'bad-signature',
    });
    const signed = authoriseCommandUnderOrder(command(2), order, gw.signing.secretKey);
    expect(verify({ ...signed, params: { flowLpm: 3 } })).toMatchObject({
      ok: false,
      reason: 'bad-signature',
    });
    expect(verify(signed, 5_000)).toMatchObject({ ok: false, reason: 'order-expired' });
    const other = authoriseCommandUnderOrder(
      { ...command(2), deviceId: deviceId('o2-2') },
      order,
      gw.signing.secretKey,
    );
    expect(verify(other)).toMatchObject({ ok: false, reason: 'outside-order' });
    const tamperedOrder = {
      ...signed,
      auth: { order: { ...order, max: 15 }, sig: (signed.auth as { sig: string }).sig },
    };
    expect(verify(tamperedOrder)).toMatchObject({ ok: false, reason: 'order-invalid' });
  });
});
