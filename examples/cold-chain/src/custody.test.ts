import { entries, policy } from '@healthit/ledger';
import { describe, expect, it } from 'vitest';
import { createConsortium } from './consortium.js';
import {
  CustodyError,
  countersignTransfer,
  createShipmentStream,
  custodyNotes,
  monitoringLoggers,
  proposeTransfer,
} from './custody.js';
import { createColdChainLog } from './journey.js';

const T0 = Date.UTC(2026, 2, 2, 6, 0);
const consortium = createConsortium({ seed: 1, validFrom: T0 - 86_400_000 });
const acme = consortium.member('acme-dispatch');
const driver = consortium.member('swift-driver-07');
const pharmacist = consortium.member('city-pharmacist');

const body: entries.EntryBody<'custody.transfer'> = {
  from: 'acme-pharma',
  to: 'swift-logistics',
  shipment: 'SHP-1',
  lots: ['LOT-1'],
  quantity: 10,
  conditions: { excursions: 0, sealIntact: true, notes: custodyNotes(['swift-TRK-12']) },
};

function freshLog() {
  const clock = { now: () => T0 };
  return createColdChainLog(consortium, { clock });
}

function unsigned(seq = 0, prev = entries.ZERO_HASH) {
  return { origin: consortium.origin, stream: 'shipment:SHP-1', seq, prev, ts: T0, body };
}

describe('custody transfers', () => {
  it('the log refuses a transfer signed by only the releasing party (endorsement rule), using no index', async () => {
    const log = freshLog();
    const halfSigned = proposeTransfer(unsigned(), acme);
    await expect(log.append(halfSigned)).rejects.toMatchObject({
      name: 'EndorsementError',
      reason: 'unendorsed',
      code: 'ledger/signature',
    });
    expect(log.size).toBe(0);
    // once countersigned, the same transfer (same seq 0: the refusal did not advance the stream) goes in
    const { index } = await log.append(countersignTransfer(halfSigned, driver, acme));
    expect(index).toBe(0);
    await log.close();
  });

  it('the log refuses a transfer signed by only the receiving party', async () => {
    const log = freshLog();
    const receiverOnly = entries.signEntry({ ...unsigned(), kind: 'custody.transfer' }, driver);
    await expect(log.append(receiverOnly)).rejects.toMatchObject({ reason: 'unendorsed' });
    await log.close();
  });

  it('the policy counts two custody roles; the example also requires the two parties the body names', async () => {
    // acme + pharmacist satisfies "two of the custody roles" for a transfer acme → swift …
    const wrong = entries.signEntry(proposeTransfer(unsigned(), acme), pharmacist);
    const rule = policy.endorsementRuleFor(consortium.policy, 'custody.transfer')!;
    expect(
      policy.evaluateEndorsement(rule, ['acme-dispatch', 'city-pharmacist'], consortium.policy, T0).satisfied,
    ).toBe(true);
    // … so the example refuses it before the log sees it
    expect(() => countersignTransfer(proposeTransfer(unsigned(), acme), pharmacist, acme)).toThrow(
      CustodyError,
    );
    expect(() => proposeTransfer(unsigned(), driver)).toThrow(/belongs to swift-logistics, not acme-pharma/);
    const log = freshLog();
    const shipment = createShipmentStream({ log, shipment: 'SHP-1', clock: { now: () => T0 } });
    await expect(shipment.transfer(body, acme, pharmacist)).rejects.toMatchObject({ reason: 'wrong-party' });
    expect(log.size).toBe(0);
    expect(wrong.signatures).toHaveLength(2); // (the vial-history verifier refuses such an entry too)
    await log.close();
  });

  it('the receiver countersigns only a proposal that carries a valid releasing signature', () => {
    const forged = { ...proposeTransfer(unsigned(), acme), signatures: [] };
    expect(() => countersignTransfer(forged, driver, acme)).toThrow(/no valid signature by acme-dispatch/);
  });

  it('the shipment stream advances only when the log sequenced the entry', async () => {
    const log = freshLog();
    const shipment = createShipmentStream({ log, shipment: 'SHP-1', clock: { now: () => T0 } });
    const first = await shipment.transfer(body, acme, driver);
    await expect(shipment.transfer(body, acme, pharmacist)).rejects.toBeInstanceOf(CustodyError);
    const next = { ...body, from: 'swift-logistics', to: 'city-pharmacy' };
    const second = await shipment.transfer(next, driver, pharmacist);
    expect(second.entry).toMatchObject({ seq: 1, prev: first.entryHash });
    await log.close();
  });

  it('names the loggers in the notes, signed by both parties', () => {
    expect(
      monitoringLoggers({
        ...body,
        conditions: { ...body.conditions, notes: custodyNotes(['a', 'b'], 'x') },
      }),
    ).toEqual(['a', 'b']);
    expect(monitoringLoggers({ ...body, conditions: { excursions: 0, sealIntact: true } })).toEqual([]);
    expect(() => custodyNotes([])).toThrow(RangeError);
    expect(() => custodyNotes(['bad id'])).toThrow(RangeError);
  });
});
