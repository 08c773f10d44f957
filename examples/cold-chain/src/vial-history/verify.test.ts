import {
  createNoteVerifier,
  createTransparencyLog,
  createWitness,
  decodeBase64,
  encodeBase64,
  entries,
  policy,
  type TransparencyLog,
} from '@healthit/ledger';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { createConsortium } from '../consortium.js';
import { createColdChainLog, type JourneyResult, runJourney } from '../journey.js';
import { buildVialHistory } from './build.js';
import type { VialHistory } from './bundle.js';
import { type VialHistoryVerdict, verifyVialHistory } from './verify.js';

let journey: JourneyResult;
let history: VialHistory;

beforeAll(async () => {
  journey = await runJourney({ seed: 42 });
  history = historyOf(journey.log, journey.checkpoint);
});

function historyOf(log: Pick<TransparencyLog, 'entry' | 'inclusionProof'>, checkpoint: string): VialHistory {
  return buildVialHistory({
    log,
    checkpoint,
    vial: { gtin: journey.plan.gtin, lot: 'LOT-A2231', serial: '0117' },
    shipment: journey.plan.shipment,
    readingsOf: (i) => journey.batches.get(i),
  });
}

function verify(h: unknown): VialHistoryVerdict {
  return verifyVialHistory(h, { logKey: journey.consortium.logVkey, policy: journey.consortium.policy });
}

/** A deep copy, as a pharmacist receives it (JSON). */
function copy(): VialHistory {
  return JSON.parse(JSON.stringify(history)) as VialHistory;
}

function entryAt(h: VialHistory, kind: string, nth = 0): { position: number; entry: entries.Entry } {
  const found = h.entries
    .map((e, position) => ({ position, entry: entries.decodeEntry(decodeBase64(e.bytes)!) }))
    .filter((e) => e.entry.kind === kind);
  const hit = found[nth];
  if (hit === undefined) throw new Error(`no ${kind} #${nth}`);
  return hit;
}

function replaceEntry(h: VialHistory, position: number, entry: entries.Entry): void {
  h.entries[position] = { ...h.entries[position]!, bytes: encodeBase64(entries.encodeEntry(entry)) };
}

function failedAt(v: VialHistoryVerdict): string {
  return v.ok ? 'ok' : v.step;
}

/**
 * Rebuilds the journey's log with the entry at `index` replaced, e.g. by a transfer that the two
 * parties signed with other conditions: a log whose every entry is properly signed.
 */
async function replayWith(
  index: number,
  replacement: entries.Entry,
  log?: TransparencyLog,
): Promise<TransparencyLog> {
  let now = journey.plan.startTs;
  const target = log ?? createColdChainLog(journey.consortium, { clock: { now: () => now } });
  for (let i = 0; i < journey.log.size; i++) {
    const entry = i === index ? replacement : journey.log.entry(i).entry;
    now = entry.ts;
    await target.append(entry);
  }
  await target.publishCheckpoint();
  await target.close();
  return target;
}

describe('verifyVialHistory', () => {
  it('verifies the journey: custody chain, coverage, the flagged excursion, one witnessed checkpoint', () => {
    const v = verify(copy());
    expect(v.ok).toBe(true);
    if (!v.ok) return;
    expect(v.steps.map((s) => s.step)).toEqual([
      'bundle',
      'checkpoint',
      'witnesses',
      'entries',
      'signatures',
      'inclusion',
      'custody',
      'readings',
      'coverage',
      'excursions',
    ]);
    expect(v.transfers.map((t) => `${t.from}>${t.to}`)).toEqual([
      'acme-pharma>swift-logistics',
      'swift-logistics>city-pharmacy',
    ]);
    expect(v.periods.map((p) => [p.custodian, p.batches, p.readings, p.longestGapMs])).toEqual([
      ['swift-logistics', 30, 360, 300_000],
      ['city-pharmacy', 8, 96, 300_000],
    ]);
    expect(v.excursions).toHaveLength(1);
    expect(v.excursions[0]).toMatchObject({ device: 'swift-TRK-12', custodian: 'swift-logistics' });
    expect(v.witnesses).toHaveLength(3);
    expect(v.checkpoint.size).toBe(journey.log.size);
    expect(history.entries).toHaveLength(41);
  });

  it('needs only k of the n witnesses', () => {
    const [body, sigs] = history.checkpoint.split('\n\n') as [string, string];
    const lines = sigs.trimEnd().split('\n');
    const h = copy();
    h.checkpoint = `${body}\n\n${lines.slice(0, 3).join('\n')}\n`; // the log's line and two witnesses
    expect(verify(h).ok).toBe(true);
    h.checkpoint = `${body}\n\n${lines.slice(0, 2).join('\n')}\n`;
    expect(verify(h)).toMatchObject({ ok: false, step: 'witnesses' });
  });

  it('detects an altered reading', () => {
    const h = copy();
    const reading = h.readings[15]!.readings[4] as { value: number };
    reading.value = Math.round((reading.value - 1.5) * 10) / 10;
    expect(verify(h)).toMatchObject({
      ok: false,
      step: 'readings',
      reason: expect.stringMatching(/do not reproduce/),
    });
  });

  it('property: changing any one reading is detected', () => {
    const total = history.readings.length;
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: total - 1 }),
        fc.integer({ min: 0, max: 11 }),
        fc.integer({ min: 1, max: 50 }),
        (b, r, delta) => {
          const h = copy();
          const reading = h.readings[b]!.readings[r] as { value: number };
          reading.value = Math.round((reading.value + delta / 10) * 10) / 10;
          expect(failedAt(verify(h))).toBe('readings');
        },
      ),
      { numRuns: 15 },
    );
  });

  it('detects a tampered custody signature', () => {
    const h = copy();
    const { position, entry } = entryAt(h, 'custody.transfer', 1);
    const [a, b] = entry.signatures as [entries.EntrySignature, entries.EntrySignature];
    const flipped = `${b.sig.slice(0, -1)}${b.sig.endsWith('0') ? '1' : '0'}`;
    replaceEntry(h, position, { ...entry, signatures: [a, { ...b, sig: flipped }] });
    expect(verify(h)).toMatchObject({
      ok: false,
      step: 'signatures',
      reason: expect.stringMatching(/bad-signature/),
    });
  });

  it('detects a transfer whose conditions were changed after signing (hiding the excursion)', () => {
    const h = copy();
    const { position, entry } = entryAt(h, 'custody.transfer', 1);
    if (entry.kind !== 'custody.transfer') throw new Error('not a transfer');
    replaceEntry(h, position, {
      ...entry,
      body: { ...entry.body, conditions: { ...entry.body.conditions, excursions: 0 } },
    });
    expect(failedAt(verify(h))).toBe('signatures');
  });

  it('detects a removed flag (the shipment stream has a gap) and a removed batch (the logger stream has a gap)', () => {
    const noFlag = copy();
    noFlag.entries.splice(entryAt(noFlag, 'security.event').position, 1);
    expect(verify(noFlag)).toMatchObject({
      ok: false,
      step: 'custody',
      reason: expect.stringMatching(/missing #1/),
    });

    const noBatch = copy();
    const { position } = entryAt(noBatch, 'reading.batch', 15);
    const index = noBatch.entries[position]!.index;
    noBatch.entries.splice(position, 1);
    noBatch.readings = noBatch.readings.filter((b) => b.index !== index);
    expect(verify(noBatch)).toMatchObject({
      ok: false,
      step: 'readings',
      reason: expect.stringMatching(/missing/),
    });
  });

  it('detects a wrong proof, another log, another lot, and never throws on garbage', () => {
    const badProof = copy();
    const proof = badProof.entries[5]!.proof;
    proof[0] = proof[0]!.replace(/^./, (c) => (c === 'a' ? 'b' : 'a'));
    expect(failedAt(verify(badProof))).toBe('inclusion');

    const other = createConsortium({ seed: 7, validFrom: 0 });
    expect(
      failedAt(verifyVialHistory(copy(), { logKey: other.logVkey, policy: journey.consortium.policy })),
    ).toBe('checkpoint');

    const otherLot = copy();
    otherLot.vial.lot = 'LOT-Z9999';
    expect(verify(otherLot)).toMatchObject({
      ok: false,
      step: 'custody',
      reason: expect.stringMatching(/LOT-Z9999/),
    });

    for (const garbage of [null, 42, 'text', {}, { ...copy(), extra: 1 }, { ...copy(), entries: [] }]) {
      expect(failedAt(verify(garbage))).toBe('bundle');
    }
  });

  it('catches parties who colluded to sign a transfer that hides the excursion: the readings disagree', async () => {
    const { position, entry } = entryAt(history, 'custody.transfer', 1);
    if (entry.kind !== 'custody.transfer') throw new Error('not a transfer');
    const { signatures: _, ...rest } = entry;
    const lie = entries.signEntry(
      entries.signEntry(
        { ...rest, body: { ...entry.body, conditions: { ...entry.body.conditions, excursions: 0 } } },
        journey.consortium.member('swift-driver-07'),
      ),
      journey.consortium.member('city-pharmacist'),
    );
    const log = await replayWith(history.entries[position]!.index, lie);
    const v = verify(historyOf(log, log.checkpoint()!));
    expect(v).toMatchObject({
      ok: false,
      step: 'excursions',
      reason: expect.stringMatching(/reports 0 .* show 1/),
    });
  });

  it('refuses a one-party transfer even from a log that did not enforce the policy', async () => {
    const { position, entry } = entryAt(history, 'custody.transfer', 1);
    const { signatures: _, ...rest } = entry;
    const oneParty = entries.signEntry(rest, journey.consortium.member('swift-driver-07'));
    const { consortium } = journey;
    let now = journey.plan.startTs;
    const clock = { now: () => now };
    const logVerifier = createNoteVerifier(consortium.logVkey);
    const lax = createTransparencyLog({
      origin: consortium.origin,
      signer: consortium.logSigner,
      keys: policy.policyKeyLookup(consortium.policy),
      witnesses: consortium.witnesses.map((w) =>
        createWitness({ key: { name: w.name, secretKey: w.secretKey }, log: logVerifier, clock }),
      ),
      clock,
      batch: { maxEntries: 64, maxWaitMs: 0 },
      checkpointEveryMs: 60_000,
    });
    for (let i = 0; i < journey.log.size; i++) {
      const e = i === history.entries[position]!.index ? oneParty : journey.log.entry(i).entry;
      now = e.ts;
      await lax.append(e);
    }
    await lax.close();
    const v = verify(historyOf(lax, lax.checkpoint()!));
    expect(v).toMatchObject({ ok: false, step: 'signatures', reason: expect.stringMatching(/not endorsed/) });
  });

  it('builds only for a lot of the shipment, and only with the readings of every selected batch', () => {
    const base = { log: journey.log, checkpoint: journey.checkpoint, shipment: journey.plan.shipment };
    expect(() =>
      buildVialHistory({
        ...base,
        vial: { gtin: journey.plan.gtin, lot: 'LOT-X', serial: '1' },
        readingsOf: () => [],
      }),
    ).toThrow(/LOT-X is not in shipment/);
    expect(() =>
      buildVialHistory({
        ...base,
        vial: { gtin: journey.plan.gtin, lot: 'LOT-A2231', serial: '1' },
        readingsOf: () => undefined,
      }),
    ).toThrow(/readings of batch entry \d+ are unknown/);
  });
});
