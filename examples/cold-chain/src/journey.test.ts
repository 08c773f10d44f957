import type { Reading } from '@healthit/core';
import { createNoteVerifier, parseCheckpoint, parseNote, requireCosignatures } from '@healthit/ledger';
import { beforeAll, describe, expect, it } from 'vitest';
import { type JourneyEvent, type JourneyResult, runJourney } from './journey.js';
import { coldChainPlan } from './plan.js';

const MINUTE_MS = 60_000;

function ofType<T extends JourneyEvent['type']>(
  r: JourneyResult,
  type: T,
): Extract<JourneyEvent, { type: T }>[] {
  return r.events.filter((e): e is Extract<JourneyEvent, { type: T }> => e.type === type);
}

/** The excursion as an independent reading of the rule: > 8 °C on consecutive readings for 15 min. */
function expectedRaise(readings: readonly Reading[]): { start: number; raisedAt: number } | undefined {
  let start: number | undefined;
  for (const r of readings) {
    if (r.value <= 8) {
      start = undefined;
      continue;
    }
    start ??= r.ts;
    if (r.ts - start >= 15 * MINUTE_MS) return { start, raisedAt: r.ts };
  }
  return undefined;
}

describe('the cold-chain journey', () => {
  let journey: JourneyResult;
  beforeAll(async () => {
    journey = await runJourney({ seed: 42 });
  });

  it('runs end to end: hand-overs, hourly batches of every leg, an excursion flag and a final checkpoint', () => {
    const { log, plan, batches } = journey;
    expect(ofType(journey, 'custody').map((e) => [e.body.from, e.body.to])).toEqual([
      ['acme-pharma', 'swift-logistics'],
      ['swift-logistics', 'city-pharmacy'],
    ]);
    expect(journey.readingCount).toBe(38 * 12);
    expect(batches.size).toBe(38);
    expect(log.size).toBe(38 + 2 + 1);
    const { size } = parseCheckpoint(parseNote(journey.checkpoint).text);
    expect(size).toBe(log.size);
    const witnesses = journey.consortium.witnesses.map((w) => createNoteVerifier(w.vkey));
    expect(requireCosignatures(journey.checkpoint, witnesses, 3)).toHaveLength(3);
    expect(log.audit()).toBe(log.size);
    // every batch is exactly one hour of one logger (12 readings), anchored by its own stream
    for (const readings of batches.values()) {
      expect(readings).toHaveLength(12);
      expect(new Set(readings.map((r) => r.deviceId)).size).toBe(1);
      expect(Math.floor((readings[0]!.ts - plan.startTs) / 3_600_000)).toBe(
        Math.floor((readings.at(-1)!.ts - plan.startTs) / 3_600_000),
      );
    }
  });

  it('signs every custody transfer by both parties and records the leg in its conditions', () => {
    const [first, second] = ofType(journey, 'custody');
    expect(first?.signers).toEqual(['acme-dispatch', 'swift-driver-07']);
    expect(second?.signers).toEqual(['city-pharmacist', 'swift-driver-07']);
    expect(second?.body.conditions).toMatchObject({
      excursions: 1,
      sealIntact: true,
      tempMaxMilliCelsius: 9700,
    });
    expect(second?.body.conditions.notes).toMatch(/^monitored by: city-FR-2\. 1 temperature excursion/);
    const entry = journey.log.entry(second?.index ?? -1).entry;
    expect(entry.kind).toBe('custody.transfer');
    expect(entry.signatures.map((s) => s.keyId)).toEqual(['city-pharmacist', 'swift-driver-07']);
  });

  it('flags the excursion exactly once, when the breach has lasted 15 min, signed by the custodian', () => {
    const flags = ofType(journey, 'excursion');
    expect(flags).toHaveLength(1);
    const [flag] = flags;
    const truck = [...journey.batches.values()].flat().filter((r) => r.deviceId === 'swift-TRK-12');
    const expected = expectedRaise(truck.sort((a, b) => a.ts - b.ts));
    expect(expected).toBeDefined();
    expect(flag?.excursion.startTs).toBe(expected?.start);
    expect(flag?.excursion.raisedAt).toBe(expected?.raisedAt);
    expect(flag?.at).toBe(expected?.raisedAt);
    // inside the planned incident: after the door was opened, before it was closed again
    const planned = journey.plan.excursion!;
    const doorOpen = journey.plan.startTs + planned.startMs;
    expect(expected!.start).toBeGreaterThan(doorOpen);
    expect(expected!.raisedAt).toBeLessThan(doorOpen + planned.riseMs + planned.holdMs + planned.fallMs);
    const entry = journey.log.entry(flag!.index).entry;
    expect(entry).toMatchObject({
      kind: 'security.event',
      stream: 'shipment:SHP-2026-0042',
      ts: expected?.raisedAt,
      body: { category: 'temperature-excursion', severity: 'high', evidenceDigest: flag?.excursion.digest },
    });
    expect(entry.signatures.map((s) => s.keyId)).toEqual(['swift-monitor']);
    const cleared = ofType(journey, 'excursion-cleared');
    expect(cleared).toHaveLength(1);
    expect(cleared[0]?.excursion.peakCelsius).toBeGreaterThan(8);
  });

  it('publishes a witnessed checkpoint right after the flag, so the flag is covered at once', () => {
    const flag = ofType(journey, 'excursion')[0]!;
    const next = ofType(journey, 'checkpoint').find((c) => c.at >= flag.at);
    expect(next?.at).toBe(flag.at);
    expect(next?.size).toBe(flag.index + 1);
    expect(next?.witnesses).toBe(3);
  });

  it('is deterministic: the same seed gives the same log, another seed another one', async () => {
    const again = await runJourney({ seed: 42 });
    expect(again.checkpoint.split('\n').slice(0, 3)).toEqual(journey.checkpoint.split('\n').slice(0, 3));
    const other = await runJourney({ seed: 43 });
    expect(other.log.root()).not.toEqual(journey.log.root());
  });

  it('without the excursion: no flag, and every transfer reports none', async () => {
    const calm = await runJourney({ seed: 42, plan: coldChainPlan({ excursion: false }) });
    expect(ofType(calm, 'excursion')).toEqual([]);
    expect(ofType(calm, 'custody').map((e) => e.body.conditions.excursions)).toEqual([0, 0]);
    expect(calm.log.size).toBe(40);
    const values = [...calm.batches.values()].flat().map((r) => r.value);
    expect(Math.max(...values)).toBeLessThanOrEqual(8);
    expect(Math.min(...values)).toBeGreaterThanOrEqual(2);
  });
});
