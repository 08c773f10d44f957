import type { Reading } from '@healthit/core';
import type { ThresholdRuleSpec } from '@healthit/gateway';
import { entries, type policy } from '@healthit/ledger';
import type { z } from 'zod';
import { monitoringLoggers } from '../custody.js';
import { deriveExcursions, EXCURSION_CATEGORY, type Excursion } from '../excursions.js';
import { utcMinute } from '../format.js';
import type { VialHistory } from './bundle.js';
import {
  type CustodyPeriod,
  custodyPeriods,
  type LoggedTransfer,
  periodAt,
  periodOfBatch,
} from './periods.js';
import { failStep, type StepRunner } from './steps.js';

/** A custody transfer of the shipment, as verified. */
export interface VerifiedTransfer {
  readonly index: number;
  readonly ts: number;
  readonly from: string;
  readonly to: string;
  /** Key ids whose signatures verified. */
  readonly signers: readonly string[];
  /** Excursions the parties recorded for the custody the transfer ends. */
  readonly excursions: number;
  readonly sealIntact: boolean;
}

/** A custody period, with what its readings say. */
export interface VerifiedPeriod extends CustodyPeriod {
  readonly batches: number;
  readonly readings: number;
  readonly minCelsius: number;
  readonly maxCelsius: number;
  /** The last reading's time: the temperature record is proven up to here. */
  readonly coveredUntil: number;
  /** The longest silence of the record inside the period. */
  readonly longestGapMs: number;
}

/** An excursion re-derived from the readings, and the flag that recorded it. */
export interface FlaggedExcursion extends Excursion {
  readonly flagIndex: number;
  readonly flaggedAt: number;
  /** Who held the shipment (and signed the flag). */
  readonly custodian: string;
}

/** What the shipment part of a history proves. */
export interface ShipmentFindings {
  readonly transfers: readonly VerifiedTransfer[];
  readonly periods: readonly VerifiedPeriod[];
  readonly excursions: readonly FlaggedExcursion[];
  readonly batchCount: number;
  readonly readingCount: number;
}

/** The history after the cryptographic steps: decoded entries, readings not yet checked. */
export interface CheckedHistory {
  readonly history: VialHistory;
  readonly entries: readonly { readonly index: number; readonly entry: entries.Entry }[];
  readonly readingsOf: ReadonlyMap<number, readonly z.ZodSafeParseResult<Reading>[]>;
}

/** What the shipment checks trust. */
export interface ShipmentTrust {
  readonly policy: policy.MembershipPolicy;
  readonly rules: readonly ThresholdRuleSpec[];
  readonly maxGapMs: number;
}

function orgsOf(p: policy.MembershipPolicy): Map<string, string> {
  return new Map(p.organisations.flatMap((o) => o.keys.map((k) => [k.id, o.id] as const)));
}

interface Batch {
  readonly index: number;
  readonly entry: entries.EntryOf<'reading.batch'>;
  readonly readings: readonly Reading[];
  readonly period: CustodyPeriod;
}

/**
 * The shipment steps of `verifyVialHistory` (`custody`, `readings`, `coverage`, `excursions`), on
 * entries whose signatures and inclusion are already verified.
 */
export function checkShipment(
  checked: CheckedHistory,
  trust: ShipmentTrust,
  step: StepRunner,
): ShipmentFindings {
  const { history } = checked;
  const orgOfKey = orgsOf(trust.policy);
  const signerOrgs = (e: entries.Entry): Set<string> =>
    new Set(e.signatures.flatMap((s) => orgOfKey.get(s.keyId) ?? []));

  const { transfers, flags, periods } = step('custody', () => {
    const stream = `shipment:${history.shipment}`;
    const own = checked.entries.filter((e) => e.entry.stream === stream);
    const others = checked.entries.filter(
      (e) => e.entry.stream !== stream && e.entry.kind !== 'reading.batch',
    );
    if (others[0] !== undefined) {
      const { index, entry } = others[0];
      failStep(
        'custody',
        `entry ${index} (${entry.kind} ${entry.stream}) belongs to neither the shipment nor a logger`,
      );
    }
    const transfers: LoggedTransfer[] = [];
    const flags: { index: number; entry: entries.EntryOf<'security.event'> }[] = [];
    let prev = entries.ZERO_HASH;
    own.forEach(({ index, entry }, seq) => {
      const where = `entry ${index} (${stream}#${entry.seq})`;
      if (entry.seq !== seq) failStep('custody', `${where}: the shipment's stream is missing #${seq}`);
      if (entry.prev !== prev) failStep('custody', `${where}: prev does not chain to #${seq - 1}`);
      prev = entries.entryHash(entry);
      if (entry.kind === 'custody.transfer') {
        const last = transfers.at(-1)?.entry;
        const b = entry.body;
        if (b.shipment !== history.shipment) failStep('custody', `${where} transfers shipment ${b.shipment}`);
        if (!(b.lots ?? []).includes(history.vial.lot)) {
          failStep('custody', `${where} does not list lot ${history.vial.lot}`);
        }
        if (last !== undefined && b.from !== last.body.to) {
          failStep('custody', `${where}: ${b.from} hands over what ${last.body.to} held`);
        }
        if (last !== undefined && entry.ts < last.ts)
          failStep('custody', `${where} is dated before the previous transfer`);
        if (monitoringLoggers(b).length === 0)
          failStep('custody', `${where} names no logger for ${b.to}'s custody`);
        transfers.push({ index, entry });
      } else if (
        entry.kind === 'security.event' &&
        entry.body.category === EXCURSION_CATEGORY &&
        entry.body.subject === history.shipment
      ) {
        if (transfers.length === 0) failStep('custody', `${where}: a flag before the first transfer`);
        flags.push({ index, entry });
      } else {
        failStep('custody', `${where}: a ${entry.kind} entry has no place in a shipment's history`);
      }
    });
    if (transfers.length === 0)
      failStep('custody', `the history holds no transfer of shipment ${history.shipment}`);
    const periods = custodyPeriods(transfers);
    for (const { index, entry } of flags) {
      const holder = periodAt(periods, entry.ts)?.custodian;
      if (holder === undefined || !signerOrgs(entry).has(holder)) {
        failStep(
          'custody',
          `flag ${index} is not signed by ${holder ?? 'a custodian'}, who held the shipment then`,
        );
      }
    }
    return { transfers, flags, periods };
  });

  const batches = step('readings', () => {
    const batchEntries = checked.entries.filter(
      (e): e is { index: number; entry: entries.EntryOf<'reading.batch'> } =>
        e.entry.kind === 'reading.batch',
    );
    const batchIndexes = new Set(batchEntries.map((b) => b.index));
    for (const index of checked.readingsOf.keys()) {
      if (!batchIndexes.has(index))
        failStep('readings', `readings given for entry ${index}, which is not a batch`);
    }
    const batches = batchEntries.map(({ index, entry }): Batch => {
      const where = `batch ${index} (${entry.stream}#${entry.seq})`;
      const parsed = checked.readingsOf.get(index);
      if (parsed === undefined) failStep('readings', `${where}: its readings are missing`);
      const readings = parsed.map((r, i) => {
        if (!r.success)
          failStep(
            'readings',
            `${where}: reading ${i} is not a valid reading: ${r.error.issues[0]?.message}`,
          );
        if (r.data.metric !== 'device-temperature' || r.data.unit !== 'Cel') {
          failStep('readings', `${where}: reading ${r.data.id} is not a device temperature in Cel`);
        }
        return r.data;
      });
      if (!entries.verifyReadingBatchBody(readings, entry.body)) {
        failStep(
          'readings',
          `${where}: the readings do not reproduce the batch (an altered, missing or extra reading)`,
        );
      }
      const period = periodOfBatch(periods, entry.body);
      if (period === undefined) {
        failStep(
          'readings',
          `${where}: logger ${entry.body.device} was not watching the shipment at ${utcMinute(entry.body.firstTs)}`,
        );
      }
      if (!signerOrgs(entry).has(period.custodian)) {
        failStep('readings', `${where} is not signed by ${period.custodian}, who held the shipment`);
      }
      return { index, entry, readings, period };
    });
    const byStream = new Map<string, Batch[]>();
    for (const b of batches) byStream.set(b.entry.stream, [...(byStream.get(b.entry.stream) ?? []), b]);
    for (const [stream, list] of byStream) {
      list.forEach((b, i) => {
        const before = list[i - 1];
        if (
          before !== undefined &&
          (b.entry.seq !== before.entry.seq + 1 || b.entry.prev !== entries.entryHash(before.entry))
        ) {
          failStep(
            'readings',
            `${stream}: batch ${b.index} does not follow batch ${before.index} (a batch is missing)`,
          );
        }
      });
    }
    return batches;
  });

  const verifiedPeriods = step('coverage', () =>
    periods.map((p): VerifiedPeriod => {
      const mine = batches.filter((b) => b.period === p);
      const readings = mine.flatMap((b) => b.readings).sort((a, b) => a.ts - b.ts);
      const first = readings[0];
      const last = readings.at(-1);
      if (first === undefined || last === undefined) {
        failStep(
          'coverage',
          `no temperature readings while ${p.custodian} held the shipment from ${utcMinute(p.startTs)}`,
        );
      }
      let longest = first.ts - p.startTs;
      readings.forEach((r, i) => {
        if (i > 0) longest = Math.max(longest, r.ts - (readings[i - 1] as Reading).ts);
      });
      if (p.endTs !== undefined) longest = Math.max(longest, p.endTs - last.ts);
      if (longest > trust.maxGapMs) {
        failStep(
          'coverage',
          `the temperature record of ${p.custodian}'s custody has a silence of ${Math.round(longest / 60_000)} min (at most ${Math.round(trust.maxGapMs / 60_000)})`,
        );
      }
      return {
        ...p,
        batches: mine.length,
        readings: readings.length,
        minCelsius: Math.min(...readings.map((r) => r.value)),
        maxCelsius: Math.max(...readings.map((r) => r.value)),
        coveredUntil: last.ts,
        longestGapMs: longest,
      };
    }),
  );

  const excursions = step('excursions', () => {
    const derived = deriveExcursions(
      batches.flatMap((b) => b.readings),
      trust.rules,
    );
    const unmatched = [...flags];
    const found = derived.map((x): FlaggedExcursion => {
      const at = unmatched.findIndex((f) => f.entry.body.evidenceDigest === x.digest);
      const flag = unmatched[at];
      if (flag === undefined) {
        failStep(
          'excursions',
          `the excursion on ${x.device} from ${utcMinute(x.startTs)} (${x.alert.rule}) was never flagged`,
        );
      }
      unmatched.splice(at, 1);
      if (flag.entry.ts < x.raisedAt)
        failStep('excursions', `flag ${flag.index} predates the excursion it records`);
      return {
        ...x,
        flagIndex: flag.index,
        flaggedAt: flag.entry.ts,
        custodian: periodAt(periods, x.raisedAt)?.custodian ?? '',
      };
    });
    const extra = unmatched[0];
    if (extra !== undefined)
      failStep('excursions', `flag ${extra.index} matches no excursion in the readings`);
    transfers.forEach(({ index, entry }, k) => {
      const ended = periods[k - 1];
      if (ended === undefined) return;
      const n = found.filter((x) => periodAt(periods, x.raisedAt) === ended).length;
      if (entry.body.conditions.excursions !== n) {
        failStep(
          'excursions',
          `transfer ${index} reports ${entry.body.conditions.excursions} excursion(s) for ${ended.custodian}'s custody; the readings show ${n}`,
        );
      }
    });
    return found;
  });

  return {
    transfers: transfers.map(({ index, entry }) => ({
      index,
      ts: entry.ts,
      from: entry.body.from,
      to: entry.body.to,
      signers: entry.signatures.map((s) => s.keyId),
      excursions: entry.body.conditions.excursions,
      sealIntact: entry.body.conditions.sealIntact,
    })),
    periods: verifiedPeriods,
    excursions,
    batchCount: batches.length,
    readingCount: batches.reduce((n, b) => n + b.readings.length, 0),
  };
}
