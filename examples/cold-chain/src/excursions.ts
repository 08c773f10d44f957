import { type Alert, type JsonValue, type Reading, utf8Encode } from '@healthit/core';
import { declarativeAlerts, parseRuleSet, type RuleEvent, type ThresholdRuleSpec } from '@healthit/gateway';
import { canonicalJson, type entries, sha256 } from '@healthit/ledger';
import { from, tap } from 'rxjs';
import { celsius, utcMinute } from './format.js';
import { toHex } from './hex.js';

/**
 * The cold-chain excursion rules (gateway declarative threshold rules, on reading timestamps):
 * above 8 °C for at least 15 min raises a `high` alert that clears at 7.5 °C or below; below 2 °C
 * for at least 15 min raises a `critical` one (freezing ruins vaccines) that clears at 2.5 °C. A
 * silence of more than 15 min between readings restarts a pending episode.
 */
export const COLD_CHAIN_RULES: readonly ThresholdRuleSpec[] = parseRuleSet(
  [
    {
      id: 'cold-chain-above-8C',
      metric: 'device-temperature',
      comparison: '>',
      value: 8,
      forSeconds: 900,
      clearValue: 7.5,
      maxGapSeconds: 900,
      severity: 'high',
    },
    {
      id: 'cold-chain-below-2C',
      metric: 'device-temperature',
      comparison: '<',
      value: 2,
      forSeconds: 900,
      clearValue: 2.5,
      maxGapSeconds: 900,
      severity: 'critical',
    },
  ],
  'cold-chain rules',
);

/** The `category` of the `security.event` entry that flags an excursion. */
export const EXCURSION_CATEGORY = 'temperature-excursion';

/** An excursion: the alert a rule raised, and what the readings say about it. */
export interface Excursion {
  /** The alert, exactly as the rule raised it (its digest goes on the ledger). */
  readonly alert: Alert;
  /** Lowercase hex SHA-256 of the alert's RFC 8785 JSON: the flag's `evidenceDigest`. */
  readonly digest: string;
  readonly device: string;
  /** The first reading out of range (start of the episode). */
  readonly startTs: number;
  /** When the rule raised the alert (the reading that completed the 15 min). */
  readonly raisedAt: number;
  /** The reading that reached the clearing level, when one did. */
  readonly clearedAt?: number;
  /** The most extreme reading from start to clearing (highest for a high rule, lowest for a low one), °C. */
  readonly peakCelsius: number;
}

/** SHA-256 (lowercase hex) of an alert's RFC 8785 JSON. */
export function alertDigest(alert: Alert): string {
  return toHex(sha256(utf8Encode(canonicalJson(alert as unknown as JsonValue))));
}

/**
 * Describes an excursion from its alert and the readings of its device.
 * @throws {RangeError} when the alert names a rule or a reading that is not there.
 */
export function describeExcursion(
  alert: Alert,
  deviceReadings: readonly Reading[],
  clearedAt: number | undefined,
  rules: readonly ThresholdRuleSpec[] = COLD_CHAIN_RULES,
): Excursion {
  const rule = rules.find((r) => `rule:${r.id}` === alert.rule);
  if (rule === undefined) throw new RangeError(`alert ${alert.id} names an unknown rule ${alert.rule}`);
  const firstId = alert.readingIds[0];
  const first = deviceReadings.find((r) => r.id === firstId);
  if (first === undefined)
    throw new RangeError(`alert ${alert.id}: reading ${firstId} is not among the readings`);
  const high = rule.comparison.startsWith('>');
  let peak = first.value;
  for (const r of deviceReadings) {
    if (r.ts < first.ts || (clearedAt !== undefined && r.ts > clearedAt)) continue;
    peak = high ? Math.max(peak, r.value) : Math.min(peak, r.value);
  }
  return {
    alert,
    digest: alertDigest(alert),
    device: alert.deviceId ?? first.deviceId,
    startTs: first.ts,
    raisedAt: alert.ts,
    ...(clearedAt === undefined ? {} : { clearedAt }),
    peakCelsius: peak,
  };
}

/**
 * Re-derives every excursion from readings alone, offline: runs the same gateway rules over the
 * readings in time order with the clock at each reading's time (as the live gateway, whose clock is
 * the readings' virtual time), so each alert comes out byte for byte as the gateway raised it.
 */
export function deriveExcursions(
  readings: readonly Reading[],
  rules: readonly ThresholdRuleSpec[] = COLD_CHAIN_RULES,
): Excursion[] {
  const sorted = [...readings].sort(
    (a, b) => a.ts - b.ts || (a.deviceId < b.deviceId ? -1 : a.deviceId > b.deviceId ? 1 : a.seq - b.seq),
  );
  let now = 0;
  const events: RuleEvent[] = [];
  from(sorted)
    .pipe(
      tap((r) => {
        now = r.ts;
      }),
      declarativeAlerts(rules, { clock: { now: () => now } }),
    )
    .subscribe((e) => events.push(e));
  const byId = new Map(sorted.map((r) => [r.id, r]));
  const cleared = new Map<string, number>();
  for (const e of events) {
    if (e.type === 'alert-cleared') cleared.set(e.alertId, byId.get(e.readingId)?.ts ?? e.ts);
  }
  return events.flatMap((e) => {
    if (e.type !== 'alert-raised') return [];
    const device = sorted.filter((r) => r.deviceId === e.alert.deviceId);
    return [describeExcursion(e.alert, device, cleared.get(e.alert.id), rules)];
  });
}

/** The body of the `security.event` entry that flags an excursion of a shipment. */
export function excursionFlagBody(
  excursion: Excursion,
  shipment: string,
): entries.EntryBody<'security.event'> {
  const { alert } = excursion;
  const severity = alert.severity === 'low-medium' ? 'medium' : alert.severity;
  return {
    severity,
    category: EXCURSION_CATEGORY,
    subject: shipment,
    description:
      `${alert.message}. Out of range since ${utcMinute(excursion.startTs)} on logger ${excursion.device}, ` +
      `raised at ${utcMinute(excursion.raisedAt)} (${alert.rule}); reading ${celsius(alert.value ?? Number.NaN)}.`,
    evidenceDigest: excursion.digest,
  };
}
