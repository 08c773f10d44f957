import { type Clock, HealthItError } from '@healthit/core';
import { type AppendResult, entries, type TransparencyLog } from '@healthit/ledger';
import type { MemberKey } from './consortium.js';

/** Why a custody entry was refused before it reached the log. */
export type CustodyFailure = 'wrong-party' | 'unsigned-proposal';

/**
 * A custody transfer not signed by the two parties it names, refused by the example before the
 * log sees it (the policy's rule alone cannot tell which two organisations must sign).
 */
export class CustodyError extends HealthItError {
  override readonly name = 'CustodyError';
  readonly reason: CustodyFailure;

  constructor(reason: CustodyFailure, message: string) {
    super('ledger/signature', message, { detail: { reason } });
    this.reason = reason;
  }
}

/** An entry the log sequenced. */
export interface RecordedEntry extends AppendResult {
  readonly entry: entries.Entry;
  /** Lowercase hex leaf hash: the next entry's `prev` in the stream. */
  readonly entryHash: string;
}

/**
 * The releasing party's half of a hand-over: the `custody.transfer` entry signed by `releasing`,
 * to be countersigned by the receiver.
 * @throws {CustodyError} `wrong-party` when `releasing` does not belong to `body.from`.
 */
export function proposeTransfer(
  unsigned: Omit<entries.EntryOf<'custody.transfer'>, 'kind' | 'signatures'>,
  releasing: MemberKey,
): entries.Entry {
  if (releasing.org !== unsigned.body.from) {
    throw new CustodyError(
      'wrong-party',
      `custody.transfer ${unsigned.body.from} → ${unsigned.body.to}: the releasing key ${releasing.keyId} belongs to ${releasing.org}, not ${unsigned.body.from}`,
    );
  }
  return entries.signEntry({ ...unsigned, kind: 'custody.transfer' }, releasing);
}

/**
 * The receiving party's half: checks that the proposal is a transfer to its organisation, signed
 * by the releasing organisation's key (`releasingPublicKey`), then adds its own signature.
 * @throws {CustodyError} `wrong-party` when `receiving` does not belong to `body.to`;
 *   `unsigned-proposal` when the releasing signature is missing or does not verify.
 */
export function countersignTransfer(
  proposal: entries.Entry,
  receiving: MemberKey,
  releasing: { readonly keyId: string; readonly publicKey: string },
): entries.Entry {
  if (proposal.kind !== 'custody.transfer') {
    throw new CustodyError('unsigned-proposal', `a ${proposal.kind} entry is not a custody transfer`);
  }
  if (receiving.org !== proposal.body.to) {
    throw new CustodyError(
      'wrong-party',
      `custody.transfer ${proposal.body.from} → ${proposal.body.to}: the receiving key ${receiving.keyId} belongs to ${receiving.org}, not ${proposal.body.to}`,
    );
  }
  const report = entries.verifyEntrySignatures(proposal, new Map([[releasing.keyId, releasing.publicKey]]));
  if (!report.keyIds.includes(releasing.keyId)) {
    throw new CustodyError(
      'unsigned-proposal',
      `custody.transfer ${proposal.body.from} → ${proposal.body.to}: no valid signature by ${releasing.keyId} to countersign`,
    );
  }
  return entries.signEntry(proposal, receiving);
}

/** Options of {@link createShipmentStream}. */
export interface ShipmentStreamOptions {
  readonly log: Pick<TransparencyLog, 'origin' | 'append'>;
  readonly shipment: string;
  /** Entry timestamps (`ts`). */
  readonly clock: Clock;
}

/** The writer of one shipment's stream (`shipment:<id>`): custody transfers and excursion flags. */
export interface ShipmentStream {
  readonly stream: string;
  /**
   * Records a hand-over signed by both parties: `releasing` proposes, `receiving` countersigns.
   * @throws {CustodyError} when a key does not belong to the party the body names.
   * @throws what `log.append` throws (an `EndorsementError` when the policy refuses the signers).
   */
  transfer(
    body: entries.EntryBody<'custody.transfer'>,
    releasing: MemberKey,
    receiving: MemberKey,
  ): Promise<RecordedEntry>;
  /**
   * Records an excursion flag (`security.event`) signed by the custodian's monitoring gateway.
   * @throws what `log.append` throws.
   */
  flag(body: entries.EntryBody<'security.event'>, monitor: MemberKey): Promise<RecordedEntry>;
}

/**
 * The single writer of a shipment's stream: keeps its `seq` and `prev` and advances them only when
 * the log has sequenced the entry (a refused entry leaves the stream where it was).
 * @example
 * ```ts
 * const shipment = createShipmentStream({ log, shipment: 'SHP-1', clock });
 * await shipment.transfer(body, consortium.member('acme-dispatch'), consortium.member('swift-driver-07'));
 * ```
 */
export function createShipmentStream(options: ShipmentStreamOptions): ShipmentStream {
  const { log, clock } = options;
  const stream = `shipment:${options.shipment}`;
  let seq = 0;
  let prev = entries.ZERO_HASH;
  let tail: Promise<unknown> = Promise.resolve();

  function record(
    build: (head: { seq: number; prev: string; ts: number }) => entries.Entry,
  ): Promise<RecordedEntry> {
    const run = tail.then(async () => {
      const entry = build({ seq, prev, ts: clock.now() });
      const result = await log.append(entry);
      const entryHash = entries.entryHash(entry);
      seq += 1;
      prev = entryHash;
      return { ...result, entry, entryHash };
    });
    tail = run.catch(() => undefined);
    return run;
  }

  return {
    stream,
    transfer(body, releasing, receiving) {
      return record((head) =>
        countersignTransfer(
          proposeTransfer({ origin: log.origin, stream, ...head, body }, releasing),
          receiving,
          releasing,
        ),
      );
    },
    flag(body, monitor) {
      return record((head) =>
        entries.signEntry({ origin: log.origin, kind: 'security.event', stream, ...head, body }, monitor),
      );
    },
  };
}

const LOGGER_LIST =
  /^monitored by: ([A-Za-z0-9][A-Za-z0-9._:/+@-]*(?:, [A-Za-z0-9][A-Za-z0-9._:/+@-]*)*)(?:\. |$)/;

/**
 * The `conditions.notes` of a transfer: `monitored by: <logger>, <logger>` (the loggers that watch
 * the shipment while the receiver holds it), then optional free text. Both parties sign it, which
 * binds the shipment to its loggers (`custody.transfer` has no field for that yet).
 * @throws {RangeError} for no logger or a logger id that is not an entry `Id`.
 */
export function custodyNotes(loggers: readonly string[], text?: string): string {
  const notes = `monitored by: ${loggers.join(', ')}${text === undefined ? '' : `. ${text}`}`;
  if (loggers.length === 0 || !LOGGER_LIST.test(notes)) {
    throw new RangeError(`loggers must be 1 or more entry ids, got ${JSON.stringify(loggers)}`);
  }
  return notes;
}

/** The loggers a transfer's notes name (see {@link custodyNotes}); empty when it names none. */
export function monitoringLoggers(body: entries.EntryBody<'custody.transfer'>): string[] {
  const match = LOGGER_LIST.exec(body.conditions.notes ?? '');
  return match?.[1] === undefined ? [] : match[1].split(', ');
}
