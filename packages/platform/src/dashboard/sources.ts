import type { Principal, Reading, ReadingStore } from '@healthit/core';
import type { Observable } from 'rxjs';
import type { AlertManager } from '../alerts/manager.js';
import type { CampaignStatus, FleetEntry, FleetQuery } from '../rollouts/types.js';

/**
 * The dashboard's inputs: small typed data sources. The platform depends on `@healthit/core` only,
 * so whatever another layer knows (NEWS2 from the gateway, checkpoints and provenance bundles from
 * the ledger, model status from the AI package) arrives through these interfaces; an integrator (or
 * `examples/ward`) wires the concrete packages in. Every member that returns data may return it
 * directly or as a promise.
 * @packageDocumentation
 */

/** A value or a promise of it. */
export type MaybePromise<T> = T | Promise<T>;

/** A patient on the ward overview. */
export interface DashboardPatient {
  readonly patientId: string;
  /** What the tile shows as its title (default the id). */
  readonly label?: string;
  /** The ward of the patient's current encounter. */
  readonly ward?: string;
  readonly bed?: string;
  /** A short note, e.g. the simulator's scenario or `SpO2 Scale 2`. */
  readonly note?: string;
}

/** One NEWS2 score, as the gateway's NEWS2 operator computed it (structural: no gateway import). */
export interface News2Point {
  readonly patientId: string;
  /** When it was scored, epoch ms. */
  readonly ts: number;
  /** The aggregate score, 0-20. */
  readonly total: number;
  /** The RCP clinical-risk band (Chart 3). */
  readonly clinicalRisk: 'low' | 'low-medium' | 'medium' | 'high';
  /** A single parameter scored 3. */
  readonly redScore: boolean;
  readonly spo2Scale?: 1 | 2;
  readonly onOxygen?: boolean;
}

/** NEWS2 scores: the latest per patient, history, and live updates. */
export interface News2Source {
  latest(patientId: string): MaybePromise<News2Point | undefined>;
  /** Scores with `from <= ts < to`, oldest first. */
  history(patientId: string, from: number, to: number): MaybePromise<readonly News2Point[]>;
  /** Hot: every new score. */
  readonly updates$?: Observable<News2Point>;
}

/** A command sent to an actuator, for the patient-detail time axis. */
export interface DashboardCommand {
  readonly id: string;
  readonly ts: number;
  readonly deviceId: string;
  readonly patientId?: string;
  /** E.g. `oxygen.set-flow`. */
  readonly action: string;
  /** Latest known state, e.g. `sent`, `completed`, `rejected`. */
  readonly state?: string;
  /** One line, e.g. `flow 2 L/min by rule spo2-low`. */
  readonly summary?: string;
}

/** Commands per patient. */
export interface CommandSource {
  /** Commands for the patient with `from <= ts < to`, oldest first. */
  history(patientId: string, from: number, to: number): MaybePromise<readonly DashboardCommand[]>;
  readonly updates$?: Observable<DashboardCommand>;
}

/** A device on the devices page. */
export interface DashboardDevice {
  readonly deviceId: string;
  readonly patientId?: string;
  /** E.g. `pulse oximeter`. */
  readonly kind?: string;
  /** E.g. `online`, `offline`, `updating`, `decommissioned`. */
  readonly state: string;
  readonly batteryPercent?: number;
  /** When it was last heard from, epoch ms. */
  readonly lastSeen?: number;
  readonly firmware?: string;
}

/** The device fleet. */
export interface DeviceSource {
  list(): MaybePromise<readonly DashboardDevice[]>;
  readonly updates$?: Observable<DashboardDevice>;
}

/**
 * Rollout progress: the platform's rollout engine (`@healthit/platform/rollouts`) satisfies this
 * as it is (`fleet` and `campaigns`).
 */
export interface RolloutSource {
  fleet(query?: FleetQuery): FleetEntry[];
  campaigns(): CampaignStatus[];
}

/** A witness of the ledger's checkpoints. */
export interface DashboardWitness {
  readonly name: string;
  /** Whether it cosigned the latest checkpoint. */
  readonly cosigned: boolean;
}

/** The ledger's latest state. */
export interface LedgerStatus {
  readonly origin: string;
  /** Hex SHA-256 of the log's key. */
  readonly logId?: string;
  /** Entries in the log. */
  readonly size: number;
  /** The latest published checkpoint note (C2SP signed note), if any. */
  readonly checkpoint?: string;
  /** Its tree size and root (base64), when parsed. */
  readonly checkpointSize?: number;
  readonly rootHash?: string;
  readonly witnesses: readonly DashboardWitness[];
  /** Reading batches anchored. */
  readonly anchors?: number;
}

/** One verification step of a provenance bundle (the ledger's `StepOutcome`). */
export interface ProvenanceStepView {
  readonly step: string;
  readonly ok: boolean;
  readonly reason?: string;
}

/** A reading's provenance bundle and its verdict (the ledger's `verifyProvenanceBundle`). */
export interface ProvenanceView {
  readonly readingId: string;
  readonly ok: boolean;
  /** The first failing step, when not ok. */
  readonly failedStep?: string;
  readonly reason?: string;
  readonly steps: readonly ProvenanceStepView[];
  /** The checkpoint the bundle is proved against. */
  readonly checkpoint?: { readonly origin: string; readonly size: number; readonly rootHash: string };
  /** Witnesses whose cosignatures counted. */
  readonly witnesses?: readonly string[];
  /** The bundle as JSON, for download. */
  readonly bundle: unknown;
}

/**
 * The ledger: the latest checkpoint and its witnesses, and verify-a-reading. `provenance` builds the
 * reading's bundle (`buildProvenanceBundle`) and verifies it as an auditor would
 * (`verifyProvenanceBundle` on the JSON alone); `undefined` when the reading is not anchored (yet).
 */
export interface LedgerSource {
  status(): MaybePromise<LedgerStatus>;
  provenance(readingId: string): MaybePromise<ProvenanceView | undefined>;
}

/** A model as the models page shows it. */
export interface DashboardModel {
  readonly name: string;
  readonly version: string;
  /** Where it runs: `edge`, `cloud` or `split`, and on what (e.g. `gateway gw-1`). */
  readonly placement: string;
  /** E.g. `serving`, `shadow`, `retired`. */
  readonly status?: string;
  /** Rolling accuracy, e.g. AUROC 0-1; absent before labels arrive. */
  readonly auroc?: number;
  readonly brier?: number;
  /** Input drift: a score (e.g. PSI) and whether it passed the alarm threshold. */
  readonly drift?: { readonly score: number; readonly drifted: boolean; readonly metric?: string };
  /** Risk scores produced so far. */
  readonly scores?: number;
  readonly updatedAt?: number;
}

/** The models. */
export interface ModelSource {
  list(): MaybePromise<readonly DashboardModel[]>;
}

/** A request as {@link Authenticate} sees it. */
export interface DashboardRequest {
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
}

/**
 * Who makes a request: a principal from a verified credential (a role claim checked with core's
 * `verifyRoleClaim`, a session from the hospital's identity provider ...), or `undefined`.
 */
export type Authenticate = (request: DashboardRequest) => MaybePromise<Principal | undefined>;

/** Every source of a dashboard; only `store`, `patients` and `alerts` are required. */
export interface DashboardSources {
  /** The patients on the ward overview, in tile order. */
  readonly patients: () => MaybePromise<readonly DashboardPatient[]>;
  /** Latest vitals and chart history. */
  readonly store: ReadingStore;
  /** Hot: readings as they are stored, for live tiles and charts. */
  readonly readings$?: Observable<Reading>;
  /** The platform's alert manager: listing, live events, acknowledge and resolve. */
  readonly alerts: AlertManager;
  readonly news2?: News2Source;
  readonly commands?: CommandSource;
  readonly devices?: DeviceSource;
  readonly rollouts?: RolloutSource;
  readonly ledger?: LedgerSource;
  readonly models?: ModelSource;
}
