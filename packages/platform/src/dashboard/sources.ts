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
  /** The patient's id, as in `Reading.patientId`: the key that joins readings, alerts, NEWS2 and commands. */
  readonly patientId: string;
  /** What the tile shows as its title (default the id). */
  readonly label?: string;
  /** The ward of the patient's current encounter. */
  readonly ward?: string;
  /** The bed (or bay) label within the ward, e.g. `B4`; shown on the tile when given. */
  readonly bed?: string;
  /** A short note, e.g. the simulator's scenario or `SpO2 Scale 2`. */
  readonly note?: string;
}

/** One NEWS2 score, as the gateway's NEWS2 operator computed it (structural: no gateway import). */
export interface News2Point {
  /** The patient scored, as in `Reading.patientId`. */
  readonly patientId: string;
  /** When it was scored, epoch ms. */
  readonly ts: number;
  /** The aggregate score, 0-20. */
  readonly total: number;
  /** The RCP clinical-risk band (Chart 3). */
  readonly clinicalRisk: 'low' | 'low-medium' | 'medium' | 'high';
  /** A single parameter scored 3. */
  readonly redScore: boolean;
  /** The NEWS2 SpO2 scale used: 1 (default), or 2 for patients with hypercapnic respiratory failure. */
  readonly spo2Scale?: 1 | 2;
  /** Whether the patient was on supplemental oxygen when scored (which scores 2 points in NEWS2). */
  readonly onOxygen?: boolean;
}

/** NEWS2 scores: the latest per patient, history, and live updates. */
export interface News2Source {
  /** The patient's most recent score, or `undefined` when none has been recorded. */
  latest(patientId: string): MaybePromise<News2Point | undefined>;
  /** Scores with `from <= ts < to`, oldest first. */
  history(patientId: string, from: number, to: number): MaybePromise<readonly News2Point[]>;
  /** Hot: every new score. */
  readonly updates$?: Observable<News2Point>;
}

/** A command sent to an actuator, for the patient-detail time axis. */
export interface DashboardCommand {
  /** The command's unique id (as its issuer assigned it); later status changes reuse it. */
  readonly id: string;
  /** When the command was sent (or its state last changed), epoch ms. */
  readonly ts: number;
  /** The actuator the command was sent to. */
  readonly deviceId: string;
  /** The patient the command concerns, if any; commands without one are not shown on a patient's axis. */
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
  /** Hot: every new command or state change, pushed to open pages as `command` events. */
  readonly updates$?: Observable<DashboardCommand>;
}

/** A device on the devices page. */
export interface DashboardDevice {
  /** The device's id, as in `Reading.deviceId`. */
  readonly deviceId: string;
  /** The patient the device is currently assigned to, if any. */
  readonly patientId?: string;
  /** E.g. `pulse oximeter`. */
  readonly kind?: string;
  /** E.g. `online`, `offline`, `updating`, `decommissioned`. */
  readonly state: string;
  /** Remaining battery charge, 0-100 %; absent for mains-powered devices or when unknown. */
  readonly batteryPercent?: number;
  /** When it was last heard from, epoch ms. */
  readonly lastSeen?: number;
  /** The firmware version the device reports, e.g. `2.4.1`. */
  readonly firmware?: string;
}

/** The device fleet. */
export interface DeviceSource {
  /** Every device to list on the devices page, in display order. */
  list(): MaybePromise<readonly DashboardDevice[]>;
  /** Hot: a device whose state changed (the whole entry), pushed to open pages as `device` events. */
  readonly updates$?: Observable<DashboardDevice>;
}

/**
 * Rollout progress: the platform's rollout engine (`@healthit/platform/rollouts`) satisfies this
 * as it is (`fleet` and `campaigns`).
 */
export interface RolloutSource {
  /** Devices with their firmware and rollout state; the dashboard asks for at most 1 000. */
  fleet(query?: FleetQuery): FleetEntry[];
  /** Every rollout campaign with its progress. */
  campaigns(): CampaignStatus[];
}

/** A witness of the ledger's checkpoints. */
export interface DashboardWitness {
  /** The witness's name, as in its verifier key (C2SP signed-note key name). */
  readonly name: string;
  /** Whether it cosigned the latest checkpoint. */
  readonly cosigned: boolean;
}

/** The ledger's latest state. */
export interface LedgerStatus {
  /**
   * The log's origin line: the name every checkpoint of the log starts with, e.g.
   * `ledger.example.org/ward`.
   */
  readonly origin: string;
  /** Hex SHA-256 of the log's key. */
  readonly logId?: string;
  /** Entries in the log. */
  readonly size: number;
  /** The latest published checkpoint note (C2SP signed note), if any. */
  readonly checkpoint?: string;
  /** Its tree size and root (base64), when parsed. */
  readonly checkpointSize?: number;
  /** The checkpoint's Merkle tree root hash, base64 (as on the checkpoint note's third line). */
  readonly rootHash?: string;
  /** The witnesses configured for the log, each with whether it cosigned the latest checkpoint. */
  readonly witnesses: readonly DashboardWitness[];
  /** Reading batches anchored. */
  readonly anchors?: number;
}

/** One verification step of a provenance bundle (the ledger's `StepOutcome`). */
export interface ProvenanceStepView {
  /** The step's name, e.g. `reading-inclusion` or `checkpoint-signature` (the ledger's `ProvenanceStep`). */
  readonly step: string;
  /** Whether the step passed. */
  readonly ok: boolean;
  /** What failed, when `ok` is false. */
  readonly reason?: string;
}

/** A reading's provenance bundle and its verdict (the ledger's `verifyProvenanceBundle`). */
export interface ProvenanceView {
  /** The id of the reading whose provenance this is. */
  readonly readingId: string;
  /** The verdict: true when every step passed, so the reading is proven to be in the signed log. */
  readonly ok: boolean;
  /** The first failing step, when not ok. */
  readonly failedStep?: string;
  /** What failed at `failedStep`, when not ok. */
  readonly reason?: string;
  /** The steps run, in order, each with its outcome; verification stops at the first failure. */
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
  /** The log's size, latest checkpoint and witness cosignatures. */
  status(): MaybePromise<LedgerStatus>;
  /**
   * The reading's provenance bundle with its verdict, or `undefined` when the reading is not
   * anchored (yet).
   */
  provenance(readingId: string): MaybePromise<ProvenanceView | undefined>;
}

/** A model as the models page shows it. */
export interface DashboardModel {
  /** The model's name or id, e.g. `deterioration-risk`. */
  readonly name: string;
  /** The model's version, e.g. `0.1.0`. */
  readonly version: string;
  /** Where it runs: `edge`, `cloud` or `split`, and on what (e.g. `gateway gw-1`). */
  readonly placement: string;
  /** E.g. `serving`, `shadow`, `retired`. */
  readonly status?: string;
  /** Rolling accuracy, e.g. AUROC 0-1; absent before labels arrive. */
  readonly auroc?: number;
  /** Brier score of the risk scores against outcomes, 0-1 (lower is better); absent before labels arrive. */
  readonly brier?: number;
  /** Input drift: a score (e.g. PSI) and whether it passed the alarm threshold. */
  readonly drift?: { readonly score: number; readonly drifted: boolean; readonly metric?: string };
  /** Risk scores produced so far. */
  readonly scores?: number;
  /** When these figures were last updated, epoch ms. */
  readonly updatedAt?: number;
}

/** The models. */
export interface ModelSource {
  /** Every model to show on the models page. */
  list(): MaybePromise<readonly DashboardModel[]>;
}

/** A request as {@link Authenticate} sees it. */
export interface DashboardRequest {
  /** The request's HTTP headers, names in lower case (as Node's `IncomingMessage.headers`). */
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
  /** NEWS2 scores for tiles and charts; without it the dashboard shows no NEWS2. */
  readonly news2?: News2Source;
  /** Actuator commands for the patient-detail time axis; without it none are shown. */
  readonly commands?: CommandSource;
  /** Device fleet for the devices page (shown when this or `rollouts` is given). */
  readonly devices?: DeviceSource;
  /** Firmware rollout campaigns and per-device progress for the devices page. */
  readonly rollouts?: RolloutSource;
  /** The ledger for the ledger page and verify-a-reading; without it `/api/ledger` answers 404. */
  readonly ledger?: LedgerSource;
  /** The models for the models page; without it `/api/models` answers 404. */
  readonly models?: ModelSource;
}
