/**
 * Therapy-changing commands need a signed request from an authorised role, and the device checks
 * the whole chain before acting (`serveCommands({ authorise })` with core's
 * `verifyCommandAuthorisation`): issuer → role claim → the claim key's signature of the command →
 * the access policy for the device's ward.
 */
import {
  authoriseCommand,
  type Command,
  type CommandStatus,
  commandJsonCodec,
  commandStatusJsonCodec,
  createIdentity,
  createInProcessTransport,
  deviceId,
  type Identity,
  issueRoleClaim,
  type Role,
  Topics,
  toBase64Url,
  verifyCommandAuthorisation,
} from '@healthit/core';
import { describe, expect, it } from 'vitest';
import { createOxygenConcentrator } from './oxygen-concentrator.js';
import { serveCommands } from './serve-commands.js';

const idp = createIdentity({ id: 'hospital-idp', kind: 'service' });
const settle = () => new Promise((r) => setTimeout(r, 50));

function person(
  id: string,
  roles: Role[],
  ward: string,
): { who: Identity; claim: ReturnType<typeof issueRoleClaim> } {
  const who = createIdentity({ id, kind: 'person' });
  const claim = issueRoleClaim(
    {
      subject: id,
      roles,
      wards: [ward],
      patients: [],
      expiresAt: Date.now() + 3_600_000,
      key: toBase64Url(who.signing.publicKey),
    },
    { id: 'hospital-idp', secretKey: idp.signing.secretKey },
  );
  return { who, claim };
}

function command(id: string, flowLpm: number): Command {
  return {
    id,
    deviceId: deviceId('o2-101'),
    action: 'oxygen.set-flow',
    params: { flowLpm },
    issuedBy: 'dr:kim',
    issuedAt: Date.now(),
  };
}

describe('serveCommands({ authorise }): signed therapy commands', () => {
  it('attack: unsigned, forged, tampered, or from an unauthorised role or ward → rejected before the actuator; an authorised clinician’s command runs', async () => {
    const transport = createInProcessTransport();
    const concentrator = createOxygenConcentrator({ deviceId: 'o2-101' });
    const statuses: CommandStatus[] = [];
    transport
      .subscribe(Topics.deviceCommandStatus('o2-101'))
      .subscribe((m) => statuses.push(commandStatusJsonCodec.decode(m.payload)));
    const flows: number[] = [];
    concentrator.flow$.subscribe((f) => flows.push(f.flowLpm));
    const serving = serveCommands(concentrator, transport, {
      authorise: (c) =>
        verifyCommandAuthorisation(c, {
          issuers: (i) => (i === 'hospital-idp' ? idp.signing.publicKey : undefined),
          resource: { ward: 'ward-3', deviceId: c.deviceId },
        }),
    }).subscribe();
    await settle();

    const kim = person('dr:kim', ['clinician'], 'ward-3');
    const bo = person('nurse:bo', ['nurse'], 'ward-3');
    const lee = person('dr:lee', ['clinician'], 'ward-5');
    const send = (c: Command) =>
      transport.publish(Topics.deviceCommands('o2-101'), commandJsonCodec.encode(c));

    await send(command('unsigned', 2));
    await send(
      authoriseCommand(command('by-nurse', 2), { claim: bo.claim, secretKey: bo.who.signing.secretKey }),
    );
    await send(
      authoriseCommand(command('other-ward', 2), { claim: lee.claim, secretKey: lee.who.signing.secretKey }),
    );
    // the nurse edits her claim to clinician and signs with her own key: the issuer's signature fails
    const forged = { ...bo.claim, roles: ['clinician' as const] };
    await send(
      authoriseCommand(command('forged-claim', 2), { claim: forged, secretKey: bo.who.signing.secretKey }),
    );
    // someone raises the flow of a valid clinician command in transit
    const valid = authoriseCommand(command('tampered', 2), {
      claim: kim.claim,
      secretKey: kim.who.signing.secretKey,
    });
    await send({ ...valid, params: { flowLpm: 6 } });
    // the clinician's own key must sign: her claim with another key's signature fails
    await send(
      authoriseCommand(command('stolen-claim', 2), { claim: kim.claim, secretKey: bo.who.signing.secretKey }),
    );
    await send(
      authoriseCommand(command('ok', 2), { claim: kim.claim, secretKey: kim.who.signing.secretKey }),
    );
    await settle();

    const byId = (id: string) =>
      statuses
        .filter((s) => s.commandId === id)
        .map((s) => `${s.state}${s.reason === undefined ? '' : `: ${s.reason}`}`);
    expect(byId('unsigned')).toEqual(['rejected: unauthorised: unsigned']);
    expect(byId('by-nurse')).toEqual(['rejected: unauthorised: not-authorised']);
    expect(byId('other-ward')).toEqual(['rejected: unauthorised: not-authorised']);
    expect(byId('forged-claim')).toEqual(['rejected: unauthorised: claim-invalid']);
    expect(byId('tampered')).toEqual(['rejected: unauthorised: bad-signature']);
    expect(byId('stolen-claim')).toEqual(['rejected: unauthorised: bad-signature']);
    expect(byId('ok')[0]).toBe('accepted');
    expect(flows.filter((f) => f > 0).every((f) => f === 2)).toBe(true); // 6 L/min never delivered
    serving.unsubscribe();
    concentrator.close();
    await transport.close();
  });
});
