import type { entries } from '@healthit/ledger';
import { monitoringLoggers } from '../custody.js';

/** A custody transfer read back from the log. */
export interface LoggedTransfer {
  readonly index: number;
  readonly entry: entries.EntryOf<'custody.transfer'>;
}

/** Who held the shipment when, and which loggers watched it (as the transfer that began it names them). */
export interface CustodyPeriod {
  readonly custodian: string;
  /** Log index of the transfer that began the period. */
  readonly transferIndex: number;
  /** The transfer's time (inclusive). */
  readonly startTs: number;
  /** The next transfer's time (exclusive); absent for the period still running. */
  readonly endTs?: number;
  readonly loggers: readonly string[];
}

/** The custody periods the transfers (in stream order) define. */
export function custodyPeriods(transfers: readonly LoggedTransfer[]): CustodyPeriod[] {
  return transfers.map(({ index, entry }, k) => {
    const next = transfers[k + 1];
    return {
      custodian: entry.body.to,
      transferIndex: index,
      startTs: entry.ts,
      ...(next === undefined ? {} : { endTs: next.entry.ts }),
      loggers: monitoringLoggers(entry.body),
    };
  });
}

/** The period that holds time `ts`, if any. */
export function periodAt(periods: readonly CustodyPeriod[], ts: number): CustodyPeriod | undefined {
  return periods.find((p) => ts >= p.startTs && (p.endTs === undefined || ts < p.endTs));
}

/** The period a batch belongs to: one of the period's loggers, all its readings inside the period. */
export function periodOfBatch(
  periods: readonly CustodyPeriod[],
  body: entries.EntryBody<'reading.batch'>,
): CustodyPeriod | undefined {
  const p = periodAt(periods, body.firstTs);
  if (p === undefined || !p.loggers.includes(body.device)) return undefined;
  return p.endTs === undefined || body.lastTs < p.endTs ? p : undefined;
}
