import { HealthItError, type LedgerRecord } from '@healthit/core';
import type { DeviceUpdateState } from './states.js';

/** Why a device report was refused. */
export type RolloutTransitionRefusal =
  /** No campaign with that id (never created, or finished and evicted past `maxCampaigns`). */
  | 'unknown-campaign'
  /** The device is not part of the campaign's population. */
  | 'not-targeted'
  /** The device is targeted but was never assigned: it cannot have started. */
  | 'not-assigned'
  /** The state machine does not allow the move (see `canTransition`). */
  | 'illegal-transition';

/**
 * A device report that the state machine refused. Nothing changed: the device keeps its state.
 * Code `state/invalid`.
 * @example
 * ```ts
 * engine.errors$.pipe(filter((e) => e instanceof RolloutTransitionError)).subscribe((e) =>
 *   log.warn(`${e.deviceId}: ${e.from} → ${e.to} refused (${e.reason})`));
 * ```
 */
export class RolloutTransitionError extends HealthItError {
  override readonly name = 'RolloutTransitionError';
  readonly reason: RolloutTransitionRefusal;
  readonly campaignId: string;
  readonly deviceId: string;
  /** The device's state in the campaign, when it has one. */
  readonly from: DeviceUpdateState | undefined;
  /** The reported state. */
  readonly to: DeviceUpdateState;

  constructor(
    reason: RolloutTransitionRefusal,
    message: string,
    fields: {
      readonly campaignId: string;
      readonly deviceId: string;
      readonly from?: DeviceUpdateState;
      readonly to: DeviceUpdateState;
    },
  ) {
    super('state/invalid', message, { detail: { reason, ...fields } });
    this.reason = reason;
    this.campaignId = fields.campaignId;
    this.deviceId = fields.deviceId;
    this.from = fields.from;
    this.to = fields.to;
  }
}

/** Why a campaign operation was refused. */
export type RolloutStateRefusal =
  | 'unknown-campaign'
  /** `createCampaign` with the id of a campaign the engine holds. */
  | 'duplicate-campaign'
  /** E.g. resuming an aborted campaign, pausing a completed one. */
  | 'not-allowed'
  /** The engine was closed. */
  | 'closed'
  /** An input stream failed and stopped. */
  | 'source-failed';

/** A campaign operation (create, pause, resume, cancel) was refused. Code `state/invalid`. */
export class RolloutStateError extends HealthItError {
  override readonly name = 'RolloutStateError';
  readonly reason: RolloutStateRefusal;
  readonly campaignId: string | undefined;

  constructor(reason: RolloutStateRefusal, message: string, campaignId?: string, cause?: unknown) {
    super('state/invalid', message, { cause, detail: { reason, campaignId } });
    this.reason = reason;
    this.campaignId = campaignId;
  }
}

/** The engine's declared bounds (see `RolloutLimits`). */
export type RolloutLimitName =
  | 'maxCampaigns'
  | 'maxDevicesPerCampaign'
  | 'maxFleetDevices'
  | 'maxPendingAuditRecords';

/**
 * A declared bound was reached; the newest input was refused (reject-newest) and nothing already
 * held was dropped. Code `buffer/overflow` (retryable: e.g. once campaigns finish).
 */
export class RolloutLimitError extends HealthItError {
  override readonly name = 'RolloutLimitError';
  readonly limit: RolloutLimitName;
  readonly max: number;

  constructor(limit: RolloutLimitName, max: number, message: string, detail: Record<string, unknown> = {}) {
    super('buffer/overflow', message, { detail: { limit, max, ...detail } });
    this.limit = limit;
    this.max = max;
  }
}

/**
 * Audit records could not be appended to the ledger (the sink failed, or too many records were
 * waiting). `records` are the ones not appended, in order, for the caller to park and retry. The
 * code is the sink error's when it has one, otherwise `state/invalid`.
 */
export class RolloutAuditError extends HealthItError {
  override readonly name = 'RolloutAuditError';
  readonly records: readonly LedgerRecord[];

  constructor(message: string, records: readonly LedgerRecord[], cause?: unknown) {
    super(cause instanceof HealthItError ? cause.code : 'state/invalid', message, {
      cause,
      detail: { records: records.length },
    });
    this.records = records;
  }
}
