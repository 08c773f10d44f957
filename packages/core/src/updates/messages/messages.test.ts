import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createIdentity } from '../../security/identity.js';
import { createFakeClock } from '../../time/fake-clock.js';
import { UpdateRejectedError } from '../update-rejected-error.js';
import {
  createUpdateCommandIssuer,
  createUpdateCommandVerifier,
  createUpdateReporter,
  createUpdateReportVerifier,
  signUpdateCommand,
  signUpdateReport,
  type UpdateCommand,
  type UpdateReport,
} from './index.js';

const T0 = Date.UTC(2026, 2, 1, 8);
const platform = createIdentity({ id: 'platform', kind: 'service' });
const rogue = createIdentity({ id: 'rogue', kind: 'service' });
const po12 = createIdentity({ id: 'po-12', kind: 'device' });
const po13 = createIdentity({ id: 'po-13', kind: 'device' });
const platformSigner = { keyId: platform.keyId, secretKey: platform.signing.secretKey };
const issuerKey = (kid: string) => (kid === platform.keyId ? platform.signing.publicKey : undefined);
const devices = new Map([
  ['po-12', po12],
  ['po-13', po13],
]);
const deviceKey = (id: string) => devices.get(id)?.signing.publicKey;
const signerOf = (id: ReturnType<typeof createIdentity>) => ({
  keyId: id.keyId,
  secretKey: id.signing.secretKey,
});
const order = {
  campaignId: 'c-7',
  deviceId: 'po-12',
  targetPath: 'po-200/rev-a/2.4.1.bin',
  version: '2.4.1',
};

/** The UpdateRejectedError `f` throws (fails the test when it throws nothing or something else). */
function rejection(f: () => unknown): UpdateRejectedError {
  try {
    f();
  } catch (e) {
    if (e instanceof UpdateRejectedError) return e;
    throw e;
  }
  throw new Error('expected an UpdateRejectedError, nothing was thrown');
}

/** A wire round trip: what a verifier receives is parsed JSON, never the signer's object. */
const wire = <T>(value: T): unknown => JSON.parse(JSON.stringify(value));

function deviceSide(lastSequence = 0) {
  const clock = createFakeClock(T0);
  const persisted: number[] = [];
  const verifier = createUpdateCommandVerifier({
    deviceId: 'po-12',
    issuerKey,
    clock,
    lastSequence,
    persistSequence: (s) => persisted.push(s),
  });
  return { clock, persisted, verifier };
}

function platformSide(options: { maxDevices?: number; maxAgeMs?: number } = {}) {
  const clock = createFakeClock(T0);
  const verifier = createUpdateReportVerifier({ deviceKey, clock, ...options });
  return { clock, verifier };
}

describe('signed update commands', () => {
  it('a command the platform issues verifies on its device and moves the persisted sequence', () => {
    const issuer = createUpdateCommandIssuer({ signer: platformSigner, clock: createFakeClock(T0) });
    const { verifier, persisted } = deviceSide();
    const first = issuer.issue(order);
    const second = issuer.issue({ ...order, urgent: true });
    expect([first.sequence, second.sequence]).toEqual([1, 2]);
    expect(first.nonce).not.toBe(second.nonce);
    expect(verifier.verify(wire(first))).toEqual(first);
    expect(verifier.verify(wire(second))).toMatchObject({ urgent: true, sequence: 2 });
    expect(verifier.lastSequence).toBe(2);
    expect(persisted).toEqual([1, 2]);
  });

  it('the issuer continues from the sequence its store remembers', () => {
    const issuer = createUpdateCommandIssuer({
      signer: platformSigner,
      clock: createFakeClock(T0),
      lastSequence: (id) => (id === 'po-12' ? 41 : undefined),
    });
    expect(issuer.issue(order).sequence).toBe(42);
    expect(issuer.issue({ ...order, deviceId: 'po-13' }).sequence).toBe(1);
  });

  it('attack: a command signed by an unknown key, by a key posing as the platform, or altered → signature', () => {
    const { verifier, persisted } = deviceSide();
    const command = (seq: number, signer = platformSigner) =>
      signUpdateCommand(
        { ...order, urgent: false, issuedAt: T0, expiresAt: T0 + 60_000, sequence: seq },
        signer,
      );
    const unknown = rejection(() => verifier.verify(wire(command(1, signerOf(rogue)))));
    expect(unknown.reason).toBe('signature');
    const posing = rejection(() =>
      verifier.verify(wire(command(1, { keyId: platform.keyId, secretKey: rogue.signing.secretKey }))),
    );
    expect(posing.reason).toBe('signature');
    const altered = { ...command(1), targetPath: 'po-200/rev-a/evil.bin' };
    expect(rejection(() => verifier.verify(wire(altered))).reason).toBe('signature');
    // a report's signature never stands in for a command's (separate signing domains)
    const crossDomain = { ...command(1), sig: { ...command(1).sig } };
    crossDomain.sig.value = signUpdateReport(
      { campaignId: 'c-7', deviceId: 'po-12', state: 'pending', detail: '', at: T0, counter: 1 },
      platformSigner,
    ).sig.value;
    expect(rejection(() => verifier.verify(wire(crossDomain))).reason).toBe('signature');
    expect(verifier.lastSequence).toBe(0);
    expect(persisted).toEqual([]);
  });

  it('attack: a command for another device → wrong-device, and it does not use up the sequence', () => {
    const { verifier, persisted } = deviceSide();
    const issuer = createUpdateCommandIssuer({ signer: platformSigner, clock: createFakeClock(T0) });
    const forOther = issuer.issue({ ...order, deviceId: 'po-13' });
    expect(rejection(() => verifier.verify(wire(forOther))).reason).toBe('wrong-device');
    expect(verifier.lastSequence).toBe(0);
    expect(persisted).toEqual([]);
  });

  it('attack: an expired command, or one dated beyond the clock skew → expired; malformed input → malformed', () => {
    const { verifier, clock, persisted } = deviceSide();
    const at = (issuedAt: number, expiresAt: number, sequence: number) =>
      signUpdateCommand({ ...order, urgent: false, issuedAt, expiresAt, sequence }, platformSigner);
    const stale = at(T0, T0 + 1000, 1);
    clock.advance(1000);
    expect(rejection(() => verifier.verify(wire(stale))).reason).toBe('expired');
    const early = at(clock.now() + 6 * 60_000, clock.now() + 3_600_000, 2);
    expect(rejection(() => verifier.verify(wire(early))).reason).toBe('expired');
    expect(rejection(() => verifier.verify({ ...at(T0, T0 + 5000, 3), extra: 1 })).reason).toBe('malformed');
    expect(rejection(() => verifier.verify('not a command')).reason).toBe('malformed');
    expect(() =>
      signUpdateCommand({ ...order, urgent: false, issuedAt: 5, expiresAt: 5, sequence: 1 }, platformSigner),
    ).toThrow('expiresAt must be after issuedAt');
    expect(verifier.lastSequence).toBe(0);
    expect(persisted).toEqual([]);
  });
});

describe('signed update reports', () => {
  it('a device reports each state with the next counter; the platform accepts each report', () => {
    const persisted: number[] = [];
    const reporter = createUpdateReporter({
      deviceId: 'po-12',
      signer: signerOf(po12),
      clock: createFakeClock(T0),
      lastCounter: 30,
      persistCounter: (c) => persisted.push(c),
    });
    const { verifier } = platformSide();
    const states = ['downloading', 'verifying', 'installing', 'confirming', 'updated'] as const;
    const reports = states.map((state) => reporter.report({ campaignId: 'c-7', state, version: '2.4.1' }));
    expect(reports.map((r) => verifier.verify(wire(r), { deviceId: 'po-12' }).state)).toEqual(states);
    expect(persisted).toEqual([31, 32, 33, 34, 35]);
    const failed = reporter.report({
      campaignId: 'c-7',
      state: 'failed',
      reason: 'digest',
      detail: 'bad image',
    });
    expect(verifier.verify(wire(failed))).toMatchObject({ state: 'failed', reason: 'digest', counter: 36 });
  });

  it('attack: a report signed by another device, an unknown device, or altered → signature; from another sender → wrong-device', () => {
    const { verifier } = platformSide();
    const fields = {
      campaignId: 'c-7',
      deviceId: 'po-12',
      state: 'updated' as const,
      detail: '',
      at: T0,
      counter: 1,
    };
    const byOther = signUpdateReport(fields, signerOf(po13));
    expect(rejection(() => verifier.verify(wire(byOther))).reason).toBe('signature');
    const posing = signUpdateReport(fields, { keyId: po12.keyId, secretKey: po13.signing.secretKey });
    expect(rejection(() => verifier.verify(wire(posing))).reason).toBe('signature');
    const unknown = signUpdateReport({ ...fields, deviceId: 'po-99' }, signerOf(po12));
    expect(rejection(() => verifier.verify(wire(unknown))).reason).toBe('signature');
    const altered = { ...signUpdateReport({ ...fields, state: 'failed' }, signerOf(po12)), state: 'updated' };
    expect(rejection(() => verifier.verify(wire(altered))).reason).toBe('signature');
    const genuine = signUpdateReport(fields, signerOf(po12));
    expect(rejection(() => verifier.verify(wire(genuine), { deviceId: 'po-13' })).reason).toBe(
      'wrong-device',
    );
    // none of these was accepted: the genuine report is still accepted once
    expect(verifier.verify(wire(genuine), { deviceId: 'po-12' }).counter).toBe(1);
  });

  it('attack: a report dated outside the accepted period → expired', () => {
    const { verifier, clock } = platformSide({ maxAgeMs: 60_000 });
    const fields = {
      campaignId: 'c-7',
      deviceId: 'po-12',
      state: 'updated' as const,
      detail: '',
      counter: 1,
    };
    clock.advance(120_000);
    expect(
      rejection(() => verifier.verify(wire(signUpdateReport({ ...fields, at: T0 }, signerOf(po12))))).reason,
    ).toBe('expired');
    const ahead = signUpdateReport({ ...fields, at: clock.now() + 61_000 }, signerOf(po12));
    expect(rejection(() => verifier.verify(wire(ahead))).reason).toBe('expired');
    expect(
      verifier.verify(wire(signUpdateReport({ ...fields, at: clock.now() }, signerOf(po12)))).counter,
    ).toBe(1);
  });

  it('bounded replay state: beyond maxDevices the least recently heard device is forgotten, and its old reports stay refused', () => {
    const { verifier, clock } = platformSide({ maxDevices: 2 });
    const extra = createIdentity({ id: 'po-14', kind: 'device' });
    devices.set('po-14', extra);
    try {
      const report = (id: ReturnType<typeof createIdentity>, counter: number) =>
        signUpdateReport(
          { campaignId: 'c-7', deviceId: id.id, state: 'updated', detail: '', at: clock.now(), counter },
          signerOf(id),
        );
      const old12 = report(po12, 1);
      verifier.verify(wire(old12));
      clock.advance(10);
      verifier.verify(wire(report(po13, 1)));
      clock.advance(10);
      verifier.verify(wire(report(extra, 1))); // po-12 forgotten
      expect(verifier.devices).toBe(2);
      expect(rejection(() => verifier.verify(wire(old12))).reason).toBe('expired');
      clock.advance(10);
      expect(verifier.verify(wire(report(po12, 2))).counter).toBe(2);
    } finally {
      devices.delete('po-14');
    }
  });
});

describe('U16 replayed update commands or reports', () => {
  it('U16 replayed update commands or reports: a repeated or older command is refused as replay, also after a reboot, and nothing is accepted', () => {
    const issuer = createUpdateCommandIssuer({ signer: platformSigner, clock: createFakeClock(T0) });
    const c1 = issuer.issue(order);
    const c2 = issuer.issue(order);
    const c3 = issuer.issue(order);
    const { verifier, persisted } = deviceSide();
    verifier.verify(wire(c1));
    verifier.verify(wire(c3)); // c2 was overtaken by c3
    for (const replayed of [c1, c3, c2]) {
      const e = rejection(() => verifier.verify(wire(replayed)));
      expect(e.reason).toBe('replay');
      expect(e.code).toBe('update/rejected');
    }
    expect(verifier.lastSequence).toBe(3);
    expect(persisted).toEqual([1, 3]);
    // a power cycle: the device restores its persisted sequence, and the replays stay refused
    const rebooted = deviceSide(persisted.at(-1));
    expect(rejection(() => rebooted.verifier.verify(wire(c3))).reason).toBe('replay');
    expect(rebooted.persisted).toEqual([]);
    expect(rebooted.verifier.verify(wire(issuer.issue(order))).sequence).toBe(4);
  });

  it('U16 replayed update commands or reports: a repeated or older report is refused as replay, and nothing is accepted', () => {
    const reporter = createUpdateReporter({
      deviceId: 'po-12',
      signer: signerOf(po12),
      clock: createFakeClock(T0),
    });
    const { verifier } = platformSide();
    const installing = reporter.report({ campaignId: 'c-7', state: 'installing' });
    const failed = reporter.report({ campaignId: 'c-7', state: 'failed', reason: 'digest' });
    const updated = reporter.report({ campaignId: 'c-7', state: 'updated' });
    verifier.verify(wire(installing));
    verifier.verify(wire(updated)); // `failed` was overtaken
    for (const replayed of [updated, installing, failed]) {
      expect(rejection(() => verifier.verify(wire(replayed))).reason).toBe('replay');
    }
    // nothing was accepted: the next genuine report goes through, and only once
    const next = reporter.report({ campaignId: 'c-8', state: 'pending' });
    expect(verifier.verify(wire(next)).counter).toBe(4);
    expect(rejection(() => verifier.verify(wire(next))).reason).toBe('replay');
  });

  it('U16 replayed update commands or reports: over any delivery order with duplicates, each accepted message is new and above every one accepted before', () => {
    const issuer = createUpdateCommandIssuer({ signer: platformSigner, clock: createFakeClock(T0) });
    const commands: UpdateCommand[] = Array.from({ length: 6 }, () => issuer.issue(order));
    const reporter = createUpdateReporter({
      deviceId: 'po-12',
      signer: signerOf(po12),
      clock: createFakeClock(T0),
    });
    const reports: UpdateReport[] = Array.from({ length: 6 }, () =>
      reporter.report({ campaignId: 'c-7', state: 'pending' }),
    );
    fc.assert(
      fc.property(fc.array(fc.nat({ max: 5 }), { maxLength: 30 }), (deliveries) => {
        const { verifier: commandVerifier } = deviceSide();
        const { verifier: reportVerifier } = platformSide();
        const acceptedCommands: number[] = [];
        const acceptedReports: number[] = [];
        for (const i of deliveries) {
          const command = commands[i] as UpdateCommand;
          const report = reports[i] as UpdateReport;
          const fresh = command.sequence > (acceptedCommands.at(-1) ?? 0);
          try {
            acceptedCommands.push(commandVerifier.verify(wire(command)).sequence);
          } catch (e) {
            expect(e).toBeInstanceOf(UpdateRejectedError);
            expect((e as UpdateRejectedError).reason).toBe('replay');
            expect(fresh).toBe(false);
          }
          try {
            acceptedReports.push(reportVerifier.verify(wire(report)).counter);
          } catch (e) {
            expect((e as UpdateRejectedError).reason).toBe('replay');
          }
        }
        for (const accepted of [acceptedCommands, acceptedReports]) {
          for (let k = 1; k < accepted.length; k++) {
            expect(accepted[k]).toBeGreaterThan(accepted[k - 1] as number);
          }
        }
        expect(acceptedReports).toEqual(acceptedCommands);
      }),
      { numRuns: 200 },
    );
  });
});
