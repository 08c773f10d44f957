import {
  type Clock,
  type DeviceId,
  type HealthItError,
  type LedgerRecord,
  type LedgerSink,
  safeParse,
} from '@healthit/core';
import { asyncScheduler, type Observable, type SchedulerLike, Subject, type Subscription } from 'rxjs';
import { campaignRecord, deviceStateRecord, ROLLOUT_SYSTEM_ACTOR } from './audit.js';
import { type AuditWriter, createAuditWriter, type RolloutAuditOptions } from './audit-writer.js';
import { type CampaignDefinition, parseCampaignDefinition, targetPathFor } from './campaign.js';
import { CampaignRun, type DeviceSlot } from './campaign-run.js';
import {
  type RolloutAuditError,
  RolloutLimitError,
  RolloutStateError,
  RolloutTransitionError,
} from './errors.js';
import { assignmentRank, compileTarget, FLEET_DEVICE_SCHEMA_NAME, FleetDevice } from './inventory.js';
import { detailText, ROLLOUT_REPORT_SCHEMA_NAME, RolloutReport } from './reports.js';
import { canTransition, type DeviceUpdateState, isFailureState, isSettledState } from './states.js';
import {
  type CampaignDecision,
  type CampaignPhase,
  type CampaignStatus,
  DEFAULT_FLEET_QUERY_LIMIT,
  type DeviceChangeCause,
  type FleetEntry,
  type FleetQuery,
  type RolloutCommand,
} from './types.js';
import { isWindowOpen, msUntilWindowOpens } from './windows.js';

/** The engine's memory bounds. Past one, the newest input is refused with a {@link RolloutLimitError}. */
export interface RolloutLimits {
  /**
   * Campaigns held, finished ones included (default 64). Creating one more evicts the oldest
   * finished campaign with no device in flight (its trail stays in the ledger); when there is
   * none, creation is refused.
   */
  readonly maxCampaigns: number;
  /** Targeted devices per campaign (default 100 000); a campaign matching more is refused. */
  readonly maxDevicesPerCampaign: number;
  /** Devices in the inventory (default 200 000); new devices past it are refused. */
  readonly maxFleetDevices: number;
}

/** The default {@link RolloutLimits}. */
export const DEFAULT_ROLLOUT_LIMITS: RolloutLimits = Object.freeze({
  maxCampaigns: 64,
  maxDevicesPerCampaign: 100_000,
  maxFleetDevices: 200_000,
});

/** Options of {@link createRolloutEngine}. */
export interface RolloutEngineOptions {
  /** Runs the device timeouts, soak times and maintenance-window wake-ups (default `asyncScheduler`). */
  readonly scheduler?: SchedulerLike;
  /** Time source of every timestamp and of the maintenance windows (default `scheduler.now()`). */
  readonly clock?: Clock;
  /** Where audit records are appended (the caller's; never closed). Without it they only go to `audit$`. */
  readonly ledger?: LedgerSink;
  /** Batching of the ledger appends. */
  readonly audit?: RolloutAuditOptions;
  /** Memory bounds, each a positive integer; unset ones take {@link DEFAULT_ROLLOUT_LIMITS}. */
  readonly limits?: Partial<RolloutLimits>;
}

/** What {@link RolloutEngine.report} did with a report. */
export type ReportResult =
  | {
      /** The report was valid and concerned an assigned device (applied, or a harmless repeat). */
      readonly ok: true;
      /**
       * `applied`: the device moved; `duplicate`: it already was in that state (nothing changed);
       * `stale`: older than its last accepted report (ignored).
       */
      readonly outcome: 'applied' | 'duplicate' | 'stale';
      /** The device's state in the campaign after the report. */
      readonly state: DeviceUpdateState;
    }
  | {
      /** The report was refused; the device keeps its state and the error also goes to `errors$`. */
      readonly ok: false;
      /**
       * Why: a `ValidationError` for a malformed report, a {@link RolloutTransitionError} for one the
       * state machine refuses, a {@link RolloutStateError} (`closed`) after `close`.
       */
      readonly error: HealthItError;
    };

/** What {@link RolloutEngine.upsertDevices} did. */
export interface InventoryResult {
  /** Devices added or updated. */
  readonly accepted: number;
  /** Why the others were refused (`ValidationError` per bad item, one `RolloutLimitError` for the overflow). */
  readonly errors: readonly HealthItError[];
}

/** What a campaign operation did. */
export type CampaignResult =
  | {
      /** The operation was accepted. */
      readonly ok: true;
      /** False when the campaign already was in the requested phase (an idempotent repeat). */
      readonly changed: boolean;
      /** The campaign's status after the operation. */
      readonly status: CampaignStatus;
    }
  | {
      /** The operation was refused; nothing changed and the error also goes to `errors$`. */
      readonly ok: false;
      /**
       * Why: a `ValidationError` for a bad definition, a {@link RolloutStateError} (unknown or
       * duplicate campaign, phase does not allow it, engine closed), a {@link RolloutLimitError}
       * when a bound is reached.
       */
      readonly error: HealthItError;
    };

/** Who asks for a pause, resume or cancel, and why (both go into the audit record). */
export interface CampaignControl {
  /** The operator's id, from an authenticated session. */
  readonly by: string;
  /**
   * Why, in the operator's words (cut at 1 024 characters); becomes the campaign's `reason` and
   * goes into the audit record.
   */
  readonly reason?: string;
}

/** The platform's staged-rollout engine. Its output streams are hot: subscribe before feeding it. */
export interface RolloutEngine {
  /** Assign commands to sign and send, in order. */
  readonly commands$: Observable<RolloutCommand>;
  /** A campaign's status after each change. */
  readonly status$: Observable<CampaignStatus>;
  /** A device's fleet entry after each change (inventory update, assignment, state change). */
  readonly fleet$: Observable<FleetEntry>;
  /**
   * Refused inputs and operations, as values: `ValidationError`, {@link RolloutTransitionError},
   * {@link RolloutStateError}, {@link RolloutLimitError}, {@link RolloutAuditError}.
   */
  readonly errors$: Observable<HealthItError>;
  /** Every audit record, as it is made (and appended to `ledger` when one was given). */
  readonly audit$: Observable<LedgerRecord>;
  /** Adds or updates inventory devices (one `FleetDevice` or an array); may assign waiting devices. */
  upsertDevices(input: unknown): InventoryResult;
  /** Feeds inventory updates from a source (each item as for `upsertDevices`). Unsubscribe to disconnect. */
  connectInventory(inventory$: Observable<unknown>): Subscription;
  /** Applies one verified device report (see `RolloutReport`). */
  report(input: unknown): ReportResult;
  /** Feeds verified device reports from a source. Unsubscribe to disconnect. */
  connectReports(reports$: Observable<unknown>): Subscription;
  /**
   * Validates a campaign definition, freezes its population from the inventory and starts its
   * first wave. `by` is recorded as its creator (default `system:rollouts`).
   */
  createCampaign(definition: unknown, by?: string): CampaignResult;
  /** Stops assigning; devices already assigned go on. Idempotent on a paused campaign. */
  pause(campaignId: string, control: CampaignControl): CampaignResult;
  /** Resumes a paused campaign. Idempotent on a running one; refused on a finished one. */
  resume(campaignId: string, control: CampaignControl): CampaignResult;
  /** Stops assigning for good; devices already assigned finish and report. Idempotent on a cancelled one. */
  cancel(campaignId: string, control: CampaignControl): CampaignResult;
  /** The campaign's current status, or `undefined` when the engine does not hold it (unknown or evicted). */
  campaign(campaignId: string): CampaignStatus | undefined;
  /** Every campaign held, oldest first. */
  campaigns(): CampaignStatus[];
  /** The device's fleet entry with its latest campaign, or `undefined` when it is not in the inventory. */
  device(deviceId: string): FleetEntry | undefined;
  /** The fleet view (see {@link FleetQuery}). */
  fleet(query?: FleetQuery): FleetEntry[];
  /** Resolves once every audit record made so far was appended to the ledger (or reported on `errors$`). */
  flushAudit(): Promise<void>;
  /** Stops timers and sources, hands the open audit batch to the ledger and completes the streams. Idempotent. */
  close(): void;
}

/** Why a waiting device cannot be assigned now. */
type Blocker = 'unknown' | 'offline' | 'in-therapy' | 'outside-window' | 'incompatible';

function resolveLimits(given: Partial<RolloutLimits> | undefined): RolloutLimits {
  const limits = { ...DEFAULT_ROLLOUT_LIMITS, ...given };
  for (const [name, v] of Object.entries(limits)) {
    if (!Number.isSafeInteger(v) || v < 1)
      throw new RangeError(`limits.${name} must be a positive integer, got ${v}`);
  }
  return limits;
}

function actorOf(by: unknown): string | undefined {
  return typeof by === 'string' && by.length >= 1 && by.length <= 128 ? by : undefined;
}

/**
 * Creates the staged-rollout engine.
 *
 * A campaign freezes its population at creation: the inventory devices matching its targeting,
 * whose hardware the release supports, that do not run the release's version yet and are not
 * held by another open campaign. Devices are assigned in a fixed pseudo-random order (spread over
 * wards and models) while the current wave's quota allows, each only when online, not in therapy
 * (unless the campaign is urgent) and inside its ward's maintenance window. Reports move devices
 * through the state machine; a device silent for `deviceTimeoutMs` becomes `failed`. Each change
 * re-evaluates the campaign: abort or pause on a wave's failure rate, advance to the next wave on
 * its success rate (after `soakMs`), complete when every device has settled.
 *
 * Everything that changes state is recorded on `audit$` (and in the ledger when given).
 *
 * @throws {RangeError} for a bad limit or audit option.
 * @example
 * ```ts
 * const engine = createRolloutEngine({ ledger });
 * engine.commands$.subscribe((c) => gateway.send(signCommand(c)));
 * engine.status$.subscribe(dashboard.campaign);
 * engine.connectInventory(registry.devices$);
 * engine.connectReports(verifiedReports$);
 * engine.createCampaign(definition, 'biomed-eng:alice');
 * ```
 */
export function createRolloutEngine(options: RolloutEngineOptions = {}): RolloutEngine {
  const scheduler = options.scheduler ?? asyncScheduler;
  const clock: Clock = options.clock ?? { now: () => scheduler.now() };
  const limits = resolveLimits(options.limits);

  const commands = new Subject<RolloutCommand>();
  const statuses = new Subject<CampaignStatus>();
  const fleetChanges = new Subject<FleetEntry>();
  const errors = new Subject<HealthItError>();
  const records = new Subject<LedgerRecord>();
  const fail = (e: HealthItError): void => errors.next(e);
  const writer: AuditWriter | undefined =
    options.ledger === undefined
      ? undefined
      : createAuditWriter(options.ledger, scheduler, (e: RolloutAuditError) => fail(e), options.audit);

  /** The inventory, insertion order (bounded by maxFleetDevices). */
  const inventory = new Map<string, FleetDevice>();
  /** Campaigns, creation order (bounded by maxCampaigns). */
  const campaigns = new Map<string, CampaignRun>();
  /** Each device's latest campaign and its slot there. */
  const latest = new Map<string, { readonly run: CampaignRun; readonly slot: DeviceSlot }>();
  /** Devices held by an open campaign (or in flight in a finished one): device → campaign. */
  const holder = new Map<string, CampaignRun>();
  const sources = new Set<Subscription>();
  let closed = false;

  const record = (r: LedgerRecord): void => {
    records.next(r);
    writer?.write(r);
  };

  const entryOf = (
    device: FleetDevice,
    l: { readonly run: CampaignRun; readonly slot: DeviceSlot } | undefined = latest.get(device.deviceId),
  ): FleetEntry => {
    const base: FleetEntry = {
      deviceId: device.deviceId,
      model: device.model,
      hardwareId: device.hardwareId,
      ward: device.ward,
      version: device.firmwareVersion,
      inTherapy: device.inTherapy,
      online: device.online,
    };
    if (l === undefined) return base;
    const s = l.slot;
    return {
      ...base,
      campaignId: l.run.id,
      state: s.state,
      assigned: s.assignedAt !== undefined,
      ...(s.wave === undefined ? {} : { wave: s.wave + 1 }),
      ...(s.lastReportAt === undefined ? {} : { lastReportAt: s.lastReportAt }),
      lastChangeAt: s.lastChangeAt,
      ...(s.failure === undefined ? {} : { failure: s.failure }),
      ...(s.detail === undefined ? {} : { detail: s.detail }),
      ...(s.rejection === undefined ? {} : { rejection: s.rejection }),
    };
  };

  const emitFleet = (deviceId: string): void => {
    const device = inventory.get(deviceId);
    if (device !== undefined) fleetChanges.next(entryOf(device));
  };

  const emitStatus = (run: CampaignRun): void => statuses.next(run.status(clock.now()));

  const decide = (
    run: CampaignRun,
    decision: CampaignDecision,
    by: string,
    extra: { readonly definition?: unknown; readonly excludedBusy?: number } = {},
  ): void => {
    record(
      campaignRecord({
        campaign: run.id,
        decision,
        phase: run.phase,
        wave: run.waveIndex + 1,
        waveCount: run.waves.length,
        at: clock.now(),
        by,
        reason: run.reason,
        population: run.population,
        assigned: run.assigned,
        counts: run.counts,
        ...extra,
      }),
    );
  };

  const releaseHold = (run: CampaignRun, deviceId: string): void => {
    if (holder.get(deviceId) === run) holder.delete(deviceId);
  };

  // ---- assignment -------------------------------------------------------------------------

  const blocker = (run: CampaignRun, device: FleetDevice | undefined, now: number): Blocker | undefined => {
    const def = run.definition;
    if (device === undefined) return 'unknown';
    if (!def.release.hardwareIds.includes(device.hardwareId)) return 'incompatible';
    if (!device.online) return 'offline';
    if (device.inTherapy && !def.urgent) return 'in-therapy';
    if (!isWindowOpen(def.maintenanceWindows, device.ward, now)) return 'outside-window';
    return undefined;
  };

  const armTimeout = (run: CampaignRun, slot: DeviceSlot): void => {
    slot.timer?.unsubscribe();
    const ms = run.definition.deviceTimeoutMs;
    slot.timer = scheduler.schedule(() => {
      slot.timer = undefined;
      if (closed || isSettledState(slot.state)) return;
      move(run, slot, 'failed', 'timeout', { detail: `no report for ${ms} ms` });
    }, ms);
  };

  /**
   * Assigns one device. The command goes out last, after the state, audit record and timer: a
   * subscriber may answer it synchronously (an in-process device) and re-enter the engine.
   */
  const assign = (run: CampaignRun, slot: DeviceSlot, now: number): void => {
    run.assign(slot, now);
    const wave = run.waveIndex + 1;
    record(
      deviceStateRecord({
        campaign: run.id,
        device: slot.deviceId,
        cause: 'assigned',
        from: slot.state,
        to: slot.state,
        wave,
        at: now,
      }),
    );
    emitFleet(slot.deviceId);
    armTimeout(run, slot);
    commands.next({
      type: 'assign',
      commandId: `${run.id}/${slot.deviceId}`,
      campaignId: run.id,
      deviceId: slot.deviceId,
      release: run.definition.release,
      targetPath: targetPathFor(run.definition.release, inventory.get(slot.deviceId)?.hardwareId ?? ''),
      wave,
      urgent: run.definition.urgent,
      issuedAt: now,
      timeoutMs: run.definition.deviceTimeoutMs,
      expiresAt: now + run.definition.deviceTimeoutMs,
    });
  };

  /** Assigns waiting devices in order while the wave allows; wakes up when a window opens. */
  const fill = (run: CampaignRun): void => {
    run.windowTimer?.unsubscribe();
    run.windowTimer = undefined;
    if (run.phase !== 'running' || closed) return;
    const now = clock.now();
    let wakeInMs = Number.POSITIVE_INFINITY;
    let changed = false;
    for (const slot of run.unassigned()) {
      // Re-checked each time: an answer to the previous command may have paused or aborted it.
      if (run.phase !== 'running' || closed || run.assigned >= run.allowed) break;
      if (slot.assignedAt !== undefined) continue;
      const device = inventory.get(slot.deviceId);
      const why = blocker(run, device, now);
      if (why === 'outside-window' && device !== undefined) {
        wakeInMs = Math.min(
          wakeInMs,
          msUntilWindowOpens(run.definition.maintenanceWindows, device.ward, now),
        );
      }
      if (why !== undefined) continue;
      assign(run, slot, now);
      changed = true;
    }
    if (changed) emitStatus(run);
    if (run.assigned < run.allowed && Number.isFinite(wakeInMs)) {
      run.windowTimer = scheduler.schedule(() => {
        run.windowTimer = undefined;
        fill(run);
        evaluate(run, undefined);
      }, wakeInMs);
    }
  };

  /** One device changed in the inventory: assign it if it is the one waiting (cheaper than a fill). */
  const offer = (run: CampaignRun, slot: DeviceSlot): void => {
    if (run.phase !== 'running' || slot.assignedAt !== undefined || run.assigned >= run.allowed) return;
    const now = clock.now();
    const why = blocker(run, inventory.get(slot.deviceId), now);
    if (why === 'outside-window') {
      fill(run); // schedules the wake-up at the window's opening
      return;
    }
    if (why !== undefined) return;
    assign(run, slot, now);
    emitStatus(run);
  };

  // ---- campaign decisions ---------------------------------------------------------------

  const stopTimers = (run: CampaignRun): void => {
    run.soakTimer?.unsubscribe();
    run.soakTimer = undefined;
    run.windowTimer?.unsubscribe();
    run.windowTimer = undefined;
  };

  const setPhase = (
    run: CampaignRun,
    phase: CampaignPhase,
    decision: CampaignDecision,
    by: string,
    reason: string | undefined,
  ): void => {
    run.phase = phase;
    run.reason = reason;
    if (phase !== 'running') stopTimers(run);
    if (!run.isOpen) {
      for (const slot of run.unassigned()) releaseHold(run, slot.deviceId);
    }
    decide(run, decision, by);
    emitStatus(run);
  };

  const advance = (run: CampaignRun): void => {
    const reason = run.successReason();
    run.waveIndex++;
    run.reason = reason;
    decide(run, 'wave-advanced', ROLLOUT_SYSTEM_ACTOR);
    run.reason = undefined;
    emitStatus(run);
    fill(run);
  };

  /**
   * Re-evaluates a campaign after a change: the failure thresholds of wave `changedWave` first,
   * then wave advance (after the soak time) and completion.
   */
  const evaluate = (run: CampaignRun, changedWave: number | undefined): void => {
    if (changedWave !== undefined && run.isOpen) {
      const verdict = run.failureVerdict(changedWave);
      if (verdict?.action === 'abort') {
        setPhase(run, 'aborted', 'aborted', ROLLOUT_SYSTEM_ACTOR, verdict.reason);
        return;
      }
      if (verdict?.action === 'pause') {
        run.firePause(changedWave);
        if (run.phase === 'running') {
          setPhase(run, 'paused', 'paused', ROLLOUT_SYSTEM_ACTOR, verdict.reason);
          return;
        }
      }
    }
    while (run.phase === 'running' && !closed) {
      if (!run.isLastWave && run.waveSucceeded()) {
        if (run.definition.soakMs > 0) {
          run.soakTimer ??= scheduler.schedule(() => {
            run.soakTimer = undefined;
            if (run.phase === 'running' && !run.isLastWave && run.waveSucceeded()) {
              advance(run);
              evaluate(run, undefined);
            }
          }, run.definition.soakMs);
          return;
        }
        advance(run);
        continue;
      }
      if (run.isLastWave && run.isDone()) {
        const c = run.counts;
        setPhase(
          run,
          'completed',
          'completed',
          ROLLOUT_SYSTEM_ACTOR,
          `every device settled: ${c.updated} updated, ${c.failed} failed, ${c['rolled-back']} rolled back`,
        );
      }
      return;
    }
  };

  // ---- device state changes -------------------------------------------------------------

  const move = (
    run: CampaignRun,
    slot: DeviceSlot,
    to: DeviceUpdateState,
    cause: Exclude<DeviceChangeCause, 'assigned'>,
    extra: {
      readonly reportedAt?: number;
      readonly detail?: string | undefined;
      readonly version?: string | undefined;
      readonly rejection?: string | undefined;
    },
  ): void => {
    const now = clock.now();
    const from = slot.state;
    run.move(slot, to, now);
    if (extra.reportedAt !== undefined) slot.lastReportAt = extra.reportedAt;
    if (extra.detail !== undefined) slot.detail = extra.detail;
    if (to === 'failed') {
      slot.failure = cause === 'timeout' ? 'timeout' : 'report';
      slot.rejection = extra.rejection;
    }
    if (isSettledState(to)) {
      slot.timer?.unsubscribe();
      slot.timer = undefined;
      releaseHold(run, slot.deviceId);
    } else {
      armTimeout(run, slot);
    }
    // The fleet view shows what the device now runs: the release once updated, or what it says.
    const running =
      to === 'updated'
        ? (extra.version ?? run.definition.release.version)
        : to === 'rolled-back'
          ? extra.version
          : undefined;
    const device = inventory.get(slot.deviceId);
    if (running !== undefined && device !== undefined && device.firmwareVersion !== running) {
      inventory.set(slot.deviceId, { ...device, firmwareVersion: running });
    }
    record(
      deviceStateRecord({
        campaign: run.id,
        device: slot.deviceId,
        cause,
        from,
        to,
        wave: (slot.wave ?? 0) + 1,
        at: now,
        reportedAt: extra.reportedAt,
        detail: extra.detail,
        version: isSettledState(to) ? extra.version : undefined,
        rejection: to === 'failed' ? extra.rejection : undefined,
      }),
    );
    emitFleet(slot.deviceId);
    emitStatus(run);
    evaluate(run, isFailureState(to) || to === 'updated' ? slot.wave : undefined);
  };

  const closedError = () => new RolloutStateError('closed', 'the rollout engine is closed');

  const report = (input: unknown): ReportResult => {
    if (closed) return { ok: false, error: closedError() };
    const parsed = safeParse(RolloutReport, ROLLOUT_REPORT_SCHEMA_NAME, input);
    if (!parsed.ok) {
      fail(parsed.error);
      return { ok: false, error: parsed.error };
    }
    const r = parsed.value;
    const refuse = (reason: RolloutTransitionError['reason'], message: string, from?: DeviceUpdateState) => {
      const error = new RolloutTransitionError(reason, message, {
        campaignId: r.campaignId,
        deviceId: r.deviceId,
        ...(from === undefined ? {} : { from }),
        to: r.state,
      });
      fail(error);
      return { ok: false as const, error };
    };
    const run = campaigns.get(r.campaignId);
    if (run === undefined) {
      return refuse('unknown-campaign', `report from ${r.deviceId} names unknown campaign ${r.campaignId}`);
    }
    const slot = run.slots.get(r.deviceId);
    if (slot === undefined) {
      return refuse('not-targeted', `${r.deviceId} is not targeted by campaign ${r.campaignId}`);
    }
    if (slot.assignedAt === undefined) {
      return refuse(
        'not-assigned',
        `${r.deviceId} reported ${r.state} for campaign ${r.campaignId}, which has not assigned it`,
        slot.state,
      );
    }
    if (slot.lastReportAt !== undefined && r.at < slot.lastReportAt) {
      return { ok: true, outcome: 'stale', state: slot.state };
    }
    if (r.state === slot.state) return { ok: true, outcome: 'duplicate', state: slot.state };
    if (!canTransition(slot.state, r.state)) {
      return refuse(
        'illegal-transition',
        `${r.deviceId} cannot go from ${slot.state} to ${r.state} in campaign ${r.campaignId}`,
        slot.state,
      );
    }
    move(run, slot, r.state, 'report', {
      reportedAt: r.at,
      detail: detailText(r.detail),
      version: r.version,
      rejection: r.reason,
    });
    return { ok: true, outcome: 'applied', state: slot.state };
  };

  // ---- inventory --------------------------------------------------------------------------

  const upsertDevices = (input: unknown): InventoryResult => {
    if (closed) return { accepted: 0, errors: [closedError()] };
    const items = Array.isArray(input) ? input : [input];
    const found: HealthItError[] = [];
    const touched = new Map<CampaignRun, DeviceSlot[]>();
    let accepted = 0;
    let overflow = 0;
    items.forEach((item, i) => {
      const parsed = safeParse(FleetDevice, FLEET_DEVICE_SCHEMA_NAME, item, `inventory item ${i}`);
      if (!parsed.ok) {
        found.push(parsed.error);
        return;
      }
      const device = parsed.value;
      if (!inventory.has(device.deviceId) && inventory.size >= limits.maxFleetDevices) {
        overflow++;
        return;
      }
      inventory.set(device.deviceId, device);
      accepted++;
      emitFleet(device.deviceId);
      const run = holder.get(device.deviceId);
      const slot = run?.slots.get(device.deviceId);
      if (run !== undefined && slot !== undefined && slot.assignedAt === undefined) {
        const list = touched.get(run);
        if (list === undefined) touched.set(run, [slot]);
        else list.push(slot);
      }
    });
    if (overflow > 0) {
      found.push(
        new RolloutLimitError(
          'maxFleetDevices',
          limits.maxFleetDevices,
          `the inventory holds ${limits.maxFleetDevices} devices; ${overflow} new devices were refused`,
          { refused: overflow },
        ),
      );
    }
    for (const e of found) fail(e);
    for (const [run, slots] of touched) {
      if (slots.length === 1) offer(run, slots[0] as DeviceSlot);
      else fill(run);
    }
    return { accepted, errors: found };
  };

  // ---- campaigns --------------------------------------------------------------------------

  const refuseCampaign = (error: HealthItError): CampaignResult => {
    fail(error);
    return { ok: false, error };
  };

  /** Makes room for one more campaign: evicts the oldest finished one with nothing in flight. */
  const makeRoom = (): boolean => {
    if (campaigns.size < limits.maxCampaigns) return true;
    for (const run of campaigns.values()) {
      if (!run.isOpen && run.inFlight === 0) {
        campaigns.delete(run.id);
        return true;
      }
    }
    return false;
  };

  const createCampaign = (input: unknown, by: string = ROLLOUT_SYSTEM_ACTOR): CampaignResult => {
    if (closed) return { ok: false, error: closedError() };
    const actor = actorOf(by);
    if (actor === undefined) {
      return refuseCampaign(
        new RolloutStateError('not-allowed', 'by must be an actor id of 1-128 characters'),
      );
    }
    const parsed = parseCampaignDefinition(input);
    if (!parsed.ok) return refuseCampaign(parsed.error);
    const def: CampaignDefinition = parsed.value;
    if (campaigns.has(def.id)) {
      return refuseCampaign(
        new RolloutStateError('duplicate-campaign', `a campaign ${def.id} already exists`, def.id),
      );
    }
    const matches = compileTarget(def.target);
    const population: DeviceId[] = [];
    let excludedBusy = 0;
    for (const device of inventory.values()) {
      if (!matches(device) || !def.release.hardwareIds.includes(device.hardwareId)) continue;
      if (device.firmwareVersion === def.release.version) continue;
      if (holder.has(device.deviceId)) {
        excludedBusy++;
        continue;
      }
      population.push(device.deviceId);
    }
    if (population.length > limits.maxDevicesPerCampaign) {
      return refuseCampaign(
        new RolloutLimitError(
          'maxDevicesPerCampaign',
          limits.maxDevicesPerCampaign,
          `campaign ${def.id} targets ${population.length} devices, more than ${limits.maxDevicesPerCampaign}; narrow its targeting or split it`,
          { campaignId: def.id, targeted: population.length },
        ),
      );
    }
    if (!makeRoom()) {
      return refuseCampaign(
        new RolloutLimitError(
          'maxCampaigns',
          limits.maxCampaigns,
          `${limits.maxCampaigns} campaigns are open or have devices in flight; finish or cancel one before creating ${def.id}`,
          { campaignId: def.id },
        ),
      );
    }
    const ranked = population
      .map((id) => ({ id, rank: assignmentRank(def.id, id) }))
      .sort((a, b) => a.rank - b.rank || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
      .map((x) => x.id);
    const run = new CampaignRun(def, ranked, clock.now(), excludedBusy);
    campaigns.set(def.id, run);
    for (const slot of run.order) {
      holder.set(slot.deviceId, run);
      latest.set(slot.deviceId, { run, slot });
    }
    decide(run, 'created', actor, { definition: def, excludedBusy });
    for (const slot of run.order) emitFleet(slot.deviceId);
    emitStatus(run);
    if (run.population === 0) {
      setPhase(run, 'completed', 'completed', ROLLOUT_SYSTEM_ACTOR, 'no device matched the targeting');
    } else {
      fill(run);
      evaluate(run, undefined);
    }
    return { ok: true, changed: true, status: run.status(clock.now()) };
  };

  const control = (
    campaignId: string,
    request: CampaignControl,
    action: 'pause' | 'resume' | 'cancel',
  ): CampaignResult => {
    if (closed) return { ok: false, error: closedError() };
    const run = campaigns.get(campaignId);
    if (run === undefined) {
      return refuseCampaign(
        new RolloutStateError('unknown-campaign', `no campaign ${campaignId}`, campaignId),
      );
    }
    const actor = actorOf(request?.by);
    if (actor === undefined) {
      return refuseCampaign(
        new RolloutStateError('not-allowed', 'by must be an actor id of 1-128 characters', campaignId),
      );
    }
    const reason = typeof request.reason === 'string' ? request.reason.slice(0, 1_024) : undefined;
    const target: CampaignPhase =
      action === 'pause' ? 'paused' : action === 'resume' ? 'running' : 'cancelled';
    if (run.phase === target) return { ok: true, changed: false, status: run.status(clock.now()) };
    const allowed =
      action === 'cancel'
        ? run.isOpen
        : action === 'pause'
          ? run.phase === 'running'
          : run.phase === 'paused';
    if (!allowed) {
      return refuseCampaign(
        new RolloutStateError(
          'not-allowed',
          `cannot ${action} campaign ${campaignId}: it is ${run.phase}`,
          campaignId,
        ),
      );
    }
    if (action === 'resume') {
      setPhase(run, 'running', 'resumed', actor, reason);
      fill(run);
      evaluate(run, undefined);
    } else {
      setPhase(
        run,
        target,
        action === 'pause' ? 'paused' : 'cancelled',
        actor,
        reason ?? `${action} by ${actor}`,
      );
    }
    return { ok: true, changed: true, status: run.status(clock.now()) };
  };

  // ---- sources and queries ----------------------------------------------------------------

  const connect = (
    source$: Observable<unknown>,
    name: string,
    onItem: (x: unknown) => void,
  ): Subscription => {
    if (closed) throw closedError();
    let subscription: Subscription | undefined;
    let done = false;
    const finish = (): void => {
      done = true;
      if (subscription !== undefined) sources.delete(subscription);
    };
    subscription = source$.subscribe({
      next: onItem,
      error: (e: unknown) => {
        finish();
        if (!closed) {
          fail(
            new RolloutStateError(
              'source-failed',
              `the ${name} source failed and stopped: ${String(e)}`,
              undefined,
              e,
            ),
          );
        }
      },
      complete: finish,
    });
    if (!done) sources.add(subscription);
    return subscription;
  };

  const fleet = (query: FleetQuery = {}): FleetEntry[] => {
    const limit = query.limit ?? DEFAULT_FLEET_QUERY_LIMIT;
    const offset = query.offset ?? 0;
    if (!Number.isSafeInteger(limit) || limit < 0)
      throw new RangeError(`limit must be an integer >= 0, got ${limit}`);
    if (!Number.isSafeInteger(offset) || offset < 0) {
      throw new RangeError(`offset must be an integer >= 0, got ${offset}`);
    }
    const states =
      query.state === undefined
        ? undefined
        : new Set(typeof query.state === 'string' ? [query.state] : query.state);
    const out: FleetEntry[] = [];
    let skipped = 0;
    const consider = (
      device: FleetDevice | undefined,
      l: { run: CampaignRun; slot: DeviceSlot } | undefined,
    ) => {
      if (device === undefined) return;
      if (query.ward !== undefined && device.ward !== query.ward) return;
      if (query.model !== undefined && device.model !== query.model) return;
      if (query.hardwareId !== undefined && device.hardwareId !== query.hardwareId) return;
      if (states !== undefined && (l === undefined || !states.has(l.slot.state))) return;
      if (skipped < offset) {
        skipped++;
        return;
      }
      out.push(entryOf(device, l));
    };
    if (query.campaignId !== undefined) {
      // The campaign's population, each with its state in that campaign, in assignment order.
      const run = campaigns.get(query.campaignId);
      if (run === undefined) return out;
      for (const slot of run.order) {
        if (out.length >= limit) break;
        consider(inventory.get(slot.deviceId), { run, slot });
      }
      return out;
    }
    for (const device of inventory.values()) {
      if (out.length >= limit) break;
      consider(device, latest.get(device.deviceId));
    }
    return out;
  };

  return Object.freeze({
    commands$: commands.asObservable(),
    status$: statuses.asObservable(),
    fleet$: fleetChanges.asObservable(),
    errors$: errors.asObservable(),
    audit$: records.asObservable(),
    upsertDevices,
    connectInventory: (inventory$: Observable<unknown>) => connect(inventory$, 'inventory', upsertDevices),
    report,
    connectReports: (reports$: Observable<unknown>) => connect(reports$, 'reports', report),
    createCampaign,
    pause: (id: string, c: CampaignControl) => control(id, c, 'pause'),
    resume: (id: string, c: CampaignControl) => control(id, c, 'resume'),
    cancel: (id: string, c: CampaignControl) => control(id, c, 'cancel'),
    campaign: (id: string) => campaigns.get(id)?.status(clock.now()),
    campaigns: () => [...campaigns.values()].map((r) => r.status(clock.now())),
    device: (id: string) => {
      const d = inventory.get(id);
      return d === undefined ? undefined : entryOf(d);
    },
    fleet,
    flushAudit: () => writer?.flush() ?? Promise.resolve(),
    close() {
      if (closed) return;
      closed = true;
      for (const s of sources) s.unsubscribe();
      sources.clear();
      for (const run of campaigns.values()) {
        stopTimers(run);
        for (const slot of run.order) {
          slot.timer?.unsubscribe();
          slot.timer = undefined;
        }
      }
      writer?.close();
      for (const s of [commands, statuses, fleetChanges, errors, records]) (s as Subject<unknown>).complete();
    },
  });
}
