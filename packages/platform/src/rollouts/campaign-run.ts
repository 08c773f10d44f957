import type { DeviceId } from '@healthit/core';
import type { Subscription } from 'rxjs';
import { type CampaignDefinition, ceilPercent, waveQuotas } from './campaign.js';
import { type DeviceUpdateState, isFailureState, isSettledState, zeroCounts } from './states.js';
import type { CampaignPhase, CampaignStatus, WaveStatus } from './types.js';

/** One targeted device's place in a campaign. Mutated only by {@link CampaignRun} and the engine. @internal */
export interface DeviceSlot {
  readonly deviceId: DeviceId;
  state: DeviceUpdateState;
  /** 0-based wave that assigned it; undefined until assigned. */
  wave: number | undefined;
  assignedAt: number | undefined;
  /** Device time of the last accepted report. */
  lastReportAt: number | undefined;
  /** Engine time of the last change (creation, assignment, transition). */
  lastChangeAt: number;
  failure: 'report' | 'timeout' | undefined;
  detail: string | undefined;
  /** The `UpdateRejectedError` reason a failed device reported. */
  rejection: string | undefined;
  /** The silence timer while assigned and not settled. */
  timer: Subscription | undefined;
}

interface WaveTally {
  readonly percent: number;
  /** Devices allowed in all while this wave is current. */
  readonly cumulative: number;
  readonly planned: number;
  assigned: number;
  updated: number;
  failed: number;
  /** The pause threshold was reached once: it does not pause again for this wave. */
  pauseFired: boolean;
}

/** What the failure thresholds say about one wave. @internal */
export type FailureVerdict = { readonly action: 'abort' | 'pause'; readonly reason: string } | undefined;

/**
 * The bookkeeping of one campaign: its population in assignment order, the state of each device,
 * counts per state and per wave, phase and current wave. It decides nothing about time; the engine
 * drives it and keeps its invariants: counts sum to the population, assigned never exceeds the
 * current wave's quota.
 * @internal
 */
export class CampaignRun {
  readonly definition: CampaignDefinition;
  readonly createdAt: number;
  /** The population in assignment order. */
  readonly order: readonly DeviceSlot[];
  readonly slots: ReadonlyMap<string, DeviceSlot>;
  /** Matching devices left out because another open campaign held them. */
  readonly excludedBusy: number;
  phase: CampaignPhase = 'running';
  reason: string | undefined;
  /** 0-based. */
  waveIndex = 0;
  assigned = 0;
  /** Assigned and not settled. */
  inFlight = 0;
  readonly counts = zeroCounts();
  readonly waves: WaveTally[];
  soakTimer: Subscription | undefined;
  windowTimer: Subscription | undefined;
  /** Every slot before this index is assigned. */
  #cursor = 0;

  constructor(
    definition: CampaignDefinition,
    deviceIds: readonly DeviceId[],
    createdAt: number,
    excludedBusy: number,
  ) {
    this.definition = definition;
    this.createdAt = createdAt;
    this.excludedBusy = excludedBusy;
    this.order = deviceIds.map((deviceId) => ({
      deviceId,
      state: 'pending',
      wave: undefined,
      assignedAt: undefined,
      lastReportAt: undefined,
      lastChangeAt: createdAt,
      failure: undefined,
      detail: undefined,
      rejection: undefined,
      timer: undefined,
    }));
    this.slots = new Map(this.order.map((s) => [s.deviceId, s]));
    this.counts.pending = this.order.length;
    const quotas = waveQuotas(definition.waves, this.order.length);
    this.waves = definition.waves.map((percent, k) => ({
      percent,
      cumulative: quotas[k] ?? 0,
      planned: (quotas[k] ?? 0) - (k === 0 ? 0 : (quotas[k - 1] ?? 0)),
      assigned: 0,
      updated: 0,
      failed: 0,
      pauseFired: false,
    }));
  }

  get id(): string {
    return this.definition.id;
  }
  get population(): number {
    return this.order.length;
  }
  /** Devices the current wave allows in all. */
  get allowed(): number {
    return this.waves[this.waveIndex]?.cumulative ?? 0;
  }
  get isLastWave(): boolean {
    return this.waveIndex === this.waves.length - 1;
  }
  /** Running or paused: may still assign devices (now or after a resume). */
  get isOpen(): boolean {
    return this.phase === 'running' || this.phase === 'paused';
  }

  /** Unassigned slots in assignment order (advances past the assigned prefix). */
  *unassigned(): Generator<DeviceSlot> {
    while (this.#cursor < this.order.length && this.order[this.#cursor]?.assignedAt !== undefined) {
      this.#cursor++;
    }
    for (let i = this.#cursor; i < this.order.length; i++) {
      const slot = this.order[i] as DeviceSlot;
      if (slot.assignedAt === undefined) yield slot;
    }
  }

  /** Marks `slot` assigned in the current wave. The caller checked the quota. */
  assign(slot: DeviceSlot, now: number): void {
    if (slot.assignedAt !== undefined) throw new Error(`${slot.deviceId} is already assigned`);
    if (this.assigned >= this.allowed) throw new Error(`wave ${this.waveIndex + 1} is full`);
    slot.wave = this.waveIndex;
    slot.assignedAt = now;
    slot.lastChangeAt = now;
    this.assigned++;
    this.inFlight++;
    (this.waves[this.waveIndex] as WaveTally).assigned++;
  }

  /** Moves `slot` to `to`, keeping counts and wave tallies. The caller checked the transition. */
  move(slot: DeviceSlot, to: DeviceUpdateState, now: number): void {
    const from = slot.state;
    this.counts[from]--;
    this.counts[to]++;
    slot.state = to;
    slot.lastChangeAt = now;
    const tally = slot.wave === undefined ? undefined : this.waves[slot.wave];
    if (tally !== undefined) {
      if (to === 'updated') tally.updated++;
      if (isFailureState(to) && !isFailureState(from)) tally.failed++;
    }
    if (isSettledState(to) && !isSettledState(from) && slot.assignedAt !== undefined) this.inFlight--;
  }

  /** The failure thresholds' verdict on wave `k` (0-based), against its size. */
  failureVerdict(k: number): FailureVerdict {
    const w = this.waves[k];
    if (w === undefined || w.failed === 0) return undefined;
    const size = Math.max(w.planned, w.assigned);
    const reached = (percent: number) => w.failed * 100 >= percent * size - 1e-9;
    const share = `${w.failed} of ${size} devices of wave ${k + 1} failed or rolled back`;
    const { abortAtFailurePercent: abort, pauseAtFailurePercent: pause } = this.definition;
    if (reached(abort)) return { action: 'abort', reason: `failure rate: ${share} (>= ${abort} %)` };
    if (pause !== undefined && reached(pause) && !w.pauseFired) {
      return { action: 'pause', reason: `failure rate: ${share} (>= ${pause} %)` };
    }
    return undefined;
  }

  /** Marks wave `k`'s pause threshold as reached, so it pauses the campaign once. */
  firePause(k: number): void {
    const w = this.waves[k];
    if (w !== undefined) w.pauseFired = true;
  }

  /** The current wave reached its success threshold. */
  waveSucceeded(): boolean {
    const w = this.waves[this.waveIndex] as WaveTally;
    return w.updated >= ceilPercent(this.definition.successPercent, w.planned);
  }

  /** Why the current wave may advance, for the audit trail. */
  successReason(): string {
    const w = this.waves[this.waveIndex] as WaveTally;
    return `wave ${this.waveIndex + 1}: ${w.updated} of ${w.planned} devices updated (>= ${this.definition.successPercent} %)`;
  }

  /** Every device was assigned and has settled (`updated`, `failed` or `rolled-back`). */
  isDone(): boolean {
    return this.assigned === this.population && this.inFlight === 0;
  }

  status(now: number): CampaignStatus {
    const waves: WaveStatus[] = this.waves.map((w, k) => ({
      wave: k + 1,
      percent: w.percent,
      planned: w.planned,
      assigned: w.assigned,
      updated: w.updated,
      failed: w.failed,
    }));
    return {
      campaignId: this.id,
      ts: now,
      phase: this.phase,
      ...(this.reason === undefined ? {} : { reason: this.reason }),
      release: this.definition.release,
      urgent: this.definition.urgent,
      createdAt: this.createdAt,
      wave: this.waveIndex + 1,
      waveCount: this.waves.length,
      allowed: this.allowed,
      population: this.population,
      assigned: this.assigned,
      inFlight: this.inFlight,
      counts: { ...this.counts },
      waves,
    };
  }
}
