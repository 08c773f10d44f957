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
  /** Always `RolloutTransitionError`. */
  override readonly name = 'RolloutTransitionError';
  /** Why the report was refused. */
  readonly reason: RolloutTransitionRefusal;
  /** The campaign the report named. */
  readonly campaignId: string;
  /** The device that sent the report. */
  readonly deviceId: string;
  /** The device's state in the campaign, when it has one. */
  readonly from: DeviceUpdateState | undefined;
  /** The reported state. */
  readonly to: DeviceUpdateState;

  /**
   * Creates the error (code `state/invalid`; `detail` carries the reason and the fields).
   * @param reason - Why the report was refused.
   * @param message - Human-readable description, naming device, campaign and states.
   * @param fields - The report's campaign and device, the device's current state (`from`, when it
   * has one) and the reported state (`to`).
   */
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
  /** Always `RolloutStateError`. */
  override readonly name = 'RolloutStateError';
  /** Why the operation was refused. */
  readonly reason: RolloutStateRefusal;
  /** The campaign concerned, when the operation named one. */
  readonly campaignId: string | undefined;

  /**
   * Creates the error (code `state/invalid`; `detail` carries the reason and the campaign id).
   * @param reason - Why the operation was refused.
   * @param message - Human-readable description.
   * @param campaignId - The campaign concerned, if any.
   * @param cause - The underlying error, e.g. the failure of an input stream (`source-failed`).
   */
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
  /** Always `RolloutLimitError`. */
  override readonly name = 'RolloutLimitError';
  /** Which bound was reached. */
  readonly limit: RolloutLimitName;
  /** The bound's configured value. */
  readonly max: number;

  /**
   * Creates the error (code `buffer/overflow`).
   * @param limit - Which bound was reached.
   * @param max - The bound's configured value.
   * @param message - Human-readable description of what was refused.
   * @param detail - Extra facts for `HealthItError.detail` (e.g. the campaign id), merged with
   * `limit` and `max`.
   */
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
  /** Always `RolloutAuditError`. */
  override readonly name = 'RolloutAuditError';
  /** The audit records that were not appended, in order, for the caller to park and retry. */
  readonly records: readonly LedgerRecord[];

  /**
   * Creates the error (the sink error's code, else `state/invalid`; `detail.records` is the count).
   * @param message - Human-readable description of the failure.
   * @param records - The records that were not appended, in order.
   * @param cause - The sink's error; its code becomes this error's code when it is a
   * `HealthItError`.
   */
  constructor(message: string, records: readonly LedgerRecord[], cause?: unknown) {
    super(cause instanceof HealthItError ? cause.code : 'state/invalid', message, {
      cause,
      detail: { records: records.length },
    });
    this.records = records;
  }
}
